"""The ingest HTTP API in process (ASGI transport, fake router and store): limits, gzip, auth, answers."""

from __future__ import annotations

import gzip
import hashlib
import hmac
from typing import Any

import httpx
import orjson
import pytest

from sfmc_actions.ingest.http_api import create_ingest_app
from sfmc_actions.ingest.request_body import BATCH_LIMIT, EVENT_LIMIT
from tests.unit.ingest.fakes import AUTH, SECRET, WRITE_KEY, FakeRouter, FakeStore, config


def padded(size: int, **fields: Any) -> bytes:
    """An identify body of exactly `size` bytes of compact JSON."""
    event = {"type": "identify", "userId": "u", "traits": {"pad": ""}, **fields}
    event["traits"]["pad"] = "x" * (size - len(orjson.dumps(event)))
    body = orjson.dumps(event)
    assert len(body) == size
    return body


async def test_single_event_calls_and_analytics_js_short_paths(client: httpx.AsyncClient, store: FakeStore) -> None:
    for path, body in [
        ("/v1/identify", {"userId": "a"}),
        ("/v1/i", {"userId": "b", "writeKey": WRITE_KEY}),
        ("/v1/track", {"userId": "c", "event": "Clicked"}),
        ("/v1/t", {"userId": "d", "event": "E"}),
        ("/v1/page", {"anonymousId": "e"}),
        ("/v1/s", {"userId": "f"}),
        ("/v1/group", {"userId": "g", "groupId": "acme"}),
        ("/v1/a", {"userId": "h", "previousId": "p"}),
    ]:
        headers = {} if "writeKey" in body else AUTH
        response = await client.post(path, content=orjson.dumps(body), headers=headers)
        assert response.status_code == 200, (path, response.text)
        assert response.json()["success"] is True and response.json()["accepted"] == 1, path
    assert [job.event["userId"] for job in store.jobs] == ["a", "b"]  # identify is what the fake router routes
    assert all("writeKey" not in job.event for job in store.jobs)
    assert len(store.calls) == 8 and not store.rejected


async def test_escaped_lone_surrogates_are_read_as_segments_servers_read_them(
    client: httpx.AsyncClient, store: FakeStore
) -> None:
    # "\ud83d" (half of an emoji, as JavaScript's slice() can leave it) is valid JSON that orjson refuses. The event
    # is kept, not a 400; the half becomes U+FFFD, as Go's encoding/json (Segment's servers) decodes it.
    body = b'{"userId": "u\\ud83d", "traits": {"name": "\\ude00x", "big": 123456789012345678901234567890}}'
    response = await client.post("/v1/identify", content=body, headers=AUTH)
    assert response.status_code == 200 and response.json()["accepted"] == 1, response.text
    [job] = store.jobs
    assert job.event["userId"] == "u\ufffd" and job.event["traits"]["name"] == "\ufffdx"
    response = await client.post("/v1/identify", content=b'{"userId": "\\ud83d", "x": NaN}', headers=AUTH)
    assert response.status_code == 400 and "not valid JSON" in response.text


async def test_answer_counts_and_lists_rejected_events(client: httpx.AsyncClient, store: FakeStore) -> None:
    batch = [{"type": "identify", "userId": "a"}, {"type": "track", "userId": "b"}, "nope", {"type": "page"}]
    response = await client.post("/v1/batch", json={"batch": batch}, headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True  # stored, bad events included: Segment's SDKs must not resend nor drop
    assert (body["accepted"], body["rejected"], body["jobs"], body["unmatched"]) == (1, 3, 1, 0)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(1, "event"), (2, ""), (3, "userId")]
    assert len(store.rejected) == 3 and len(store.calls) == 1
    [counted] = store.sources  # the history's per-source counts travel with the jobs, in the same enqueue
    assert counted is not None and (counted.accepted, counted.rejected, counted.unmatched) == (1, 3, 0)


