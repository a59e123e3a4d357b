"""A real HTTP server (Starlette on uvicorn, in a thread) that answers with canned responses and records requests.

The differential test points the SFMC client at it through `api_base_url`, so requests travel over a real socket
exactly as they would to SFMC.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DEFAULT_TOKEN = {"access_token": "canned-token", "token_type": "Bearer", "expires_in": 1079}


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body) if self.body else None


@dataclass
class Canned:
    """`api` answers API requests in order, then `default`; `extra` answers by path suffix (our own calls)."""

    api: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)
    default: dict[str, Any] = field(default_factory=lambda: {"status": 200, "body": []})
    extra: dict[str, Callable[[Recorded], dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def answer(self, recorded: Recorded) -> dict[str, Any]:
        if recorded.path.endswith("/v2/token"):
            return self.tokens.pop(0) if self.tokens else {"status": 200, "body": DEFAULT_TOKEN}
        for suffix, handler in self.extra.items():
            if recorded.path.endswith(suffix):
                return handler(recorded)
        return self.api.pop(0) if self.api else self.default


def make_app(canned: Canned) -> Starlette:
    async def handle(request: Request) -> Response:
        recorded = Recorded(
            request.method, request.url.path, request.url.query, dict(request.headers), await request.body()
        )
        canned.requests.append(recorded)
        answer = canned.answer(recorded)
        body = answer.get("body")
        return Response(
            b"" if body is None else orjson.dumps(body),
            status_code=answer["status"],
            headers=answer.get("headers") or {},
            media_type="application/json",
        )

    return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run an ASGI app on 127.0.0.1 on a free port; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the canned SFMC server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
