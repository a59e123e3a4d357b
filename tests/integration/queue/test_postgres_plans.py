"""PostgreSQL statements that act on jobs by id find them by primary key, whatever the statistics say.

Statistics taken while few jobs were claimable (an ANALYZE between bursts, as autovacuum runs) make the
claimable partial indexes look empty; a statement whose WHERE implies their predicate then read a whole
claimable index (every queued job) per call. bench/e2e.py found it as most of PostgreSQL's CPU during a drain.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from sfmc_actions.queue import JobDelivered, JobStore, NewJob, open_store
from sfmc_actions.queue import postgres_store as sql

pytestmark = pytest.mark.postgres
BY_ID = {
    "MARK_SENDING": (sql.MARK_SENDING, "timestamptz, text, bigint[]"),
    "MARK_DELIVERED": (sql.MARK_DELIVERED, "timestamptz, text, bigint[]"),
    "MARK_RETRY": (sql.MARK_RETRY, "timestamptz, text, bigint[], timestamptz[], text[]"),
    "MARK_DEAD": (sql.MARK_DEAD, "timestamptz, text, bigint[], text[], text[], text[]"),
    "RELEASE_SOME": (sql.RELEASE_SOME, "timestamptz, text, bigint[]"),
}
ARGUMENTS = {"MARK_RETRY": ", ARRAY[now()], ARRAY['e']", "MARK_DEAD": ", ARRAY['r'], ARRAY[NULL], ARRAY[NULL]"}


def jobs(first: int, count: int) -> list[NewJob]:
    return [
        NewJob("orders", "dataExtension", f"dataExtension:key:K{n % 4}", "t", f"m-{n}", {"n": n}, {"keys": {}})
        for n in range(first, first + count)
    ]


@pytest.fixture
async def schema_and_store(postgres_dsn: str) -> AsyncIterator[tuple[str, JobStore]]:
    schema = f"test_plans_{uuid.uuid4().hex[:12]}"
    store = await open_store(f"{postgres_dsn}?schema={schema}")
    yield schema, store
    await store.close()
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def test_statements_by_id_use_the_primary_key_with_stale_statistics(
    postgres_dsn: str, schema_and_store: tuple[str, JobStore]
) -> None:
    schema, store = schema_and_store
    for first in range(0, 4000, 1000):
        await store.enqueue(jobs(first, 1000))
    conn = await asyncpg.connect(postgres_dsn, server_settings={"search_path": schema})
    try:
        await conn.execute("UPDATE jobs SET state = 'delivered'")
        await conn.execute("ANALYZE jobs")  # nothing claimable, as far as the planner will know
        for first in range(4000, 8000, 1000):
            await store.enqueue(jobs(first, 1000))
        claimed = await store.claim_batch("worker-1", 60, 50)
        ids = ", ".join(str(job.id) for job in claimed)
        await conn.execute("SET plan_cache_mode = force_generic_plan")  # what a reused prepared statement gets
        for name, (statement, types) in BY_ID.items():
            await conn.execute(f"PREPARE {name.lower()}({types}) AS {statement}")
            extra = ARGUMENTS.get(name, "")
            plan = "\n".join(
                row[0]
                for row in await conn.fetch(
                    f"EXPLAIN EXECUTE {name.lower()}(now(), 'worker-1', ARRAY[{ids}]::bigint[]{extra})"
                )
            )
            assert "jobs_pkey" in plan and "jobs_claimable" not in plan, f"{name}:\n{plan}"
    finally:
        await conn.close()
    applied = await store.apply_outcomes("worker-1", [(job.id, JobDelivered()) for job in claimed])
    assert applied.applied == 50 and applied.lost == ()
