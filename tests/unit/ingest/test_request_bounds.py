"""Bounded work per request (issue 11): the item cap, a bounded number of rejected events stored and listed,
one gzip member, authentication before decoding, the per-source rate limit, and a store that cannot commit in
time answered 503 with Retry-After."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Sequence
from typing import Any

import httpx
import orjson
import pytest
from prometheus_client import REGISTRY

from sfmc_actions.config import Config, RateLimit, Source
from sfmc_actions.errors import StoreBusyError
from sfmc_actions.ingest import http_api
from sfmc_actions.ingest.http_api import IngestApi, create_ingest_app
from sfmc_actions.ingest.rate_limit import RateLimits
from sfmc_actions.ingest.request_batch import ERRORS_LISTED, REJECTED_KEPT
from sfmc_actions.ingest.request_body import ITEM_LIMIT
from sfmc_actions.queue.history import SourceCount
from sfmc_actions.queue.jobs import EnqueueResult, NewJob, RejectedEvent
from tests.unit.ingest.fakes import AUTH, WRITE_KEY, FakeRouter, FakeStore, config


def counter(name: str, source: str) -> float:
    return REGISTRY.get_sample_value(name, {"source": source}) or 0.0


# -- items per batch ---------------------------------------------------------------------------------------------
async def test_the_item_cap_is_exact_and_said_in_the_400(client: httpx.AsyncClient) -> None:
    fits = orjson.dumps({"batch": [0] * ITEM_LIMIT})
    assert (await client.post("/v1/batch", content=fits, headers=AUTH)).status_code == 200
    over = orjson.dumps({"batch": [0] * (ITEM_LIMIT + 1)})
    response = await client.post("/v1/batch", content=over, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_events"
    assert "holds 2501 items; the limit is 2,500 per request" in response.json()["message"]


async def test_half_a_megabyte_of_zeros_is_one_small_400(client: httpx.AsyncClient, store: FakeStore) -> None:
    body = b'{"batch":[' + b",".join([b"0"] * 255_000) + b"]}"
    response = await client.post("/v1/batch", content=body, headers=AUTH)
    assert response.status_code == 400 and len(response.content) < 500
    assert store.calls == []  # nothing stored


async def test_rejected_events_stored_and_listed_are_bounded(client: httpx.AsyncClient, store: FakeStore) -> None:
    before = counter("sfmc_actions_events_rejected_unstored_total", "website")
    response = await client.post(
        "/v1/batch", content=orjson.dumps({"batch": [0] * 2000 + [{"type": "identify", "userId": "a"}]}), headers=AUTH
    )
    assert response.status_code == 200
    answer = response.json()
    assert (answer["accepted"], answer["rejected"]) == (1, 2000)  # all counted
    assert len(answer["errors"]) == ERRORS_LISTED and answer["errors"][-1]["index"] == ERRORS_LISTED - 1
    assert answer["rejected_not_stored"] == 2000 - REJECTED_KEPT
    assert len(store.rejected) == REJECTED_KEPT and len(store.jobs) == 1
    assert len(response.content) < 20_000
    assert counter("sfmc_actions_events_rejected_unstored_total", "website") - before == 2000 - REJECTED_KEPT


# -- encoding ----------------------------------------------------------------------------------------------------
async def test_a_gzip_body_with_two_members_is_refused(client: httpx.AsyncClient, store: FakeStore) -> None:
    first = gzip.compress(orjson.dumps({"batch": [{"type": "identify", "userId": "a"}]}))
    body = first + gzip.compress(b"more")
    response = await client.post("/v1/batch", content=body, headers={**AUTH, "Content-Encoding": "gzip"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_gzip"
    assert "more than one gzip member" in response.json()["message"]
    assert store.calls == []
    one = await client.post("/v1/batch", content=first, headers={**AUTH, "Content-Encoding": "gzip"})
    assert one.status_code == 200


# -- authentication before decoding ------------------------------------------------------------------------------
@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The bodies the API decoded as JSON."""
    seen: list[bytes] = []
    original = http_api.decode_body

    async def counting(raw: bytes) -> Any:
        seen.append(raw)
        return await original(raw)

    monkeypatch.setattr(http_api, "decode_body", counting)
    return seen


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, b"{not json at all"),
        ({}, b'{"batch": [' + b"[" * 100_000),
        ({}, orjson.dumps({"batch": [{"type": "identify", "userId": "a"}]})),
        ({}, orjson.dumps({"writeKey": "wrong-key", "batch": []})),
        ({}, b'{"writeKey": "wrong-key", "batch": [{"x": ' + b"1," * 1000 + b"}"),
        (basic("wrong-key"), b"{not json"),
        (basic("wrong-key"), orjson.dumps({"writeKey": WRITE_KEY, "batch": []})),  # the header decides
        ({"Authorization": "Bearer some-oauth-token"}, b"[[[["),
    ],
)
async def test_no_valid_write_key_is_401_whatever_the_body_and_decodes_nothing(
    client: httpx.AsyncClient, decodes: list[bytes], headers: dict[str, str], body: bytes
) -> None:
    for path in ("/v1/batch", "/v1/track"):
        response = await client.post(path, content=body[:30_000], headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["code"] == "unauthorized"
    assert decodes == []


async def test_a_body_key_still_authenticates_and_is_decoded_once(
    client: httpx.AsyncClient, decodes: list[bytes], store: FakeStore
) -> None:
    body = orjson.dumps({"writeKey": WRITE_KEY, "batch": [{"type": "identify", "userId": "a"}]})
    response = await client.post("/v1/batch", content=body)
    assert response.status_code == 200 and len(decodes) == 1
    escaped = body.replace(WRITE_KEY.encode(), b"".join(b"\\u%04x" % ord(c) for c in WRITE_KEY))
    assert (await client.post("/v1/batch", content=escaped)).status_code == 200  # JSON escapes in the key
    nested_only = orjson.dumps({"batch": [{"type": "identify", "userId": "a", "writeKey": WRITE_KEY}]})
    assert (await client.post("/v1/batch", content=nested_only)).status_code == 401  # the top-level key counts


# -- rate limit --------------------------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limited_app(store: FakeStore, clock: Clock, events_per_second: float = 2, burst: int = 4) -> Any:
    cfg = config()
    cfg.sources = [
        Source(
            name="website", write_key=WRITE_KEY, rate_limit=RateLimit(events_per_second=events_per_second, burst=burst)
        )
    ]
    app = create_ingest_app(cfg, FakeRouter(), store)  # type: ignore[arg-type]
    api: IngestApi = app.state.api
    api.limits = RateLimits(cfg.sources, clock)
    return app


async def test_over_the_rate_limit_is_429_with_retry_after(store: FakeStore) -> None:
    clock = Clock()
    app = limited_app(store, clock)
    before = counter("sfmc_actions_ingest_throttled_total", "website")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://ingest") as client:
        three = orjson.dumps({"batch": [{"type": "identify", "userId": str(n)} for n in range(3)]})
        assert (await client.post("/v1/batch", content=three, headers=AUTH)).status_code == 200  # 4 -> 1 token
        response = await client.post("/v1/batch", content=three, headers=AUTH)  # needs 3: 1 s to wait
        assert response.status_code == 429 and response.headers["Retry-After"] == "1"
        assert response.json()["code"] == "rate_limited" and "rate_limit" in response.json()["message"]
        assert (await client.post("/v1/identify", json={"userId": "x"}, headers=AUTH)).status_code == 200  # 1 left
        blocked = await client.post("/v1/identify", json={"userId": "y"}, headers=AUTH)
        assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "1"
        clock.now += 1.5  # 3 tokens back
        assert (await client.post("/v1/batch", content=three, headers=AUTH)).status_code == 200
    assert len(store.jobs) == 7
    assert counter("sfmc_actions_ingest_throttled_total", "website") - before == 2


async def test_a_batch_bigger_than_the_burst_passes_on_a_full_bucket_and_delays_the_next(store: FakeStore) -> None:
    clock = Clock()
    app = limited_app(store, clock, events_per_second=10, burst=5)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://ingest") as client:
        twenty = orjson.dumps({"batch": [{"type": "identify", "userId": str(n)} for n in range(20)]})
        assert (await client.post("/v1/batch", content=twenty, headers=AUTH)).status_code == 200  # 5 -> -15
        response = await client.post("/v1/identify", json={"userId": "x"}, headers=AUTH)
        assert response.status_code == 429 and response.headers["Retry-After"] == "2"  # 16 tokens at 10/s


async def test_without_a_rate_limit_nothing_is_throttled(client: httpx.AsyncClient) -> None:
    for _ in range(30):
        assert (await client.post("/v1/identify", json={"userId": "x"}, headers=AUTH)).status_code == 200


# -- a store that cannot commit in time --------------------------------------------------------------------------
class BusyStore(FakeStore):
    async def enqueue(
        self,
        jobs: Sequence[NewJob],
        rejected: Sequence[RejectedEvent] = (),
        *,
        timeout: float | None = None,
        source: SourceCount | None = None,
    ) -> EnqueueResult:
        self.timeouts.append(timeout)
        raise StoreBusyError("the job store did not commit within 5 s: nothing was stored")


async def test_a_busy_store_is_503_with_retry_after() -> None:
    store = BusyStore()
    app = create_ingest_app(config(), FakeRouter(), store)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://ingest") as client:
        response = await client.post("/v1/identify", json={"userId": "x"}, headers=AUTH)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.json()["code"] == "store_busy" and "nothing was stored" in response.json()["message"]
    assert store.timeouts == [5.0]  # the config's ingest.store_timeout reaches the store


async def test_readyz_asks_for_a_write(client: httpx.AsyncClient, store: FakeStore) -> None:
    assert (await client.get("/readyz")).status_code == 200
    store.fail = True
    response = await client.get("/readyz")
    assert response.status_code == 503 and "cannot commit a write" in response.json()["message"]
    assert "readonly" in response.json()["message"]


def test_config_bounds_have_the_documented_defaults() -> None:
    cfg = Config("x.yaml")
    assert (cfg.ingest.store_timeout, cfg.ingest.header_timeout, cfg.ingest.max_connections) == (5.0, 15.0, None)
    assert cfg.metrics.public is False
    assert RateLimit(events_per_second=2.4).capacity == 2
