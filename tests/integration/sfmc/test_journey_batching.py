"""Batched journey entry (`journey_batching: true`) and settling lost answers from the status endpoint, against
the emulator over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sfmc_actions.sfmc.actions import ACTIONS
from sfmc_actions.sfmc.actions.api_event import SendApiEvent
from sfmc_actions.sfmc.actions.api_event_batch import BatchedApiEvent, batched
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.journey_doubt import Absent, Present, Undecided, resolve_in_doubt
from sfmc_actions.sfmc.journey_status import entry_statuses, errored_entries
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Retry
from tests.integration.sfmc.conftest import Emulator

KEY = "APIEvent-welcome"


@pytest.fixture
def action() -> BatchedApiEvent:
    single = ACTIONS["apiEvent"]
    assert isinstance(single, SendApiEvent)
    return batched(single)


def entry(contact: str, key: str = KEY, **data: Any) -> dict[str, Any]:
    return {"eventDefinitionKey": key, "contactKey": contact, "data": data or {"Plan": "pro"}}


def entered(emulator: Emulator) -> list[str]:
    return [e["contact_key"] for e in emulator.get("/journey-events") if e["status"] != "errored"]


async def test_up_to_100_members_per_request_one_outcome_each(
    client: SfmcClient, emulator: Emulator, action: BatchedApiEvent
) -> None:
    payloads = [entry(f"c-{i}") for i in range(230)]
    payloads[7] = entry("c-7", Color="red")  # not a column of the event's data extension: refused
    payloads[150] = entry("x", key="APIEvent-nope")  # an event definition of its own, which does not exist
    outcomes = await action.send(client, payloads)
    assert len(emulator.api_calls("async_events")) == 4  # 100 + 100 + 29 for the key, 1 for the unknown key
    assert isinstance(outcomes[7], Dead) and "Color" in outcomes[7].error and "errorcode 10000" in outcomes[7].error
    assert outcomes[7].sent == payloads[7]
    assert isinstance(outcomes[150], Dead) and "APIEvent-nope" in outcomes[150].error
    delivered = [o for i, o in enumerate(outcomes) if i not in (7, 150)]
    assert all(isinstance(o, Delivered) and o.response_body["eventInstanceId"] for o in delivered)  # type: ignore[index]
    assert sorted(entered(emulator)) == sorted(p["contactKey"] for i, p in enumerate(payloads) if i not in (7, 150))
    request_ids = {o.response_body["requestId"] for o in delivered}  # type: ignore[union-attr,index]
    assert len(request_ids) == 3
    first_request = outcomes[0].response_body["requestId"]  # type: ignore[union-attr,index]
    listed = await entry_statuses(client, request_id=first_request, page_size=30)
    assert listed.complete and len(listed.items) == 99  # the request that held c-7: 100 members, one refused
    assert client.requests_sent == 4 + 4  # the batches, then 4 pages of 30
    with pytest.raises(ValueError, match="at most 100"):
        action.with_batch_size(101)


async def test_members_that_end_errored_are_found_by_the_status_endpoint(
    client: SfmcClient, emulator: Emulator, action: BatchedApiEvent
) -> None:
    emulator.faults(
        {"fault": "errored_member", "route": "async_events", "rows": [1, 3], "message": "Contact is inactive"}
    )
    started = datetime.now(UTC)
    outcomes = await action.send(client, [entry(f"e-{i}") for i in range(5)])
    assert all(isinstance(o, Delivered) for o in outcomes)  # queued: processing comes later
    errored = await errored_entries(
        client, KEY, started - timedelta(seconds=5), datetime.now(UTC) + timedelta(seconds=5)
    )
    instances = {o.response_body["eventInstanceId"]: i for i, o in enumerate(outcomes)}  # type: ignore[union-attr,index]
    assert sorted(instances[e.event_instance_id] for e in errored) == [1, 3]
    assert all(e.error is not None and "Contact is inactive" in e.error for e in errored)
    assert sorted(entered(emulator)) == ["e-0", "e-2", "e-4"]


async def test_a_lost_answer_is_settled_from_the_status_endpoint(
    client: SfmcClient, emulator: Emulator, action: BatchedApiEvent
) -> None:
    # First batch: processed, then the connection drops (the answer is lost). Second: dropped before SFMC saw it.
    emulator.faults(
        {"fault": "drop", "route": "async_events", "nth": [1], "after": True},
        {"fault": "errored_member", "route": "async_events", "nth": [1], "rows": [2], "message": "Inactive"},
        {"fault": "drop", "route": "async_events", "nth": [2]},
    )
    first = [entry("a"), entry("b", Color="red"), entry("c"), entry("a")]
    sent_from = datetime.now(UTC)
    lost = await action.send(client, first)
    never = await action.send(client, [entry("d")])
    sent_until = datetime.now(UTC)
    assert all(isinstance(o, Retry) and o.in_doubt for o in lost)
    assert isinstance(never[0], Retry)
    resolved = await resolve_in_doubt(client, KEY, ["a", "b", "c", "a", "d"], sent_from, sent_until, settle=0)
    a1, b, c, a2, d = resolved
    assert isinstance(a1, Present) and isinstance(a2, Present) and a1.entry != a2.entry  # a was queued twice
    assert isinstance(a1.outcome, Delivered) and isinstance(b, Absent) and isinstance(d, Absent)
    assert isinstance(c, Present) and isinstance(c.outcome, Dead) and "Inactive" in c.outcome.error
    resent = await action.send(client, [entry("b", Color="red"), entry("d")])  # only the absent ones
    assert isinstance(resent[0], Dead) and isinstance(resent[1], Delivered)
    assert sorted(entered(emulator)) == ["a", "a", "d"]  # nothing entered twice, nothing lost


async def test_when_the_status_endpoint_cannot_answer(client: SfmcClient, emulator: Emulator) -> None:
    now = datetime.now(UTC)
    too_soon = await resolve_in_doubt(client, KEY, ["z"], now, now, now=now + timedelta(seconds=5), settle=60)
    assert isinstance(too_soon[0], Undecided) and "ask again" in too_soon[0].reason and too_soon[0].ask_again
    old = now - timedelta(days=31)
    (too_old,) = await resolve_in_doubt(client, KEY, ["z"], old, old, settle=0)
    assert isinstance(too_old, Undecided) and not too_old.ask_again
    assert client.requests_sent == 0  # decided without asking SFMC
    # Single-event entries: the endpoint is documented for batches; a missing one proves nothing.
    (single,) = await ACTIONS["apiEvent"].send(client, [entry("s")])
    assert isinstance(single, Delivered)
    later = datetime.now(UTC)
    (unlisted,) = await resolve_in_doubt(client, KEY, ["s"], now, later, settle=0, batched=False)
    assert isinstance(unlisted, Undecided) and "documented for batched entry only" in unlisted.reason
    assert not unlisted.ask_again
    emulator.options(status_lists_single_events=True)  # a tenant whose status endpoint lists them
    (listed,) = await resolve_in_doubt(client, KEY, ["s"], now, later, settle=0, batched=False)
    assert isinstance(listed, Present) and isinstance(listed.outcome, Delivered)
    emulator.faults({"fault": "server_error", "route": "async_events_status"})
    (failed,) = await resolve_in_doubt(client, KEY, ["s"], now, later, settle=0)
    assert isinstance(failed, Undecided) and "did not answer" in failed.reason and failed.ask_again


async def test_known_requests_are_not_taken_for_the_lost_one(
    client: SfmcClient, emulator: Emulator, action: BatchedApiEvent
) -> None:
    started = datetime.now(UTC)
    (known,) = await action.send(client, [entry("k")])
    assert isinstance(known, Delivered)
    request_id = known.response_body["requestId"]  # type: ignore[index]
    ended = datetime.now(UTC)
    (plain,) = await resolve_in_doubt(client, KEY, ["k"], started, ended, settle=0)
    (excluded,) = await resolve_in_doubt(client, KEY, ["k"], started, ended, settle=0, known_request_ids={request_id})
    assert isinstance(plain, Present) and isinstance(excluded, Absent)
