"""Structured logging for the service: one line per record, text for people or JSON for log shippers.

    configure_logging(level="INFO", json=False)   # once, at start-up (serve / worker)
    register_secret(settings.client_secret)       # values that must never reach a log line
    log.info("batch delivered", extra={"batch_key": key, "jobs": 50})

Fields passed in `extra` become `key=value` pairs (text) or JSON keys. Every formatted line, exception text
included, goes through `redact`: registered secret values and the shapes tokens and secrets take on the wire
(`Bearer …`, `"access_token": "…"`, `client_secret=…`) are replaced by `***`, so a secret that reaches a
message by accident (an exception echoing a request, a library's debug line) still never reaches the log.

Records that repeat are rate-limited (`RepeatLimit`): at most `REPEAT_BURST` records of one kind (logger,
level, message template, exception type) per `REPEAT_WINDOW` seconds; the next one after the window says how
many were dropped (`repeats_dropped=N`). A fault that repeats on every request or every accept (a full disk,
the descriptor limit) then writes a few lines a minute, not gigabytes.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from pydantic import SecretStr

from sfmc_actions.js.values import json_text

MASK = "***"
_MIN_SECRET = 4  # shorter values would mask ordinary words
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"""(?i)(["']?(?:access_token|refresh_token|client_secret|password|secret|write_?key|token|api_?key)["']?\s*[:=]\s*["']?)[^"'\s,&}]+"""
    ),
    re.compile(r"(?i)(<fueloauth[^>]*>)[^<]+"),
    re.compile(r"(?i)(://[^:/@\s]+:)[^@/\s]+(?=@)"),  # a password in a URL: postgresql://user:pw@host
)
# LogRecord's own attributes: anything else on a record came from `extra`.
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_secret_re: re.Pattern[str] | None = None
_installed: logging.Handler | None = None  # the handler configure_logging added, replaced on a second call


def register_secret(value: str | SecretStr | None) -> None:
    """Mask this value wherever it would appear in a log line (config secrets, write keys, DB passwords)."""
    global _secret_re
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not text or len(text) < _MIN_SECRET:
        return
    with _secrets_lock:
        _secrets.add(text)
        # Longest first, so a secret containing another is masked whole.
        _secret_re = re.compile("|".join(re.escape(s) for s in sorted(_secrets, key=len, reverse=True)))


def redact(text: str) -> str:
    """`text` with registered secrets and token/secret-shaped values replaced by ***."""
    if _secret_re is not None:
        text = _secret_re.sub(MASK, text)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")}


class TextFormatter(logging.Formatter):
    """`2025-01-01T12:00:00.123Z INFO  sfmc_actions.deliver.worker: message key=value ...`"""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        line = f"{when} {record.levelname:<5} {record.name}: {record.getMessage()}"
        fields = _extras(record)
        if fields:
            line += " " + " ".join(f"{k}={_text(v)}" for k, v in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, the `extra` fields, and exc when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(_extras(record))
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return redact(_json(data))


def _json(value: object) -> str:
    return json_text(value)  # a lone surrogate (event text may hold one) comes out escaped


def _text(value: object) -> str:
    text = str(value)
    return _json(text) if (" " in text or not text) else text


REPEAT_BURST = 10
REPEAT_WINDOW = 60.0
_REPEAT_KINDS = 1024  # kinds remembered; the least recently seen is forgotten first


@dataclass
class _Repeats:
    since: float
    passed: int = 1
    dropped: int = 0


class RepeatLimit(logging.Filter):
    """Lets through at most `burst` records of one kind per `window` seconds, and counts the rest."""

    def __init__(
        self, burst: int = REPEAT_BURST, window: float = REPEAT_WINDOW, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.burst, self.window, self._clock = burst, window, clock
        self._kinds: OrderedDict[tuple[object, ...], _Repeats] = OrderedDict()
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
        kind = (record.name, record.levelno, str(record.msg)[:300], exc)
        now = self._clock()
        with self._lock:
            seen = self._kinds.get(kind)
            if seen is None or now - seen.since >= self.window:
                if seen is not None and seen.dropped:
                    record.repeats_dropped = seen.dropped  # shown as repeats_dropped=N on this record
                self._kinds[kind] = _Repeats(now)
                self._kinds.move_to_end(kind)
                if len(self._kinds) > _REPEAT_KINDS:
                    self._kinds.popitem(last=False)
                return True
            self._kinds.move_to_end(kind)
            if seen.passed < self.burst:
                seen.passed += 1
                return True
            seen.dropped += 1
            return False


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is at the time of each record (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure_logging(level: str | int = "INFO", *, json: bool = False, stream: TextIO | None = None) -> None:
    """Send every logger's records to `stream` (stderr) through the redacting formatter. Idempotent."""
    global _installed
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    handler.addFilter(RepeatLimit())
    root = logging.getLogger()
    if _installed is not None:
        root.removeHandler(_installed)
    _installed = handler
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    # httpx logs every request URL at INFO; our own lines say more and are rate-limited where it matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
