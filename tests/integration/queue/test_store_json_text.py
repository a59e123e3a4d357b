"""Events and payloads come back from either store as they were enqueued, key order included.

The payload's key order is the field order of the row SFMC receives (the mapping's order, as Segment sends
it); PostgreSQL's jsonb would re-order keys, so the two stores would send differently ordered rows.
"""

from __future__ import annotations

from sfmc_actions.queue import JobStore, NewJob


async def test_event_and_payload_keep_their_key_order(store: JobStore) -> None:
    event = {"type": "track", "messageId": "m-1", "properties": {"zeta": 1, "alpha": {"y": 2, "b": 3}}, "a": None}
    payload = {"keys": {"Order_ID": "o-1"}, "values": {"Summary": "x", "Revenue": 1.5, "Currency": "EUR", "A": 0}}
    await store.enqueue([NewJob("orders", "dataExtension", "dataExtension:key:Orders", "t", "m-1", event, payload)])

    [claimed] = await store.claim_batch("worker-1", lease_seconds=60, max_jobs=10)
    fetched = await store.get_job(claimed.id)

    for job in (claimed, fetched):
        assert job is not None
        assert list(job.payload["values"]) == ["Summary", "Revenue", "Currency", "A"]
        assert list(job.event) == ["type", "messageId", "properties", "a"]
        assert list(job.event["properties"]["alpha"]) == ["y", "b"] and job.event == event


async def test_lone_surrogates_and_big_numbers_come_back_exactly(store: JobStore) -> None:
    # JavaScript strings may hold half of a surrogate pair (an emoji split by @replace or Liquid's slice);
    # orjson refuses them, so such bodies take the exact fallback encoder (issue 14).
    event = {"type": "track", "properties": {"e": "a\ud83d", "n": 2**70, "z": -0.0, "k": [1.5, "\ude00"]}}
    payload = {"keys": {"k": "\ud83dx"}, "values": {"1": "b", "a": "😀"}}
    await store.enqueue([NewJob("orders", "dataExtension", "dataExtension:key:Orders", "t", "m-2", event, payload)])

    [claimed] = await store.claim_batch("worker-1", lease_seconds=60, max_jobs=10)
    fetched = await store.get_job(claimed.id)
    for job in (claimed, fetched):
        assert job is not None
        assert job.event == event and job.payload == payload
        assert list(job.payload["values"]) == ["1", "a"]
