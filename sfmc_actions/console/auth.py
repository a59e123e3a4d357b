"""Who may use the console: a session cookie for the browser (with a CSRF token), the Bearer token for scripts.

* With a token (`console.token`): the login form takes it and sets an HttpOnly, SameSite=Strict session cookie;
  `/admin/api/` also takes `Authorization: Bearer TOKEN`. Tokens are compared in constant time
  (hmac.compare_digest), and each failed login from an address waits longer than the last (up to 8 s).
* Without a token the console listens on loopback only (the wiring refuses anything else): every visitor gets a
  session, and requests must name a loopback host, so a web page cannot reach it by DNS rebinding.
* Every state-changing request carries the session's CSRF token (a form field or the X-CSRF-Token header):
  another site can make the browser send the cookie, never the token. A Bearer request needs none.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from dataclasses import dataclass

from pydantic import SecretStr

from sfmc_actions.config import is_loopback

COOKIE = "sfmc_console"
SESSION_SECONDS = 12 * 3600
MAX_SESSIONS = 1000  # the oldest go first: a flood of logins cannot grow memory without bound
FAILURE_DELAY = 0.25  # seconds after the first failed login, doubling per failure since the last success
MAX_FAILURE_DELAY = 8.0


@dataclass
class Session:
    csrf: str
    expires: float
    authenticated: bool = False  # a login form's session is not, until the token is given


class Sessions:
    def __init__(self, token: SecretStr | None) -> None:
        self.token = token
        self._sessions: dict[str, Session] = {}
        self._failures: dict[str, int] = {}

    def create(self) -> tuple[str, Session]:
        if len(self._sessions) >= MAX_SESSIONS:
            oldest = min(self._sessions, key=lambda key: self._sessions[key].expires)
            del self._sessions[oldest]
        key = secrets.token_urlsafe(32)
        session = Session(secrets.token_urlsafe(32), time.monotonic() + SESSION_SECONDS)
        self._sessions[key] = session
        return key, session

    def get(self, key: str | None) -> Session | None:
        session = self._sessions.get(key) if key else None
        if session is None or session.expires < time.monotonic():
            return None
        return session

    def end(self, key: str | None) -> None:
        if key:
            self._sessions.pop(key, None)

    def token_matches(self, given: str) -> bool:
        if self.token is None:
            return False
        return hmac.compare_digest(given.encode("utf-8", "replace"), self.token.get_secret_value().encode())

    def bearer_matches(self, header: str | None) -> bool:
        if not header or not header.lower().startswith("bearer "):
            return False
        return self.token_matches(header[7:].strip())

    async def login(self, given: str, client: str) -> bool:
        """Whether `given` is the token; a failure waits FAILURE_DELAY, doubled per failure from `client`."""
        if self.token_matches(given):
            self._failures.pop(client, None)
            return True
        failures = self._failures.get(client, 0)
        self._failures[client] = failures + 1
        await asyncio.sleep(failure_delay(failures + 1))
        return False


def failure_delay(failures: int) -> float:
    return min(FAILURE_DELAY * 2 ** (failures - 1), MAX_FAILURE_DELAY)


def csrf_matches(session: Session, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"), session.csrf.encode())


def loopback_host(host_header: str | None) -> bool:
    """Whether the Host header names a loopback address (or localhost), port aside."""
    if not host_header:
        return False
    host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
    return is_loopback(host)
