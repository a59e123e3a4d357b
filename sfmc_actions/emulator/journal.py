"""The request journal: every SFMC call the emulator received, with secrets replaced.

Tokens are replaced by a label naming the client and MID they were issued to (never the value), and
`client_secret` in token requests by "***", so the journal can be shown and logged freely.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from sfmc_actions.emulator.state import EmulatorState

BODY_LIMIT = 65536  # characters of a body kept in the journal
_SECRET_ROUTES = frozenset({"token", "soap"})
_FUELOAUTH = re.compile(r"(<fueloauth[^>]*>)([^<]*)(</fueloauth>)", re.IGNORECASE)


class Journal:
    def __init__(self, size: int) -> None:
        self.entries: deque[dict[str, Any]] = deque(maxlen=size)
        self.next_id = 1

    def record(
        self,
        state: EmulatorState,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        route: str,
    ) -> dict[str, Any]:
        shown: dict[str, str] = {}
        for raw_name, raw_value in headers:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            shown[name] = token_label(state, value) if name == "authorization" else value
        entry = {
            "id": self.next_id,
            "time": state.clock.now(),
            "method": method,
            "path": path,
            "query": query,
            "route": route,
            "headers": shown,
            "status": None,
            # Token and SOAP bodies carry secrets: redacted now. Others are kept raw and decoded when read,
            # so journaling costs the hot paths (rowsets) no second JSON parse.
            "body": redact_body(state, route, shown.get("content-type", ""), body) if route in _SECRET_ROUTES else body,
        }
        self.next_id += 1
        self.entries.append(entry)
        return entry

    def record_member(self, parent: dict[str, Any], index: int, result: dict[str, Any]) -> None:
        """One member of a batched journey entry (route `async_events_member`), after its request's entry.

        `parent` is the request's entry; `result` what SFMC answered for the member (eventInstanceId, or
        errorcode and message). Kept even when the answer is then lost, so tests see what SFMC did.
        """
        entry = {
            "id": self.next_id,
            "time": parent["time"],
            "method": parent["method"],
            "path": parent["path"],
            "query": "",
            "route": "async_events_member",
            "parent": parent["id"],
            "member": index,
            "headers": {},
            "status": "notQueued" if "errorcode" in result else "queued",
            "body": result,
        }
        self.next_id += 1
        self.entries.append(entry)

    def list(self, limit: int | None = None, route: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        entries = [
            e
            for e in self.entries
            if (route is None or e["route"] == route) and (path is None or e["path"].startswith(path))
        ]
        chosen = entries[-limit:] if limit else entries
        return [{**e, "body": _shown_body(e)} for e in chosen]

    def clear(self) -> None:
        self.entries.clear()


def _shown_body(entry: dict[str, Any]) -> Any:
    body = entry["body"]
    if not isinstance(body, bytes):
        return body
    if "json" in entry["headers"].get("content-type", "") and len(body) <= BODY_LIMIT:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return body.decode("utf-8", errors="replace")[:BODY_LIMIT]


def token_label(state: EmulatorState, authorization: str) -> str:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return "<redacted>"
    token = state.token(value.strip())
    return f"Bearer <{token.label}>" if token else "Bearer <unknown token>"


def redact_body(state: EmulatorState, route: str, content_type: str, body: bytes) -> Any:
    """A token or SOAP request body for the journal, with the secrets replaced."""
    text = body.decode("utf-8", errors="replace")
    if route == "token":
        if "json" in content_type:
            try:
                data = orjson.loads(body)
            except orjson.JSONDecodeError:
                return "<token request body: not valid JSON>"
            if isinstance(data, dict) and "client_secret" in data:
                data["client_secret"] = "***"
            return data
        pairs = [(k, "***" if k == "client_secret" else v) for k, v in parse_qsl(text, keep_blank_values=True)]
        return urlencode(pairs)
    return _FUELOAUTH.sub(lambda m: m.group(1) + _soap_label(state, m.group(2)) + m.group(3), text)[:BODY_LIMIT]


def _soap_label(state: EmulatorState, value: str) -> str:
    token = state.token(value.strip())
    return f"<{token.label}>" if token else "<unknown token>"