async def test_import_is_batch_and_a_good_batch_has_no_errors_key(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/import", json={"batch": [{"type": "identify", "userId": "a"}]}, headers=AUTH)
    assert response.json() == {"success": True, "accepted": 1, "rejected": 0, "jobs": 1, "unmatched": 0}


async def test_a_single_call_with_another_type_is_rejected_not_rerouted(
    client: httpx.AsyncClient, store: FakeStore
) -> None:
    response = await client.post("/v1/track", json={"type": "identify", "userId": "a"}, headers=AUTH)
    assert response.json()["rejected"] == 1 and not store.jobs
    assert "the body says type 'identify' but was sent to /v1/track" in response.json()["errors"][0]["message"]


async def test_batch_context_and_integrations_apply_to_every_event(client: httpx.AsyncClient, store: FakeStore) -> None:
    batch = [{"type": "identify", "userId": "a"}, {"type": "identify", "userId": "b", "context": {"ip": "own"}}]
    body = {"batch": batch, "context": {"ip": "1.2.3.4", "locale": "en"}, "integrations": {"All": False}}
    await client.post("/v1/batch", json=body, headers=AUTH)
    first, second = (job.event for job in store.jobs)
    assert first["context"] == {"ip": "1.2.3.4", "locale": "en"} and first["integrations"] == {"All": False}
    assert second["context"] == {"ip": "own", "locale": "en"}  # the event's own values win


async def test_gzip_bodies(client: httpx.AsyncClient, store: FakeStore) -> None:
    body = gzip.compress(orjson.dumps({"batch": [{"type": "identify", "userId": "z"}]}))
    response = await client.post("/v1/batch", content=body, headers={**AUTH, "Content-Encoding": "gzip"})
    assert response.status_code == 200 and store.jobs[0].event["userId"] == "z"


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        (b"plain, not gzip", 400, "invalid_gzip", "the body is not valid gzip"),
        (gzip.compress(b'{"batch": []}')[:-12], 400, "invalid_gzip", "ends early"),
        (gzip.compress(b" " * (BATCH_LIMIT + 1)), 400, "request_too_large", "the batch request (inflated) is over"),
    ],
)
async def test_bad_gzip_and_gzip_bombs(
    client: httpx.AsyncClient, body: bytes, status: int, code: str, message: str
) -> None:
    response = await client.post("/v1/batch", content=body, headers={**AUTH, "Content-Encoding": "gzip"})
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert message in response.json()["message"]


async def test_unsupported_encoding(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/batch", content=b"{}", headers={**AUTH, "Content-Encoding": "br"})
    assert response.status_code == 415 and "'br' is not supported" in response.json()["message"]


async def test_event_limit_is_exactly_32_kb(client: httpx.AsyncClient, store: FakeStore) -> None:
    assert (await client.post("/v1/identify", content=padded(EVENT_LIMIT), headers=AUTH)).status_code == 200
    response = await client.post("/v1/identify", content=padded(EVENT_LIMIT + 1), headers=AUTH)
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "code": "event_too_large",
        "message": "the event is 32769 bytes; the limit is 32768 bytes (32 KB), as in Segment's Tracking API: "
        "remove large properties or traits, or split the data over several events",
    }
    assert len(store.calls) == 1


async def test_an_event_over_32_kb_inside_a_batch_is_rejected_alone(
    client: httpx.AsyncClient, store: FakeStore
) -> None:
    big = orjson.loads(padded(EVENT_LIMIT + 10))
    body = {"batch": [{"type": "identify", "userId": "a"}, {**big, "writeKey": WRITE_KEY}]}
    response = await client.post("/v1/batch", json=body, headers=AUTH)
    assert response.status_code == 200  # one poison event never fails its batch
    answer = response.json()
    assert (answer["accepted"], answer["rejected"]) == (1, 1)
    assert answer["errors"][0]["index"] == 1
    size = len(orjson.dumps(body["batch"][1]))
    assert answer["errors"][0]["message"].startswith(f"the event is {size} bytes; the limit is 32768 bytes")
    assert [job.event["userId"] for job in store.jobs] == ["a"] and len(store.rejected) == 1
    assert store.rejected[0].event == big and WRITE_KEY not in store.rejected[0].raw_body  # whole, key stripped


