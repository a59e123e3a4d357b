"""Crash safety: `serve` is killed with SIGKILL twice while 20,000 events pour in through the ingest API, and
restarted each time. Every event whose batch was answered 200 is delivered; upserts may repeat, journey entries
never do. A journey entry whose request was on the wire when the process died is held as an in-doubt dead
letter; replaying exactly those that did not arrive (what a person does after checking) completes delivery.

The emulator runs as its own process (it must outlive the server); the config points the server at it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from sfmc_actions.queue import JobState
from tests.e2e.load import (
    ORDER_JOURNEY,
    SECRET_ENV,
    STORES,
    WELCOME_JOURNEY,
    EmulatorProcess,
    Expected,
    Sender,
    free_port,
    journey_entries,
    missing_rows,
    store_database,
    user_events,
    wait_until_drained,
    write_config,
    write_seed,
)
from tests.e2e.processes import Service, sfmc_actions

USERS = 4_000  # five events each: 20,000 events, 24,000 jobs, 8,000 of them journey entries
LEASE = 10.0  # seconds: how long a killed server's claims wait before a restarted one takes them over


def fired(emulator: EmulatorProcess) -> int:
    return int(emulator.get("/tenants")[0]["fired_events"])


def kill_while_entering_contacts(server: Service, emulator: EmulatorProcess) -> None:
    """SIGKILL at a moment when journey entries are being sent, so some are on the wire."""
    deadline = time.monotonic() + 30
    before = fired(emulator)
    while fired(emulator) == before and time.monotonic() < deadline:
        time.sleep(0.02)
    server.kill()


class KilledUnderLoad:
    """`serve` on `config` and `database`, fed `events` through its ingest API, killed with SIGKILL while journey
    entries are being sent once each share of the events is accepted, and restarted each time. `server` is the
    one running now (kill it when done); `sender` what was accepted."""

    def __init__(self, config: Path, database: str, events: list[dict[str, Any]], emulator: EmulatorProcess) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        port = self.url.rsplit(":", 1)[1]
        self.args = ("serve", "--config", str(config), "--database", database, "--port", port)
        self.events, self.emulator = events, emulator
        self.server = Service(*self.args, env=SECRET_ENV).start()
        self.sender = Sender(self.url, events).start()

    def run(self, shares: tuple[float, ...] = (0.3, 0.6)) -> Expected:
        """Kill and restart at each share; returns what the accepted events must leave in the emulator."""
        for share in shares:
            while len(self.sender.accepted) < share * len(self.events):
                time.sleep(0.02)
            kill_while_entering_contacts(self.server, self.emulator)
            self.server = Service(*self.args, env=SECRET_ENV).start()
        self.sender.join(120)
        expected = Expected()
        for event in self.sender.accepted:
            expected.add(event)
        assert len(self.sender.accepted) == len(self.events)
        return expected


@pytest.mark.slow
@pytest.mark.parametrize("store", STORES)
def test_kill_9_twice_under_load_loses_nothing_and_enters_no_contact_twice(
    tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    with store_database(request, tmp_path, store) as database:
        kill_9_twice(tmp_path, database)


def kill_9_twice(tmp_path: Path, database: str) -> None:
    started = time.monotonic()
    events = [event for n in range(USERS) for event in user_events(n)]
    with EmulatorProcess(write_seed(tmp_path / "seed.yaml")) as emulator:
        # Entries in doubt are asked about at the status endpoint 2 s after their send (the emulator lists batched
        # entries at once; single ones, as SFMC documents, not at all: they stay in doubt).
        config = write_config(tmp_path / "config.yaml", emulator.url, LEASE, in_doubt_settle=2.0)
        crash = KilledUnderLoad(config, database, events, emulator)
        try:
            expected = crash.run()
            stats = wait_until_drained(database, 120)

            # Nothing accepted was lost; no journey entry was made twice.
            assert len(expected.entries) == 2 * USERS
            assert missing_rows(emulator, expected) == {}
            entries = journey_entries(emulator)
            assert [key for key, count in entries.items() if count > 1] == []
            assert set(entries) <= expected.entries

            # The only dead letters are the journey entries a killed server had on the wire.
            listed = sfmc_actions("dead-letters", "list", "--database", database, "--json", "--limit", "10000")
            assert listed.returncode == 0, listed.stderr
            dead = json.loads(listed.stdout)
            assert stats.total(JobState.DEAD) == len(dead)
            assert all(d["reason"].startswith("in doubt: the journey entry of contact ") for d in dead), dead[:3]
            # Mostly "was being sent when its worker stopped"; on a loaded machine a few sends also overrun
            # their lease's budget and are cut off ("was sent but its answer was lost"): in doubt as well.
            stopped = sum("worker stopped (killed, crashed or cut off)" in d["reason"] for d in dead)
            assert {d["subscription"] for d in dead} <= {"welcome-journey", "order-journey"}
            in_doubt = {d["id"]: entry_of(d) for d in dead}
            assert set(in_doubt.values()) | set(entries) == expected.entries  # the rest all entered

            # A person checks each in Journey Builder and replays those that did not enter.
            not_entered = sorted(job_id for job_id, key in in_doubt.items() if key not in entries)
            if not_entered:
                replayed = sfmc_actions(
                    "dead-letters",
                    "replay",
                    "--config",
                    str(config),
                    "--database",
                    database,
                    *map(str, not_entered),
                    env=SECRET_ENV,
                )
                assert replayed.returncode == 0, replayed.stderr
            wait_until_drained(database, 60)
            final = journey_entries(emulator)
            assert final == {key: 1 for key in expected.entries}  # every accepted entry, exactly once
            assert missing_rows(emulator, expected) == {}
            assert crash.server.stop() == 0
        finally:
            crash.server.kill()
    print(
        f"\ncrash test: {len(events)} events accepted ({crash.sender.resent} batch sends repeated), 2 kills, "
        f"{len(in_doubt)} journey entries in doubt ({stopped} on the wire at a kill), {len(not_entered)} "
        f"of them replayed, {time.monotonic() - started:.0f} s"
    )


def entry_of(dead: dict[str, object]) -> tuple[str, str, str]:
    """The journey entry a dead letter stands for, from its subscription and messageId (see load.user_events)."""
    message_id = str(dead["message_id"])
    n = message_id.rsplit("-", 1)[1]
    if dead["subscription"] == "order-journey":
        return ORDER_JOURNEY, f"user-{n}", message_id
    return WELCOME_JOURNEY, f"user-{n}", f"user-{n}@example.com"
