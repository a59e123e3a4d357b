"""The OAuth flow: one token per lifetime, one shared refresh, one resend on 401, clear credential errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from sfmc_actions.errors import AuthenticationError, RetryableError
from sfmc_actions.sfmc.auth import InMemoryTokenCache
from sfmc_actions.sfmc.client import SfmcClient
from tests.unit.sfmc.fake_sfmc import FakeSfmc, Settings

CONTACT = "/contacts/v1/contacts"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def make(fake: FakeSfmc, **kwargs: object) -> SfmcClient:
    fake.routes[("POST", CONTACT)] = lambda r: httpx.Response(200, json={"operationStatus": "OK"})
    return SfmcClient(Settings(), http=httpx.AsyncClient(transport=fake.transport()), **kwargs)  # type: ignore[arg-type]


async def test_token_fetched_once_for_a_thousand_requests() -> None:
    fake = FakeSfmc()
    client = make(fake)
    for _ in range(1000):
        await client.upsert_contact("c")
    assert fake.token_requests == 1
    assert client.token_requests == 1
    assert all(r.headers["authorization"] == "Bearer token-1" for r in fake.api_requests())


async def test_concurrent_requests_share_one_token_request() -> None:
    fake = FakeSfmc()
    client = make(fake)
    await asyncio.gather(*(client.upsert_contact(str(i)) for i in range(50)))
    assert fake.token_requests == 1


async def test_token_form_body_is_segments() -> None:
    fake = FakeSfmc()
    await make(fake).upsert_contact("c")
    token_request = fake.requests[0]
    assert token_request.url == "https://mc-unit-test.auth.marketingcloudapis.com/v2/token"
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token_request.content == (
        b"account_id=512345678&client_id=unit-client-id&client_secret=unit-secret-DO-NOT-LEAK&grant_type=client_credentials"
    )
    assert "authorization" not in token_request.headers  # Segment sends "Bearer undefined" here


async def test_expiry_is_measured_from_the_request_with_a_margin() -> None:
    fake = FakeSfmc()
    clock = Clock()
    client = make(fake, clock=clock, token_margin=60)
    await client.upsert_contact("c")
    clock.now += timedelta(seconds=1079 - 61)
    await client.upsert_contact("c")
    assert fake.token_requests == 1
    clock.now += timedelta(seconds=2)  # now within 60 s of expires_in: refresh before SFMC refuses it
    await client.upsert_contact("c")
    assert fake.token_requests == 2


async def test_a_slow_token_answer_does_not_extend_the_lifetime() -> None:
    fake = FakeSfmc()
    clock = Clock()
    slow = fake.token

    def token_after_delay(request: httpx.Request) -> httpx.Response:
        clock.now += timedelta(seconds=500)  # the answer arrives 500 s after the request started
        return slow(request)

    fake.token = token_after_delay  # type: ignore[method-assign]
    client = make(fake, clock=clock, token_margin=60)
    await client.upsert_contact("c")
    clock.now += timedelta(seconds=1079 - 500 - 59)
    await client.upsert_contact("c")
    assert fake.token_requests == 2


async def test_401_refreshes_once_and_resends() -> None:
    fake = FakeSfmc()
    client = make(fake)
    await client.upsert_contact("c")
    fake.valid_tokens.clear()  # SFMC revoked it early
    answer = await client.upsert_contact("c")
    assert answer == {"operationStatus": "OK"}
    assert fake.token_requests == 2
    assert [r.headers["authorization"] for r in fake.api_requests()] == [
        "Bearer token-1",
        "Bearer token-1",
        "Bearer token-2",
    ]
    assert client.requests_sent == 3


async def test_concurrent_401s_share_one_refresh() -> None:
    fake = FakeSfmc()
    client = make(fake)
    await client.upsert_contact("c")
    fake.valid_tokens.clear()
    await asyncio.gather(*(client.upsert_contact(str(i)) for i in range(20)))
    assert fake.token_requests == 2


async def test_second_401_is_an_authentication_error() -> None:
    fake = FakeSfmc()
    fake.queued = [httpx.Response(401, json={"message": "Not Authorized", "errorcode": 0})] * 2
    client = make(fake)
    with pytest.raises(AuthenticationError) as caught:
        await client.upsert_contact("c")
    assert "Not Authorized" in str(caught.value) and "permissions" in str(caught.value)
    assert fake.token_requests == 2
    assert len(fake.api_requests()) == 2


@pytest.mark.parametrize(
    ("answer", "kind", "words"),
    [
        (
            httpx.Response(
                401,
                json={
                    "error": "invalid_client",
                    "error_description": "Invalid client ID. Use the client ID in Marketing Cloud Installed Packages.",
                    "error_uri": "x",
                },
            ),
            AuthenticationError,
            ["Invalid client ID", "invalid_client", "settings.client_id", "Installed Packages"],
        ),
        (
            httpx.Response(404, json={"errorcode": 404, "message": "Not Found"}),
            AuthenticationError,
            ["settings.subdomain"],
        ),
        (
            httpx.Response(429, json={"message": "Your requests are temporarily blocked.", "errorcode": 50200}),
            RetryableError,
            ["temporarily blocked"],
        ),
        (
            httpx.Response(503, headers={"Retry-After": "30"}, json={"message": "Service Unavailable"}),
            RetryableError,
            ["Service Unavailable"],
        ),
        (httpx.Response(500, text="oops"), RetryableError, ["500"]),
        (httpx.Response(200, json={"token_type": "Bearer"}), AuthenticationError, ["no access_token"]),
    ],
)
async def test_token_endpoint_errors(answer: httpx.Response, kind: type[Exception], words: list[str]) -> None:
    fake = FakeSfmc()
    fake.token_answer = answer
    with pytest.raises(kind) as caught:
        await make(fake).upsert_contact("c")
    for word in words:
        assert word in str(caught.value)
    assert fake.api_requests() == []
    if answer.status_code == 503:
        assert isinstance(caught.value, RetryableError) and caught.value.retry_after == 30.0


async def test_network_error_on_token_is_retryable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known", request=request)

    client = SfmcClient(Settings(), http=httpx.AsyncClient(transport=httpx.MockTransport(refuse)))
    with pytest.raises(RetryableError) as caught:
        await client.authenticate()
    assert "settings.subdomain" in str(caught.value)


async def test_clients_sharing_a_cache_share_the_token() -> None:
    fake = FakeSfmc()
    cache = InMemoryTokenCache()
    await make(fake, token_cache=cache).upsert_contact("a")
    await make(fake, token_cache=cache).upsert_contact("b")
    assert fake.token_requests == 1
    assert "unit-secret" not in repr(cache) and "token-1" not in repr(cache)


class LockingCache(InMemoryTokenCache):
    """Like the job store's token table: another process may refresh while we wait for the lock."""

    def __init__(self) -> None:
        super().__init__()
        self.locked = 0
        self.on_lock: list[tuple[SecretStr, datetime]] = []

    @asynccontextmanager
    async def refresh_lock(self, tenant_key: str, timeout: float) -> AsyncIterator[None]:
        self.locked += 1
        for token, expires in self.on_lock:  # "another process" stored a token meanwhile
            await self.put(tenant_key, token, expires)
        yield


