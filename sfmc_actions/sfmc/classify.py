"""The one place that decides what an SFMC answer means: ok, retry later, or refused for good.

    2xx                                      ok (classify returns None)
    401 (after the auth flow's one refresh)  AuthenticationError
    408, 423, 429, 5xx except 501            RetryableError, honouring Retry-After (seconds or HTTP date)
    no connection, or the body not written   RetryableError (SFMC cannot have processed it)
    timeouts and errors after sending        InDoubtError, a RetryableError: SFMC may have processed it, so
                                             only idempotent calls are resent blindly
    400 errorcode 10006, no additionalErrors RetryableError: SFMC's transient "Unable to save rows" (Segment
                                             retries exactly this, sfmc-rest-api.md §3 Errors)
    any other 4xx, 501, 3xx                  PermanentError with SFMC's message

Segment's retry rules (segment-runtime.md §5.2) are the same apart from the 10006 rule, which Segment applies
only in its data extension actions. Row results of the async API are classified by `classify_async_row`.
"""

from __future__ import annotations

import contextlib
import email.utils
import time
from typing import Any

import httpx

from sfmc_actions.errors import AuthenticationError, DeliveryError, InDoubtError, PermanentError, RetryableError

RETRYABLE_STATUSES = frozenset({408, 423, 429})
# Failures that prove SFMC never got the whole request: no connection (connect, pool, proxy), or the body was
# not fully written (write timeout or error), so nothing complete reached SFMC. Any other transport failure
# (read timeout, read error, a connection closed before the answer) comes after the request went out: SFMC
# may have processed it (InDoubtError).
NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.WriteTimeout,
    httpx.WriteError,
)
UNABLE_TO_SAVE_ROWS = 10006
# SFMC reports SQL deadlocks in async row results with this sentence (sfmc-rest-api.md §4 Results).
RERUN_THE_TRANSACTION = "Rerun the transaction"
_MAX_MESSAGE = 500


def classify(outcome: httpx.Response | httpx.TransportError | DeliveryError) -> DeliveryError | None:
    """None for a 2xx response; otherwise the error to raise (or to turn into an outcome)."""
    if isinstance(outcome, DeliveryError):
        return outcome  # already classified (e.g. raised by the auth flow)
    if isinstance(outcome, httpx.TransportError):
        return _transport_error(outcome)
    status = outcome.status_code
    if 200 <= status < 300:
        return None
    body = response_body(outcome)
    message = f"SFMC answered {status} {outcome.reason_phrase}: {error_message(body, outcome)}"
    if status == 401:
        # The auth flow already fetched a fresh token and resent once. SFMC also answers "Not Authorized" when
        # the installed package lacks the scope a call needs (sfmc-rest-api.md §2), which no retry fixes.
        return AuthenticationError(
            message + " (a fresh token was refused too: check that the installed package has the permissions "
            "this call needs, e.g. Data Extensions read/write, Journeys execute, List and Subscribers write)",
            status,
            body,
        )
    if status in RETRYABLE_STATUSES or (status >= 500 and status != 501):
        return RetryableError(message, status, body, retry_after(outcome, body))
    if status == 400 and is_transient_rows_error(body):
        return RetryableError(message, status, body, retry_after(outcome, body))
    return PermanentError(message, status, body)


def is_transient_rows_error(body: object) -> bool:
    """400 errorcode 10006 without row errors: SFMC failed to save the rows for no stated reason."""
    return isinstance(body, dict) and body.get("errorcode") == UNABLE_TO_SAVE_ROWS and not body.get("additionalErrors")


def row_errors(error: DeliveryError) -> list[str] | None:
    """The row messages of a rejected sync rowset (400, errorcode 10006 with additionalErrors), else None."""
    body = error.body
    if not isinstance(error, PermanentError) or error.status != 400 or not isinstance(body, dict):
        return None
    extra = body.get("additionalErrors")
    if body.get("errorcode") != UNABLE_TO_SAVE_ROWS or not isinstance(extra, list) or not extra:
        return None
    return [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in extra]


def classify_async_row(item: dict[str, Any]) -> DeliveryError | None:
    """One item of `GET /data/v1/async/{id}/results`: None when OK, else why the row failed."""
    if item.get("status") == "OK":
        return None
    message = str(item.get("message") or "no message")
    details = [
        str(e.get("errorMessage")) for e in item.get("errors") or [] if isinstance(e, dict) and e.get("errorMessage")
    ]
    text = f"{message} ({'; '.join(details)})" if details else message
    if RERUN_THE_TRANSACTION in message:
        # A deadlock: transient. Resending an upsert is safe. (Segment's newest code counts these rows as
        # delivered, trusting SFMC's internal retry; resending costs little and proves it.)
        return RetryableError(f"SFMC row error: {text}", None, item)
    return PermanentError(f"SFMC row error: {text}", None, item)


def response_body(response: httpx.Response) -> object:
    """The JSON body, or the text when it is not JSON (SOAP faults, proxies' HTML pages)."""
    try:
        return response.json()
    except ValueError:
        return response.text[:_MAX_MESSAGE]


def error_message(body: object, response: httpx.Response | None = None) -> str:
    """SFMC's own words from any of its error shapes (REST envelope, async resultMessages, OAuth errors)."""
    if isinstance(body, dict):
        parts: list[str] = []
        if body.get("message"):
            code = body.get("errorcode")
            parts.append(f"{body['message']}" + (f" (errorcode {code})" if code not in (None, "") else ""))
        for extra in body.get("additionalErrors") or []:
            if isinstance(extra, dict) and extra.get("message"):
                parts.append(str(extra["message"]))
        for msg in body.get("resultMessages") or []:
            if isinstance(msg, dict) and msg.get("message"):
                code = msg.get("resultCode")
                parts.append(f"{msg['message']}" + (f" ({code})" if code else ""))
        if body.get("error_description") or body.get("error"):
            parts.append(f"{body.get('error_description') or ''} ({body.get('error')})".strip())
        if parts:
            return "; ".join(parts)[:_MAX_MESSAGE]
    if isinstance(body, str) and body.strip():
        return body.strip()[:_MAX_MESSAGE]
    return "no error message in the response" if response is None else f"no error message (HTTP {response.status_code})"


def retry_after(response: httpx.Response, body: object = None) -> float | None:
    """Seconds to wait: the Retry-After header (seconds or HTTP date), else the body's `retryAfter` (50100)."""
    header = response.headers.get("retry-after")
    if header:
        header = header.strip()
        try:
            return max(float(header), 0.0)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(header)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(when.timestamp() - time.time(), 0.0)
    if isinstance(body, dict) and isinstance(body.get("retryAfter"), int | float):
        return max(float(body["retryAfter"]), 0.0)
    return None


def _transport_error(exc: httpx.TransportError) -> DeliveryError:
    where = ""
    with contextlib.suppress(RuntimeError):  # RuntimeError: no request attached
        where = f" calling {exc.request.method} {exc.request.url.host}{exc.request.url.path}"
    text = f"{type(exc).__name__}{where}: {exc}" if str(exc) else f"{type(exc).__name__}{where}"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return PermanentError(f"cannot send the request: {text}")
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "network error"
    if isinstance(exc, NOT_SENT):
        return RetryableError(f"{kind}: {text}")
    return InDoubtError(f"{kind} waiting for the answer: {text}")
