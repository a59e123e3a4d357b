"""§1 token endpoint and §2 bearer checks."""

from __future__ import annotations

import httpx
import pytest

from sfmc_actions.emulator import Clock, create_app

from .conftest import CREDENTIALS, SEED, get_token

DOC = "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"
NOT_AUTHORIZED = {"documentation": DOC, "errorcode": 0, "message": "Not Authorized"}


async def test_json_token_has_the_real_response_fields(client: httpx.AsyncClient) -> None:
    response = await client.post("/v2/token", json={**CREDENTIALS, "account_id": "100000001"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "soap_instance_url", "rest_instance_url"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 1079
    assert body["rest_instance_url"] == body["soap_instance_url"] == "http://emulator.test/"
    assert "data_extensions_write" in body["scope"].split() and len(body["access_token"]) >= 40


async def test_form_encoded_token_request_works_and_account_id_may_be_a_number(client: httpx.AsyncClient) -> None:
    form = await client.post("/v2/token", data={**CREDENTIALS, "account_id": "100000001"})
    assert form.status_code == 200
    as_number = await client.post("/v2/token", json={**CREDENTIALS, "account_id": 100000001})
    assert as_number.status_code == 200
    assert form.json()["access_token"] != as_number.json()["access_token"]


@pytest.mark.parametrize(
    ("change", "status", "error", "text"),
    [
        ({"client_id": "nope"}, 401, "invalid_client", "Invalid client ID"),
        ({"client_secret": "wrong"}, 401, "invalid_client", "Client authentication failed"),
        ({"account_id": "999"}, 401, "invalid_client", "account_id"),
        ({"account_id": "abc"}, 401, "invalid_client", "account_id"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", "client_credentials"),
        ({"grant_type": None}, 400, "invalid_request", "grant_type"),
        ({"scope": "email_read not_a_scope"}, 400, "invalid_scope", "not_a_scope"),
    ],
)
async def test_token_errors(
    client: httpx.AsyncClient, change: dict[str, object], status: int, error: str, text: str
) -> None:
    body = {k: v for k, v in {**CREDENTIALS, **change}.items() if v is not None}
    response = await client.post("/v2/token", json=body)
    assert response.status_code == status
    data = response.json()
    assert data["error"] == error and text in data["error_description"]
    assert data["error_uri"] == "https://developer.salesforce.com/docs"


async def test_scope_is_optional_and_empty_means_none(client: httpx.AsyncClient) -> None:
    narrow = await client.post("/v2/token", json={**CREDENTIALS, "scope": "data_extensions_read"})
    assert narrow.json()["scope"] == "data_extensions_read"
    empty = await client.post("/v2/token", json={**CREDENTIALS, "scope": ""})
    assert empty.json()["scope"] == ""


async def test_token_requests_are_counted_per_client(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await get_token(client)
    await client.post("/v2/token", json={**CREDENTIALS, "client_secret": "bad"})
    counts = (await client.get("/__emulator/tokens")).json()["requests"]
    assert counts == {"demo-client-id": 4}


async def test_optional_token_throttling_returns_429_50200() -> None:
    app = create_app(SEED, options={"token_rate_limit": 2})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        assert [(await client.post("/v2/token", json=CREDENTIALS)).status_code for _ in range(3)] == [200, 200, 429]
        body = (await client.post("/v2/token", json=CREDENTIALS)).json()
    assert body["errorcode"] == 50200 and body["message"] == "Your requests are temporarily blocked."


async def test_missing_unknown_and_expired_tokens_get_not_authorized(client: httpx.AsyncClient, clock: Clock) -> None:
    url = "/data/v1/customobjects?$search=x"
    assert (await client.get(url)).json() == NOT_AUTHORIZED
    assert (await client.get(url, headers={"Authorization": "Bearer nope"})).status_code == 401
    token = await get_token(client)
    headers = {"Authorization": f"Bearer {token}"}
    clock.advance(1150)  # past expires_in (1079) but inside the real 1200 s lifetime
    assert (await client.get(url, headers=headers)).status_code == 200
    clock.advance(60)
    response = await client.get(url, headers=headers)
    assert response.status_code == 401 and response.json() == NOT_AUTHORIZED


async def test_missing_scope_is_checked_before_the_resource(client: httpx.AsyncClient) -> None:
    token = await get_token(client, scope="journeys_execute")
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.put("/data/v1/async/dataextensions/key:NoSuchDE/rows", headers=headers, json={})
    assert response.status_code == 403
    assert response.json() == {
        "message": "Insufficient privileges to complete this action.",
        "errorcode": 20002,
        "documentation": DOC,
    }
    # §2 T6 OBS: /hub answers "Not Authorized" for a token without the write scope.
    hub = await client.post("/hub/v1/dataevents/key:Customers/rowset", headers=headers, json=[])
    assert hub.status_code == 401 and hub.json()["message"] == "Not Authorized"


async def test_token_used_on_another_tenants_host_is_rejected() -> None:
    seed = {
        "tenants": [
            {"subdomain": "mcaaa", "mids": [1], "packages": [{"client_id": "a", "client_secret": "sa"}]},
            {"subdomain": "mcbbb", "mids": [2], "packages": [{"client_id": "b", "client_secret": "sb"}]},
        ]
    }
    app = create_app(seed)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mcbbb.rest.local") as client:
        token = (
            await client.post(
                "/v2/token", json={"grant_type": "client_credentials", "client_id": "a", "client_secret": "sa"}
            )
        ).json()["access_token"]
        response = await client.get("/interaction/v1/eventDefinitions", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.json()["errorcode"] == 40002


async def test_token_is_bound_to_its_business_unit() -> None:
    seed = {
        "tenants": [
            {
                "subdomain": "mcaaa",
                "mids": [1, 2],
                "packages": [{"client_id": "a", "client_secret": "s"}],
                "data_extensions": [{"name": "Child", "mid": 2, "fields": [{"name": "k", "primary_key": True}]}],
            }
        ]
    }
    app = create_app(seed)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        creds = {"grant_type": "client_credentials", "client_id": "a", "client_secret": "s"}
        parent = (await client.post("/v2/token", json=creds)).json()["access_token"]
        child = (await client.post("/v2/token", json={**creds, "account_id": "2"})).json()["access_token"]
        rows = [{"keys": {"k": "1"}, "values": {"k": "1"}}]
        url = "/hub/v1/dataevents/key:Child/rowset"
        assert (await client.post(url, json=rows, headers={"Authorization": f"Bearer {parent}"})).status_code == 400
        assert (await client.post(url, json=rows, headers={"Authorization": f"Bearer {child}"})).status_code == 200
