"""`on_audience_exit: delete` in the worker, over real parts (the emulator on a real socket; a SQLite file and the
real PostgreSQL): an Engage audience exit deletes its row, and never overtakes an enter of the same row accepted
before it that is still waiting, whether in the same batch, retried, or being sent by another worker."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

from sfmc_actions.queue import JobState, JobStore
from sfmc_actions.service.load import Loaded, load
from tests.integration.deliver.conftest import QUICKSTART, Emulator, drain, enqueue, worker_for

AUDIENCE = "vip_customers"


@pytest.fixture
def deleting(tmp_path: Path) -> Loaded:
    """The quick start's VIP audience subscription alone, deleting rows on exit."""
    text = yaml.safe_load(QUICKSTART.read_text())
    text["subscriptions"] = [s for s in text["subscriptions"] if s["name"] == "vip-audience-identify"]
    text["subscriptions"][0]["on_audience_exit"] = "delete"
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(text))
    return load(path)


def membership(user: str, member: bool, n: int) -> dict[str, Any]:
    """Engage's identify for an audience: the audience key is true on entry, false on exit."""
    return {
        "type": "identify",
        "userId": user,
        "messageId": f"{user}-{n}",
        "traits": {AUDIENCE: member, "email": f"{user}@example.com"},
        "context": {"personas": {"computation_class": "audience", "computation_key": AUDIENCE}},
    }


async def vips(emulator: Emulator) -> set[str]:
    return {row["contactKey"] for row in await emulator.rows("Audience_VIP")}


async def calls(emulator: Emulator) -> list[str]:
    """The writes to the VIP data extension, in order: rowset (upsert) and soap (delete), with their status."""
    journal = await emulator.get("/journal?limit=1000")
    vip = [c for c in journal if c["route"] == "soap" or "Audience_VIP" in c["path"]]
    return [f"{c['route']} {c['status']}" for c in sorted(vip, key=lambda c: c["id"])]


async def test_an_audience_exit_deletes_the_row(any_store: JobStore, deleting: Loaded, emulator: Emulator) -> None:
    await enqueue(any_store, deleting, [membership("u1", True, 1), membership("u2", True, 1)])
    async with worker_for(deleting, any_store, emulator, concurrency=1) as worker:  # one batch each time
        await drain(worker, any_store)
    assert await vips(emulator) == {"u1", "u2"}
    await enqueue(any_store, deleting, [membership("u1", False, 2), membership("u3", False, 2)])
    async with worker_for(deleting, any_store, emulator, concurrency=1) as worker:
        await drain(worker, any_store)
    assert await vips(emulator) == {"u2"}  # u3 was never a member: nothing to delete, the goal is reached
    assert (await any_store.stats()).total(JobState.DELIVERED) == 4
    assert await calls(emulator) == ["rowset 200", "soap 200"]


async def test_an_exit_waits_while_its_rows_enter_is_being_sent_elsewhere(
    any_store: JobStore, deleting: Loaded, emulator: Emulator
) -> None:
    await enqueue(any_store, deleting, [membership("u1", True, 1), membership("u1", False, 2)])
    [enter] = await any_store.claim_batch("another-worker", 60, 1)  # the enter, accepted first, is being sent
    async with worker_for(deleting, any_store, emulator) as worker:
        task = asyncio.create_task(worker.run())
        await asyncio.sleep(1.5)
        assert await calls(emulator) == []  # the exit was claimable all along, but it waits for the enter
        exit_job = await any_store.get_job(enter.id + 1)
        assert exit_job is not None and exit_job.state is JobState.PENDING and exit_job.attempts == 0
        await any_store.release("another-worker", [enter.id])  # that worker stops: the enter goes back
        worker.stop()
        await task
        async with worker_for(deleting, any_store, emulator) as again:
            await drain(again, any_store)
    assert await calls(emulator) == ["rowset 200", "soap 200"]  # in the order accepted
    assert await vips(emulator) == set()  # left the audience: no row


async def test_an_exit_never_overtakes_an_enter_that_is_retried(
    any_store: JobStore, deleting: Loaded, emulator: Emulator
) -> None:
    await emulator.faults({"fault": "unavailable", "route": "rowset", "nth": [1], "retry_after": 1})
    await enqueue(any_store, deleting, [membership("u1", True, 1), membership("u1", False, 2)])
    async with worker_for(deleting, any_store, emulator) as worker:
        await drain(worker, any_store)
    # The enter got a 503: the exit after it in the batch was not sent, and waited for the enter's retry.
    assert await calls(emulator) == ["rowset 503", "rowset 200", "soap 200"]
    assert await vips(emulator) == set()
    assert (await any_store.stats()).total(JobState.DELIVERED) == 2
