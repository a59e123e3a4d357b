"""`GET /metrics` as a small Starlette app of its own, to serve on a private port or mount in another app.

The metrics name the SFMC tenant (subdomain, MID, client id), sources and subscriptions: they are not for the
public ingest port. `serve --metrics-port` and `worker --metrics-port` serve this app (loopback by default);
the web console (its own port, behind its token) can mount it too. `refresh` is called before a scrape, at
most every `refresh_every` seconds, to update gauges read from elsewhere (the queue depth from the store).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sfmc_actions.observe.metrics import Metrics

Refresh = Callable[[], Awaitable[None]]
REFRESH_EVERY = 10.0  # a queue-depth refresh is a GROUP BY over the jobs: not on every scrape


def metrics_endpoint(metrics: Metrics, refresh: Refresh | None = None, refresh_every: float = REFRESH_EVERY) -> Any:
    refreshed = [-refresh_every]

    async def endpoint(request: Request) -> Response:
        if refresh is not None and time.monotonic() - refreshed[0] >= refresh_every:
            refreshed[0] = time.monotonic()
            with contextlib.suppress(Exception):  # a store hiccup must not break the scrape
                await refresh()
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    return endpoint


def metrics_routes(metrics: Metrics, refresh: Refresh | None = None) -> list[Route]:
    """`GET /metrics`, to add to another app's routes."""
    return [Route("/metrics", metrics_endpoint(metrics, refresh), methods=["GET"])]


def create_metrics_app(metrics: Metrics, refresh: Refresh | None = None) -> Starlette:
    """/metrics and /healthz (so a process without the ingest API can be probed)."""

    async def healthz(request: Request) -> Response:
        return Response('{"status":"ok"}', media_type="application/json")

    return Starlette(routes=[*metrics_routes(metrics, refresh), Route("/healthz", healthz, methods=["GET"])])
