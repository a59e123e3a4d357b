"""Running the emulator on a real socket: in the current event loop, in a thread, or as the CLI.

async with run_emulator(app, "127.0.0.1", 0) as base_url:   # port 0: a free port
    ...                                                      # base_url = "http://127.0.0.1:PORT"

server = EmulatorServer(app).start()    # a background thread with its own loop (tests)
server.base_url; server.stop()          # or: with EmulatorServer(app) as base_url: ...
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Generator
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette

from sfmc_actions.emulator.app import create_app


class _Server(uvicorn.Server):
    """uvicorn that tells hanging (timeout-fault) requests to give up when it shuts down."""

    def __init__(self, config: uvicorn.Config, embedded: bool) -> None:
        super().__init__(config)
        self.embedded = embedded

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if self.embedded:  # inside another program's loop: its signal handlers stay in charge
            yield
            return
        with super().capture_signals():
            yield

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        app = self.config.app
        if isinstance(app, Starlette):
            app.state.emulator.closing.set()
        await super().shutdown(sockets)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit TCP_NODELAY from the listener on Linux; without it a client sending one
    # request at a time waits ~40 ms per response (Nagle against delayed ACK).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def base_url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _config(app: Starlette, log_level: str) -> uvicorn.Config:
    # timeout_graceful_shutdown bounds a shutdown that waits on requests still in flight.
    return uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on", timeout_graceful_shutdown=2)


@contextlib.asynccontextmanager
async def run_emulator(
    app: Starlette | None = None, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"
) -> AsyncIterator[str]:
    """Serve `app` (default: the demo emulator) on host:port in the running loop; yields the base URL."""
    app = app or create_app()
    sock = bind(host, port)
    server = _Server(_config(app, log_level), embedded=True)
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # raises what stopped the start-up
                raise RuntimeError("the SFMC emulator stopped during start-up")
            await asyncio.sleep(0.01)
        yield base_url_of(sock)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


class EmulatorServer:
    """The emulator on a real socket in a background thread (for tests and sync programs)."""

    def __init__(self, app: Starlette | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app or create_app()
        self.host, self.port = host, port
        self.base_url = ""
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        self._thread = threading.Thread(target=self._run, name="sfmc-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"the SFMC emulator did not start within {timeout} s")
        if self._error is not None:
            raise RuntimeError(f"the SFMC emulator failed to start: {self._error}") from self._error
        return self

    def _run(self) -> None:
        async def main() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            async with run_emulator(self.app, self.host, self.port) as url:
                self.base_url = url
                self._ready.set()
                await self._stop.wait()

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> str:
        return self.start().base_url

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def serve_forever(app: Starlette, host: str, port: int, on_ready: Any = None, log_level: str = "info") -> None:
    """The CLI: bind, report the URL through `on_ready(base_url)`, serve until Ctrl+C."""
    sock = bind(host, port)
    sock.listen(2048)  # before the banner: a client reading it may connect before uvicorn starts (refused)
    if on_ready is not None:
        on_ready(base_url_of(sock))
    server = _Server(_config(app, log_level), embedded=False)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl+C it handled; the shutdown was clean
        pass
    finally:
        sock.close()
