"""NDJSON files (backfills, replays) straight into the store: one event per line, in chunks.

Each chunk of `chunk_size` lines is parsed, routed and enqueued in one transaction, so a file of a million
lines streams with flat memory and a crash loses at most the chunk in flight (rerun the file: journey entries
are de-duplicated by messageId, upserts repeat harmlessly). A malformed line (not JSON, not an object, or
breaking the Segment Spec) is not fatal: it is reported with its line number and kept as a rejected event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from typing import BinaryIO

import orjson

from sfmc_actions.ingest import json_text
from sfmc_actions.ingest.service import EventProblem, Ingest, IngestBatch, IngestResult

CHUNK_SIZE = 1000


@dataclass
class SendTotals:
    lines: int = 0  # non-blank lines read
    accepted: int = 0  # events routed
    rejected: int = 0  # lines kept as rejected
    jobs: int = 0  # jobs stored (including ones stored dead)
    dead: int = 0  # jobs stored dead: the mapping or payload validation failed
    unmatched: int = 0  # events no subscription matched
    duplicates: int = 0  # journey entries already enqueued within the window

    def add(self, result: IngestResult) -> None:
        self.lines += result.events
        self.accepted += result.accepted
        self.rejected += result.rejected
        self.jobs += result.jobs
        self.dead += result.dead
        self.unmatched += result.unmatched
        self.duplicates += result.duplicates

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def numbered_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, raw line) for every line, blank ones included (they keep the numbering)."""
    yield from enumerate(stream, 1)


def add_line(ingest: Ingest, batch: IngestBatch, number: int, line: bytes) -> None:
    try:
        item = json_text.loads(line)  # as the ingest API reads a body
    except orjson.JSONDecodeError as exc:
        text = line.decode("utf-8", errors="replace").rstrip("\r\n")
        batch.reject(number, "", f"not valid JSON ({exc}): write one JSON object per line", text)
        return
    ingest.add(batch, number, item, line)


async def send_lines(
    ingest: Ingest,
    lines: Iterable[tuple[int, bytes]],
    *,
    chunk_size: int = CHUNK_SIZE,
    on_chunk: Callable[[IngestResult, int], None] | None = None,
    origin: str | None = None,
) -> SendTotals:
    """Route and store numbered NDJSON lines, `chunk_size` per transaction.

    `on_chunk(result, bytes_read)` runs after each committed chunk: `result.problems` index by line number.
    `origin` (the file name) prefixes the reasons stored with rejected lines, as "FILE:LINE: reason".
    """
    totals = SendTotals()
    source = f"file:{origin or 'stdin'}"
    batch, pending, consumed = IngestBatch(origin=origin), 0, 0
    for number, line in lines:
        consumed += len(line)
        if not line.strip():
            continue
        add_line(ingest, batch, number, line)
        pending += 1
        if pending >= chunk_size:
            _report(totals, await ingest.commit(batch, source), consumed, on_chunk)
            batch, pending = IngestBatch(origin=origin), 0
    if pending:
        _report(totals, await ingest.commit(batch, source), consumed, on_chunk)
    return totals


def _report(
    totals: SendTotals, result: IngestResult, consumed: int, on_chunk: Callable[[IngestResult, int], None] | None
) -> None:
    totals.add(result)
    if on_chunk is not None:
        on_chunk(result, consumed)


def describe(problem: EventProblem, origin: str) -> str:
    """`FILE:LINE: field: message`, the form editors and terminals link to."""
    field = f"{problem.field}: " if problem.field else ""
    return f"{origin}:{problem.index}: {field}{problem.message}"
