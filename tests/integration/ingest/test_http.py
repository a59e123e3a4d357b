"""curl-style requests over a real socket into a real SQLite file: gzip, limits, 401s, webhook, rejected events."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac

import httpx
import orjson

from sfmc_actions.queue import JobState, JobStore
from tests.integration.ingest.conftest import WEBHOOK_SECRET, WRITE_KEY, all_jobs

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
IDENTIFY = {"type": "identify", "userId": "u-9", "traits": {"email": "grace@example.com"}, "messageId": "m-9"}


async def test_gzip_batch_with_good_and_bad_events(server: str, store: JobStore) -> None:
    batch = [IDENTIFY, {"type": "track", "userId": "u-9", "messageId": "m-bad"}, ["not", "an", "event"]]
    body = gzip.compress(orjson.dumps({"batch": batch}))
    async with httpx.AsyncClient(base_url=server) as http:
        response = await http.post("/v1/batch", content=body, headers={**AUTH, "Content-Encoding": "gzip"})
    assert response.status_code == 200
    answer = response.json()
    assert (answer["success"], answer["accepted"], answer["rejected"], answer["jobs"]) == (True, 1, 2, 2)
    assert [(e["index"], e["field"]) for e in answer["errors"]] == [(1, "event"), (2, "")]
    jobs = await all_jobs(store)
    assert {job.subscription for job in jobs if job.state is JobState.PENDING} == {"create-contact", "customers-de"}
    rejected = await store.list_dead(include_rejected=True)
    assert {job.state for job in rejected} == {JobState.REJECTED} and len(rejected) == 2
    by_message = {job.message_id: job for job in rejected}
    assert by_message["m-bad"].dead_reason is not None and by_message["m-bad"].dead_reason.startswith(
        'event: track events need "event"'
    )
    assert orjson.loads(by_message["m-bad"].raw_body or "") == batch[1]
    assert await store.list_dead() == []  # rejected events only show when asked for


async def test_limits_answer_400_with_the_limit_and_the_size(server: str, store: JobStore) -> None:
    big = {**IDENTIFY, "traits": {"blob": "x" * 40_000}}
    size = len(orjson.dumps(big))
    async with httpx.AsyncClient(base_url=server) as http:
        single = await http.post("/v1/identify", content=orjson.dumps(big), headers=AUTH)
        in_batch = await http.post("/v1/batch", content=orjson.dumps({"batch": [IDENTIFY, big]}), headers=AUTH)
        huge = orjson.dumps({"batch": [IDENTIFY] * 6000})
        whole = await http.post("/v1/batch", content=huge, headers=AUTH)
    assert single.status_code == whole.status_code == 400
    assert single.json()["message"].startswith(f"the event is {size} bytes; the limit is 32768 bytes (32 KB)")
    assert whole.json()["message"].startswith(f"the batch request is {len(huge)} bytes; the limit is 512000 bytes")
    # Inside a batch, the big event is rejected alone and the other accepted (one event never fails its batch).
    assert in_batch.status_code == 200 and (in_batch.json()["accepted"], in_batch.json()["rejected"]) == (1, 1)
    assert in_batch.json()["errors"][0]["message"].startswith(f"the event is {size} bytes; the limit is 32768 bytes")
    assert [job.state.value for job in await all_jobs(store)].count("rejected") == 1


async def test_missing_and_unknown_write_keys_are_401(server: str, store: JobStore) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        missing = await http.post("/v1/track", json={"userId": "u", "event": "E"})
        unknown = await http.post("/v1/track", json={"userId": "u", "event": "E"}, auth=("nope", ""))
        in_body = await http.post("/v1/track", json={"userId": "u", "event": "E", "writeKey": WRITE_KEY})
    assert (missing.status_code, unknown.status_code, in_body.status_code) == (401, 401, 200)
    assert "no write key" in missing.json()["message"] and "unknown write key" in unknown.json()["message"]


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


async def test_webhook_signature_ok_bad_and_missing(server: str, store: JobStore) -> None:
    event = {**IDENTIFY, "messageId": "m-hook", "receivedAt": "2026-11-20T09:00:00.000Z"}
    body = orjson.dumps(event)
    async with httpx.AsyncClient(base_url=server) as http:
        ok = await http.post("/v1/webhooks/segment", content=body, headers={"X-Signature": sign(body)})
        bad = await http.post("/v1/webhooks/segment", content=body, headers={"X-Signature": sign(body, "wrong")})
        missing = await http.post("/v1/webhooks/segment", content=body)
    assert ok.status_code == 200 and ok.json()["jobs"] == 2
    assert (bad.status_code, missing.status_code) == (401, 401)
    assert "does not match" in bad.json()["message"] and "missing" in missing.json()["message"]
    jobs = await all_jobs(store)
    assert len(jobs) == 2 and all(job.event == event for job in jobs)  # stored as Segment sent it


async def test_health_readiness_and_openapi_over_the_socket(server: str) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/readyz")).json() == {"status": "ready"}
        assert "/v1/batch" in (await http.get("/openapi.json")).json()["paths"]


async def test_metrics_count_events_per_source(server: str, store: JobStore) -> None:
    from prometheus_client import REGISTRY

    def count(name: str) -> float:
        return REGISTRY.get_sample_value(f"sfmc_actions_events_{name}_total", {"source": "website"}) or 0.0

    before = {name: count(name) for name in ("accepted", "rejected", "unmatched")}
    nothing = {"type": "track", "event": "Nothing Subscribed", "userId": "u"}
    batch = [IDENTIFY, {"type": "track", "userId": "u-9", "messageId": "m-bad"}, nothing]
    async with httpx.AsyncClient(base_url=server) as http:
        response = await http.post("/v1/batch", json={"batch": batch}, headers=AUTH)
    assert response.status_code == 200
    # the write key is the quick start's website source
    assert {name: count(name) - before[name] for name in before} == {"accepted": 2, "rejected": 1, "unmatched": 1}


async def test_stored_events_carry_received_at_and_timestamp(server: str, store: JobStore) -> None:
    event = {"type": "identify", "userId": "u-t", "traits": {"email": "t@example.com"}, "messageId": "m-t"}
    async with httpx.AsyncClient(base_url=server) as http:
        assert (await http.post("/v1/identify", json=event, headers=AUTH)).status_code == 200
    stored = [job.event for job in await all_jobs(store) if job.message_id == "m-t"]
    assert stored and all(e["timestamp"] == e["receivedAt"] and e["receivedAt"].endswith("Z") for e in stored)
