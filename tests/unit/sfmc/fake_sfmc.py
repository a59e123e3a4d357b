"""A small in-process stand-in for SFMC behind `httpx.MockTransport`, for unit tests only.

It issues tokens, checks bearer tokens, upserts rowsets with SFMC's partial-commit rule (rows before the first
bad row are saved, the rest rejected with one aggregate 10006) and records every request. Integration tests use
the real emulator over a socket instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Settings:
    subdomain: str = "mc-unit-test"
    account_id: str = "512345678"
    client_id: str = "unit-client-id"
    client_secret: SecretStr = field(default_factory=lambda: SecretStr("unit-secret-DO-NOT-LEAK"))
    api_base_url: str | None = None


def is_bad(row: dict[str, Any]) -> str | None:
    """A row is bad when a value is the text 'bad...': the message names the column like SFMC does."""
    for column, value in (row.get("values") or {}).items():
        if isinstance(value, str) and value.startswith("bad"):
            return f"{column}: The value for column [{column}] is not valid ({value})."
    return None


class FakeSfmc:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.token_requests = 0
        self.valid_tokens: set[str] = set()
        self.expires_in = 1079
        self.rows: dict[str, dict[str, Any]] = {}  # committed rows by primary key values (JSON)
        self.queued: list[httpx.Response] = []  # answers for the next API requests, before any routing
        self.routes: dict[tuple[str, str], Handler] = {}
        self.token_answer: httpx.Response | None = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if not r.url.path.endswith("/v2/token")]

    def handle(self, request: httpx.Request) -> httpx.Response:
        # A copy: the auth flow resends the same Request object with a new Authorization header.
        self.requests.append(
            httpx.Request(request.method, request.url, headers=request.headers.copy(), content=request.content)
        )
        if request.url.path == "/v2/token":
            return self.token(request)
        if self.queued:
            return self.queued.pop(0)
        auth = request.headers.get("authorization", "")
        if request.url.path == "/Service.asmx":  # SOAP carries the token in the envelope
            auth = next((f"Bearer {t}" for t in self.valid_tokens if t.encode() in request.content), "")
        if auth.removeprefix("Bearer ") not in self.valid_tokens:
            return httpx.Response(401, json={"documentation": "", "errorcode": 0, "message": "Not Authorized"})
        for (method, suffix), handler in self.routes.items():
            if request.method == method and request.url.path.endswith(suffix):
                return handler(request)
        if request.url.path.endswith("/rowset"):
            return self.rowset(request)
        return httpx.Response(404, json={"message": "Not Found", "errorcode": 404})

    def token(self, request: httpx.Request) -> httpx.Response:
        self.token_requests += 1
        if self.token_answer is not None:
            return self.token_answer
        form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
        assert form["grant_type"] == "client_credentials"
        token = f"token-{self.token_requests}"
        self.valid_tokens.add(token)
        return httpx.Response(200, json={"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in})

    def rowset(self, request: httpx.Request) -> httpx.Response:
        rows = json.loads(request.content)
        for row in rows:
            problem = is_bad(row)
            if problem:
                return httpx.Response(
                    400,
                    json={
                        "message": "Unable to save rows for data extension ID 5a1c3f0e-aaaa-bbbb-cccc-444455556666",
                        "errorcode": 10006,
                        "documentation": "",
                        "additionalErrors": [{"message": problem, "errorcode": 10000, "documentation": ""}],
                    },
                )
            self.rows[json.dumps(row["keys"], sort_keys=True)] = row.get("values") or {}
        return httpx.Response(200, json=rows)


def client_for(fake: FakeSfmc, settings: Settings | None = None, **kwargs: Any) -> Any:
    from sfmc_actions.sfmc.client import SfmcClient

    return SfmcClient(settings or Settings(), http=httpx.AsyncClient(transport=fake.transport()), **kwargs)
