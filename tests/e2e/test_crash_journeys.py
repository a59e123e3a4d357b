"""Crash safety of batched journey entry (`journey_batching: true`): `serve` is killed with SIGKILL twice while
events pour in through the ingest API and batches of journey entries are on the wire, and restarted each time.

The entries a killed server had marked as sending are claimed in doubt once their lease runs out, and settled from
SFMC's status endpoint (here the emulator's): the ones SFMC has are recorded as delivered, the others sent again.
So, unlike single-event entry (test_crash.py), no person has to check anything: every accepted entry is entered
exactly once, and nothing is left in doubt.

The emulator runs as its own process (it must outlive the server); the config points the server at it.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from sfmc_actions.queue import JobState
from tests.e2e.load import (
    EmulatorProcess,
    journey_entries,
    missing_rows,
    user_events,
    wait_until_drained,
    write_config,
    write_seed,
)
from tests.e2e.processes import sfmc_actions
from tests.e2e.test_crash import KilledUnderLoad

USERS = 3_000  # five events each: 15,000 events, 18,000 jobs, 6,000 of them journey entries
LEASE = 5.0  # seconds: how long a killed server's claims wait before a restarted one takes them over
SETTLE = 2.0  # seconds after a send before the status endpoint is believed (the emulator lists entries at once)
SETTLED = re.compile(r'^sfmc_actions_jobs_doubt_settled_total\{.*settled="(\w+)".*\} (\S+)$', re.M)


def settled_by(url: str) -> dict[str, float]:
    """What the running server settled from the status endpoint, from its /metrics."""
    counts: dict[str, float] = {}
    for how, value in SETTLED.findall(httpx.get(f"{url}/metrics", timeout=10).text):
        counts[how] = counts.get(how, 0.0) + float(value)
    return counts


@pytest.mark.slow
def test_kill_9_during_batched_journey_sends_leaves_every_entry_entered_exactly_once(tmp_path: Path) -> None:
    started = time.monotonic()
    events = [event for n in range(USERS) for event in user_events(n)]
    with EmulatorProcess(write_seed(tmp_path / "seed.yaml")) as emulator:
        config = write_config(
            tmp_path / "config.yaml", emulator.url, LEASE, journey_batching=True, in_doubt_settle=SETTLE
        )
        database = f"sqlite:///{tmp_path}/jobs.db"
        crash = KilledUnderLoad(config, database, events, emulator)
        try:
            expected = crash.run()
            stats = wait_until_drained(database, 180)
            assert len(expected.entries) == 2 * USERS
            # Every accepted entry, exactly once: the lost batches were settled, not resent blindly nor held.
            assert journey_entries(emulator) == {key: 1 for key in expected.entries}
            assert missing_rows(emulator, expected) == {}
            assert stats.total(JobState.DEAD) == 0  # nothing left in doubt (nor dead for any other reason)
            listed = sfmc_actions("dead-letters", "list", "--database", database, "--json")
            assert listed.returncode == 0 and listed.stdout.strip() == "[]", listed.stdout + listed.stderr
            settled = settled_by(crash.url)
            assert set(settled) <= {"delivered", "resent", "dead", "held"} and not settled.get("held")
            assert crash.server.stop() == 0
        finally:
            crash.server.kill()
    print(
        f"\nbatched journey crash test: {len(events)} events accepted ({crash.sender.resent} batch sends repeated), "
        f"2 kills, entries settled from the status endpoint by the last server: {settled}, "
        f"{time.monotonic() - started:.0f} s"
    )
