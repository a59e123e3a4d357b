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
from sfmc_actions.ingest.request_body import (
    BATCH_LIMIT,
    EVENT_HINT,
    EVENT_LIMIT,
    BodyError,
    check_event_sizes,
    decode_json,
    read_body,
)
from sfmc_actions.ingest.responses import commit, error_response, json_response
from sfmc_actions.ingest.service import TRANSPORT_FIELDS, EventRouter, Ingest, IngestBatch, raw_text
from sfmc_actions.ingest.webhook import WebhookVerifier, webhook_endpoint
from sfmc_actions.ingest.write_keys import WriteKeyError, WriteKeys
from sfmc_actions.queue.store import JobStore

log = logging.getLogger("sfmc_actions.ingest")

CALLS = ("identify", "track", "page", "screen", "group", "alias")
BATCH_HINT = "send fewer events per request (analytics-python keeps its batches under 475,000 bytes)"
MERGED_BATCH_FIELDS = ("context", "integrations")  # Segment: a batch's context and integrations apply to all calls


class IngestApi:
    """The request handlers, holding the one `Ingest` and the write keys of this process."""

    def __init__(self, ingest: Ingest, write_keys: WriteKeys) -> None:
        self.ingest = ingest
        self.write_keys = write_keys

    async def _body(self, request: Request, limit: int, what: str, hint: str) -> tuple[Any, int]:
        raw = await read_body(request, limit, what, hint)
        return decode_json(raw), len(raw)

    def _source(self, request: Request, body: Any) -> str:
        key = body.get("writeKey") if isinstance(body, dict) else None
        return self.write_keys.authenticate(request.headers.get("authorization"), key)

    def single(self, call: str) -> Any:
        async def endpoint(request: Request) -> Response:
            return await self._single(request, call)

        return endpoint

    async def _single(self, request: Request, call: str) -> Response:
        try:
            body, _ = await self._body(request, EVENT_LIMIT, "the event", EVENT_HINT)
            if not isinstance(body, dict):
                raise BodyError(
                    400,
                    "invalid_body",
                    f"the body of /v1/{call} must be a JSON object (one "
                    f'{call} event); send several events to /v1/batch as {{"batch": [...]}}',
                )
            source = self._source(request, body)
        except BodyError as exc:
            return error_response(exc.status, exc.code, exc.message)
        except WriteKeyError as exc:
            return error_response(401, "unauthorized", str(exc))
        batch = IngestBatch()
        event: dict[str, Any] = {k: v for k, v in body.items() if k not in TRANSPORT_FIELDS}
        kind = event.setdefault("type", call)
        if kind != call:
            batch.reject(
                0,
                "type",
                f"the body says type {kind!r}"[:80] + f" but was sent to /v1/{call}: send it "
                "to its own endpoint or to /v1/batch",
                raw_text(event),
                event,
            )
        else:
            self.ingest.add(batch, 0, event, received_at=datetime.now(UTC))
        return await commit(self.ingest, batch, source)

    async def batch(self, request: Request) -> Response:
        try:
            body, size = await self._body(request, BATCH_LIMIT, "the batch request", BATCH_HINT)
            events = body.get("batch") if isinstance(body, dict) else None
            if not isinstance(events, list):
                raise BodyError(
                    400,
                    "invalid_body",
                    'a batch request must be a JSON object with "batch": a list of events, as Segment\'s /v1/batch',
                )
            source = self._source(request, body)
            check_event_sizes(events, size)
        except BodyError as exc:
            return error_response(exc.status, exc.code, exc.message)
        except WriteKeyError as exc:
            return error_response(401, "unauthorized", str(exc))
        shared = {name: body[name] for name in MERGED_BATCH_FIELDS if isinstance(body.get(name), dict)}
        if shared:
            events = [apply_batch_fields(event, shared) for event in events]
        return await commit(self.ingest, self.ingest.prepare(events, received_at=datetime.now(UTC)), source)


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
        try:  # a primary-key lookup of a job that cannot exist: cheap on any backlog
            await asyncio.wait_for(store.get_job(0), timeout)
        except TimeoutError:
            return json_response(
                {"status": "unavailable", "message": f"the job store did not answer in {timeout} s"}, 503
            )
        except Exception as exc:
            log.warning("readiness check failed: %s", type(exc).__name__, exc_info=True)
            return json_response(
                {"status": "unavailable", "message": f"the job store failed: {type(exc).__name__}"}, 503
            )
        return json_response({"status": "ready"})

    return readyz


def create_ingest_app(
    config: Config, router: EventRouter, store: JobStore, *, ready_timeout: float = 2.0, cors: bool = True
) -> Starlette:
    """The ingest API as a Starlette app over an opened store; the caller owns the store's life cycle.

    `router` is the process's one `route.router.Router`. Mount it (`Mount("/", app)`) or serve it as is.
    `app.state.ingest` is the `Ingest` service it uses.
    """
    from sfmc_actions.ingest.openapi import openapi_endpoint

    ingest = Ingest(router, store)
    api = IngestApi(ingest, WriteKeys(config.sources))
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
    return app
