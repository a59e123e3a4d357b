"""Against the emulator over HTTP: token reuse and refresh, retryable vs permanent answers, bad rows isolated."""

from __future__ import annotations

from typing import Any

import pytest

from sfmc_actions.errors import AuthenticationError
from sfmc_actions.sfmc.actions import ACTIONS
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Retry
from tests.integration.sfmc.conftest import Emulator, Settings

DE = ACTIONS["dataExtension"]


def order(i: int, email: str | None = None, note: str = "ok") -> dict[str, Any]:
    return {
        "key": "Orders",
        "keys": {"Order_ID": f"O-{i}"},
        "values": {"Email": email or f"u{i}@example.com", "Note": note},
    }


async def test_one_token_for_a_thousand_requests(client: SfmcClient, emulator: Emulator) -> None:
    for i in range(1000):
        await client.upsert_contact(f"c-{i}")
    assert emulator.token_requests() == 1
    assert client.token_requests == 1
    assert len(emulator.get("/contacts")) == 1000


async def test_401_refreshes_once_and_resends(client: SfmcClient, emulator: Emulator) -> None:
    await DE.send(client, [order(1)])
    emulator.faults({"fault": "unauthorized", "route": "rowset", "nth": [1]})
    assert isinstance((await DE.send(client, [order(2)]))[0], Delivered)
    emulator.faults({"fault": "expire_tokens", "route": "rowset", "nth": [1]})
    assert isinstance((await DE.send(client, [order(3)]))[0], Delivered)
    assert emulator.token_requests() == 3
    assert set(emulator.rows("Orders")) == {"O-1", "O-2", "O-3"}


async def test_401_twice_is_an_auth_failure(client: SfmcClient, emulator: Emulator) -> None:
    emulator.faults({"fault": "unauthorized", "route": "rowset"})
    outcomes = await DE.send(client, [order(1), order(2)])
    assert all(isinstance(o, Retry) and o.auth_failed and "Not Authorized" in o.error for o in outcomes)
    assert len(emulator.api_calls("rowset")) == 2  # the first try and one resend with a fresh token


async def test_wrong_secret_says_what_to_fix(emulator: Emulator) -> None:
    settings = Settings(emulator.base_url)
    settings.client_secret = settings.client_secret.__class__("wrong")
    async with SfmcClient(settings) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.authenticate()
    message = str(caught.value)
    assert "invalid_client" in message and "settings.client_secret" in message
    assert "wrong" not in message.replace("wrong secret", "")


@pytest.mark.parametrize(
    ("fault", "retry_after"),
    [
        ({"fault": "rate_limit", "retry_after": 7}, 7.0),
        ({"fault": "blocked"}, None),
        ({"fault": "unavailable", "retry_after": 3}, 3.0),
        ({"fault": "server_error"}, None),
        ({"fault": "transient_10006"}, None),
        ({"fault": "drop"}, None),
    ],
    ids=lambda v: v["fault"] if isinstance(v, dict) else str(v),
)
async def test_retryable_answers(
    client: SfmcClient, emulator: Emulator, fault: dict[str, Any], retry_after: float | None
) -> None:
    emulator.faults({**fault, "route": "rowset", "nth": [1]})
    outcomes = await DE.send(client, [order(1), order(2)])
    assert all(isinstance(o, Retry) and o.retry_after == retry_after for o in outcomes)
    assert emulator.rows("Orders") == {}
    assert all(isinstance(o, Delivered) for o in await DE.send(client, [order(1), order(2)]))


async def test_timeout_is_retryable(emulator: Emulator) -> None:
    emulator.faults({"fault": "timeout", "route": "events", "seconds": 5})
    async with SfmcClient(Settings(emulator.base_url), timeout=0.5) as client:
        (outcome,) = await ACTIONS["apiEvent"].send(
            client, [{"eventDefinitionKey": "APIEvent-welcome", "contactKey": "x"}]
        )
    assert isinstance(outcome, Retry) and outcome.error.startswith("timed out")


async def test_permanent_answers(client: SfmcClient, emulator: Emulator) -> None:
    (unknown,) = await DE.send(client, [{**order(1), "key": "No_Such_DE"}])
    assert isinstance(unknown, Dead) and "SFMC answered 4" in unknown.error
    (bad_key,) = await DE.send(client, [{"key": "Orders", "keys": {"Nope": "1"}, "values": {"Note": "x"}}])
    assert isinstance(bad_key, Dead) and "primary key 'nope' does not exist" in bad_key.error.lower()


@pytest.mark.parametrize(
    "bad",
    [[0], [49], [20], [0, 1, 2], [5, 30, 44], list(range(0, 50, 5))],
    ids=lambda bad: ",".join(map(str, bad)),
)
async def test_bad_rows_at_several_positions(emulator: Emulator, bad: list[int]) -> None:
    """Bad rows SFMC finds (isolated by resending); the schema check that catches these first is off here."""
    async with SfmcClient(Settings(emulator.base_url), timeout=5.0, check_schema=False) as client:
        await _bad_rows_at(client, emulator, bad)


async def _bad_rows_at(client: SfmcClient, emulator: Emulator, bad: list[int]) -> None:
    payloads = [
        order(
            i, email="not-an-email" if i in bad and i % 2 == 0 else None, note="x" * 30 if i in bad and i % 2 else "ok"
        )
        for i in range(50)
    ]
    outcomes = await DE.send(client, payloads)
    for i, outcome in enumerate(outcomes):
        if i in bad:
            assert isinstance(outcome, Dead), i
            column = "Note" if i % 2 else "Email"
            assert f"[{column}]" in outcome.error and "Unable to save rows" in outcome.error
            assert outcome.sent == {"keys": payloads[i]["keys"], "values": payloads[i]["values"]}
        else:
            assert isinstance(outcome, Delivered), i
    assert set(emulator.rows("Orders")) == {f"O-{i}" for i in range(50) if i not in bad}
    assert len(emulator.api_calls("rowset")) <= 1 + 9 * len(bad)


async def test_emulator_rejections_via_fault_rows(client: SfmcClient, emulator: Emulator) -> None:
    emulator.faults({"fault": "reject_row", "route": "rowset", "rows": [2], "times": 1, "message": "Injected problem"})
    outcomes = await DE.send(client, [order(i) for i in range(5)])
    assert [type(o) for o in outcomes] == [Delivered] * 5  # the injected rejection does not repeat on resend
    assert set(emulator.rows("Orders")) == {f"O-{i}" for i in range(5)}
