"""Bounds on the HTTP connections `serve` holds, so idle or slow clients cannot use up the process.

uvicorn closes a keep-alive connection idle between requests (5 s), but not a new connection that sends
nothing, nor one that sends half a request: 300 such sockets held a server with 256 file descriptors, and its
accept loop then logged each refused accept. Two bounds, in the HTTP protocol itself:

- a connection must deliver a complete request (headers and body) within `header_timeout` seconds of opening,
  or of its previous answer; if not, it is answered 408 (nothing read yet) or closed (mid-body);
- at most `max_connections` are open at once, below the file-descriptor limit: one more is answered 503 with
  Retry-After at once and closed, so its descriptor comes straight back.
"""

from __future__ import annotations

import asyncio
import resource
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from sfmc_actions.observe.metrics import Metrics

# What the process keeps for everything but the ingest connections: the store's files and connections, the
# SFMC client's connections (up to tenant_concurrency), the metrics server, the emulator, logs.
RESERVED_DESCRIPTORS = 128
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s"
)
BUSY_BODY = (
    b'{"success":false,"code":"too_many_connections","message":"the server holds as many connections as it '
    b'may: send again in a second"}'
)
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float
    max_connections: int


def descriptor_bound() -> int:
    """Connections the process can hold beside what it needs itself: the soft descriptor limit less a reserve
    (a quarter of it, at least RESERVED_DESCRIPTORS), never under 16."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    return max(16, soft - max(RESERVED_DESCRIPTORS, soft // 4))


def connection_limits(header_timeout: float, max_connections: int | None) -> ConnectionLimits:
    bound = descriptor_bound()
    return ConnectionLimits(header_timeout, bound if max_connections is None else min(max_connections, bound))


def guarded_protocol(limits: ConnectionLimits, metrics: Metrics) -> type[H11Protocol]:
    """uvicorn's h11 protocol with the request timeout and the connection cap above."""

    class GuardedProtocol(H11Protocol):
        _request_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                metrics.connections_refused.inc()
                transport.write(BUSY % (len(BUSY_BODY), BUSY_BODY))
                transport.close()
                return
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def handle_events(self) -> None:
            super().handle_events()
            cycle = self.cycle
            if cycle is not None and not cycle.more_body and not cycle.response_complete:
                self._disarm()  # the whole request is in: the app answers in its own time

        def on_response_complete(self) -> None:
            # The next request on this connection has its own deadline. Armed first: a pipelined request
            # already received is handled inside super()'s call, and disarms it when complete.
            if not self.transport.is_closing():
                self._arm()
            super().on_response_complete()

        def _arm(self) -> None:
            self._disarm()
            self._request_timer = self.loop.call_later(limits.header_timeout, self._timed_out)

        def _disarm(self) -> None:
            if self._request_timer is not None:
                self._request_timer.cancel()
                self._request_timer = None

        def _timed_out(self) -> None:
            self._request_timer = None
            if self.transport.is_closing():
                return
            metrics.connections_timed_out.inc()
            cycle = self.cycle
            if cycle is None or cycle.response_complete:  # no request under way: say why before closing
                self.transport.write(TIMED_OUT)
            self.transport.close()  # mid-body: the app reads a disconnect and answers nobody

    return GuardedProtocol


def protocol_options(limits: ConnectionLimits, metrics: Metrics) -> dict[str, Any]:
    """uvicorn.Config keyword arguments for these limits."""
    return {"http": guarded_protocol(limits, metrics)}
