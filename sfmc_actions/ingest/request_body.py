"""Reading a Tracking API request body: size limits, gzip, JSON.

Segment's limits (segment.com/docs/connections/sources/catalog/libraries/server/http-api, "Max request
size"): 32 KB per call and per event inside a batch, 500 KB per batch request; over them Segment answers
400 Bad Request, and so do we, with a message naming the limit and the size. Sizes are counted on the
uncompressed body, so a gzip body cannot slip past them (nor a small gzip bomb fill the memory: we never
inflate more than the limit plus one byte). analytics-python keeps its batches under 475,000 bytes and its
messages under 32 << 10 bytes (segment/analytics/consumer.py), so its requests always fit.

Inside a batch, an event over 32 KB is rejected alone (the others are accepted), and a batch holds at most
`ITEM_LIMIT` items: 500 KB of `0,` would otherwise be 256,000 rejected events to store and list. Segment's
SDKs send at most 100 (analytics-python's upload_size) or 500 KB worth, so 2,500 leaves a wide margin.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request

from sfmc_actions.errors import SfmcActionsError
from sfmc_actions.ingest import json_text

EVENT_LIMIT = 32 * 1024
BATCH_LIMIT = 500 * 1024
ITEM_LIMIT = 2500
EVENT_HINT = "remove large properties or traits, or split the data over several events"


class BodyError(SfmcActionsError):
    """A body the API cannot take: answered with `status`, Segment-SDK-style {"code", "message"}."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _kb(limit: int) -> str:
    return f"{limit} bytes ({limit // 1024} KB)"


def too_large(what: str, size: int | None, limit: int, hint: str) -> BodyError:
    shown = f"is {size} bytes" if size is not None else f"is over {limit} bytes"
    code = "event_too_large" if limit == EVENT_LIMIT else "request_too_large"
    return BodyError(400, code, f"{what} {shown}; the limit is {_kb(limit)}, as in Segment's Tracking API: {hint}")


async def read_body(request: Request, limit: int, what: str, hint: str) -> bytes:
    """The request body, inflated when gzip, at most `limit` bytes; BodyError otherwise."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip", ""):
        raise BodyError(
            415,
            "unsupported_encoding",
            f"Content-Encoding {encoding!r} is not supported: send the body as is or gzip-compressed "
            "with Content-Encoding: gzip",
        )
    gzipped = encoding in ("gzip", "x-gzip")
    declared = request.headers.get("content-length")
    size = int(declared) if declared and declared.isdigit() else None
    if not gzipped and size is not None and size > limit:
        raise too_large(what, size, limit, hint)
    # A gzip body of `limit` bytes inflates to more than `limit`, unless it was incompressible (gzip adds
    # about 0.03% plus 18 bytes then): read a little past the limit and judge the inflated size.
    cap = limit + limit // 100 + 1024 if gzipped else limit
    chunks: list[bytes] = []
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > cap:
                raise too_large(what, size if not gzipped else None, limit, hint)
            chunks.append(chunk)
    except ClientDisconnect:  # closed mid-body (by the client, or by the server's request timeout): nobody reads this
        raise BodyError(400, "incomplete_body", "the connection closed before the whole body arrived") from None
    body = b"".join(chunks)
    if gzipped:
        body = gunzip(body, limit, what, hint)
    if len(body) > limit:
        raise too_large(what, len(body), limit, hint)
    return body


def gunzip(data: bytes, limit: int, what: str, hint: str) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise BodyError(
            400,
            "invalid_gzip",
            f"the body is not valid gzip ({exc}), but Content-Encoding says "
            "gzip: compress the whole body with gzip, or leave the header out",
        ) from None
    if len(body) > limit:
        raise too_large(f"{what} (inflated)", None, limit, hint)
    if not inflater.eof:
        raise BodyError(400, "invalid_gzip", "the gzip body ends early (truncated): send the whole compressed body")
    if inflater.unused_data:
        # A second gzip member (or anything else) after the first: zlib stops at the first member's end, so it
        # would be dropped without a word. Segment's SDKs compress each body as one member.
        raise BodyError(
            400,
            "invalid_gzip",
            "the body holds more than one gzip member (or data after the gzip stream): compress the whole body "
            "as one gzip stream",
        )
    return body


def decode_json(body: bytes) -> Any:
    try:
        return json_text.loads(body)
    except orjson.JSONDecodeError as exc:
        if not body.strip():
            raise BodyError(400, "invalid_json", "the body is empty: send a JSON object") from None
        raise BodyError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None


async def decode_body(body: bytes) -> Any:
    """decode_json, off the event loop when orjson refuses the body (json_text's slow paths can take a while)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return await asyncio.to_thread(decode_json, body)


def check_item_count(items: list[Any], where: str, hint: str) -> None:
    if len(items) > ITEM_LIMIT:
        raise BodyError(
            400,
            "too_many_events",
            f"{where} holds {len(items)} items; the limit is {ITEM_LIMIT:,} per request: {hint}",
        )


def event_size_problem(event: Any, body_size: int) -> str | None:
    """Why one event of a batch is over Segment's 32 KB per event, or None. A body under 32 KB cannot hold a
    bigger event: no work then. An event too deep to measure is left to the nesting check (events.py)."""
    if body_size <= EVENT_LIMIT:
        return None
    try:
        size = len(orjson.dumps(event))
    except TypeError:
        return None
    if size <= EVENT_LIMIT:
        return None
    limit = _kb(EVENT_LIMIT)
    return f"the event is {size} bytes; the limit is {limit} per event, as in Segment's Tracking API: {EVENT_HINT}"
