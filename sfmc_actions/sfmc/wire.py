"""httpx transports that let `test-mapping` show the exact requests an action makes, secrets masked.

The action builds its requests through `SfmcClient` as always (URL, JSON encoding, headers, the OAuth flow);
these transports sit where the bytes would leave, so what is shown is what SFMC gets:

* `PreviewTransport` answers nothing: it raises `Previewed` with the first request, which propagates out of
  the action's `send` (actions turn only DeliveryError and PayloadValidationError into outcomes). With the
  token taken from `preview_token_cache`, nothing at all is sent and no credentials are needed.
* `RecordingTransport` forwards every request to the network and keeps it with its response (the client
  reads each body before it returns, so the responses can be shown afterwards).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import orjson
from pydantic import SecretStr

from sfmc_actions.sfmc.auth import InMemoryTokenCache
from sfmc_actions.sfmc.settings import SfmcSettingsLike, tenant_key

MASK = "********"
PREVIEW_TOKEN = "preview-token-never-sent"  # a placeholder that never leaves the process
_SECRET_KEYS = frozenset({"access_token", "refresh_token", "client_secret"})
_FUELOAUTH = re.compile(r"(<fueloauth[^>]*>)[^<]*(</fueloauth>)", re.IGNORECASE)


class Previewed(Exception):  # not an error: carries the request that would have been sent
    def __init__(self, request: httpx.Request) -> None:
        super().__init__(f"{request.method} {request.url}")
        self.request = request


class PreviewTransport(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        raise Previewed(request)


class RecordingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport()
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = await self._inner.handle_async_request(request)
        self.exchanges.append((request, response))
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


async def preview_token_cache(settings: SfmcSettingsLike) -> InMemoryTokenCache:
    """A cache already holding a placeholder token for the tenant, so previewing never asks SFMC for one."""
    cache = InMemoryTokenCache()
    await cache.put(tenant_key(settings), SecretStr(PREVIEW_TOKEN), datetime.now(UTC) + timedelta(hours=1))
    return cache


def shown_request(request: httpx.Request) -> dict[str, Any]:
    """Method, URL, every header as sent (Authorization masked) and the body's exact text (secrets masked)."""
    raw = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw]  # as sent
    headers = {name: _masked_header(name, value) for name, value in raw}
    body = request.content.decode("utf-8", "replace")
    if "client_secret=" in body:  # the form-encoded token request
        pairs = [(k, MASK if k in _SECRET_KEYS else v) for k, v in parse_qsl(body, keep_blank_values=True)]
        body = urlencode(pairs, safe="*")
    return {
        "method": request.method,
        "url": str(request.url),
        "headers": headers,
        "body": _FUELOAUTH.sub(rf"\1{MASK}\2", body),
    }


def shown_response(response: httpx.Response) -> dict[str, Any]:
    """Status, headers and body (parsed when JSON), with any token in it masked."""
    try:
        raw = response.content
    except httpx.ResponseNotRead:  # a 401 the OAuth flow answered by refreshing: its body was never read
        return {"status": response.status_code, "headers": dict(response.headers), "body": None}
    body: Any
    try:
        body = _masked(orjson.loads(raw)) if raw else None
    except orjson.JSONDecodeError:
        body = _FUELOAUTH.sub(rf"\1{MASK}\2", raw.decode("utf-8", "replace"))
    return {"status": response.status_code, "headers": dict(response.headers), "body": body}


def _masked_header(name: str, value: str) -> str:
    if name.lower() != "authorization":
        return value
    scheme, _, _ = value.partition(" ")
    return f"{scheme} {MASK}"


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: MASK if k in _SECRET_KEYS else _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value
