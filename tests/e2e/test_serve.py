"""`sfmc-actions serve` as a process, on the quick-start config with the built-in emulator: events sent with
Segment's own Python SDK arrive as rows, contacts and journey entries; status and dead letters show them;
SIGTERM stops it with exit code 0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from segment.analytics import Client

from tests.e2e.processes import EMULATOR_URL, INGEST_URL, METRICS_URL, Service, sfmc_actions, wait_for

WRITE_KEY = "quickstart-website-key"


def send_with_segment_sdk(url: str, users: int) -> None:
    errors: list[Any] = []
    client = Client(WRITE_KEY, host=url, on_error=lambda e, batch: errors.append(e), gzip=True, max_retries=2)
    for n in range(users):
        user = f"user-{n}"
        client.identify(
            user, {"email": f"{user}@example.com", "first_name": "Ada", "plan": "pro", "vip_customers": n % 2 == 0}
        )
        client.track(user, "Signed Up", {"plan": "pro"}, context={"traits": {"email": f"{user}@example.com"}})
        client.track(user, "Order Completed", {"order_id": f"order-{n}", "revenue": 10.5 + n, "currency": "EUR"})
        client.page(user, name="Home", properties={"url": "https://shop.example.com/"})
        client.track(user, "Product Viewed", {"product_id": "sku-1"})  # matches no subscription
    client.track("user-bad", "Order Completed", {"order_id": "order-bad", "revenue": 1, "currency": "EURO"})
    client.flush()
    client.join()
    assert errors == []


def test_serve_delivers_events_from_the_segment_sdk(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/e2e.db"
    users = 20
    with Service(
        "serve",
        "--config",
        "examples/quickstart.yaml",
        "--port",
        "0",
        "--emulator-port",
        "0",
        "--metrics-port",
        "0",
        "--database",
        database,
    ) as serve:
        url, emulator, metrics_url = serve.find(INGEST_URL), serve.find(EMULATOR_URL), serve.find(METRICS_URL)
        assert "BUILT-IN SFMC EMULATOR" in serve.stderr and f"{emulator}/__emulator/" in serve.stderr
        send_with_segment_sdk(url, users)

        def inspect(path: str) -> Any:
            return httpx.get(f"{emulator}/__emulator{path}", timeout=10).json()

        wait_for(
            lambda: (
                len(inspect("/data-extensions/Orders/rows")) == users
                and len(inspect("/journey-events")) == users
                and len(inspect("/contacts")) == users
                and len(inspect("/data-extensions/Page_Views/rows")) == users
            ),
            30,
            "every row",
        )
        customers = {row["contactKey"]: row for row in inspect("/data-extensions/Customers/rows")}
        assert customers["user-3"]["Email"] == "user-3@example.com" and customers["user-3"]["Plan"] == "pro"
        vip = inspect("/data-extensions/Audience_VIP/rows")
        assert len(vip) == users
        entries = inspect("/journey-events")
        assert sorted(e["contact_key"] for e in entries) == sorted(f"user-{n}" for n in range(users))
        metrics = httpx.get(metrics_url, timeout=10).text
        assert (
            'sfmc_actions_jobs_delivered_total{action="apiEvent",destination="default",'
            'subscription="welcome-journey"} 20.0' in metrics
        )
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200

        def dead_letters() -> list[dict[str, Any]]:
            listed = sfmc_actions("dead-letters", "list", "--database", database, "--json")
            assert listed.returncode == 0, listed.stderr
            return list(json.loads(listed.stdout))

        wait_for(lambda: len(dead_letters()) == 1, 30, "the bad order to die")
        (dead,) = dead_letters()
        assert dead["subscription"] == "orders-de" and "Currency" in dead["reason"]
        status = sfmc_actions("status", "--database", database, "--json")
        assert status.returncode == 0, status.stderr
        report = json.loads(status.stdout)
        assert report["totals"]["dead"] == 1 and report["totals"]["pending"] == 0
        assert report["totals"]["delivered"] == 6 * users  # contact, customers, VIP, journey, order, page view
        assert serve.stop() == 0
    assert "worker stopped" in serve.stderr
    assert WRITE_KEY not in serve.stderr and "demo-client-secret" not in serve.stderr
