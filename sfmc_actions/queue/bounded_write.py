"""Writes that commit within a time limit or not at all: how ingest answers fast on a locked or slow store.

An HTTP client that gets a 503 sends its events again, so a write the server gave up on must never commit
later (that would store them twice). Cancelling the waiting coroutine is not enough: SQLite's call goes on in
its thread, PostgreSQL's COMMIT may already be on the wire. So the writer and the waiter settle it through a
`CommitGate`: the writer asks the gate just before COMMIT, the waiter when its time is up, and whoever asks
first decides. Given up first: the writer rolls back. COMMIT first: the waiter waits for it (a COMMIT takes
milliseconds), and the request is answered by its outcome.

SQLite's part: the transaction runs on the ingest connection (its own thread, so it never queues behind a
worker's claim waiting for the lock); its busy timeout is the time left, and a progress handler interrupts a
statement still running at the deadline.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sfmc_actions.errors import StoreBusyError

T = TypeVar("T")

# SQLite calls the progress handler every this many virtual-machine steps (about a millisecond's work).
PROGRESS_STEPS = 20_000


class CommitGate:
    """One decision, taken once, between committing and giving up; safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._decision: str | None = None

    def commit(self) -> bool:
        """The writer, just before COMMIT: True to go on, False when the waiter gave up (roll back)."""
        with self._lock:
            self._decision = self._decision or "commit"
            return self._decision == "commit"

    @property
    def given_up(self) -> bool:
        with self._lock:
            return self._decision == "give up"

    def give_up(self) -> bool:
        """The waiter, out of time: True when the write will not commit, False when its COMMIT is under way."""
        with self._lock:
            self._decision = self._decision or "give up"
            return self._decision == "give up"


def busy(timeout: float) -> StoreBusyError:
    return StoreBusyError(
        f"the job store did not commit within {timeout:g} s (it is locked by another process or too slow): "
        "nothing was stored"
    )


async def wait_bounded(work: asyncio.Future[T], gate: CommitGate, timeout: float) -> T:
    """`work`'s result, or StoreBusyError once `timeout` passes and the gate says it will not commit."""
    done, _ = await asyncio.wait({work}, timeout=timeout)
    if work in done or not gate.give_up():
        return await work
    work.add_done_callback(_consume)  # it rolls back (or never starts): its outcome is nobody's now
    raise busy(timeout)


def _consume(work: asyncio.Future[Any]) -> None:
    if not work.cancelled():
        work.exception()


def sqlite_write(
    conn: sqlite3.Connection,
    write: Callable[[sqlite3.Connection], T],
    gate: CommitGate,
    deadline: float,
    timeout: float,
    busy_timeout: float,
) -> T:
    """Run `write` in a BEGIN IMMEDIATE transaction that commits before `deadline` (time.monotonic) or not at all.

    Called in the connection's thread. Raises StoreBusyError when the lock, a statement or the gate says no.
    """
    remaining = deadline - time.monotonic()
    if remaining <= 0 or gate.given_up:  # waited in the thread's queue past the deadline: do not even start
        raise busy(timeout)
    conn.execute(f"PRAGMA busy_timeout = {max(1, int(remaining * 1000))}")
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), PROGRESS_STEPS)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = write(conn)
            conn.set_progress_handler(None, 0)  # a COMMIT must never be cut in half
            if not gate.commit():
                raise busy(timeout)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "interrupted" in str(exc) or "busy" in str(exc):
            raise busy(timeout) from None
        raise
    finally:
        conn.set_progress_handler(None, 0)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    return result
