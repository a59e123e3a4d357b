"""The workers' HTTP transport to SFMC: each call is gated by the tenant's window, timed and counted.

It sits under the SFMC client's `httpx.AsyncClient`, so it sees every call the actions make (rowsets, their
bad-row isolation resends, async status polls, journey events, token requests) with its real status:

* the tenant limiter's request slot is held for the call (token requests excepted: a refresh must never wait
  behind calls that wait for the token), and the answer feeds it: 429 shrinks the window and pauses the
  tenant for the Retry-After, any other answer grows it back;
* latency and status go to the metrics by route (a fixed set of names, never a raw path: a data extension key
  in a label would make one time series per key).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import httpx

from sfmc_actions.deliver.tenants import TenantLimiter
from sfmc_actions.observe.metrics import METRICS, Metrics
from sfmc_actions.sfmc.classify import retry_after
from sfmc_actions.sfmc.client import DEFAULT_TIMEOUT

_ROUTES = (
    ("token", re.compile(r"/v2/token$")),
    ("rowset", re.compile(r"/hub/v1/dataevents/[^/]+/rowset$", re.I)),
    ("row", re.compile(r"/hub/v1/dataevents/[^/]+/rows/", re.I)),
    ("async_rows", re.compile(r"/data/v1/async/dataextensions/[^/]+/rows$", re.I)),
    ("async_status", re.compile(r"/data/v1/async/[^/]+/status$", re.I)),
    ("async_results", re.compile(r"/data/v1/async/[^/]+/results$", re.I)),
    ("events", re.compile(r"/interaction/v1/events$", re.I)),
    ("async_events_status", re.compile(r"/interaction/v1/async/events/status$", re.I)),
    ("async_events", re.compile(r"/interaction/v1/async/events$", re.I)),
    ("contacts", re.compile(r"/contacts/v1/contacts$", re.I)),
    ("customobjects", re.compile(r"/data/v1/customobjects", re.I)),
    ("soap", re.compile(r"/service\.asmx$", re.I)),
)
THROTTLED = 429
UNAVAILABLE = 503


def route_of(path: str) -> str:
    """The SFMC route name of a URL path (the emulator's fault and journal names), or "other"."""
    for name, pattern in _ROUTES:
        if pattern.search(path):
            return name
    return "other"


# Counts one request in the delivery history: "sfmc_requests" or "token_requests" (store.history.count, bound
# to the destination by the wiring).
RequestTally = Callable[[str], None]


class ObservedTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        inner: httpx.AsyncBaseTransport | None = None,
        limiter: TenantLimiter | None = None,
        metrics: Metrics = METRICS,
        tally: RequestTally | None = None,
    ) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=64))
        self._limiter = limiter
        self._metrics = metrics
        self._tally = tally

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        route = route_of(request.url.path)
        if route == "token":
            self._metrics.token_requests.inc()
        if self._tally is not None:
            self._tally("token_requests" if route == "token" else "sfmc_requests")
        if self._limiter is None or route == "token":
            return await self._timed(route, request)
        async with self._limiter.request():
            return await self._timed(route, request)

    async def _timed(self, route: str, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TimeoutException:
            self._count(route, "timeout", started)
            raise
        except httpx.TransportError:
            self._count(route, "error", started)
            raise
        status = response.status_code
        self._count(route, str(status), started)
        if self._limiter is not None:
            if status == THROTTLED or (status == UNAVAILABLE and "retry-after" in response.headers):
                self._limiter.on_throttle(retry_after(response))  # the header; the body is not read yet
            elif status < 500:
                self._limiter.on_success()
        return response

    def _count(self, route: str, status: str, started: float) -> None:
        self._metrics.sfmc_requests.labels(route, status).inc()
        self._metrics.sfmc_latency.labels(route).observe(time.perf_counter() - started)

    async def aclose(self) -> None:
        await self._inner.aclose()


def observed_http_client(
    limiter: TenantLimiter | None = None,
    metrics: Metrics = METRICS,
    inner: httpx.AsyncBaseTransport | None = None,
    timeout: float | None = None,
    tally: RequestTally | None = None,
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` for `SfmcClient(http=...)`: the client's timeouts (or `timeout` seconds) over an
    observed transport."""
    chosen = DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout)
    return httpx.AsyncClient(transport=ObservedTransport(inner, limiter, metrics, tally), timeout=chosen)
