"""The SFMC emulator on a real socket (a thread), one per module, reset before every test."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from sfmc_actions.emulator import create_app
from sfmc_actions.sfmc.actions import ACTIONS, PollPolicy
from sfmc_actions.sfmc.actions.async_data_extension import AsyncRowsAction
from sfmc_actions.sfmc.client import SfmcClient
from tests.conformance.canned_server import serve

SUBDOMAIN = "mcintegration000000000000000"
MID = 500000001
CLIENT_ID = "integration-client"
SECRET = "integration-secret-value"
ORDERS_ID = "0a0b0c0d-0000-4000-8000-000000000001"
CONTACTS_ID = "0a0b0c0d-0000-4000-8000-000000000002"
EVENTS_ID = "0a0b0c0d-0000-4000-8000-000000000003"
FAST_POLL = PollPolicy(first_delay=0.05, max_delay=0.2, timeout=20)

SEED: dict[str, Any] = {
    "options": {"async_not_visible_seconds": 0.1, "async_pending_seconds": 0.05, "async_executing_seconds": 0.05},
    "tenants": [
        {
            "subdomain": SUBDOMAIN,
            "mids": [MID],
            "packages": [{"client_id": CLIENT_ID, "client_secret": SECRET, "scopes": "all"}],
            "folders": [
                {"id": 2001, "name": "Data Extensions", "customer_key": "dataextension_default"},
                {"id": 2002, "name": "Segment", "parent_id": 2001},
            ],
            "data_extensions": [
                {
                    "name": "Orders",
                    "key": "Orders",
                    "id": ORDERS_ID,
                    "folder": 2002,
                    "fields": [
                        {"name": "Order_ID", "type": "Text", "length": 50, "primary_key": True},
                        {"name": "Email", "type": "EmailAddress", "length": 254},
                        {"name": "Revenue", "type": "Decimal", "length": 18, "scale": 2},
                        {"name": "Note", "type": "Text", "length": 20},
                    ],
                },
                {
                    "name": "Contacts",
                    "key": "Contacts",
                    "id": CONTACTS_ID,
                    "fields": [
                        {"name": "contactKey", "type": "Text", "length": 254, "primary_key": True},
                        {"name": "Email", "type": "EmailAddress", "length": 254},
                        {"name": "In_Audience", "type": "Boolean"},
                    ],
                },
                {
                    "name": "Events",
                    "key": "Events",
                    "id": EVENTS_ID,
                    "fields": [
                        {"name": "Message_ID", "type": "Text", "length": 50, "primary_key": True},
                        {"name": "Event", "type": "Text", "length": 50, "nullable": False},
                        {"name": "Amount", "type": "Number"},
                    ],
                },
                {
                    "name": "Welcome_Entry",
                    "key": "Welcome_Entry",
                    "fields": [
                        {"name": "ContactKey", "type": "Text", "length": 254},
                        {"name": "Plan", "type": "Text", "length": 50},
                    ],
                },
            ],
            "event_definitions": [{"key": "APIEvent-welcome", "name": "Welcome", "data_extension": "Welcome_Entry"}],
        }
    ],
}


@dataclasses.dataclass
class Settings:
    api_base_url: str | None
    subdomain: str = SUBDOMAIN
    account_id: str = str(MID)
    client_id: str = CLIENT_ID
    client_secret: SecretStr = dataclasses.field(default_factory=lambda: SecretStr(SECRET))


class Emulator:
    """The running emulator and its inspection API (`/__emulator/...`)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=f"{base_url}/__emulator", timeout=10)

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def rows(self, de: str) -> dict[str, dict[str, Any]]:
        """Rows by the first primary key value."""
        found = self.get(f"/data-extensions/{de}")
        pk = next(f["name"] for f in found["fields"] if f["isPrimaryKey"])
        return {str(row[pk]): row for row in found["rows"]}

    def token_requests(self) -> int:
        return sum(self.get("/tokens")["requests"].values())

    def api_calls(self, route: str | None = None) -> list[dict[str, Any]]:
        calls = self.get("/journal", **({"route": route} if route else {}))
        return [c for c in calls if c.get("route") != "token"]

    def faults(self, *rules: dict[str, Any]) -> None:
        self.http.put("/faults", json={"seed": 1, "rules": list(rules)}).raise_for_status()

    def options(self, **values: Any) -> None:
        self.http.patch("/options", json=values).raise_for_status()

    def reset(self) -> None:
        self.http.post("/reset").raise_for_status()
        self.http.delete("/faults").raise_for_status()


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    # uvicorn binding its own socket (TCP_NODELAY on accepted sockets). EmulatorServer passes a pre-bound
    # socket without TCP_NODELAY, which costs ~40 ms per request (Nagle + delayed ACK) at the time of writing.
    with serve(create_app(SEED)) as base_url:
        yield base_url


@pytest.fixture
def emulator(emulator_url: str) -> Iterator[Emulator]:
    emulator = Emulator(emulator_url)
    emulator.reset()
    defaults = emulator.get("/options")
    yield emulator
    emulator.options(**defaults)  # a test's option changes end with it
    emulator.http.close()


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[SfmcClient]:
    async with SfmcClient(Settings(emulator.base_url), timeout=5.0) as client:
        yield client


@pytest.fixture
def async_action() -> AsyncRowsAction:
    action = ACTIONS["asyncDataExtension"]
    assert isinstance(action, AsyncRowsAction)
    return dataclasses.replace(action, poll=FAST_POLL)
