"""Network-level faults: a request that is never answered, and a dropped connection.

Both are ASGI responses that send nothing. On uvicorn the connection is aborted through the
transport of the request cycle (reached via the bound `receive`), so the client sees a reset, as
with a real network fault; in-process (httpx.ASGITransport) a ConnectionResetError is raised.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.responses import Response
from starlette.types import Receive, Scope, Send


async def drop(receive: Receive) -> None:
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionResetError("SFMC emulator fault: connection dropped")
    transport.abort()
    for _ in range(3):  # let uvicorn see the disconnect, so it does not try to answer 500
        await asyncio.sleep(0)


class DropConnection(Response):
    def __init__(self) -> None:
        super().__init__(status_code=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await drop(receive)


class Hang(Response):
    """No answer until the client gives up, the emulator shuts down, or `seconds` pass; then drop."""

    def __init__(self, seconds: float, closing: asyncio.Event) -> None:
        super().__init__(status_code=504)
        self.seconds, self.closing = seconds, closing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        waiters = [asyncio.ensure_future(w) for w in (asyncio.sleep(self.seconds), self.closing.wait(), disconnected())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await waiter
        await drop(receive)
