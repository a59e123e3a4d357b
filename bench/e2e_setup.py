"""What an end-to-end run sets up, shared by bench/e2e.py and tests/e2e/load.py (which imports it as
`bench.e2e_setup`): the emulator's seed, a config that delivers to the emulator as an SFMC tenant (the demo
tenant, its published secret passed through `${ENV}` as a real secret would be), and free ports.

Only the standard library, PyYAML and sfmc_actions here: the tests import this module from outside bench/.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import yaml

from sfmc_actions.emulator import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SUBDOMAIN

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "emulator-seed.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def secret_env(name: str) -> dict[str, str]:
    """The environment that hands the demo tenant's secret to `${name}` in the config."""
    return {name: DEMO_CLIENT_SECRET}


def write_seed(path: Path, *, event_definitions: tuple[dict[str, Any], ...] = (), **options: Any) -> Path:
    """The quick-start seed (examples/emulator-seed.yaml), plus journeys' event definitions and emulator options."""
    seed = yaml.safe_load(SEED.read_text())
    seed["tenants"][0]["event_definitions"].extend(event_definitions)
    if options:
        seed["options"] = {**(seed.get("options") or {}), **options}
    path.write_text(yaml.safe_dump(seed))
    return path


def path(expression: str) -> dict[str, str]:
    return {"@path": expression}


def data_extension(name: str, trigger: str, key: str, keys: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A subscription writing rows to the data extension `key` (dataExtension; contactDataExtension when it is
    keyed by contactKey)."""
    action = "contactDataExtension" if "contactKey" in keys else "dataExtension"
    mapping = {"key": key, "keys": keys, "values": values}
    return {"name": name, "action": action, "trigger": trigger, "mapping": mapping}


def customers(trigger: str = 'type = "identify"', **values: Any) -> dict[str, Any]:
    keys, base = {"contactKey": path("$.userId")}, {"Email": path("$.traits.email")}
    return data_extension("customers-de", trigger, "Customers", keys, base | values)


def orders(**values: Any) -> dict[str, Any]:
    base = {
        "Contact_Key": path("$.userId"),
        "Revenue": path("$.properties.revenue"),
        "Currency": path("$.properties.currency"),
    }
    trigger = 'type = "track" and event = "Order Completed"'
    return data_extension("orders-de", trigger, "Orders", {"Order_ID": path("$.properties.order_id")}, base | values)


def page_views(**values: Any) -> dict[str, Any]:
    base = {"Contact_Key": path("$.userId"), "Page_Name": path("$.name")}
    keys = {"Message_ID": path("$.messageId")}
    return data_extension("page-views-de", 'type = "page"', "Page_Views", keys, base | values)


def write_config(
    file: Path,
    emulator_url: str,
    *,
    secret_env_name: str,
    source: str,
    write_key: str,
    delivery: dict[str, Any],
    subscriptions: list[dict[str, Any]],
) -> Path:
    """A config delivering to the emulator at `emulator_url` with the demo tenant's credentials."""
    settings = {
        "subdomain": DEMO_SUBDOMAIN,
        "account_id": str(DEMO_ACCOUNT_ID),
        "client_id": DEMO_CLIENT_ID,
        "client_secret": f"${{{secret_env_name}}}",
        "api_base_url": emulator_url,
        "allow_custom_api_host": True,
    }
    config = {
        "settings": settings,
        "sources": [{"name": source, "write_key": write_key}],
        "delivery": delivery,
        "subscriptions": subscriptions,
    }
    file.write_text(yaml.safe_dump(config, sort_keys=False))
    return file
