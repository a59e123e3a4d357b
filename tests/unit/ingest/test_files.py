"""NDJSON files: chunks of one transaction each, line numbers for bad lines, bad lines kept as rejected."""

from __future__ import annotations

import io

from sfmc_actions.ingest.files import describe, numbered_lines, send_lines
from sfmc_actions.ingest.service import Ingest, IngestResult
from tests.unit.ingest.fakes import FakeRouter, FakeStore

GOOD = b'{"type": "identify", "userId": "u"}\n'


async def test_chunks_are_one_enqueue_each() -> None:
    store = FakeStore()
    totals = await send_lines(Ingest(FakeRouter(), store), numbered_lines(io.BytesIO(GOOD * 25)), chunk_size=10)
    assert [len(jobs) for jobs, _ in store.calls] == [10, 10, 5]
    assert (totals.lines, totals.accepted, totals.jobs, totals.rejected) == (25, 25, 25, 0)


async def test_bad_lines_are_numbered_kept_and_not_fatal() -> None:
    text = GOOD + b"\n" + b"{oops\n" + b"[1, 2]\n" + b"   \n" + b'{"type": "track", "userId": "u"}\n' + GOOD
    store = FakeStore()
    seen: list[IngestResult] = []
    progress: list[int] = []

    def on_chunk(result: IngestResult, consumed: int) -> None:
        seen.append(result)
        progress.append(consumed)

    totals = await send_lines(
        Ingest(FakeRouter(), store),
        numbered_lines(io.BytesIO(text)),
        chunk_size=3,
        on_chunk=on_chunk,
        origin="events.ndjson",
    )
    problems = [p for result in seen for p in result.problems]
    assert [p.index for p in problems] == [3, 4, 6]  # blank lines count in the numbering, are not events
    assert describe(problems[0], "events.ndjson").startswith("events.ndjson:3: not valid JSON (")
    assert describe(problems[2], "events.ndjson").startswith('events.ndjson:6: event: track events need "event"')
    assert (totals.lines, totals.accepted, totals.rejected, totals.jobs) == (5, 2, 3, 2)
    assert [r.raw_body for r in store.rejected][:2] == ["{oops", "[1, 2]"]
    assert store.rejected[0].reason.startswith("events.ndjson:3: not valid JSON")
    assert progress[-1] == len(text)


async def test_invalid_utf8_is_rejected_with_its_text_replaced() -> None:
    store = FakeStore()
    totals = await send_lines(Ingest(FakeRouter(), store), numbered_lines(io.BytesIO(b'{"a": "\xff"}\n')))
    assert totals.rejected == 1 and store.rejected[0].raw_body == '{"a": "\ufffd"}'


async def test_an_empty_file_stores_nothing() -> None:
    store = FakeStore()
    totals = await send_lines(Ingest(FakeRouter(), store), numbered_lines(io.BytesIO(b"")))
    assert totals.as_dict() == dict.fromkeys(totals.as_dict(), 0) and not store.calls


async def test_escaped_lone_surrogates_are_events_not_bad_lines() -> None:
    store = FakeStore()
    line = b'{"type": "identify", "userId": "u\\ud83d"}\n'
    totals = await send_lines(Ingest(FakeRouter(), store), numbered_lines(io.BytesIO(line)))
    assert (totals.accepted, totals.rejected) == (1, 0)
    assert store.jobs[0].event["userId"] == "u\ufffd"  # as the ingest API reads it (Segment's servers)