async def test_cross_process_lock_rechecks_the_shared_token() -> None:
    fake = FakeSfmc()
    fake.valid_tokens.add("from-another-process")
    cache = LockingCache()
    cache.on_lock.append((SecretStr("from-another-process"), datetime.now(UTC) + timedelta(seconds=1000)))
    await make(fake, token_cache=cache).upsert_contact("a")
    assert cache.locked == 1
    assert fake.token_requests == 0
    assert fake.api_requests()[0].headers["authorization"] == "Bearer from-another-process"


async def test_cross_process_lock_fetches_when_nobody_did() -> None:
    fake = FakeSfmc()
    cache = LockingCache()
    await make(fake, token_cache=cache).upsert_contact("a")
    assert cache.locked == 1 and fake.token_requests == 1
    stored = await cache.get("mc-unit-test/unit-client-id/512345678")
    assert stored is not None and stored.token.get_secret_value() == "token-1"


async def test_secrets_and_tokens_never_reach_logs_errors_or_reprs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeSfmc()
    client = make(fake)
    await client.upsert_contact("c")
    fake.valid_tokens.clear()
    await client.upsert_contact("c")  # 401, refresh, resend
    fake.queued = [httpx.Response(401, json={"message": "Not Authorized"})] * 2
    texts = [caplog.text, repr(client), repr(client.auth), str(Settings()), repr(Settings())]
    with pytest.raises(AuthenticationError) as caught:
        await client.upsert_contact("c")
    texts += [str(caught.value), repr(caught.value)]
    fake.token_answer = httpx.Response(401, json={"error": "invalid_client", "error_description": "Client auth failed"})
    other = make(fake)
    with pytest.raises(AuthenticationError) as refused:
        await other.authenticate()
    texts += [str(refused.value), repr(refused.value), caplog.text]
    for text in texts:
        assert "unit-secret-DO-NOT-LEAK" not in text
        assert "token-1" not in text and "token-2" not in text
