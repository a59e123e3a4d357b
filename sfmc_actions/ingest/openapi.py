"""The OpenAPI 3.1 description of the ingest API (`GET /openapi.json`), built from the Segment Spec models.

Hand-built rather than generated from routes, because the request bodies are Segment's event shapes, which
live as pydantic models in `events.py`; pydantic's JSON Schema (draft 2020-12) is OpenAPI 3.1's schema dialect.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import Response

from sfmc_actions._version import __version__
from sfmc_actions.events import (
    AliasEvent,
    GroupEvent,
    IdentifyEvent,
    PageEvent,
    ScreenEvent,
    SegmentEvent,
    TrackEvent,
)

REF = "#/components/schemas/{model}"
SINGLE: dict[str, type[BaseModel]] = {
    "identify": IdentifyEvent,
    "track": TrackEvent,
    "page": PageEvent,
    "screen": ScreenEvent,
    "group": GroupEvent,
    "alias": AliasEvent,
}


class BatchRequest(BaseModel):
    """Segment's /v1/batch body. A batch-level context or integrations applies to every event in it."""

    model_config = ConfigDict(extra="allow")
    batch: list[SegmentEvent]
    writeKey: str | None = Field(default=None, description="the source's write key, when not sent as Basic user")
    sentAt: str | None = None
    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None


class EventError(BaseModel):
    index: int = Field(description="position of the event in the request (0 for a single-event call)")
    field: str = Field(description="the field that breaks the Segment Spec ('' when the event is not an object)")
    message: str


class Accepted(BaseModel):
    """The events are committed to the store (good ones routed, bad ones kept as rejected)."""

    success: bool = Field(description="true: everything in the request was stored, including rejected events")
    accepted: int = Field(description="events that passed the Segment Spec checks and were routed")
    rejected: int = Field(description="events rejected, all of them (see `sfmc-actions dead-letters`)")
    jobs: int = Field(description="delivery jobs stored (one per matching subscription)")
    unmatched: int = Field(description="accepted events that matched no subscription")
    duplicates: int | None = Field(default=None, description="journey entries already enqueued (same messageId)")
    errors: list[EventError] | None = Field(
        default=None, description="one entry per rejected event, for the first 100 (`rejected` counts them all)"
    )
    rejected_not_stored: int | None = Field(
        default=None, description="rejected events only counted, not stored: a request stores its first 100"
    )


class Problem(BaseModel):
    success: bool = False
    code: str = Field(description="machine-readable reason, e.g. request_too_large, unauthorized")
    message: str = Field(description="what was wrong and how to fix it")


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _answers(auth: str) -> dict[str, Any]:
    ref = {"$ref": REF.format(model="Problem")}
    retry_after = {"Retry-After": {"description": "seconds to wait before sending again", "schema": {"type": "string"}}}
    return {
        "200": {"description": "stored", "content": _json({"$ref": REF.format(model="Accepted")})},
        "400": {
            "description": "too large (32 KB per call, 500 KB per batch), more than 2,500 items, not JSON, or "
            "bad gzip (a truncated stream, more than one member)",
            "content": _json(ref),
        },
        "401": {"description": auth, "content": _json(ref)},
        "415": {"description": "a Content-Encoding other than gzip or identity", "content": _json(ref)},
        "429": {
            "description": "the source is over its rate limit (rate_limit in the config): send again after "
            "Retry-After seconds",
            "headers": retry_after,
            "content": _json(ref),
        },
        "503": {
            "description": "the store could not commit (in time): nothing was accepted, send again",
            "headers": retry_after,
            "content": _json(ref),
        },
    }


def _post(summary: str, body_ref: str, auth: str, security: list[dict[str, list[str]]]) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": [
                {
                    "name": "Content-Encoding",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "enum": ["gzip", "identity"]},
                }
            ],
            "requestBody": {"required": True, "content": _json({"$ref": REF.format(model=body_ref)})},
            "responses": _answers(auth),
            "security": security,
        }
    }


@cache
def openapi_document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [*SINGLE.values(), BatchRequest, Accepted, Problem]
    _, schemas = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    components = schemas["$defs"]
    for name in (model.__name__ for model in SINGLE.values()):
        # messageId is generated when absent (Segment's libraries and API do the same).
        components[name]["required"] = [f for f in components[name].get("required", []) if f != "messageId"]
    # {}: the key may come as "writeKey" in the body instead of the Basic header.
    write_key: list[dict[str, list[str]]] = [{"writeKeyBasic": []}, {}]
    bad_key = "no write key, or one that matches no source"
    paths: dict[str, Any] = {}
    for call, model in SINGLE.items():
        paths[f"/v1/{call}"] = _post(
            f"Send one {call} event (Segment Tracking API)", model.__name__, bad_key, write_key
        )
    for path in ("/v1/batch", "/v1/import"):
        paths[path] = _post("Send a batch of events (Segment Tracking API)", "BatchRequest", bad_key, write_key)
    paths["/v1/webhooks/segment"] = _post(
        "Events forwarded by a Segment Webhooks destination (one event, a list, or {batch})",
        "BatchRequest",
        "X-Signature missing or not the HMAC-SHA1 of the body",
        [{"segmentSignature": []}],
    )
    paths["/v1/webhooks/segment"]["post"]["requestBody"]["content"] = _json(
        {
            "oneOf": [{"$ref": REF.format(model=m.__name__)} for m in SINGLE.values()]
            + [{"type": "array", "items": {"type": "object"}}, {"$ref": REF.format(model="BatchRequest")}]
        }
    )
    del paths["/v1/webhooks/segment"]["post"]["responses"]["429"]  # rate limits are per write key
    paths["/v1/webhooks/segment"]["post"]["responses"]["404"] = {
        "description": "no webhook shared secret in the config",
        "content": _json({"$ref": REF.format(model="Problem")}),
    }
    status = {"type": "object", "properties": {"status": {"type": "string"}, "message": {"type": "string"}}}
    paths["/healthz"] = {
        "get": {
            "summary": "The process is alive",
            "security": [],
            "responses": {"200": {"description": "alive", "content": _json(status)}},
        }
    }
    paths["/readyz"] = {
        "get": {
            "summary": "The job store can commit a write in time",
            "security": [],
            "responses": {
                "200": {"description": "ready", "content": _json(status)},
                "503": {"description": "the store cannot commit a write in time", "content": _json(status)},
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "sfmc-actions ingest API",
            "version": __version__,
            "description": "Segment's Tracking API (identify, track, page, screen, group, alias, batch), so "
            "Segment's SDKs can send here unchanged; events are routed to SFMC subscriptions and stored "
            "durably before the 200.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "writeKeyBasic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "the source's write key as user name, empty password",
                },
                "segmentSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Signature",
                    "description": "hex HMAC-SHA1 of the body with the webhook shared secret",
                },
            },
        },
    }


def openapi_endpoint() -> Any:
    async def openapi(request: Request) -> Response:
        return Response(orjson.dumps(openapi_document()), media_type="application/json")

    return openapi
