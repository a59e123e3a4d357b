"""/openapi.json on the console port: the admin API described for scripts and client generators."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sfmc_actions._version import __version__
from sfmc_actions.console.app import json

_SINCE = {
    "name": "since",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["15m", "1h", "24h", "7d"]},
    "description": "the time window",
}
_ERROR = {
    "description": "bad request: the message says what to send instead",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_OBJECT = {"content": {"application/json": {"schema": {"type": "object"}}}}
_LIST = {"content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}


def _query(name: str, kind: str = "string", description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": description}


def _get(summary: str, parameters: list[dict[str, Any]], answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {"200": {"description": "OK"} | answer, "400": _ERROR, "401": _ERROR},
        }
    }


def _post(summary: str, body: dict[str, Any], parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": parameters or [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {"200": {"description": "OK"} | _OBJECT, "400": _ERROR, "401": _ERROR, "404": _ERROR},
        }
    }


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "sfmc-actions admin API",
        "version": __version__,
        "description": "What the web console shows and does, for scripts: send Authorization: Bearer <console.token>.",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}},
    },
    "security": [{"bearer": []}],
    "paths": {
        "/admin/api/overview": _get(
            "Per-subscription counts (delivered, dead, in_doubt, retrying, rejected, unmatched, invalid) and "
            "latency percentiles for the window",
            [_SINCE],
            _OBJECT,
        ),
        "/admin/api/overview/series": _get(
            "The overview's charts: delivered, not delivered and p95 latency per step of the window", [_SINCE], _OBJECT
        ),
        "/admin/api/errors": _get("Error groups with hints and up to 3 samples each", [_SINCE], _OBJECT),
        "/admin/api/dead-letters": _get(
            "Dead letters, newest first",
            [
                _query("destination", description="only this destination's (config `destinations:` name)"),
                _query("subscription"),
                _query("reason", description="the reason contains this text"),
                _query("message_id"),
                _query("user_id"),
                _SINCE,
                _query("limit", "integer", "1 to 500 (default 100)"),
                _query("include_rejected", "boolean", "also events rejected at ingest"),
                _query("group", description="an error group's id (GET /admin/api/errors): its dead letters"),
            ],
            _LIST,
        ),
        "/admin/api/dead-letters/{id}": {
            "get": {
                "summary": "One dead letter: reason, row sent, payload, raw event, attempts",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "OK"} | _OBJECT, "404": _ERROR},
            }
        },
        "/admin/api/dead-letters/replay": _post(
            "Preview (dry_run) or replay dead letters through the current config. Journey entries and entries in "
            "doubt need confirm_journey: true (409 otherwise): the contact may enter the journey twice.",
            {
                "type": "object",
                "required": ["ids"],
                "properties": {
                    "ids": {"type": "array", "items": {"type": "integer"}},
                    "dry_run": {"type": "boolean", "default": True},
                    "confirm_journey": {"type": "boolean", "default": False},
                },
            },
        ),
        "/admin/api/dead-letters/entered": _post(
            "Resolve journey entries held in doubt as entered, without sending (the contact is in the journey)",
            {
                "type": "object",
                "required": ["ids"],
                "properties": {"ids": {"type": "array", "items": {"type": "integer"}}},
            },
        ),
        "/admin/api/subscriptions": _get("Subscriptions with action, trigger, target and mapping", [], _LIST),
        "/admin/api/subscriptions/{name}/test": _post(
            "The mapping tester: trigger, mapped payload, validation, batch key and the exact request; send: true "
            "sends it as `test-mapping --send` does",
            {
                "type": "object",
                "required": ["event"],
                "properties": {"event": {"type": "object"}, "send": {"type": "boolean", "default": False}},
            },
            [
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                _query("destination", description="needed when several destinations have a subscription of that name"),
            ],
        ),
        "/admin/api/live-events": _get(
            "The last 200 events this process received and what routing did with each, newest first",
            [_query("after", "integer", "only events after this seq")],
            _LIST,
        ),
    },
}


async def openapi(request: Request) -> Response:
    return json(DOCUMENT)


def openapi_route() -> Route:
    return Route("/openapi.json", openapi)
