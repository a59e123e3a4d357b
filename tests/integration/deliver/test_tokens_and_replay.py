"""One OAuth token for several workers sharing a store (SQLite file and PostgreSQL); replay after a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfmc_actions.queue import JobState, JobStore, open_store
from sfmc_actions.route.replay import Replayer
from sfmc_actions.route.router import Router
from sfmc_actions.service.load import Loaded, load, tenant_key
from tests.integration.deliver.conftest import QUICKSTART, Emulator, drain, enqueue, example_events, worker_for
from tests.integration.deliver.test_delivery import order


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/shared.db"
    return str(request.getfixturevalue("postgres_url"))


async def test_workers_sharing_a_store_share_one_token(store_url: str, quickstart: Loaded, emulator: Emulator) -> None:
    # Two stores on one database stand for two processes: nothing is shared but the database.
    first, second = await open_store(store_url), await open_store(store_url)
    try:
        async with worker_for(quickstart, first, emulator) as a, worker_for(quickstart, second, emulator) as b:
            identifies = [
                {
                    "type": "identify",
                    "userId": f"u{n}",
                    "messageId": f"id-{n}",
                    "traits": {"email": f"u{n}@example.com"},
                }
                for n in range(300)
            ]
            await enqueue(first, quickstart, example_events() + identifies)
            await drain([a, b], first)
            assert a.counts["delivered"] > 0 and b.counts["delivered"] > 0  # both took part
        assert await emulator.token_requests() == 1
        await emulator.http.post(f"{emulator.url}/__emulator/tokens/expire")
        # New clients (a restart): they find the shared token in the store, then both need a fresh one.
        async with worker_for(quickstart, first, emulator) as a, worker_for(quickstart, second, emulator) as b:
            await enqueue(first, quickstart, [order(n) for n in range(40)])
            await drain([a, b], first)
        assert await emulator.token_requests() == 2  # one refresh for both, after the expiry
        assert (await first.stats()).total(JobState.DEAD) == 0
    finally:
        await first.close()
        await second.close()


async def test_replay_applies_the_fixed_mapping(
    tmp_path: Path, store: JobStore, quickstart: Loaded, emulator: Emulator
) -> None:
    await enqueue(store, quickstart, [order(n) for n in range(4)] + [order(8, currency="EURO")])
    async with worker_for(quickstart, store, emulator) as worker:
        await drain(worker, store)
    (dead,) = await store.list_dead()
    assert "Currency" in (dead.dead_reason or "")

    fixed_path = tmp_path / "fixed.yaml"
    text = QUICKSTART.read_text()
    assert 'Currency: { "@path": "$.properties.currency" }' in text
    fixed_path.write_text(text.replace('Currency: { "@path": "$.properties.currency" }', "Currency: EUR"))
    fixed = load(fixed_path)
    replayer = Replayer(Router(fixed.subscriptions, tenant_key(fixed.config.settings)))
    plan = replayer.plan([dead])
    assert list(plan.jobs) == [dead.id] and not plan.skipped
    result = await store.replay(list(plan.jobs), replayer)
    assert result.accepted == 1
    async with worker_for(fixed, store, emulator) as worker:
        await drain(worker, store)
    rows = {row["Order_ID"]: row for row in await emulator.rows("Orders")}
    assert rows["o-8"]["Currency"] == "EUR"
    assert await store.list_dead() == []  # replayed: no longer listed
    again = await store.get_job(dead.id)
    assert again is not None and again.replayed_at is not None
    assert (await store.replay([dead.id], replayer)).accepted == 0  # a second replay does nothing
