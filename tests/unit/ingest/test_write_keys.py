"""Write keys: read from the Basic header (user, empty password) or the body's writeKey, as Segment's API does."""

from __future__ import annotations

import base64

import pytest

from sfmc_actions.config import Source
from sfmc_actions.ingest.write_keys import WriteKeyError, WriteKeys, basic_user

KEYS = WriteKeys([Source(name="website", write_key="web-key-123"), Source(name="ios", write_key="ios-key-456")])


def basic(user: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("header", "user"),
    [
        (basic("web-key-123"), "web-key-123"),
        (basic("web-key-123", "ignored"), "web-key-123"),
        ("basic " + base64.b64encode(b"k:").decode(), "k"),  # the scheme is case-insensitive
        (basic(""), None),
        ("Bearer abc.def", None),  # analytics-python's OAuth mode: the key is in the body then
        ("Basic !!!not-base64", None),
        ("", None),
        (None, None),
    ],
)
def test_basic_user(header: str | None, user: str | None) -> None:
    assert basic_user(header) == user


def test_the_basic_header_names_the_source() -> None:
    assert KEYS.authenticate(basic("ios-key-456"), None) == "ios"


def test_the_body_write_key_names_the_source_when_there_is_no_basic_user() -> None:
    assert KEYS.authenticate(None, "web-key-123") == "website"
    assert KEYS.authenticate("Bearer token", "ios-key-456") == "ios"


def test_the_header_wins_over_the_body() -> None:
    with pytest.raises(WriteKeyError, match="unknown write key"):
        KEYS.authenticate(basic("wrong"), "web-key-123")


@pytest.mark.parametrize("body_key", [None, "", 42])
def test_no_key_says_how_to_send_one(body_key: object) -> None:
    with pytest.raises(WriteKeyError) as caught:
        KEYS.authenticate(None, body_key)
    assert "no write key" in str(caught.value) and "HTTP Basic user name" in str(caught.value)


def test_an_unknown_key_is_never_echoed() -> None:
    with pytest.raises(WriteKeyError) as caught:
        KEYS.authenticate(basic("web-key-12"), None)  # a near miss of a real key
    assert "web-key-12" not in str(caught.value)
    assert "web-key-123" not in repr(KEYS) and "2 source(s)" in repr(KEYS)


def test_no_sources_configured_says_where_to_add_one() -> None:
    with pytest.raises(WriteKeyError, match="add a source with a write_key under `sources:`"):
        WriteKeys([]).authenticate(basic("any"), None)


def test_non_ascii_keys_compare() -> None:
    keys = WriteKeys([Source(name="s", write_key="clé-ünï")])
    assert keys.source_for("clé-ünï") == "s" and keys.source_for("cle-uni") is None
