"""Connection bounds on real sockets, through the same uvicorn setup `serve` uses (issue 11): a connection that
sends no complete request in time is closed, and connections over the cap are answered 503 at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sfmc_actions.observe.metrics import Metrics
from sfmc_actions.service.connections import ConnectionLimits, connection_limits, descriptor_bound, protocol_options
from sfmc_actions.service.http import bind, http_server, url_of

TIMEOUT = 0.6
CAP = 5


async def echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse({"bytes": len(body)})


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(CollectorRegistry())


@pytest.fixture
async def server(metrics: Metrics) -> AsyncIterator[tuple[str, int]]:
    app = Starlette(routes=[Route("/echo", echo, methods=["POST", "GET"])])
    sock = bind("127.0.0.1", 0)
    limits = ConnectionLimits(header_timeout=TIMEOUT, max_connections=CAP)
    async with http_server(app, sock, **protocol_options(limits, metrics)):
        host, port = sock.getsockname()[:2]
        assert url_of(sock).endswith(f":{port}")
        yield host, port


async def request(host: str, port: int, raw: bytes = b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n") -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(raw)
    try:
        return await asyncio.wait_for(reader.read(4096), 5)
    finally:
        writer.close()


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sends until it closes, which must happen within `seconds`."""
    data = b""
    async with asyncio.timeout(seconds):
        while chunk := await reader.read(4096):
            data += chunk
    return data


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # connects and says nothing
        b"POST /echo HTTP/1.1\r\nHost: x\r\n",  # half the headers
    ],
)
async def test_no_complete_request_in_time_is_408_and_closed(
    server: tuple[str, int], metrics: Metrics, sent: bytes
) -> None:
    reader, writer = await asyncio.open_connection(*server)
    writer.write(sent)
    data = await closed_within(reader, TIMEOUT + 3)
    writer.close()
    assert data.startswith(b"HTTP/1.1 408 ")
    assert metrics.connections_timed_out._value.get() == 1


async def test_a_body_that_stops_halfway_is_closed(server: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*server)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
    data = await closed_within(reader, TIMEOUT + 3)
    writer.close()
    assert b" 200 " not in data  # nobody is answered for half a body


async def test_a_keep_alive_connection_gets_a_fresh_deadline_per_request(server: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*server)
    for _ in range(3):
        await asyncio.sleep(TIMEOUT / 2)
        writer.write(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await asyncio.wait_for(reader.read(4096), 5)).startswith(b"HTTP/1.1 200 ")
    writer.close()


async def test_a_slow_answer_is_not_cut_by_the_request_deadline(metrics: Metrics) -> None:
    async def slow(request: Request) -> Response:
        await asyncio.sleep(TIMEOUT * 2)  # the app may take its time (a store write waits up to 5 s)
        return JSONResponse({"ok": True})

    sock = bind("127.0.0.1", 0)
    app = Starlette(routes=[Route("/slow", slow)])
    async with http_server(app, sock, **protocol_options(ConnectionLimits(TIMEOUT, CAP), metrics)):
        answer = await request(*sock.getsockname()[:2], b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")


async def test_over_the_cap_is_503_at_once_and_idle_ones_free_their_places(
    server: tuple[str, int], metrics: Metrics
) -> None:
    idle = [await asyncio.open_connection(*server) for _ in range(CAP)]
    await asyncio.sleep(0.1)
    started = asyncio.get_running_loop().time()
    refused = await request(*server)
    assert refused.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 1" in refused
    assert b"too_many_connections" in refused
    assert asyncio.get_running_loop().time() - started < 1  # at once, not after a timeout
    assert metrics.connections_refused._value.get() >= 1
    for reader, _ in idle:  # each idle one is answered 408 and closed when its deadline passes
        assert (await closed_within(reader, TIMEOUT + 3)).startswith(b"HTTP/1.1 408 ")
    for _, writer in idle:
        writer.close()
    await asyncio.sleep(0.1)
    assert (await request(*server)).startswith(b"HTTP/1.1 200 ")


def test_the_cap_stays_below_the_descriptor_limit() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    bound = descriptor_bound()
    assert 16 <= bound < soft
    assert connection_limits(15, None).max_connections == bound
    assert connection_limits(15, 10).max_connections == 10
    assert connection_limits(15, 10**9).max_connections == bound
