"""Schema migrations: numbered SQL files in `queue/schema/<backend>/`, applied in order, recorded in
`schema_migrations`. Each store applies them under its own cross-process lock, so two processes starting at
once apply each file exactly once."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from sfmc_actions.errors import StoreError

FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(backend: Literal["sqlite", "postgres"]) -> list[Migration]:
    """The backend's migrations in version order."""
    folder = resources.files("sfmc_actions.queue").joinpath("schema", backend)
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = FILE_NAME.match(entry.name)
        if match is None:
            continue
        found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise StoreError(f"two {backend} migrations share a version number: {versions}")
    return found


def check_not_newer(applied: set[int], known: list[Migration], where: str) -> None:
    """Refuse a database migrated by a newer sfmc-actions: its schema may not match this code."""
    unknown = sorted(applied - {m.version for m in known})
    if unknown:
        raise StoreError(
            f"{where} has schema migrations {unknown} that this version of sfmc-actions does not know; "
            "upgrade sfmc-actions (a newer version migrated this database)"
        )


def sqlite_statements(sql: str) -> list[str]:
    """Split a migration file into statements (executescript would commit the migration's transaction)."""
    statements: list[str] = []
    current = ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip() and not all(part.strip().startswith("--") or not part.strip() for part in current.splitlines()):
        raise StoreError(f"unterminated SQL statement in a migration: {current.strip()[:80]!r}")
    return statements
