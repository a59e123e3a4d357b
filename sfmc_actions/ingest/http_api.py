"""The ingest HTTP API: Segment's Tracking API, so Segment's own SDKs work unchanged when pointed at it.

    POST /v1/identify /v1/track /v1/page /v1/screen /v1/group /v1/alias    one event per request
    POST /v1/batch (and /v1/import, its old name)                          {"batch": [event, ...]}
    POST /v1/i /v1/t /v1/p /v1/s /v1/g /v1/a /v1/b                         analytics.js's short paths
    POST /v1/webhooks/segment                                              webhook.py
    GET  /healthz /readyz /openapi.json

Answers:
- 200 `{"success": true, "accepted": n, "rejected": m, "jobs": j, "unmatched": u, "errors": [...]}` once the
  events are committed to the store (DESIGN.md "Accepted means durable"). Events that break the Segment Spec
  are part of a 200 too: they are stored as rejected (see `sfmc-actions dead-letters`) and listed in
  `errors` as {index, field, message}. Segment's API does the same, 200 with the bad events left to its
  debugger, and that is what its SDKs expect: a 4xx makes analytics-python drop the whole batch, a 5xx makes
  it resend the whole batch, and neither would help the good events or fix the bad ones.
- 400 for a body that is too large, not JSON or not gzip, 401 for a missing or unknown write key, 503 when
  the store cannot commit (nothing was accepted: SDKs retry 5xx). Error bodies carry `code` and `message`,
  the fields analytics-python reads into its APIError (segment/analytics/request.py).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sfmc_actions.config import Config
from sfmc_actions.errors import SfmcActionsError, StoreBusyError
from sfmc_actions.ingest.rate_limit import RateLimits
from sfmc_actions.ingest.request_batch import prepare_events, request_batch
from sfmc_actions.ingest.request_body import (
    BATCH_LIMIT,
    EVENT_HINT,
    EVENT_LIMIT,
    BodyError,
    check_item_count,
    decode_body,
    read_body,
)
from sfmc_actions.ingest.responses import commit, error_response, json_response
from sfmc_actions.ingest.service import TRANSPORT_FIELDS, EventRouter, Ingest, raw_text, storable
from sfmc_actions.ingest.webhook import WebhookVerifier, webhook_endpoint
from sfmc_actions.ingest.write_keys import WriteKeyError, WriteKeys
from sfmc_actions.observe.metrics import METRICS
from sfmc_actions.queue.store import JobStore

log = logging.getLogger("sfmc_actions.ingest")

CALLS = ("identify", "track", "page", "screen", "group", "alias")
BATCH_HINT = "send fewer events per request (analytics-python keeps its batches under 475,000 bytes)"
MERGED_BATCH_FIELDS = ("context", "integrations")  # Segment: a batch's context and integrations apply to all calls


class IngestApi:
    """The request handlers, holding the one `Ingest`, the write keys and the rate limits of this process."""

    def __init__(self, ingest: Ingest, write_keys: WriteKeys, limits: RateLimits | None = None) -> None:
        self.ingest = ingest
        self.write_keys = write_keys
        self.limits = limits if limits is not None else RateLimits(())

    async def _read(self, request: Request, limit: int, what: str, hint: str) -> tuple[str | None, Any, int]:
        """(source known from the header or None, decoded body, body size). Authenticates before decoding:
        WriteKeyError (401) for no valid key whatever the body; BodyError; Throttled (429)."""
        source = self.write_keys.header_source(request.headers.get("authorization"))
        if source is not None:
            self._throttle_early(source)
        raw = await read_body(request, limit, what, hint)
        if source is None:
            self.write_keys.check_raw_body(raw)
        return source, await decode_body(raw), len(raw)

    def _source(self, request: Request, known: str | None, body: Any) -> str:
        if known is not None:
            return known
        key = body.get("writeKey") if isinstance(body, dict) else None
        source = self.write_keys.authenticate(request.headers.get("authorization"), key)
        self._throttle_early(source)
        return source

    def _throttle_early(self, source: str) -> None:
        """A source with no token left is answered before its body is decoded."""
        wait = self.limits.would_wait(source)
        if wait is not None:
            raise Throttled(source, wait)

    def _throttle(self, source: str, events: int) -> None:
        wait = self.limits.retry_after(source, events)
        if wait is not None:
            raise Throttled(source, wait)

    def single(self, call: str) -> Any:
        async def endpoint(request: Request) -> Response:
            return await self._single(request, call)

        return endpoint

    async def _single(self, request: Request, call: str) -> Response:
        try:
            known, body, _ = await self._read(request, EVENT_LIMIT, "the event", EVENT_HINT)
            if not isinstance(body, dict):
                raise BodyError(
                    400,
                    "invalid_body",
                    f"the body of /v1/{call} must be a JSON object (one "
                    f'{call} event); send several events to /v1/batch as {{"batch": [...]}}',
                )
            source = self._source(request, known, body)
            self._throttle(source, 1)
        except (BodyError, WriteKeyError, Throttled) as exc:
            return refusal(exc)
        batch = request_batch()
        event: dict[str, Any] = {k: v for k, v in body.items() if k not in TRANSPORT_FIELDS}
        kind = event.setdefault("type", call)
        if kind != call:
            batch.reject(
                0,
                "type",
                f"the body says type {kind!r}"[:80] + f" but was sent to /v1/{call}: send it "
                "to its own endpoint or to /v1/batch",
                raw_text(event),
                storable(event),
            )
        else:
            self.ingest.add(batch, 0, event, received_at=datetime.now(UTC))
        return await commit(self.ingest, batch, source)

    async def batch(self, request: Request) -> Response:
        try:
            known, body, size = await self._read(request, BATCH_LIMIT, "the batch request", BATCH_HINT)
            events = body.get("batch") if isinstance(body, dict) else None
            if not isinstance(events, list):
                raise BodyError(
                    400,
                    "invalid_body",
                    'a batch request must be a JSON object with "batch": a list of events, as Segment\'s /v1/batch',
                )
            source = self._source(request, known, body)
            check_item_count(events, "the batch", BATCH_HINT)
            self._throttle(source, len(events))
        except (BodyError, WriteKeyError, Throttled) as exc:
            return refusal(exc)
        shared = {name: body[name] for name in MERGED_BATCH_FIELDS if isinstance(body.get(name), dict)}
        if shared:
            events = [apply_batch_fields(event, shared) for event in events]
        return await commit(self.ingest, prepare_events(self.ingest, events, size), source)


class Throttled(SfmcActionsError):
    """Over the source's rate limit: answered 429 with Retry-After."""

    def __init__(self, source: str, retry_after: int) -> None:
        super().__init__(
            f"source {source!r} is over its rate limit (rate_limit in the config): send again in {retry_after} s"
        )
        self.source = source
        self.retry_after = retry_after


