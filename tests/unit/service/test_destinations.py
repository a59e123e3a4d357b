"""Wiring several destinations: tenant keys, the router's jobs, and the emulator's package per destination."""

from __future__ import annotations

from pathlib import Path

from sfmc_actions.config import DEFAULT_DESTINATION, Destination
from sfmc_actions.emulator import create_app
from sfmc_actions.service.load import EMULATOR_TENANT, load, tenant_key, tenant_of
from sfmc_actions.service.run import emulator_settings

TWO = """destinations:
  - name: emea
    subscriptions:
      - {name: orders, action: contact, trigger: type = "track"}
  - name: us
    settings: {subdomain: mcus, account_id: 100000002, client_id: c2, client_secret: s2}
    subscriptions:
      - {name: orders, action: contact, trigger: type = "track"}
      - {name: people, action: contact, trigger: type = "identify"}
"""

SEED = {
    "tenants": [
        {
            "subdomain": sub,
            "mids": [mid],
            "packages": [{"client_id": f"{sub}-client", "client_secret": "x", "scopes": "all"}],
        }
        for sub, mid in (("mcone", 1), ("mctwo", 2))
    ]
}


def test_each_destination_without_credentials_has_its_own_tenant_key() -> None:
    assert tenant_of(Destination(DEFAULT_DESTINATION, None)) == EMULATOR_TENANT  # as before destinations
    assert tenant_of(Destination("emea", None)) == "emulator/emea"


def test_the_router_makes_a_job_per_matching_destination_with_its_tenant(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(TWO)
    loaded = load(path)
    routed = loaded.router().route({"type": "track", "event": "x", "userId": "u1", "messageId": "m1"})
    us = loaded.destination("us").settings
    assert us is not None
    assert [(j.destination, j.subscription, j.tenant) for j in routed.jobs] == [
        ("emea", "orders", "emulator/emea"),
        ("us", "orders", tenant_key(us)),
    ]
    assert [s.name for s in loaded.subscriptions_of("us")] == ["orders", "people"]


def test_the_nth_destination_without_credentials_gets_the_emulators_nth_package() -> None:
    app = create_app(SEED)
    chosen = [emulator_settings("http://emulator", app, n) for n in range(3)]
    assert [(s.subdomain, s.account_id, s.client_id) for s in chosen] == [
        ("mcone", "1", "mcone-client"),
        ("mctwo", "2", "mctwo-client"),
        ("mcone", "1", "mcone-client"),  # fewer packages than destinations: they share (serve warns)
    ]
