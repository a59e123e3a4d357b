"""Scale-out on PostgreSQL: one `serve` (ingest + workers + emulator) and two `worker` processes share a database.
Every job is delivered once (none sent twice, none sent by two processes at the same time), all three processes
take part, and the three share one OAuth token."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.e2e.processes import EMULATOR_URL, INGEST_URL, Service, sfmc_actions, wait_for

pytestmark = pytest.mark.postgres
USERS = 250
DELIVERED = re.compile(r"worker stopped .*delivered=(\d+)")


@pytest.fixture
def database(postgres_dsn: str) -> Iterator[str]:
    schema = f"test_e2e_{uuid.uuid4().hex[:12]}"
    yield f"{postgres_dsn}?schema={schema}"

    async def drop() -> None:
        conn = await asyncpg.connect(postgres_dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()

    asyncio.run(drop())


def events() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n in range(USERS):
        user = f"user-{n}"
        out += [
            {"type": "identify", "userId": user, "traits": {"email": f"{user}@example.com"}},
            {"type": "track", "userId": user, "event": "Signed Up", "properties": {"plan": "pro"}},
            {
                "type": "track",
                "userId": user,
                "event": "Order Completed",
                "properties": {"order_id": f"order-{n}", "revenue": n, "currency": "EUR"},
            },
            {"type": "page", "userId": user, "name": "Home", "properties": {"url": "https://x.example/"}},
        ]
    return out


def test_serve_and_two_workers_share_the_work(database: str) -> None:
    common = ("--config", "examples/quickstart.yaml", "--database", database)
    with Service("serve", *common, "--port", "0", "--emulator-port", "0") as serve:
        emulator = serve.find(EMULATOR_URL)
        with (
            Service("worker", *common, "--emulator-url", emulator) as one,
            Service("worker", *common, "--emulator-url", emulator) as two,
        ):
            auth = {"Authorization": "Basic " + base64.b64encode(b"quickstart-website-key:").decode()}
            all_events = events()
            with httpx.Client(base_url=serve.find(INGEST_URL), headers=auth, timeout=30) as http:
                for start in range(0, len(all_events), 100):
                    response = http.post("/v1/batch", json={"batch": all_events[start : start + 100]})
                    assert response.status_code == 200, response.text

            def inspect(path: str) -> Any:
                return httpx.get(f"{emulator}/__emulator{path}", timeout=10).json()

            wait_for(
                lambda: (
                    len(inspect("/journey-events")) == USERS
                    and len(inspect("/data-extensions/Orders/rows")) == USERS
                    and len(inspect("/data-extensions/Page_Views/rows")) == USERS
                    and len(inspect("/data-extensions/Customers/rows")) == USERS
                    and len(inspect("/contacts")) == USERS
                ),
                60,
                "every row",
            )
            assert one.stop() == 0 and two.stop() == 0
        entries = Counter(e["contact_key"] for e in inspect("/journey-events"))
        rowsets = inspect("/journal?route=rowset")
        contact_calls = inspect("/journal?route=contacts")
        tokens = inspect("/tokens")
        assert serve.stop() == 0

    assert entries == Counter({f"user-{n}": 1 for n in range(USERS)})  # journey entries: never twice
    orders = Counter(
        row["keys"]["Order_ID"]
        for entry in rowsets
        for row in entry["body"]
        if entry["status"] == 200 and "Order_ID" in row["keys"]
    )
    assert orders == Counter({f"order-{n}": 1 for n in range(USERS)})  # each row in exactly one rowset call
    assert Counter(entry["body"]["contactKey"] for entry in contact_calls) == Counter(
        {f"user-{n}": 1 for n in range(USERS)}
    )
    assert sum(tokens["requests"].values()) == 1  # three processes, one token
    shares = [int(s.find(DELIVERED)) for s in (serve, one, two)]
    assert all(share > 0 for share in shares), shares  # every process took part
    assert sum(shares) == 5 * USERS  # contact, customers, journey, order, page view
    status = sfmc_actions("status", "--database", database, "--json")
    totals = json.loads(status.stdout)["totals"]
    assert totals["delivered"] == 5 * USERS and totals["pending"] == totals["claimed"] == totals["dead"] == 0
