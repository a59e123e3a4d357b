"""The HTTP side of `serve` and `worker`: the app (ingest API at /, GET /metrics), uvicorn in our own loop.

uvicorn runs inside the service's event loop without its own signal handlers, so the service decides the
shutdown order (service.py); `http_server` stops accepting and lets requests in flight finish on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Callable, Generator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from sfmc_actions.errors import SfmcActionsError
from sfmc_actions.observe.metrics import Metrics
from sfmc_actions.queue import JobStore
from sfmc_actions.queue.rows import utc_now
from sfmc_actions.route.router import Router
from sfmc_actions.service.load import Loaded, tenant_key

QUEUE_METRICS_EVERY = 10.0  # /metrics refreshes the queue depth at most this often (a GROUP BY over the jobs)


class StartError(SfmcActionsError):
    """The service cannot start: no credentials for a `worker`, a port taken. The message says what to do."""


def metrics_endpoint(store: JobStore, metrics: Metrics) -> Callable[[Request], Any]:
    """`GET /metrics`, refreshing the queue-depth gauges from the store when they are older than a few seconds."""
    refreshed = [-QUEUE_METRICS_EVERY]

    async def endpoint(request: Request) -> Response:
        if time.monotonic() - refreshed[0] >= QUEUE_METRICS_EVERY:
            refreshed[0] = time.monotonic()
            with contextlib.suppress(Exception):  # a store hiccup must not break the scrape
                stats = await store.stats(last_errors=0)
                oldest = stats.oldest_pending_at
                age = (utc_now() - oldest).total_seconds() if oldest is not None else None
                metrics.record_queue(((c.subscription, c.state.value, c.count) for c in stats.counts), age)
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    return endpoint


def http_app(loaded: Loaded, store: JobStore, metrics: Metrics) -> Starlette:
    """The serve port: GET /metrics, and the ingest API (Segment's Tracking API, /healthz, /readyz) at /."""
    from sfmc_actions.ingest.http_api import create_ingest_app

    router = Router(loaded.subscriptions, tenant_key(loaded.config.settings))
    ingest = create_ingest_app(loaded.config, router, store)
    routes: list[BaseRoute] = [Route("/metrics", metrics_endpoint(store, metrics), methods=["GET"]), Mount("/", ingest)]
    app = Starlette(routes=routes)
    app.state.ingest = ingest.state.ingest
    return app


def metrics_app(store: JobStore, metrics: Metrics) -> Starlette:
    async def healthz(request: Request) -> Response:
        return Response('{"status":"ok"}', media_type="application/json")

    return Starlette(routes=[Route("/metrics", metrics_endpoint(store, metrics)), Route("/healthz", healthz)])


class _Server(uvicorn.Server):
    """uvicorn inside our loop: the service owns SIGTERM/SIGINT, so the shutdown order stays ours."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it on Linux. Without it an answer can wait ~40 ms for the client's delayed
    # ACK (Nagle): one event per request took 44 ms instead of 2.4 ms, and four SDK connections sending
    # batches of 100 got 6,100 instead of 9,300 events/s accepted (bench/e2e.py).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StartError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (pick another with --port)") from None
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@asynccontextmanager
async def http_server(app: Starlette, sock: socket.socket) -> AsyncIterator[_Server]:
    """Serve `app` on the bound socket; on exit, stop accepting and let requests in flight finish (10 s)."""
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=10)
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="sfmc-actions-http")
    try:
        while not server.started:
            if task.done():
                task.result()
                raise StartError("the HTTP server stopped during start-up")
            await asyncio.sleep(0.01)
        yield server
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()
