"""The commit gate: a write the waiter gave up on never commits; a COMMIT under way is waited for; a statement
still running at the deadline is interrupted (bounded_write.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfmc_actions.errors import StoreBusyError
from sfmc_actions.queue.bounded_write import CommitGate, sqlite_write, wait_bounded


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(tmp_path / "x.db", isolation_level=None, check_same_thread=False)
    connection.execute("CREATE TABLE t (x INTEGER)")
    yield connection
    connection.close()


def rows(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])


def test_the_first_to_ask_decides() -> None:
    gate = CommitGate()
    assert gate.commit() and not gate.give_up() and gate.commit()
    other = CommitGate()
    assert other.give_up() and other.given_up and not other.commit()


async def test_a_write_the_waiter_gave_up_on_rolls_back(conn: sqlite3.Connection) -> None:
    gate = CommitGate()

    def slow_insert(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO t VALUES (1)")
        time.sleep(0.5)  # Python's time, not SQLite's: only the gate can stop this one

    deadline = time.monotonic() + 0.1
    work = asyncio.ensure_future(asyncio.to_thread(sqlite_write, conn, slow_insert, gate, deadline + 10, 0.1, 30.0))
    with pytest.raises(StoreBusyError, match=r"within 0\.1 s"):
        await wait_bounded(work, gate, 0.1)
    with pytest.raises(StoreBusyError):
        await work  # the writer saw the gate closed and rolled back
    assert rows(conn) == 0 and not conn.in_transaction


async def test_a_commit_under_way_is_waited_for(conn: sqlite3.Connection) -> None:
    gate = CommitGate()
    committing = threading.Event()

    def insert(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO t VALUES (1)")

    def write() -> None:
        sqlite_write(conn, insert, gate, time.monotonic() + 10, 0.1, 30.0)
        committing.set()

    assert gate.commit()  # the writer reached its COMMIT before the waiter's time ran out
    work = asyncio.ensure_future(asyncio.to_thread(write))
    await wait_bounded(work, gate, 0.0)  # out of time at once, yet the commit is the request's outcome
    assert committing.is_set() and rows(conn) == 1


async def test_a_statement_running_past_the_deadline_is_interrupted(conn: sqlite3.Connection) -> None:
    endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    started = time.monotonic()
    with pytest.raises(StoreBusyError):
        sqlite_write(conn, lambda c: c.execute(endless).fetchone(), CommitGate(), time.monotonic() + 0.2, 0.2, 30)
    assert time.monotonic() - started < 3 and not conn.in_transaction


def test_past_the_deadline_a_queued_write_does_not_start(conn: sqlite3.Connection) -> None:
    calls: list[int] = []
    with pytest.raises(StoreBusyError):
        sqlite_write(conn, lambda c: calls.append(1), CommitGate(), time.monotonic() - 1, 1.0, 30.0)
    assert calls == []
