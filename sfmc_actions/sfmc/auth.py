"""OAuth2 client credentials for SFMC as an `httpx.Auth` flow, with one shared token per tenant.

SFMC asks for one token per 20 minutes per client ("Don't request a new access token for every API call",
sfmc-rest-api.md §1); Segment's hooks and RudderStack ask for one per call. Here:

* the token is requested up front (form-encoded `POST /v2/token`, the body Segment sends) and reused until
  `margin` seconds before `expires_in` (1079 s) runs out, measured from when the token REQUEST started;
* concurrent requests share one refresh (an asyncio.Lock, plus the cache's cross-process lock when it has one);
* a 401 refreshes once (unless another request already did) and resends; a second 401 is left to `classify`,
  which makes it an AuthenticationError;
* token endpoint refusals (`invalid_client`, ...) become AuthenticationError with SFMC's error_description and
  where to fix the settings.

The secret and the tokens live in `SecretStr`s and never reach a repr, log line or error message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable, Generator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

import httpx
from pydantic import SecretStr

from sfmc_actions.errors import AuthenticationError, RetryableError
from sfmc_actions.sfmc.classify import classify, error_message, response_body, retry_after
from sfmc_actions.sfmc.settings import Endpoints, SfmcSettingsLike, tenant_key

log = logging.getLogger(__name__)

DEFAULT_MARGIN = 60.0  # refresh this long before expires_in runs out
DEFAULT_LOCK_TIMEOUT = 30.0
NO_AUTH = httpx.Auth()  # sends the request as is: the token request and SOAP calls carry no bearer header
CREDENTIALS_HINT = (
    "check settings.client_id, settings.client_secret and settings.account_id (the MID of the business unit) "
    "against SFMC Setup > Apps > Installed Packages > your package > API Integration; the package must be "
    "enabled and have access to that business unit"
)


class StoredToken(Protocol):
    """What a token cache returns (`queue.jobs.SharedToken` fits)."""

    @property
    def token(self) -> SecretStr: ...
    @property
    def expires_at(self) -> datetime: ...


class TokenCache(Protocol):
    """Where tokens are kept between requests: memory by default, the job store to share across processes."""

    async def get(self, tenant_key: str) -> StoredToken | None: ...
    async def put(self, tenant_key: str, token: SecretStr, expires_at: datetime) -> None: ...


@runtime_checkable
class LockingTokenCache(Protocol):
    """A cache that can also make other processes wait while one of them refreshes the token."""

    async def get(self, tenant_key: str) -> StoredToken | None: ...
    async def put(self, tenant_key: str, token: SecretStr, expires_at: datetime) -> None: ...
    def refresh_lock(self, tenant_key: str, timeout: float) -> AbstractAsyncContextManager[None]: ...


@dataclass(frozen=True)
class CachedToken:
    token: SecretStr = field(repr=False)
    expires_at: datetime


class InMemoryTokenCache:
    """The default cache: one process. Pass the same instance to several clients to share tokens."""

    def __init__(self) -> None:
        self._tokens: dict[str, CachedToken] = {}

    async def get(self, tenant_key: str) -> CachedToken | None:
        return self._tokens.get(tenant_key)

    async def put(self, tenant_key: str, token: SecretStr, expires_at: datetime) -> None:
        self._tokens[tenant_key] = CachedToken(token, expires_at)

    def __repr__(self) -> str:
        return f"InMemoryTokenCache({len(self._tokens)} tenant(s))"


class SfmcAuth(httpx.Auth):
    """Bearer auth that fetches, caches and refreshes SFMC tokens. Pass it as `auth=` on each request."""

    def __init__(
        self,
        settings: SfmcSettingsLike,
        http: httpx.AsyncClient,
        *,
        endpoints: Endpoints | None = None,
        cache: TokenCache | None = None,
        margin: float = DEFAULT_MARGIN,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._settings = settings
        self._http = http
        self._endpoints = endpoints or Endpoints.for_settings(settings)
        self._cache: TokenCache = cache if cache is not None else InMemoryTokenCache()
        self._margin = timedelta(seconds=margin)
        self._lock_timeout = lock_timeout
        self._clock = clock or (lambda: datetime.now(UTC))
        self._key = tenant_key(settings)
        self._current: StoredToken | None = None
        self._lock: asyncio.Lock | None = None
        self.token_requests = 0  # how many times this process asked SFMC for a token

    def __repr__(self) -> str:
        return f"SfmcAuth(tenant={self._key!r}, token_requests={self.token_requests})"

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.access_token()
        request.headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        response = yield request
        if response.status_code == 401:
            # Expired or revoked before our clock said so: refresh once (shared with concurrent 401s) and resend.
            log.info("SFMC answered 401 on %s %s: refreshing the token once", request.method, request.url.path)
            token = await self.access_token(stale=token)
            request.headers["Authorization"] = f"Bearer {token.get_secret_value()}"
            yield request

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("SfmcAuth works only with httpx.AsyncClient")

    async def access_token(self, *, stale: SecretStr | None = None) -> SecretStr:
        """A token valid for at least `margin` more seconds; never `stale` (the one SFMC just refused)."""
        usable = self._usable(self._current, stale)
        if usable is not None:
            return usable
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            usable = self._usable(self._current, stale)  # refreshed by the task we waited for
            if usable is not None:
                return usable
            cached = await self._cache.get(self._key)  # or by another client sharing the cache
            usable = self._usable(cached, stale)
            if usable is not None:
                self._current = cached
                return usable
            if isinstance(self._cache, LockingTokenCache):
                async with self._cache.refresh_lock(self._key, self._lock_timeout):
                    shared = await self._cache.get(self._key)  # another process may have refreshed meanwhile
                    usable = self._usable(shared, stale)
                    if usable is not None:
                        self._current = shared
                        return usable
                    return await self._fetch()
            return await self._fetch()

    def _usable(self, stored: StoredToken | None, stale: SecretStr | None) -> SecretStr | None:
        if stored is None or self._clock() >= stored.expires_at - self._margin:
            return None
        if stale is not None and stored.token.get_secret_value() == stale.get_secret_value():
            return None
        return stored.token

    async def _fetch(self) -> SecretStr:
        settings = self._settings
        # Field order and form encoding as Segment's refreshAccessToken (segment-runtime.md §7.1).
        form = {
            "account_id": str(settings.account_id),
            "client_id": settings.client_id,
            "client_secret": settings.client_secret.get_secret_value(),
            "grant_type": "client_credentials",
        }
        started = self._clock()  # expiry counts from the request, not the response (slow answers eat lifetime)
        self.token_requests += 1
        try:
            response = await self._http.post(self._endpoints.token_url, data=form, auth=NO_AUTH)
        except httpx.TransportError as exc:
            error = classify(exc)
            raise RetryableError(
                f"could not get an SFMC access token from {self._endpoints.token_url}: {error} "
                "(if this persists, check settings.subdomain)"
            ) from None
        log.info("SFMC token request for %s: HTTP %s", self._key, response.status_code)
        token, expires_in = self._parse(response)
        expires_at = started + timedelta(seconds=expires_in)
        stored = CachedToken(token, expires_at)
        await self._cache.put(self._key, token, expires_at)
        self._current = stored
        return token

    def _parse(self, response: httpx.Response) -> tuple[SecretStr, float]:
        status = response.status_code
        body = response_body(response)
        if status == 200 and isinstance(body, dict) and isinstance(body.get("access_token"), str):
            expires_in = body.get("expires_in")
            seconds = float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else 1079.0
            return SecretStr(body["access_token"]), seconds
        message = error_message(body, response)
        if status == 429 or status >= 500:
            wait = retry_after(response, body)
            raise RetryableError(f"SFMC's token endpoint answered {status}: {message}", status, None, wait)
        if status == 404:
            raise AuthenticationError(
                f"SFMC's token endpoint {self._endpoints.token_url} answered 404: {message}. Check settings.subdomain "
                "(the part before '.auth.marketingcloudapis.com' in the package's Authentication Base URI)",
                status,
            )
        if status == 200:
            message = "the answer has no access_token"
        raise AuthenticationError(
            f"SFMC refused the credentials (HTTP {status}): {message}. How to fix: {CREDENTIALS_HINT}", status
        )