def refusal(exc: BodyError | WriteKeyError | Throttled) -> Response:
    if isinstance(exc, WriteKeyError):
        return error_response(401, "unauthorized", str(exc))
    if isinstance(exc, Throttled):
        METRICS.ingest_throttled.labels(exc.source).inc()
        return error_response(429, "rate_limited", str(exc), retry_after=exc.retry_after)
    return error_response(exc.status, exc.code, exc.message)


def apply_batch_fields(event: Any, shared: dict[str, dict[str, Any]]) -> Any:
    """A batch-level context/integrations fills what the event does not set itself (Segment HTTP API, "Batch")."""
    if not isinstance(event, dict):
        return event
    merged = dict(event)
    for name, values in shared.items():
        own = event.get(name)
        merged[name] = {**values, **own} if isinstance(own, dict) else values if own is None else own
    return merged


async def healthz(request: Request) -> Response:
    return json_response({"status": "ok"})


def readyz_endpoint(store: JobStore, timeout: float) -> Any:
    async def readyz(request: Request) -> Response:
        # Ready means an event sent now would be stored: a write must commit in time, not only a read answer
        # (a full disk, a read-only file or a held lock all still answer reads). The probe rewrites one row.
        try:
            await asyncio.wait_for(store.check_writable(timeout), timeout + 1)
        except (TimeoutError, StoreBusyError):
            message = f"the job store cannot commit a write within {timeout:g} s (locked or slow)"
            return json_response({"status": "unavailable", "message": message}, 503, {"Retry-After": "5"})
        except Exception as exc:
            log.warning("readiness check failed: %s: %s", type(exc).__name__, exc)
            message = f"the job store cannot commit a write: {type(exc).__name__}: {exc}"
            return json_response({"status": "unavailable", "message": message[:300]}, 503, {"Retry-After": "5"})
        return json_response({"status": "ready"})

    return readyz


def create_ingest_app(
    config: Config, router: EventRouter, store: JobStore, *, ready_timeout: float = 2.0, cors: bool = True
) -> Starlette:
    """The ingest API as a Starlette app over an opened store; the caller owns the store's life cycle.

    `router` is the process's one `route.router.Router`. Mount it (`Mount("/", app)`) or serve it as is.
    `app.state.ingest` is the `Ingest` service it uses, `app.state.api` its handlers.
    """
    from sfmc_actions.ingest.openapi import openapi_endpoint

    ingest = Ingest(router, store, config.ingest.store_timeout)
    api = IngestApi(ingest, WriteKeys(config.sources), RateLimits(config.sources))
    secret = config.webhook.shared_secret if config.webhook is not None else None
    routes = [Route(f"/v1/{path}", api.single(call), methods=["POST"]) for call in CALLS for path in (call, call[0])]
    routes += [
        Route("/v1/batch", api.batch, methods=["POST"]),
        Route("/v1/import", api.batch, methods=["POST"]),
        Route("/v1/b", api.batch, methods=["POST"]),
        Route("/v1/webhooks/segment", webhook_endpoint(ingest, WebhookVerifier(secret)), methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz_endpoint(store, ready_timeout), methods=["GET"]),
        Route("/openapi.json", openapi_endpoint(), methods=["GET"], include_in_schema=False),
    ]
    # Browsers (analytics.js) read the answer cross-origin: without these headers fetch fails and it resends.
    middleware = (
        [
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["POST", "GET"],
                allow_headers=["Authorization", "Content-Type", "Content-Encoding"],
            )
        ]
        if cors
        else []
    )
    app = Starlette(routes=routes, middleware=middleware)
    app.state.ingest = ingest
    app.state.api = api
    return app
