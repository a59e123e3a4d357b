"""asyncDataExtension: chunking by items and bytes, polling, and per-row outcomes from the results."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sfmc_actions.sfmc.actions import ACTIONS, PollPolicy
from sfmc_actions.sfmc.actions.async_data_extension import AsyncRowsAction
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Retry
from tests.unit.sfmc.fake_sfmc import FakeSfmc, Settings

HOOKS = {"onMappingSave": {"inputs": {}, "outputs": {"id": "async-de"}}}
NOT_FOUND = {
    "requestId": "n",
    "resultMessages": [{"resultClass": "Error", "resultCode": "AsyncRequestStatusNotFound", "message": "Unable"}],
}
DEADLOCK = "Transaction (Process ID 1) was deadlocked on lock resources. Rerun the transaction."


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def status(state: str, result: str = "OK", has_errors: bool = False) -> dict[str, Any]:
    return {
        "status": {"requestStatus": state, "resultStatus": result, "hasErrors": has_errors, "requestId": "job-1"},
        "requestId": "s",
    }


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


@pytest.fixture
def action(time_: FakeTime) -> AsyncRowsAction:
    base = ACTIONS["asyncDataExtension"]
    assert isinstance(base, AsyncRowsAction)
    return dataclasses.replace(base, sleep=time_.sleep, clock=time_.clock, poll=PollPolicy(first_delay=1, timeout=60))


@pytest.fixture
def fake() -> FakeSfmc:
    fake = FakeSfmc()
    fake.jobs = 0  # type: ignore[attr-defined]

    def put_rows(request: httpx.Request) -> httpx.Response:
        fake.jobs += 1  # type: ignore[attr-defined]
        return httpx.Response(202, json={"requestId": f"job-{fake.jobs}", "resultMessages": []})  # type: ignore[attr-defined]

    fake.routes[("PUT", "/rows")] = put_rows
    return fake


@pytest.fixture
async def client(fake: FakeSfmc) -> AsyncIterator[SfmcClient]:
    # The requests the async delivery itself makes; the schema check before it has its own tests.
    async with httpx.AsyncClient(transport=fake.transport()) as http:
        yield SfmcClient(Settings(), http=http, check_schema=False)


def payloads(n: int) -> list[dict[str, Any]]:
    return [{"keys": {"Id": f"r{i}"}, "values": {"N": i, "Id": f"r{i}-values-win"}} for i in range(n)]


def answers(fake: FakeSfmc, suffix: str, bodies: list[dict[str, Any]]) -> None:
    queue = list(bodies)
    fake.routes[("GET", suffix)] = lambda r: httpx.Response(200, json=queue.pop(0) if len(queue) > 1 else queue[0])


async def test_rows_are_flattened_and_put_then_polled_to_ok(
    fake: FakeSfmc, client: SfmcClient, action: AsyncRowsAction, time_: FakeTime
) -> None:
    answers(fake, "/status", [NOT_FOUND, NOT_FOUND, status("Pending"), status("Executing"), status("Complete")])
    outcomes = await action.send(client, payloads(3), HOOKS)
    assert all(isinstance(o, Delivered) for o in outcomes)
    put = fake.api_requests()[0]
    assert (put.method, put.url.path) == ("PUT", "/data/v1/async/dataextensions/async-de/rows")
    assert json.loads(put.content) == {"items": [{"Id": f"r{i}-values-win", "N": i} for i in range(3)]}
    assert [r.url.path for r in fake.api_requests()[1:]] == ["/data/v1/async/job-1/status"] * 5
    assert time_.sleeps == [1, 2, 4, 8, 16]  # exponential backoff


async def test_error_state_is_polled_on_and_results_give_per_row_outcomes(
    fake: FakeSfmc, client: SfmcClient, action: AsyncRowsAction
) -> None:
    answers(fake, "/status", [status("Error"), status("Complete", "Has Errors", True)])
    items = [
        {"status": "OK", "message": "Upserted DataExtensionObject"},
        {
            "status": "Error",
            "errorCode": 2,
            "message": "Cannot locate the existing record. Required keys are missing.",
            "errors": [{"errorMessage": "Column [Id] does not allow null value.", "name": "Id", "errorCode": 70001}],
        },
        {"status": "Error", "errorCode": 2, "message": DEADLOCK},
    ]
    pages = [
        {"page": 1, "pageSize": 2, "count": 3, "items": items[:2], "requestId": "x", "resultMessages": []},
        {"page": 2, "pageSize": 2, "count": 3, "items": items[2:], "requestId": "x", "resultMessages": []},
    ]
    fake.routes[("GET", "/results")] = lambda r: httpx.Response(200, json=pages[int(r.url.params["$page"]) - 1])
    outcomes = await action.send(client, payloads(3), HOOKS)
    assert outcomes[0] == Delivered(items[0])
    assert isinstance(outcomes[1], Dead) and "does not allow null value" in outcomes[1].error
    assert outcomes[1].sent == {"Id": "r1-values-win", "N": 1}
    assert isinstance(outcomes[2], Retry) and "Rerun the transaction" in outcomes[2].error
    results = [r for r in fake.api_requests() if r.url.path.endswith("/results")]
    assert [r.url.params["$page"] for r in results] == ["1", "2"]


async def test_missing_results_and_empty_results_retry(
    fake: FakeSfmc, client: SfmcClient, action: AsyncRowsAction
) -> None:
    answers(fake, "/status", [status("Complete", "Has Errors", True)])
    page = {"page": 1, "pageSize": 50, "count": 1, "items": [{"status": "OK", "message": "ok"}]}
    fake.routes[("GET", "/results")] = lambda r: httpx.Response(200, json=page)
    outcomes = await action.send(client, payloads(2), HOOKS)
    assert isinstance(outcomes[0], Delivered) and isinstance(outcomes[1], Retry)
    page["items"], page["count"] = [], 0
    outcomes = await action.send(client, payloads(2), HOOKS)
    assert all(isinstance(o, Retry) and "listed no results" in o.error for o in outcomes)


async def test_poll_timeout_gives_retry(fake: FakeSfmc, client: SfmcClient, action: AsyncRowsAction) -> None:
    answers(fake, "/status", [NOT_FOUND])
    outcomes = await action.send(client, payloads(2), HOOKS)
    assert all(isinstance(o, Retry) and "did not complete within 60 s" in o.error for o in outcomes)
    assert all("AsyncRequestStatusNotFound" in o.error for o in outcomes if isinstance(o, Retry))


async def test_throttled_status_honours_retry_after(
    fake: FakeSfmc, client: SfmcClient, action: AsyncRowsAction, time_: FakeTime
) -> None:
    calls = iter([httpx.Response(429, headers={"Retry-After": "10"}), httpx.Response(200, json=status("Complete"))])
    fake.routes[("GET", "/status")] = lambda r: next(calls)
    outcomes = await action.send(client, payloads(1), HOOKS)
    assert isinstance(outcomes[0], Delivered)
    assert time_.sleeps == [1, 10]


async def test_submission_refused_is_dead_for_every_row(
    fake: FakeSfmc, client: SfmcClient, action: AsyncRowsAction
) -> None:
    body = {
        "requestId": "r",
        "resultMessages": [
            {
                "resultType": "Operational",
                "resultClass": "Error",
                "resultCode": "CustomObjectNotFound",
                "message": "Failed to resolve the Custom Object",
            }
        ],
    }
    fake.routes[("PUT", "/rows")] = lambda r: httpx.Response(400, json=body)
    outcomes = await action.send(client, payloads(2), HOOKS)
    assert all(isinstance(o, Dead) and "CustomObjectNotFound" in o.error for o in outcomes)


async def test_chunks_by_count_and_bytes(fake: FakeSfmc, client: SfmcClient, action: AsyncRowsAction) -> None:
    answers(fake, "/status", [status("Complete")])
    small = action.with_batch_size(2)
    outcomes = await small.send(client, payloads(5), HOOKS)
    assert all(isinstance(o, Delivered) for o in outcomes)
    puts = [json.loads(r.content)["items"] for r in fake.api_requests() if r.method == "PUT"]
    assert [len(p) for p in puts] == [2, 2, 1]
    fake.requests.clear()
    tight = dataclasses.replace(action, max_bytes=200)
    rows = [{"keys": {"Id": str(i)}, "values": {"Text": "x" * 60}} for i in range(4)]
    rows.append({"keys": {"Id": "huge"}, "values": {"Text": "x" * 500}})
    outcomes = await tight.send(client, rows, HOOKS)
    bodies = [r.content for r in fake.api_requests() if r.method == "PUT"]
    assert all(len(b) <= 200 for b in bodies) and len(bodies) == 2
    assert isinstance(outcomes[4], Dead) and "over SFMC's 200-byte limit" in outcomes[4].error
    assert all(isinstance(o, Delivered) for o in outcomes[:4])


def test_batch_size_is_capped_at_sfmcs_hard_limit(action: AsyncRowsAction) -> None:
    assert action.batch_size == 28_000
    with pytest.raises(ValueError, match="32000"):
        action.with_batch_size(32_001)
    assert action.with_batch_size(32_000).batch_size == 32_000
