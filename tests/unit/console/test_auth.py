"""Sessions, the token, CSRF and loopback rules (console/auth.py)."""

from __future__ import annotations

import time

import pytest
from pydantic import SecretStr

from sfmc_actions.console.auth import MAX_FAILURE_DELAY, Sessions, csrf_matches, failure_delay, loopback_host


def test_the_delay_doubles_per_failure_up_to_a_cap() -> None:
    assert [failure_delay(n) for n in (1, 2, 3, 4)] == [0.25, 0.5, 1.0, 2.0]
    assert failure_delay(30) == MAX_FAILURE_DELAY


async def test_a_wrong_token_waits_longer_each_time_and_the_right_one_resets_it() -> None:
    sessions = Sessions(SecretStr("the-token"))
    waits = []
    for _ in range(2):
        started = time.monotonic()
        assert not await sessions.login("wrong", "10.0.0.1")
        waits.append(time.monotonic() - started)
    assert waits[0] >= 0.25 and waits[1] >= 0.5
    assert await sessions.login("the-token", "10.0.0.1")
    started = time.monotonic()
    assert not await sessions.login("", "10.0.0.1")
    assert time.monotonic() - started < 0.45  # counted from the last success again


def test_bearer_and_token_comparison() -> None:
    sessions = Sessions(SecretStr("the-token"))
    assert sessions.bearer_matches("Bearer the-token") and sessions.bearer_matches("bearer  the-token ")
    assert not sessions.bearer_matches("Bearer the-token2")
    assert not sessions.bearer_matches("Basic the-token") and not sessions.bearer_matches(None)
    assert not Sessions(None).bearer_matches("Bearer anything")
    assert not sessions.token_matches("thé-token")  # non-ASCII compared as bytes, never an error


def test_sessions_and_csrf() -> None:
    sessions = Sessions(None)
    key, session = sessions.create()
    assert sessions.get(key) is session and sessions.get("other") is None and sessions.get(None) is None
    assert csrf_matches(session, session.csrf) and not csrf_matches(session, "x") and not csrf_matches(session, None)
    sessions.end(key)
    assert sessions.get(key) is None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1:8089", True),
        ("localhost:8089", True),
        ("[::1]:8089", True),
        ("localhost", True),
        ("evil.example.com:8089", False),
        ("192.168.1.10:8089", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_hosts(host: str | None, loopback: bool) -> None:
    assert loopback_host(host) is loopback
