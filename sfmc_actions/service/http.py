"""The HTTP side of `serve` and `worker`: the ingest app, the metrics app, uvicorn in our own loop.

uvicorn runs inside the service's event loop without its own signal handlers, so the service decides the
shutdown order (service.py); `http_server` stops accepting and lets requests in flight finish on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from sfmc_actions.errors import SfmcActionsError
from sfmc_actions.observe.metrics import Metrics
from sfmc_actions.observe.metrics_app import Refresh, create_metrics_app, metrics_routes
from sfmc_actions.queue import JobStore
from sfmc_actions.queue.rows import utc_now
from sfmc_actions.service.load import Loaded


class StartError(SfmcActionsError):
    """The service cannot start: no credentials for a `worker`, a port taken. The message says what to do."""


def queue_refresh(store: JobStore, metrics: Metrics) -> Refresh:
    """Refreshes the queue-depth gauges from the store's stats (before a scrape of /metrics)."""

    async def refresh() -> None:
        stats = await store.stats(last_errors=0)
        oldest = stats.oldest_pending_at
        age = (utc_now() - oldest).total_seconds() if oldest is not None else None
        metrics.record_queue(((c.destination, c.subscription, c.state.value, c.count) for c in stats.counts), age)

    return refresh


def http_app(loaded: Loaded, store: JobStore, metrics: Metrics) -> Starlette:
    """The serve port: the ingest API (Segment's Tracking API, /healthz, /readyz), and GET /metrics only when
    the config says `metrics: {public: true}` (they name the tenant, sources and subscriptions)."""
    from sfmc_actions.ingest.http_api import create_ingest_app

    router = loaded.router()
    ingest = create_ingest_app(loaded.config, router, store)
    routes: list[BaseRoute] = []
    if loaded.config.metrics.public:
        routes += metrics_routes(metrics, queue_refresh(store, metrics))
    app = Starlette(routes=[*routes, Mount("/", ingest)])
    app.state.ingest = ingest.state.ingest
    return app


def metrics_app(store: JobStore, metrics: Metrics) -> Starlette:
    """The metrics port (`--metrics-port`): /metrics and /healthz."""
    return create_metrics_app(metrics, queue_refresh(store, metrics))


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
async def http_server(app: Starlette, sock: socket.socket, **options: Any) -> AsyncIterator[_Server]:
    """Serve `app` on the bound socket; on exit, stop accepting and let requests in flight finish (10 s).

    `options`: more uvicorn.Config arguments (connections.protocol_options: the connection bounds)."""
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=10, **options
    )
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