async def test_batch_limit_is_500_kb(client: httpx.AsyncClient) -> None:
    event = orjson.loads(padded(10_000))
    fits = orjson.dumps({"batch": [event] * 51})  # 510,000 bytes
    assert len(fits) <= BATCH_LIMIT
    assert (await client.post("/v1/batch", content=fits, headers=AUTH)).status_code == 200
    over = orjson.dumps({"batch": [event] * 52})
    response = await client.post("/v1/batch", content=over, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"the batch request is {len(over)} bytes; the limit is 512000 bytes (500 KB), as in Segment's Tracking "
        "API: send fewer events per request (analytics-python keeps its batches under 475,000 bytes)"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the body is not valid JSON: "),
        (b"", "the body is empty"),
        (b'{"batch": {"type": "identify"}}', 'must be a JSON object with "batch": a list'),
        (b"[1]", 'must be a JSON object with "batch": a list'),
    ],
)
async def test_bad_batch_bodies(client: httpx.AsyncClient, body: bytes, message: str) -> None:
    response = await client.post("/v1/batch", content=body, headers=AUTH)
    assert response.status_code == 400 and message in response.json()["message"]


async def test_a_single_call_body_must_be_an_object(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/track", content=b"[]", headers=AUTH)
    assert response.status_code == 400 and "must be a JSON object (one track event)" in response.json()["message"]


@pytest.mark.parametrize(
    ("headers", "body", "message"),
    [
        ({}, {"batch": []}, "no write key"),
        ({"Authorization": "Basic Ym9ndXM6"}, {"batch": []}, "unknown write key"),  # "bogus:"
        ({}, {"batch": [], "writeKey": "bogus"}, "unknown write key"),
    ],
)
async def test_401_with_a_json_message(
    client: httpx.AsyncClient, store: FakeStore, headers: dict[str, str], body: dict[str, Any], message: str
) -> None:
    response = await client.post("/v1/batch", json=body, headers=headers)
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    assert message in response.json()["message"] and response.headers["www-authenticate"].startswith("Basic")
    assert not store.calls


async def test_store_failure_is_503_and_nothing_is_claimed(store: FakeStore, client: httpx.AsyncClient) -> None:
    store.fail = True
    response = await client.post("/v1/batch", json={"batch": [{"type": "identify", "userId": "a"}]}, headers=AUTH)
    assert response.status_code == 503 and response.json()["success"] is False
    assert "nothing was accepted" in response.json()["message"] and "disk full" not in response.text
    ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "unavailable"


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_browsers_may_read_the_answer(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/t",
        content=b'{"userId":"u","event":"E","writeKey":"unit-write-key"}',
        headers={"Origin": "https://shop.example.com", "Content-Type": "text/plain"},
    )
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"


def signed(body: bytes) -> dict[str, str]:
    return {"X-Signature": hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()}


async def test_webhook_single_list_and_batch(client: httpx.AsyncClient, store: FakeStore) -> None:
    one = orjson.dumps({"type": "identify", "userId": "w1"})
    many = orjson.dumps([{"type": "identify", "userId": "w2"}, {"type": "track", "userId": "w3"}])
    wrapped = orjson.dumps({"batch": [{"type": "identify", "userId": "w4"}]})
    for body in (one, many, wrapped):
        response = await client.post("/v1/webhooks/segment", content=body, headers=signed(body))
        assert response.status_code == 200, response.text
    assert [job.event["userId"] for job in store.jobs] == ["w1", "w2", "w4"] and len(store.rejected) == 1


async def test_webhook_signature_missing_or_wrong_is_401(client: httpx.AsyncClient, store: FakeStore) -> None:
    body = orjson.dumps({"type": "identify", "userId": "w1"})
    missing = await client.post("/v1/webhooks/segment", content=body)
    wrong = await client.post("/v1/webhooks/segment", content=body + b" ", headers=signed(body))
    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert "X-Signature header is missing" in missing.json()["message"]
    assert "does not match the body" in wrong.json()["message"] and not store.calls


async def test_webhook_not_configured_is_404_saying_how() -> None:
    app = create_ingest_app(config(webhook=False), FakeRouter(), FakeStore())  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://ingest") as http:
        response = await http.post("/v1/webhooks/segment", content=b"{}")
    assert response.status_code == 404 and "add `webhook: {shared_secret:" in response.json()["message"]
