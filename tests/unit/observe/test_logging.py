"""Logs never carry secrets; text and JSON lines carry the `extra` fields."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import orjson
import pytest
from pydantic import SecretStr

from sfmc_actions.observe.logging import configure_logging, redact, register_secret


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield out
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("Authorization: Bearer eyJhbGciOi.abc-def_123", "eyJhbGciOi"),
        ('{"access_token": "tok-123456", "expires_in": 1079}', "tok-123456"),
        ("client_secret=s3cr3t-value&grant_type=client_credentials", "s3cr3t-value"),
        ("<fueloauth>tok-abcdef</fueloauth>", "tok-abcdef"),
        ("postgresql://user:pa55word@db:5432/x", "pa55word"),
    ],
)
def test_secret_shapes_are_masked(text: str, hidden: str) -> None:
    masked = redact(text)
    assert hidden not in masked and "***" in masked


def test_registered_values_are_masked_anywhere() -> None:
    register_secret(SecretStr("very-secret-write-key"))
    register_secret("abc")  # too short to mask safely: ignored
    assert redact("unknown key very-secret-write-key in request") == "unknown key *** in request"
    assert redact("abc") == "abc"


def test_text_lines_carry_extras_and_mask_exceptions(stream: io.StringIO) -> None:
    configure_logging("INFO", stream=stream)
    register_secret("hunter2-secret")
    log = logging.getLogger("sfmc_actions.test")
    log.info("batch sent", extra={"batch_key": "dataExtension:key:Orders", "jobs": 3})
    try:
        raise ValueError("token hunter2-secret refused")
    except ValueError:
        log.exception("failed")
    out = stream.getvalue()
    assert "INFO  sfmc_actions.test: batch sent batch_key=dataExtension:key:Orders jobs=3" in out
    assert "hunter2-secret" not in out and "token *** refused" in out


def test_json_lines(stream: io.StringIO) -> None:
    configure_logging("DEBUG", json=True, stream=stream)
    logging.getLogger("sfmc_actions.test").warning("dead %d", 2, extra={"subscription": "orders"})
    line = orjson.loads(stream.getvalue().splitlines()[-1])
    assert line["level"] == "WARNING" and line["message"] == "dead 2" and line["subscription"] == "orders"
    assert line["ts"].endswith("+00:00")


def test_configure_twice_keeps_one_handler(stream: io.StringIO) -> None:
    configure_logging("INFO", stream=stream)
    configure_logging("INFO", stream=stream)
    logging.getLogger("sfmc_actions.test").info("once")
    assert stream.getvalue().count("once") == 1


@pytest.mark.parametrize("json_lines", [False, True])
def test_lone_surrogates_in_log_fields_are_written_escaped(stream: io.StringIO, json_lines: bool) -> None:
    # Event text may hold half of an emoji (JavaScript strings can); orjson refuses it, the line must not fail.
    configure_logging("INFO", json=json_lines, stream=stream)
    logging.getLogger("sfmc_actions.test").info("dead", extra={"reason": "bad value a\ud83d b"})
    line = stream.getvalue().splitlines()[-1]
    assert "\\ud83d" in line and "Logging error" not in stream.getvalue()
    if json_lines:
        assert json.loads(line)["reason"] == "bad value a\ud83d b"
