"""`sfmc-actions serve` (and a `worker` beside it) as processes with a two-destination config and no
credentials: the built-in emulator serves both, each destination on its own tenant (the seed declares two), and
each destination's rows land in its own tenant's data extension; the banners list each destination; status and
metrics tell them apart."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.e2e.processes import INGEST_URL, METRICS_URL, ROOT, Service, sfmc_actions, wait_for

WRITE_KEY = "two-destinations-key"
TENANTS = {"emea": ("mcemea0000000000000000000000", 100000001), "us": ("mcus00000000000000000000000", 200000002)}
DESTINATION = re.compile(
    r"destination (\w+): 1 subscription\(s\) delivering to emulator (http://\S+) \(its tenant (\w+)"
)


def seed() -> dict[str, Any]:
    orders = {
        "name": "Orders",
        "key": "Orders",
        "fields": [
            {"name": "Order_ID", "type": "Text", "length": 100, "primary_key": True},
            {"name": "Currency", "type": "Text", "length": 3},
        ],
    }
    return {
        "tenants": [
            {
                "subdomain": subdomain,
                "mids": [mid],
                "packages": [{"client_id": f"{name}-client", "client_secret": f"{name}-secret", "scopes": "all"}],
                "folders": [{"id": 1001, "name": "Data Extensions", "customer_key": "dataextension_default"}],
                "data_extensions": [orders],
            }
            for name, (subdomain, mid) in TENANTS.items()
        ]
    }


def config(trigger: dict[str, str]) -> dict[str, Any]:
    mapping = {
        "key": "Orders",
        "keys": {"Order_ID": {"@path": "$.properties.order_id"}},
        "values": {"Currency": {"@path": "$.properties.currency"}},
    }
    return {
        "sources": [{"name": "website", "write_key": WRITE_KEY}],
        "destinations": [
            {
                "name": name,
                "subscriptions": [{"name": "orders", "action": "dataExtension", "trigger": t, "mapping": mapping}],
            }
            for name, t in trigger.items()
        ],
    }


def test_serve_delivers_each_destinations_rows_to_its_own_emulator_tenant(tmp_path: Path) -> None:
    (tmp_path / "emulator-seed.yaml").write_text(yaml.safe_dump(seed()))  # beside the config: serve's seed
    path = tmp_path / "two.yaml"
    # The same order matches both destinations when in EUR: each gets its own job.
    triggers = {"emea": 'event = "Order Completed" and properties.currency = "EUR"', "us": 'event = "Order Completed"'}
    path.write_text(yaml.safe_dump(config(triggers)))
    database = f"sqlite:///{tmp_path}/e2e.db"
    args = ("--config", str(path), "--port", "0", "--emulator-port", "0", "--metrics-port", "0", "--database", database)
    with Service("serve", *args) as serve, contextlib.ExitStack() as stack:
        url, metrics_url = serve.find(INGEST_URL), serve.find(METRICS_URL)
        shown = {m.group(1): (m.group(2), m.group(3)) for m in map(DESTINATION.search, serve.lines) if m}
        assert {name: tenant for name, (_, tenant) in shown.items()} == {n: t[0] for n, t in TENANTS.items()}
        assert "2 destinations, 2 subscription(s)" in serve.stderr
        emulator = shown["emea"][0]
        # A second process delivers too: it finds each destination's tenant in the same seed, beside the config.
        worker = stack.enter_context(
            Service("worker", "-c", str(path), "--database", database, "--emulator-url", emulator)
        )
        worked = {m.group(1): m.group(3) for m in map(DESTINATION.search, worker.lines) if m}
        assert worked == {n: t[0] for n, t in TENANTS.items()}
        orders = [
            {
                "type": "track",
                "event": "Order Completed",
                "userId": f"u{n}",
                "messageId": f"order-{n}",
                "properties": {"order_id": f"o-{n}", "currency": "EUR" if n % 2 else "USD"},
            }
            for n in range(20)
        ]
        answer = httpx.post(f"{url}/v1/batch", json={"batch": orders}, auth=(WRITE_KEY, ""), timeout=10)
        assert answer.status_code == 200, answer.text

        def rows(name: str) -> list[dict[str, Any]]:
            tenant = TENANTS[name][0]
            return list(
                httpx.get(f"{emulator}/__emulator/data-extensions/Orders/rows?tenant={tenant}", timeout=10).json()
            )

        wait_for(lambda: len(rows("emea")) == 10 and len(rows("us")) == 20, 30, "each destination's rows")
        assert {r["Currency"] for r in rows("emea")} == {"EUR"}
        assert sorted(r["Order_ID"] for r in rows("us")) == sorted(f"o-{n}" for n in range(20))
        metrics = httpx.get(metrics_url, timeout=10).text
        for name, count in (("emea", 10), ("us", 20)):
            assert (
                f'sfmc_actions_jobs_delivered_total{{action="dataExtension",destination="{name}",'
                f'subscription="orders"}} {count}.0'
            ) in metrics
        assert worker.stop() == 0 and serve.stop() == 0
    status = sfmc_actions("status", "--database", database, "--json")
    report = json.loads(status.stdout)
    rows = report["subscriptions"]
    assert [(r["destination"], r["subscription"], r["delivered"]) for r in rows if r["subscription"]] == [
        ("emea", "orders", 10),
        ("us", "orders", 20),
    ]
    # each destination's own row: its SFMC and token requests, counted apart (own client, own token)
    requests = {r["destination"]: (r["sfmc_requests"], r["token_requests"]) for r in rows if not r["subscription"]}
    assert set(requests) == {"emea", "us"} and all(sent > 0 and tokens >= 1 for sent, tokens in requests.values())


def test_jobs_of_a_destination_removed_from_the_config_are_reported_at_start_up(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/e2e.db"
    (tmp_path / "emulator-seed.yaml").write_text(yaml.safe_dump(seed()))
    before, after = tmp_path / "before.yaml", tmp_path / "after.yaml"
    before.write_text(yaml.safe_dump(config({"emea": 'event = "Nothing"', "us": 'event = "Order Completed"'})))
    after.write_text(yaml.safe_dump(config({"emea": 'event = "Nothing"'})))  # `us` removed
    order = {"type": "track", "event": "Order Completed", "userId": "u1", "properties": {"order_id": "o-1"}}
    sent = subprocess.run(
        [sys.executable, "-m", "sfmc_actions", "send", "-c", str(before), "--database", database, "-"],
        input=json.dumps(order) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert sent.returncode == 0, sent.stderr
    with Service("worker", "-c", str(after), "--database", database, "--emulator-url", "http://127.0.0.1:9") as worker:
        warned = " ".join(worker.stderr.split())
        assert "1 job(s) of destination 'us' wait in the store" in warned and "put it back in the config" in warned
        assert worker.stop() == 0
    report = json.loads(sfmc_actions("status", "--database", database, "--json").stdout)
    assert [(r["destination"], r["pending"]) for r in report["queue"]] == [("us", 1)]  # kept, not lost
