"""The observed transport: route names, metrics per call, the limiter fed by SFMC's answers."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client import CollectorRegistry

from sfmc_actions.deliver.tenants import TenantLimiter
from sfmc_actions.deliver.transport import ObservedTransport, route_of
from sfmc_actions.observe.metrics import Metrics


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/v2/token", "token"),
        ("/hub/v1/dataevents/key:Orders/rowset", "rowset"),
        ("/hub/v1/dataevents/1234-abcd/rowset", "rowset"),
        ("/hub/v1/dataevents/key:Orders/rows/Id:1", "row"),
        ("/data/v1/async/dataextensions/key:Orders/rows", "async_rows"),
        ("/data/v1/async/abc-123/status", "async_status"),
        ("/data/v1/async/abc-123/results", "async_results"),
        ("/interaction/v1/events", "events"),
        ("/interaction/v1/async/events", "async_events"),
        ("/interaction/v1/async/events/status", "async_events_status"),
        ("/contacts/v1/contacts", "contacts"),
        ("/data/v1/customobjects/xyz/fields", "customobjects"),
        ("/Service.asmx", "soap"),
        ("/something/else", "other"),
    ],
)
def test_route_names(path: str, route: str) -> None:
    assert route_of(path) == route


def handler(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/rowset") and request.headers.get("x-throttle"):
        return httpx.Response(429, headers={"Retry-After": "3"}, json={"errorcode": 50100})
    if request.url.path == "/fail":
        raise httpx.ConnectTimeout("slow", request=request)
    return httpx.Response(200, json={})


def client(limiter: TenantLimiter | None, metrics: Metrics) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=ObservedTransport(httpx.MockTransport(handler), limiter, metrics), base_url="http://sfmc"
    )


async def test_calls_are_counted_by_route_and_status() -> None:
    metrics = Metrics(CollectorRegistry())
    async with client(None, metrics) as http:
        await http.post("/v2/token")
        await http.post("/hub/v1/dataevents/key:A/rowset")
        await http.post("/hub/v1/dataevents/key:B/rowset", headers={"x-throttle": "1"})
        with pytest.raises(httpx.ConnectTimeout):
            await http.get("/fail")
    sample = metrics.registry.get_sample_value  # type: ignore[union-attr]
    assert sample("sfmc_actions_sfmc_requests_total", {"route": "rowset", "status": "200"}) == 1
    assert sample("sfmc_actions_sfmc_requests_total", {"route": "rowset", "status": "429"}) == 1
    assert sample("sfmc_actions_sfmc_requests_total", {"route": "other", "status": "timeout"}) == 1
    assert sample("sfmc_actions_sfmc_token_requests_total", {}) == 1
    assert sample("sfmc_actions_sfmc_request_seconds_count", {"route": "rowset"}) == 2


async def test_a_429_throttles_the_tenant_with_its_retry_after() -> None:
    limiter = TenantLimiter("t", 8)
    async with client(limiter, Metrics(CollectorRegistry())) as http:
        await http.post("/hub/v1/dataevents/key:B/rowset", headers={"x-throttle": "1"})
    assert limiter.limit == 4
    assert 2.5 < limiter.paused_for() <= 3.0
    assert limiter.requests == 0


async def test_token_requests_do_not_wait_for_a_slot() -> None:
    limiter = TenantLimiter("t", 1)
    async with client(limiter, Metrics(CollectorRegistry())) as http, limiter.request():
        # The only slot is taken (a call waiting for its token): the token request must still go.
        response = await asyncio.wait_for(http.post("/v2/token"), 1)
    assert response.status_code == 200
