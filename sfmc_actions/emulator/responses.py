"""Response bodies shared by the routes: SFMC's JSON error envelopes, exactly as documented.

The REST envelope is `{"message", "errorcode", "documentation"}` with a lower-case `errorcode`
(§3 S2 DOC); on /hub and /data `documentation` is often "" (T8/T9 OBS).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

DOC_URL = "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"
JSON_TYPE = "application/json; charset=utf-8"  # §9 S3: SFMC's Content-Type
SFMC_TZ = timezone(timedelta(hours=-6))  # SFMC servers report Central Standard Time, no DST (INF)


class JsonBodyError(Exception):
    """The request body is not the JSON the endpoint needs; carries the ready response."""

    def __init__(self, response: Response) -> None:
        self.response = response


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=JSON_TYPE)


def error(status: int, errorcode: int, message: str, documentation: str = DOC_URL, **extra: Any) -> Response:
    body: dict[str, Any] = {"message": message, "errorcode": errorcode, "documentation": documentation}
    body.update(extra)
    return json_response(body, status)


def not_authorized() -> Response:
    """§2 OBS (T3/T4 fixtures) and S2 DOC: missing, unknown or expired token."""
    return json_response({"documentation": DOC_URL, "errorcode": 0, "message": "Not Authorized"}, 401)


def insufficient_privileges() -> Response:
    """§2: S2 DOC gives 403 / 20002; the message is T6 OBS."""
    return error(403, 20002, "Insufficient privileges to complete this action.")


def not_found() -> Response:
    """§1 T14 OBS: what SFMC answers for a path it does not know."""
    return json_response({"documentation": DOC_URL, "errorcode": 404, "message": "Not Found"}, 404)


def validation(message: str, errorcode: int = 10000, status: int = 400) -> Response:
    return error(status, errorcode, message, documentation="")


def unsupported_media_type() -> Response:
    """S2 DOC: 415 with no custom code."""
    return json_response({"message": "Unsupported Media Type", "documentation": DOC_URL}, 415)


def internal_error() -> Response:
    return json_response({"message": "Internal Server Error", "documentation": ""}, 500)  # §9 T1


def result_message(code: str, message: str) -> dict[str, str]:
    return {"resultType": "Operational", "resultClass": "Error", "resultCode": code, "message": message}


async def read_json(request: Request, limit: int | None = None, limit_status: int = 413) -> Any:
    """The parsed JSON body, or JsonBodyError with SFMC's 415 / 413 / 400 10004 answer."""
    content_type = request.headers.get("content-type", "")
    if "json" not in content_type.lower():
        raise JsonBodyError(unsupported_media_type())
    body = await request.body()
    if limit is not None and len(body) > limit:
        # §3 S6: 5 MB cap; the status for a larger body is not documented (413 or 400, INF).
        message = f"The request body is {len(body)} bytes; the maximum payload size is {limit} bytes."
        raise JsonBodyError(validation(message, 10000, limit_status))
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # S2 10004 "Invalid Message Format": balanced braces.
        raise JsonBodyError(validation(f"Invalid message format: the body is not valid JSON ({exc}).", 10004)) from None


def sfmc_time(epoch: float, digits: int = 3) -> str:
    """A timestamp the way the async API writes it: CST, no zone, trailing zeros dropped (§4)."""
    text = datetime.fromtimestamp(epoch, SFMC_TZ).strftime("%Y-%m-%dT%H:%M:%S.%f")[: 20 + digits]
    return text.rstrip("0").rstrip(".")


def sfmc_offset_time(epoch: float) -> str:
    """A timestamp with offset and 7 fractional digits, as in contacts' responseDateTime (§5)."""
    moment = datetime.fromtimestamp(epoch, SFMC_TZ)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0" + moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:]


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
