"""Every SFMC answer goes through one classification; the table below is the contract."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from sfmc_actions.errors import AuthenticationError, InDoubtError, PermanentError, RetryableError
from sfmc_actions.sfmc.classify import classify, classify_async_row, error_message, retry_after, row_errors
from sfmc_actions.sfmc.outcomes import Dead, Retry, outcome_for

REQUEST = httpx.Request("POST", "https://mc-x.rest.marketingcloudapis.com/hub/v1/dataevents/key:K/rowset")
UNABLE = "Unable to save rows for data extension ID 5a1c3f0e-1111-2222-3333-444455556666"


def answer(status: int, body: object = None, headers: dict[str, str] | None = None) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers, request=REQUEST)
    return httpx.Response(status, json=body, headers=headers, request=REQUEST)


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (200, [], None),
        (201, {"eventInstanceId": "x"}, None),
        (202, {"requestId": "r"}, None),
        (401, {"message": "Not Authorized", "errorcode": 0}, AuthenticationError),
        (408, None, RetryableError),
        (423, None, RetryableError),
        (429, {"message": "Rate limit exceeded", "errorcode": 50100}, RetryableError),
        (500, {"message": "Internal Server Error", "documentation": ""}, RetryableError),
        (502, None, RetryableError),
        (503, {"message": "Service Unavailable", "errorcode": 50300}, RetryableError),
        (599, None, RetryableError),
        (501, None, PermanentError),
        (400, {"message": UNABLE, "errorcode": 10006, "documentation": ""}, RetryableError),
        (400, {"message": UNABLE, "errorcode": 10006, "additionalErrors": []}, RetryableError),
        (400, {"message": UNABLE, "errorcode": 10006, "additionalErrors": [{"message": "Email: bad"}]}, PermanentError),
        (400, {"message": "Parameter {guid} is invalid.", "errorcode": 10001}, PermanentError),
        (403, {"message": "Insufficient privileges to complete this action.", "errorcode": 20002}, PermanentError),
        (404, {"message": "Not Found", "errorcode": 404}, PermanentError),
        (409, {"message": "exists", "errorcode": 30004}, PermanentError),
        (302, None, PermanentError),
    ],
)
def test_status_table(status: int, body: object, kind: type[Exception] | None) -> None:
    error = classify(answer(status, body))
    if kind is None:
        assert error is None
    else:
        assert type(error) is kind
        assert error is not None and error.status == status


def test_messages_quote_sfmc() -> None:
    error = classify(answer(400, {"message": "Parameter {guid} is invalid.", "errorcode": 10001}))
    assert str(error) == "SFMC answered 400 Bad Request: Parameter {guid} is invalid. (errorcode 10001)"
    body = {
        "requestId": "r",
        "resultMessages": [{"resultCode": "CustomObjectNotFound", "message": "Failed to resolve the Custom Object"}],
    }
    assert error_message(body) == "Failed to resolve the Custom Object (CustomObjectNotFound)"
    oauth = {"error": "invalid_client", "error_description": "Invalid client ID."}
    assert error_message(oauth) == "Invalid client ID. (invalid_client)"
    assert "no error message" in error_message({}, answer(500))
    html = httpx.Response(502, text="<html>Bad gateway</html>", request=REQUEST)
    assert "<html>Bad gateway</html>" in str(classify(html))


def test_row_errors_only_for_rejected_rows() -> None:
    rejected = classify(
        answer(400, {"message": UNABLE, "errorcode": 10006, "additionalErrors": [{"message": "A"}, {"message": "B"}]})
    )
    assert rejected is not None and row_errors(rejected) == ["A", "B"]
    transient = classify(answer(400, {"message": UNABLE, "errorcode": 10006}))
    assert transient is not None and row_errors(transient) is None
    other = classify(answer(400, {"message": "Primary key 'x' does not exist.", "errorcode": 10000}))
    assert other is not None and row_errors(other) is None


def test_retry_after_seconds_date_and_body() -> None:
    assert retry_after(answer(429, headers={"Retry-After": "5"})) == 5.0
    later = email.utils.formatdate(time.time() + 120, usegmt=True)
    assert 100 < (retry_after(answer(503, headers={"Retry-After": later})) or 0) <= 121
    past = email.utils.formatdate(time.time() - 120, usegmt=True)
    assert retry_after(answer(503, headers={"Retry-After": past})) == 0.0
    assert retry_after(answer(429), {"retryAfter": 7}) == 7.0
    assert retry_after(answer(429, headers={"Retry-After": "soon"})) is None
    error = classify(answer(429, {"message": "Rate limit exceeded", "errorcode": 50100, "retryAfter": 5}))
    assert isinstance(error, RetryableError) and error.retry_after == 5.0


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        # Never reached SFMC whole: safe to resend anything.
        (httpx.ConnectError("refused", request=REQUEST), RetryableError),
        (httpx.ConnectTimeout("slow to connect", request=REQUEST), RetryableError),
        (httpx.PoolTimeout("no free connection", request=REQUEST), RetryableError),
        (httpx.WriteTimeout("body not written", request=REQUEST), RetryableError),
        (httpx.WriteError("broken pipe", request=REQUEST), RetryableError),
        # Sent, then the answer was lost: SFMC may have processed it.
        (httpx.ReadTimeout("slow", request=REQUEST), InDoubtError),
        (httpx.ReadError("reset by peer", request=REQUEST), InDoubtError),
        (httpx.RemoteProtocolError("Server disconnected without sending a response.", request=REQUEST), InDoubtError),
        (httpx.UnsupportedProtocol("ftp", request=REQUEST), PermanentError),
    ],
)
def test_transport_errors(exc: httpx.TransportError, kind: type[Exception]) -> None:
    error = classify(exc)
    assert type(error) is kind
    assert "mc-x.rest.marketingcloudapis.com" in str(error)


def outcome(failure: httpx.Response | httpx.TransportError, sent: object = None) -> Retry | Dead:
    error = classify(failure)
    assert error is not None
    return outcome_for(error, sent)


def test_outcomes_carry_the_status_and_whether_the_request_is_in_doubt() -> None:
    throttled = outcome(answer(429, {"message": "Rate limit exceeded"}, {"Retry-After": "3"}))
    assert isinstance(throttled, Retry) and throttled == Retry(throttled.error, 3.0, status=429)
    refused = outcome(answer(401, {"message": "Not Authorized"}))
    assert isinstance(refused, Retry) and refused.auth_failed and refused.status == 401 and not refused.in_doubt
    lost = outcome(httpx.ReadTimeout("slow", request=REQUEST))
    assert isinstance(lost, Retry) and lost.in_doubt and lost.status is None
    assert "timed out waiting for the answer: ReadTimeout calling POST mc-x." in lost.error
    unsent = outcome(httpx.ConnectError("refused", request=REQUEST))
    assert isinstance(unsent, Retry) and not unsent.in_doubt
    assert outcome(answer(400, {"message": "bad"}), {"row": 1}) == Dead(
        "SFMC answered 400 Bad Request: bad", {"row": 1}, response={"status": 400, "body": {"message": "bad"}}
    )  # SFMC's answer goes with the dead letter, for the error groups' samples
    never_sent = outcome(httpx.UnsupportedProtocol("ftp", request=REQUEST), {"row": 1})
    assert isinstance(never_sent, Dead) and never_sent.response is None  # SFMC never answered


def test_async_row_results() -> None:
    assert classify_async_row({"status": "OK", "message": "Upserted DataExtensionObject"}) is None
    deadlock = {
        "status": "Error",
        "errorCode": 2,
        "message": "Transaction (Process ID 6840) was deadlocked on lock resources with another process and has "
        "been chosen as the deadlock victim. Rerun the transaction.",
    }
    assert isinstance(classify_async_row(deadlock), RetryableError)
    bad = {
        "status": "Error",
        "errorCode": 2,
        "message": "Cannot locate the existing record. Required keys are missing.",
        "errors": [{"errorMessage": "Column [contactkey] does not allow null value.", "name": "contactkey"}],
    }
    error = classify_async_row(bad)
    assert isinstance(error, PermanentError)
    assert "Required keys are missing" in str(error) and "does not allow null value" in str(error)
