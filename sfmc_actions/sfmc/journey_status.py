"""Reading `GET /interaction/v1/async/events/status`: what became of journey entries sent in batches.

Documented (getStatusOfContacts, DOC): filters `type` (errored | queued | processed), `contactKey`, `requestId`,
`eventInstanceId`, `eventDefinitionKey` (at least one is required), `startDate` / `endDate` (by default the last
30 days), `$page` / `$pageSize` (default 50); the answer is `{page, pageSize, count, items}`, `count` being every
matching event. Not documented, so read leniently here: the item properties (`eventInstanceId`, `contactKey`,
`eventDefinitionKey`, `requestId`, `status` or `type`, `errorMessage` or `message`, `errorCode`, `createdDate`),
how filters combine (AND is assumed), and the date format (ISO 8601 in UTC is sent).

    await entry_statuses(client, event_definition_key=K, contact_key=C, start=t0, end=t1)   every page
    await errored_entries(client, K, t0, t1)   the batched entries of K that SFMC could not process
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient

PAGE_SIZE = 500  # asked for; SFMC's default is 50 and its maximum is not documented (the answer's pageSize rules)
MAX_PAGES = 100


@dataclass(frozen=True)
class EntryStatus:
    """One entry as the status endpoint lists it; `status` is queued, processed or errored (lower case)."""

    event_instance_id: str
    contact_key: str
    event_definition_key: str | None
    request_id: str | None
    status: str
    error: str | None = None
    created: datetime | None = None

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> EntryStatus:
        def text(*names: str) -> str | None:
            for name in names:
                value = item.get(name)
                if value not in (None, ""):
                    return str(value)
            return None

        error = text("errorMessage", "message", "error")
        code = text("errorCode", "errorcode")
        return cls(
            event_instance_id=text("eventInstanceId") or "",
            contact_key=text("contactKey") or "",
            event_definition_key=text("eventDefinitionKey", "definitionKey"),
            request_id=text("requestId"),
            status=(text("status", "type") or "").lower(),
            error=f"{error} (errorCode {code})" if error and code else error,
            created=parse_time(text("createdDate", "modifiedDate")),
        )


@dataclass(frozen=True)
class EntryStatuses:
    items: list[EntryStatus]
    complete: bool  # every matching entry was read (False: more pages than MAX_PAGES)


def sfmc_date(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, `Z`: what `startDate` / `endDate` are sent as."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def entry_statuses(
    client: SfmcClient,
    *,
    event_definition_key: str | None = None,
    contact_key: str | None = None,
    request_id: str | None = None,
    event_instance_id: str | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    page_size: int = PAGE_SIZE,
    max_pages: int = MAX_PAGES,
) -> EntryStatuses:
    """Every entry matching the filters, following the pages. Raises DeliveryError when a call fails."""
    params: dict[str, str | int] = {}
    for name, value in (
        ("eventDefinitionKey", event_definition_key),
        ("contactKey", contact_key),
        ("requestId", request_id),
        ("eventInstanceId", event_instance_id),
        ("type", status),
    ):
        if value:
            params[name] = value
    if not params:
        raise ValueError("the status endpoint needs at least one of its filters")
    if start is not None:
        params["startDate"] = sfmc_date(start)
    if end is not None:
        params["endDate"] = sfmc_date(end)
    found: list[EntryStatus] = []
    for page in range(1, max_pages + 1):
        body = await client.journey_entry_status({**params, "$page": page, "$pageSize": page_size})
        items = body.get("items")
        items = [EntryStatus.from_api(i) for i in items if isinstance(i, dict)] if isinstance(items, list) else []
        found += items
        count = body.get("count")
        if not items or not isinstance(count, int) or len(found) >= count:
            return EntryStatuses(found, True)
    return EntryStatuses(found, False)


async def errored_entries(
    client: SfmcClient, event_definition_key: str, start: datetime, end: datetime
) -> list[EntryStatus]:
    """The batched entries of one event definition that ended `errored` between `start` and `end`: the contact did
    not enter. A caller that recorded queued members as delivered (with their eventInstanceId) asks this now and
    then and turns the matches into dead letters with `EntryStatus.error`."""
    listed = await entry_statuses(
        client, event_definition_key=event_definition_key, status="errored", start=start, end=end
    )
    return [entry for entry in listed.items if entry.status == "errored"]
