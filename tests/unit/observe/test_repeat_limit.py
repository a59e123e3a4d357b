"""Repeated log records are rate-limited, so no fault can fill the disk with logs (issue 11: an accept loop at
the descriptor limit wrote 264,063 identical lines in 48 s)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from sfmc_actions.observe.logging import REPEAT_BURST, RepeatLimit, configure_logging


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stream(keep_root_logging: None) -> Iterator[io.StringIO]:
    out = io.StringIO()
    configure_logging("INFO", stream=out)
    yield out


def test_a_flood_of_one_record_writes_a_few_lines(stream: io.StringIO) -> None:
    log = logging.getLogger("asyncio")
    for _ in range(20_000):
        log.error("socket.accept() out of system resource\nsocket: <TransportSocket fd=6>")
    lines = [line for line in stream.getvalue().splitlines() if "out of system resource" in line]
    assert len(lines) == REPEAT_BURST


def test_records_of_one_template_count_as_one_kind_and_others_pass() -> None:
    clock = Clock()
    limit = RepeatLimit(burst=3, window=60, clock=clock)

    def record(msg: str, *args: object, name: str = "sfmc_actions.ingest") -> logging.LogRecord:
        return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)

    passed = [limit.filter(record("could not store %d event(s)", n)) for n in range(10)]
    assert passed == [True] * 3 + [False] * 7
    assert limit.filter(record("another message"))  # another kind is not held back
    assert limit.filter(record("could not store %d event(s)", 1, name="other.logger"))
    clock.now = 61  # a new window: the first record says how many were dropped
    first = record("could not store %d event(s)", 99)
    assert limit.filter(first) and first.repeats_dropped == 7  # type: ignore[attr-defined]


def test_the_dropped_count_shows_on_the_line(stream: io.StringIO) -> None:
    handlers = logging.getLogger().handlers
    (limit,) = [f for h in handlers for f in h.filters if isinstance(f, RepeatLimit)]
    clock = Clock()
    limit._clock = clock
    log = logging.getLogger("sfmc_actions.test")
    for _ in range(REPEAT_BURST + 5):
        log.warning("the same thing")
    clock.now = 1000
    log.warning("the same thing")
    assert stream.getvalue().splitlines()[-1].endswith("the same thing repeats_dropped=5")
