"""Fault soak: 20,000 events through the ingest API while the emulator (its own process) throws every fault
SFMC does: 429 with and without Retry-After, 503, 500, calls that hang past the client's timeout or are
dropped before SFMC processed them, expired tokens, transient 10006. Everything is delivered and nothing dies
but the rows SFMC refuses (with its messages) and the journey entries whose answer was lost AFTER SFMC
processed them: those are held in doubt, and none entered twice.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from sfmc_actions.queue import JobState
from tests.e2e.load import (
    SECRET_ENV,
    EmulatorProcess,
    Expected,
    Sender,
    free_port,
    journey_entries,
    missing_rows,
    user_events,
    wait_until_drained,
    write_config,
    write_seed,
)
from tests.e2e.processes import Service, sfmc_actions

USERS = 4_000  # 20,000 events
BAD_EVERY = 500  # every 500th order has a currency longer than the column's 3 characters
HANG = 40  # seconds: past the client's 30 s read timeout
FAULTS: dict[str, Any] = {
    "seed": 11,
    "rules": [
        # Rowsets (upserts): anything goes, and all of it ends delivered.
        {"fault": "timeout", "route": "rowset", "nth": [3, 4], "seconds": HANG},  # client times out; not saved
        {"fault": "drop", "route": "rowset", "nth": [15, 45]},
        {"fault": "rate_limit", "route": "rowset", "every": 37, "times": 4, "retry_after": 1},
        {"fault": "blocked", "route": "rowset", "every": 53, "times": 3},  # 429 without Retry-After
        {"fault": "unavailable", "route": "rowset", "every": 29, "times": 4, "retry_after": 1},
        {"fault": "server_error", "route": "rowset", "every": 23, "times": 8},
        {"fault": "transient_10006", "route": "rowset", "every": 31, "times": 5},
        {"fault": "expire_tokens", "route": "rowset", "nth": [20, 90]},
        # Journey entries: answers that prove SFMC did nothing are retried; answers lost after processing are
        # held in doubt (the client cannot tell whether the contact entered).
        {"fault": "rate_limit", "route": "events", "nth": [10, 900], "retry_after": 1},
        {"fault": "blocked", "route": "events", "nth": [1500]},
        {"fault": "unavailable", "route": "events", "nth": [50], "retry_after": 1},
        {"fault": "server_error", "route": "events", "nth": [30, 300, 3000]},
        {"fault": "expire_tokens", "route": "events", "nth": [2000]},
        {"fault": "timeout", "route": "events", "nth": [400], "seconds": HANG, "after": True},
        {"fault": "drop", "route": "events", "nth": [600, 2500], "after": True},
    ],
}
LOST_AFTER_PROCESSING = 3  # the last two rules


def bad(event: dict[str, Any]) -> bool:
    return event.get("event") == "Order Completed" and int(event["messageId"].split("-")[1]) % BAD_EVERY == 7


@pytest.mark.slow
def test_every_fault_ends_delivered_and_only_bad_rows_and_lost_answers_die(tmp_path: Path) -> None:
    started = time.monotonic()
    events = [event for n in range(USERS) for event in user_events(n)]
    for event in filter(bad, events):
        event["properties"]["currency"] = "EURO"
    faults = tmp_path / "faults.yaml"
    faults.write_text(yaml.safe_dump(FAULTS))
    with EmulatorProcess(write_seed(tmp_path / "seed.yaml"), faults) as emulator:
        config = write_config(tmp_path / "config.yaml", emulator.url, lease=120)
        database = f"sqlite:///{tmp_path}/jobs.db"
        port = free_port()
        with Service(
            "serve", "--config", str(config), "--database", database, "--port", str(port), env=SECRET_ENV
        ) as server:
            sender = Sender(f"http://127.0.0.1:{port}", events).start()
            sender.join(120)
            stats = wait_until_drained(database, 150)
            assert server.stop() == 0

        expected = Expected()
        for event in sender.accepted:
            expected.add(event)
        bad_orders = {e["properties"]["order_id"] for e in events if bad(e)}
        expected.orders -= bad_orders
        assert len(sender.accepted) == len(events) and sender.resent == 0
        assert missing_rows(emulator, expected) == {}
        entries = journey_entries(emulator)
        assert entries == {key: 1 for key in expected.entries}  # every entry, none twice

        fired = {(r["fault"], r["route"], r.get("after")): r["fired"] for r in emulator.get("/faults")["rules"]}
        assert all(count >= 1 for count in fired.values()), fired
        listed = sfmc_actions("dead-letters", "list", "--database", database, "--json", "--limit", "10000")
        assert listed.returncode == 0, listed.stderr
        dead = json.loads(listed.stdout)
        assert stats.total(JobState.DEAD) == len(dead)
        rows = [d for d in dead if d["subscription"] == "orders-de"]
        assert sorted(d["message_id"] for d in rows) == sorted(e["messageId"] for e in events if bad(e))
        assert all("The value for column [Currency] is too long" in d["reason"] for d in rows), rows[:2]
        held = [d for d in dead if d["subscription"] != "orders-de"]
        assert len(held) == LOST_AFTER_PROCESSING, held
        assert all(d["reason"].startswith("in doubt: the journey entry of contact ") for d in held)
        assert any("timed out waiting for the answer" in d["reason"] for d in held)
    print(
        f"\nfault soak: {len(events)} events, {sum(fired.values())} faults fired, {len(rows)} bad rows dead, "
        f"{len(held)} journey entries in doubt (all had entered), {time.monotonic() - started:.0f} s"
    )
