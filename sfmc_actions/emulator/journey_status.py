"""`GET /interaction/v1/async/events/status`: what became of the members of batched journey entry.

Documented (getStatusOfContacts, DOC):
* filters `type` (errored | queued | processed), `contactKey`, `requestId`, `eventInstanceId`,
  `eventDefinitionKey`; a request must give at least one of them, "otherwise the API returns an error";
* `$page`, `$pageSize` (default 50), `startDate`, `endDate` ("by default, the API retrieves the last 30 days
  of data"; journey history is kept 30 days), `$orderBy` on `modifiedDate` ASC or DESC, which needs
  `requestId`, `contactKey` or `eventInstanceId` too;
* the answer: `page` and `pageSize` (strings), `count` (all matching events, an int) and `items`.

Not documented, so assumed here (INF): filters combine with AND; the error bodies (the REST envelope, 400);
the item properties (`eventInstanceId`, `contactKey`, `eventDefinitionKey`, `requestId`, `status`, `errorCode`
and `errorMessage` when errored, `createdDate`, `modifiedDate`); dates read as ISO 8601 (UTC when no offset is
given) and written as ISO 8601 UTC; a page holds at most MAX_PAGE_SIZE items. Entries made one at a time with
`POST /interaction/v1/events` are listed only with the `status_lists_single_events` option, and a member is
listed only `journey_status_lag_seconds` after it was accepted (both INF, see model.Options).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from sfmc_actions.emulator.context import Call
from sfmc_actions.emulator.model import FiredEvent
from sfmc_actions.emulator.responses import error, json_response

TYPES = ("errored", "queued", "processed")
FILTERS = ("type", "contactkey", "requestid", "eventinstanceid", "eventdefinitionkey")
WINDOW_SECONDS = 30 * 24 * 3600  # "By default, the API retrieves the last 30 days of data." (DOC)
DEFAULT_PAGE_SIZE = 50  # DOC
MAX_PAGE_SIZE = 1000  # INF


class BadQuery(ValueError):
    pass


def _params(call: Call) -> dict[str, str]:
    return {key.lower(): value for key, value in call.request.query_params.items()}


def _epoch(text: str, name: str) -> float:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadQuery(f"{name} must be a date and time such as 2024-05-12T16:00:00Z, not '{text}'.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _number(text: str | None, name: str, default: int) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or int(text) < 1:
        raise BadQuery(f"{name} must be a whole number of at least 1, not '{text}'.")
    return int(text)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"


def _item(event: FiredEvent, now: float) -> dict[str, Any]:
    status = event.status_at(now)
    modified = event.processed_at if status != "queued" and event.processed_at is not None else event.fired_at
    item: dict[str, Any] = {
        "eventInstanceId": event.event_instance_id,
        "contactKey": event.contact_key,
        "eventDefinitionKey": event.event_definition_key,
        "requestId": event.request_id,
        "status": status,
        "createdDate": _iso(event.fired_at),
        "modifiedDate": _iso(modified),
    }
    if status == "errored":
        item["errorCode"] = "30000"  # INF: the runtime group of S2 error codes
        item["errorMessage"] = event.error
    return item


def _select(call: Call, params: dict[str, str], now: float) -> list[tuple[float, dict[str, Any]]]:
    wanted_type = params.get("type")
    if wanted_type is not None and wanted_type.lower() not in TYPES:
        raise BadQuery(f"type must be one of {', '.join(TYPES)}, not '{wanted_type}'.")
    start = max(_epoch(params["startdate"], "startDate") if "startdate" in params else 0.0, now - WINDOW_SECONDS)
    end = _epoch(params["enddate"], "endDate") if "enddate" in params else now
    options = call.state.options
    visible_before = now - options.journey_status_lag_seconds

    def same(given: str | None, actual: str | None) -> bool:
        return given is None or (actual is not None and given.lower() == actual.lower())

    found: list[tuple[float, dict[str, Any]]] = []
    for event in call.scoped_tenant.fired_events:
        if event.mid != call.mid or (event.request_id is None and not options.status_lists_single_events):
            continue
        if not start <= event.fired_at <= end or event.fired_at > visible_before:
            continue
        if not (
            same(params.get("contactkey"), event.contact_key)
            and same(params.get("requestid"), event.request_id)
            and same(params.get("eventinstanceid"), event.event_instance_id)
            and same(params.get("eventdefinitionkey"), event.event_definition_key)
        ):
            continue
        item = _item(event, now)
        if wanted_type is not None and item["status"] != wanted_type.lower():
            continue
        found.append((event.processed_at or event.fired_at, item))
    return found


async def status(call: Call) -> Response:
    params = _params(call)
    if not any(params.get(name) for name in FILTERS):
        return error(
            400,
            10002,
            "Specify at least one of these parameters: type, contactKey, requestId, eventInstanceId, "
            "eventDefinitionKey.",
        )
    try:
        page = _number(params.get("$page"), "$page", 1)
        size = min(_number(params.get("$pagesize"), "$pageSize", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
        order = (params.get("$orderby") or "modifiedDate ASC").split()
        if order[0].lower() != "modifieddate" or (len(order) > 1 and order[1].upper() not in ("ASC", "DESC")):
            raise BadQuery("$orderBy sorts on modifiedDate only, ASC or DESC.")
        if "$orderby" in params and not any(params.get(k) for k in ("requestid", "contactkey", "eventinstanceid")):
            raise BadQuery("$orderBy needs requestId, contactKey or eventInstanceId as well.")  # DOC
        now = call.state.clock.now()
        found = _select(call, params, now)
    except BadQuery as exc:
        return error(400, 10005, str(exc))
    found.sort(key=lambda pair: pair[0], reverse=len(order) > 1 and order[1].upper() == "DESC")
    items = [item for _, item in found[(page - 1) * size : page * size]]
    return json_response({"page": str(page), "pageSize": str(size), "count": len(found), "items": items})
