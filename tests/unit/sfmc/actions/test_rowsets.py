"""Sync data extension actions: grouping by target, chunking, and isolating the rows SFMC rejects."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfmc_actions.sfmc.actions import ACTIONS
from sfmc_actions.sfmc.actions.base import NO_DATA_EXTENSION, NO_KEY_OR_ID
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Retry
from tests.unit.sfmc.fake_sfmc import FakeSfmc, Settings

DE = ACTIONS["dataExtension"]
UNABLE = {"message": "Unable to save rows for data extension ID x", "errorcode": 10006, "documentation": ""}


def payload(i: int, value: str = "ok", key: str | None = "Orders", **extra: Any) -> dict[str, Any]:
    p: dict[str, Any] = {"keys": {"Order_ID": f"O{i}"}, "values": {"Email": value, "N": i}, **extra}
    if key is not None:
        p["key"] = key
    return p


def bodies(fake: FakeSfmc) -> list[tuple[str, list[str]]]:
    return [(r.url.path, [row["keys"]["Order_ID"] for row in json.loads(r.content)]) for r in fake.api_requests()]


async def test_one_request_per_target_and_chunk(fake: FakeSfmc, client: SfmcClient) -> None:
    payloads = [payload(i, key="EU" if i % 2 else None, id="guid-1") for i in range(5)]
    outcomes = await DE.with_batch_size(2).send(client, payloads)
    assert all(isinstance(o, Delivered) for o in outcomes)
    assert bodies(fake) == [
        ("/hub/v1/dataevents/guid-1/rowset", ["O0", "O2"]),
        ("/hub/v1/dataevents/guid-1/rowset", ["O4"]),
        ("/hub/v1/dataevents/key:EU/rowset", ["O1", "O3"]),
    ]
    assert outcomes[1] == Delivered({"keys": {"Order_ID": "O1"}, "values": {"Email": "ok", "N": 1}})


async def test_body_is_segments_rows(fake: FakeSfmc, client: SfmcClient) -> None:
    await DE.send(
        client, [payload(1, enable_batching=True, batch_size=10), {"key": "Orders", "keys": {"Order_ID": "O2"}}]
    )
    sent = fake.api_requests()[0]
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.content) == [
        {"keys": {"Order_ID": "O1"}, "values": {"Email": "ok", "N": 1}},
        {"keys": {"Order_ID": "O2"}},
    ]


async def test_key_with_url_characters_stays_one_path_segment(fake: FakeSfmc, client: SfmcClient) -> None:
    await DE.send(client, [payload(1, key="My Orders/2024?x#y")])
    assert fake.api_requests()[0].url.raw_path == b"/hub/v1/dataevents/key:My%20Orders%2F2024%3Fx%23y/rowset"


async def test_missing_key_and_id_is_dead_with_segments_message(fake: FakeSfmc, client: SfmcClient) -> None:
    outcomes = await DE.send(client, [payload(1, key=None), payload(2)])
    assert outcomes[0] == Dead(NO_KEY_OR_ID, {"keys": {"Order_ID": "O1"}, "values": {"Email": "ok", "N": 1}})
    assert isinstance(outcomes[1], Delivered)
    assert len(fake.api_requests()) == 1


async def test_v2_target_comes_from_the_hook_outputs(fake: FakeSfmc, client: SfmcClient) -> None:
    action = ACTIONS["dataExtensionV2"]
    hooks = {"onMappingSave": {"inputs": {}, "outputs": {"id": "de-v2"}}}
    assert action.target(payload(1), hooks) == "id:de-v2"
    assert action.target(payload(1), {"retlOnMappingSave": {"outputs": {"id": "retl"}}}) == "id:retl"
    await action.send(client, [payload(1), payload(2)], hooks)
    assert bodies(fake) == [("/hub/v1/dataevents/de-v2/rowset", ["O1", "O2"])]
    outcomes = await action.send(client, [payload(3)], {"onMappingSave": {"outputs": {"id": ""}}})
    assert outcomes == [Dead(NO_DATA_EXTENSION, {"keys": {"Order_ID": "O3"}, "values": {"Email": "ok", "N": 3}})]


@pytest.mark.parametrize(
    "bad",
    [[0], [49], [25], [0, 1], [3, 17, 40], [48, 49], list(range(0, 50, 7))],
    ids=lambda bad: ",".join(map(str, bad)),
)
async def test_bad_rows_are_isolated_and_every_good_row_delivered(
    fake: FakeSfmc, client: SfmcClient, bad: list[int]
) -> None:
    payloads = [payload(i, "bad-email" if i in bad else "ok") for i in range(50)]
    outcomes = await DE.send(client, payloads)
    for i, outcome in enumerate(outcomes):
        if i in bad:
            assert isinstance(outcome, Dead)
            assert outcome.error.startswith("Email: The value for column [Email] is not valid (bad-email).")
            assert "Unable to save rows for data extension ID" in outcome.error
            assert outcome.sent == {"keys": {"Order_ID": f"O{i}"}, "values": {"Email": "bad-email", "N": i}}
        else:
            assert isinstance(outcome, Delivered), i
    assert sorted(fake.rows) == sorted(json.dumps({"Order_ID": f"O{i}"}) for i in range(50) if i not in bad)
    # about log2(50) + 2 requests per bad row, plus the first one
    assert len(fake.api_requests()) <= 1 + len(bad) * 9


async def test_every_row_bad_costs_about_one_request_per_row(fake: FakeSfmc, client: SfmcClient) -> None:
    outcomes = await DE.send(client, [payload(i, "bad") for i in range(50)])
    assert all(isinstance(o, Dead) for o in outcomes)
    assert len(fake.api_requests()) <= 50 + 7


async def test_transient_10006_retries_the_batch(fake: FakeSfmc, client: SfmcClient) -> None:
    fake.queued = [httpx.Response(400, json=UNABLE)]
    outcomes = await DE.send(client, [payload(1), payload(2)])
    assert all(isinstance(o, Retry) and "Unable to save rows" in o.error for o in outcomes)
    assert len(fake.api_requests()) == 1


async def test_throttled_during_the_search_keeps_what_was_delivered(fake: FakeSfmc, client: SfmcClient) -> None:
    payloads = [payload(i, "bad" if i == 3 else "ok") for i in range(8)]
    original = fake.rowset
    answers = iter(["real", "real", "throttle"])

    def rowset(request: httpx.Request) -> httpx.Response:
        if next(answers, "real") == "throttle":
            return httpx.Response(429, headers={"Retry-After": "12"}, json={"message": "Rate limit exceeded"})
        return original(request)

    fake.routes[("POST", "/rowset")] = rowset
    outcomes = await DE.send(client, payloads)
    # 1st: all 8 rejected (row 3); 2nd: rows 0-3 rejected; 3rd (rows 0-1) throttled
    assert [type(o) for o in outcomes] == [Retry] * 8
    assert all(o.retry_after == 12.0 for o in outcomes if isinstance(o, Retry))


async def test_rejection_that_does_not_repeat_delivers_everything(fake: FakeSfmc, client: SfmcClient) -> None:
    fake.queued = [
        httpx.Response(400, json={**UNABLE, "additionalErrors": [{"message": "Email: flaky", "errorcode": 10000}]})
    ]
    outcomes = await DE.send(client, [payload(i) for i in range(4)])
    assert all(isinstance(o, Delivered) for o in outcomes)


async def test_duplicate_keys_end_with_the_last_value(fake: FakeSfmc, client: SfmcClient) -> None:
    payloads = [
        {"key": "K", "keys": {"Order_ID": "A"}, "values": {"V": "first"}},
        {"key": "K", "keys": {"Order_ID": "A"}, "values": {"V": "second"}},
        {"key": "K", "keys": {"Order_ID": "B"}, "values": {"V": "bad"}},
        {"key": "K", "keys": {"Order_ID": "A"}, "values": {"V": "third"}},
    ]
    await DE.send(client, payloads)
    assert fake.rows[json.dumps({"Order_ID": "A"})] == {"V": "third"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.booleans(), min_size=1, max_size=60), st.integers(min_value=1, max_value=50))
async def test_isolation_property(flags: list[bool], batch_size: int) -> None:
    fake = FakeSfmc()
    async with httpx.AsyncClient(transport=fake.transport()) as http:
        client = SfmcClient(Settings(), http=http, check_schema=False)
        payloads = [payload(i, "bad" if is_bad else "ok") for i, is_bad in enumerate(flags)]
        outcomes = await DE.with_batch_size(batch_size).send(client, payloads)
    assert [isinstance(o, Dead) for o in outcomes] == flags
    assert len(fake.rows) == flags.count(False)


def test_mapping_problems() -> None:
    assert ACTIONS["dataExtension"].mapping_problems({"key": "Orders", "keys": {}}) == []
    assert ACTIONS["dataExtension"].mapping_problems({"id": {"@path": "$.properties.de"}}) == []
    assert NO_KEY_OR_ID in ACTIONS["dataExtension"].mapping_problems({"keys": {}})[0]
    v2 = ACTIONS["contactDataExtensionV2"]
    assert v2.mapping_problems({"onMappingSave": {"outputs": {"id": "x"}}}) == []
    assert "onMappingSave" in v2.mapping_problems({"keys": {}})[0]
