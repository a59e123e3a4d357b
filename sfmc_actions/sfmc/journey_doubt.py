"""Settling journey entries whose answer was lost, from SFMC's status endpoint: delivered, dead, resend, or unknown.

A journey entry is not idempotent: SFMC enters the contact once per request it processes. When the answer to a
send is lost (a timeout, a dropped connection, the process killed mid-request), the entries are in doubt. The
status endpoint (`GET /interaction/v1/async/events/status`, journey_status.py) lists what SFMC has, so:

    resolutions = await resolve_in_doubt(client, key, contact_keys, sent_from, sent_until)

asks it by `eventDefinitionKey` and `contactKey` within the time window of the send (widened by `margin` for
clock differences) and answers, per member, in order:

* Present: SFMC has it. Its outcome is Delivered (queued or processed), or Dead with SFMC's error when it ended
  `errored` (the contact did not enter).
* Absent: SFMC has no such entry: send it again.
* Undecided: the endpoint cannot tell; the entry stays in doubt (ask again later, or a person decides).

When the status endpoint can answer, and when it cannot:

* Entries sent with the batch endpoint (`journey_batching: true`): it can, once `settle` seconds have passed since
  the send (how soon SFMC lists a queued member is not documented; asking too early would take a member SFMC is
  still queueing for absent and enter the contact twice), and while the send is within the 30 days the endpoint
  covers ("by default, the API retrieves the last 30 days of data"; journey history is kept 30 days, DOC).
* Entries sent one at a time (`POST /interaction/v1/events`, Segment's default): the endpoint is documented for
  batch insertion only. If it lists such an entry, that is proof and the entry is Present; if it does not, that
  proves nothing, so the entry stays Undecided. In practice single-event entries stay in doubt.
* Never: when the status call fails, when the window holds more entries than MAX_PAGES pages, or before `settle`.

Counting: the members of one contact key take the listed entries of that contact in the window one each (a batch
may hold the same contact twice, DOC). Entries the caller knows belong to other sends are left out: by
eventInstanceId (`known_instance_ids`, the entries SFMC answered for), or by request (`known_request_ids`, only
for requests whose every member's answer is known: a member missing from an answer may still have been queued
under its request). If the window holds more entries for a contact than the send had, an unrelated send of the same
contact overlapped it: every member of that contact is taken as Present, so a contact may miss an entry but is
never entered twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sfmc_actions.errors import DeliveryError
from sfmc_actions.sfmc.journey_status import EntryStatus, entry_statuses
from sfmc_actions.sfmc.outcomes import Dead, Delivered

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient

STATUS_WINDOW = timedelta(days=30)  # DOC
DEFAULT_SETTLE = 60.0  # seconds after the send before absence is believed (INF: SFMC's lag is not documented)
CLOCK_MARGIN = 120.0  # seconds added on both sides of the window for clock differences with SFMC
CONCURRENCY = 4


@dataclass(frozen=True)
class Present:
    outcome: Delivered | Dead
    entry: EntryStatus


@dataclass(frozen=True)
class Absent:
    reason: str


@dataclass(frozen=True)
class Undecided:
    reason: str
    ask_again: bool = False  # asking later may decide it (too soon, or the status call failed); else it never will


Resolution = Present | Absent | Undecided


async def resolve_in_doubt(
    client: SfmcClient,
    event_definition_key: str,
    contact_keys: Sequence[str],
    sent_from: datetime,
    sent_until: datetime,
    *,
    batched: bool = True,
    now: datetime | None = None,
    settle: float = DEFAULT_SETTLE,
    margin: float = CLOCK_MARGIN,
    known_request_ids: Collection[str] = (),
    known_instance_ids: Collection[str] = (),
) -> list[Resolution]:
    """One resolution per contact key (members in doubt from one send, in order). See the module docstring."""
    now = now or datetime.now(UTC)
    waited = (now - sent_until).total_seconds()
    if waited < settle:
        return [
            Undecided(
                f"sent {max(waited, 0):.0f} s ago; SFMC may not list it yet: ask again after {settle:.0f} s",
                ask_again=True,
            )
        ] * len(contact_keys)
    start, end = sent_from - timedelta(seconds=margin), sent_until + timedelta(seconds=margin)
    if start < now - STATUS_WINDOW:
        return [Undecided("sent more than 30 days ago: SFMC's status endpoint no longer covers it")] * len(contact_keys)
    by_contact: dict[str, list[int]] = {}
    for index, contact in enumerate(contact_keys):
        by_contact.setdefault(contact, []).append(index)
    resolutions: list[Resolution | None] = [None] * len(contact_keys)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(contact: str, members: list[int]) -> None:
        async with gate:
            try:
                listed = await entry_statuses(
                    client, event_definition_key=event_definition_key, contact_key=contact, start=start, end=end
                )
            except DeliveryError as error:
                for i in members:
                    resolutions[i] = Undecided(f"SFMC's status endpoint did not answer: {error}", ask_again=True)
                return
        if not listed.complete:
            for i in members:
                resolutions[i] = Undecided("SFMC's status endpoint listed more entries than could be read")
            return
        entries = [
            e
            for e in listed.items
            if not (e.request_id and e.request_id in known_request_ids)
            and e.event_instance_id not in known_instance_ids
        ]
        entries.sort(key=lambda e: e.created or start)
        for position, i in enumerate(members):
            if len(entries) > len(members):
                resolutions[i] = _present(entries[min(position, len(entries) - 1)])
            elif position < len(entries):
                resolutions[i] = _present(entries[position])
            elif batched:
                resolutions[i] = Absent(f"SFMC lists no entry of contact {contact!r} in the time of the send")
            else:
                resolutions[i] = Undecided(
                    "not listed by SFMC's status endpoint, which is documented for batched entry only: a single "
                    "entry (POST /interaction/v1/events) may be missing from it although the contact entered"
                )

    await asyncio.gather(*(one(contact, members) for contact, members in by_contact.items()))
    return [r if r is not None else Undecided("internal error: not resolved") for r in resolutions]


def _present(entry: EntryStatus) -> Present:
    if entry.status == "errored":
        return Present(Dead(f"SFMC could not enter the contact into the journey: {entry.error or 'errored'}"), entry)
    body = {"eventInstanceId": entry.event_instance_id, "requestId": entry.request_id, "status": entry.status}
    return Present(Delivered(body), entry)
