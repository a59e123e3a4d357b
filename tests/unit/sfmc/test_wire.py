"""What test-mapping shows of a request or response: exact, with every secret masked."""

from __future__ import annotations

import httpx

from sfmc_actions.sfmc.wire import MASK, shown_request, shown_response


def test_authorization_and_form_secrets_are_masked_the_rest_is_exact() -> None:
    request = httpx.Request(
        "POST",
        "https://x.rest.marketingcloudapis.com/hub/v1/dataevents/key:A/rowset",
        headers={"Authorization": "Bearer secret-token", "X-Other": "kept"},
        content=b'[{"keys":{"a":1}}]',
    )
    shown = shown_request(request)
    assert shown["headers"]["Authorization"] == f"Bearer {MASK}" and shown["headers"]["X-Other"] == "kept"
    assert shown["body"] == '[{"keys":{"a":1}}]'
    token = httpx.Request("POST", "https://x/v2/token", data={"client_id": "c", "client_secret": "s3cret"})
    assert shown_request(token)["body"] == f"client_id=c&client_secret={MASK}"
    soap = httpx.Request("POST", "https://x/Service.asmx", content=b"<a><fueloauth xmlns='y'>tok</fueloauth></a>")
    assert shown_request(soap)["body"] == f"<a><fueloauth xmlns='y'>{MASK}</fueloauth></a>"


def test_tokens_in_responses_are_masked() -> None:
    response = httpx.Response(200, json={"access_token": "tok", "expires_in": 1079, "nested": [{"refresh_token": "r"}]})
    assert shown_response(response)["body"] == {
        "access_token": MASK,
        "expires_in": 1079,
        "nested": [{"refresh_token": MASK}],
    }
    assert shown_response(httpx.Response(400, text="plain words"))["body"] == "plain words"
