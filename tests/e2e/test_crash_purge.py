"""kill -9 during a purge: `serve` purges every second (delivered jobs kept 2 s) while events pour in, and is killed
with SIGKILL twice while a purge round runs (its purge_running gauge says so), then restarted. Every accepted event
is still delivered, and no history counter counts a job twice: each batch of 100 events makes 80 jobs (20 customers,
40 page views, 20 orders; the sign-ups match nothing here), so whatever the kills cut short or made the clients
resend, the history's delivered totals are exactly those shares of its accepted events. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.e2e.load import (
    SECRET_ENV,
    STORES,
    EmulatorProcess,
    Expected,
    Sender,
    free_port,
    missing_rows,
    store_database,
    user_events,
    wait_until_drained,
    write_config,
    write_seed,
)
from tests.e2e.processes import METRICS_URL, Service, sfmc_actions

USERS = 3_000  # five events each: 15,000 events, 12,000 jobs
RUNNING = re.compile(r"^sfmc_actions_purge_running (\S+)", re.M)


def purging(metrics_url: str) -> bool:
    try:
        found = RUNNING.search(httpx.get(metrics_url, timeout=2).text)
    except httpx.HTTPError:
        return False
    return found is not None and float(found.group(1)) >= 1


def kill_during_a_purge(server: Service, timeout: float = 30) -> None:
    metrics_url = server.find(METRICS_URL)
    deadline = time.monotonic() + timeout
    while not purging(metrics_url):
        assert time.monotonic() < deadline, f"no purge round seen within {timeout} s:\n{server.stderr}"
        time.sleep(0.005)
    server.kill()


@pytest.mark.slow
@pytest.mark.parametrize("store", STORES)
def test_kill_9_during_a_purge_loses_nothing_and_counts_nothing_twice(
    tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    events = [event for n in range(USERS) for event in user_events(n)]
    with (
        store_database(request, tmp_path, store) as database,
        EmulatorProcess(write_seed(tmp_path / "seed.yaml")) as emulator,
    ):
        config = write_config(tmp_path / "config.yaml", emulator.url, 5.0)
        data = yaml.safe_load(config.read_text())
        data["subscriptions"] = [s for s in data["subscriptions"] if s["action"] != "apiEvent"]
        data["retention"] = {"delivered": "2s", "dead": "1h", "rejected": "1h", "purge_every": "1s"}
        config.write_text(yaml.safe_dump(data))
        url = f"http://127.0.0.1:{free_port()}"
        args = ("serve", "--config", str(config), "--database", database, "--port", url.rsplit(":", 1)[1])
        args += ("--metrics-port", "0")
        server = Service(*args, env=SECRET_ENV).start()
        sender = Sender(url, events).start()
        try:
            for share in (0.3, 0.6):
                while len(sender.accepted) < share * len(events):
                    time.sleep(0.02)
                kill_during_a_purge(server)
                server = Service(*args, env=SECRET_ENV).start()
            sender.join(120)
            wait_until_drained(database, 120)
            time.sleep(3)  # one more purge round after the last delivery
            assert server.stop() == 0  # graceful: the buffered history counts are flushed

            expected = Expected()
            for event in sender.accepted:
                expected.add(event)
            assert missing_rows(emulator, expected) == {}  # every accepted event delivered

            status = sfmc_actions("status", "--database", database, "--since", "1h", "--json")
            assert status.returncode == 0, status.stderr
            report = json.loads(status.stdout)
            accepted = sum(s["accepted"] for s in report["sources"])
            assert accepted >= len(events) and accepted % 100 == 0  # batches resent after a kill count again
            delivered = {r["subscription"]: r["delivered"] for r in report["subscriptions"] if r["subscription"]}
            per_batch = {"customers-de": 20, "page-views-de": 40, "orders-de": 20}
            assert delivered == {sub: accepted // 100 * n for sub, n in per_batch.items()}, (accepted, delivered)
            assert report["totals"]["dead"] == 0 and report["totals"]["rejected"] == 0
            assert report["queue"] == [] or all(row["pending"] == row["claimed"] == 0 for row in report["queue"])
        finally:
            server.kill()
