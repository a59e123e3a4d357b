"""Processes that open a fresh SQLite store at the same moment (serve and workers started together)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sfmc_actions.queue.sqlite_db import SqliteDatabase


async def test_many_connections_opening_a_new_file_at_once_all_switch_it_to_wal(tmp_path: Path) -> None:
    # Switching a file to WAL takes an exclusive lock without calling the busy handler: without the retry,
    # about one open in 200 failed with "database is locked".
    for round_ in range(40):
        path = tmp_path / f"store-{round_}.db"
        databases = [SqliteDatabase(path) for _ in range(6)]
        try:
            modes = await asyncio.gather(
                *(db.run(lambda conn: conn.execute("PRAGMA journal_mode").fetchone()[0]) for db in databases)
            )
        finally:
            for db in databases:
                await db.close()
        assert modes == ["wal"] * 6
