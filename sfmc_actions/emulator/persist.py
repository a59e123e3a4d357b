"""`--state FILE`: the emulator's data in SQLite, so a demo survives a restart.

One table of JSON records keyed by (kind, id). The seed is applied first and the file on top:
data extensions created through the API, rows, contacts, event definitions, fired events and async
jobs. Tokens are not kept: after a restart clients get a 401 and fetch a new token, as after any
token loss. Each request writes only what it changed (WAL, synchronous=NORMAL: cheap commits).
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

import orjson

from sfmc_actions.emulator.model import AsyncJob, Contact, DataExtension, EventDefinition, Field, FiredEvent
from sfmc_actions.emulator.state import EmulatorState

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS emulator_state (kind TEXT NOT NULL, ident TEXT NOT NULL, data BLOB NOT NULL, "
    "PRIMARY KEY (kind, ident))"
)
UPSERT = (
    "INSERT INTO emulator_state (kind, ident, data) VALUES (?, ?, ?) "
    "ON CONFLICT (kind, ident) DO UPDATE SET data = excluded.data"
)
DELETE = "DELETE FROM emulator_state WHERE kind = ? AND ident = ?"
SELECT = "SELECT kind, ident, data FROM emulator_state ORDER BY rowid"
LOAD_ORDER = ("de", "row", "contact", "event_definition", "fired", "job", "meta")


class StateFileError(RuntimeError):
    """The --state file cannot be opened or read."""


def _encode(value: Any) -> bytes:
    if isinstance(value, DataExtension):
        return orjson.dumps(
            {
                "id": value.id,
                "key": value.key,
                "name": value.name,
                "mid": value.mid,
                "category_id": value.category_id,
                "description": value.description,
                "is_sendable": value.is_sendable,
                "created_at": value.created_at,
                "fields": [dataclasses.asdict(f) for f in value.fields],
            }
        )
    if isinstance(value, AsyncJob):
        data = dataclasses.asdict(value)
        data["deadlock_rows"] = sorted(value.deadlock_rows)
        return orjson.dumps(data)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return orjson.dumps(dataclasses.asdict(value))
    return orjson.dumps(value)


class SqliteStore:
    def __init__(self, path: Path) -> None:
        try:
            self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute(SCHEMA)
        except sqlite3.Error as exc:
            raise StateFileError(f"cannot use {path} as the emulator state file: {exc}") from None
        self.path = path

    def write(self, state: EmulatorState, dirty: dict[tuple[str, str], Any]) -> None:
        upserts = [(kind, ident, _encode(value)) for (kind, ident), value in dirty.items() if value is not None]
        deletes = [(kind, ident) for (kind, ident), value in dirty.items() if value is None]
        upserts.append(("meta", "next_contact_id", orjson.dumps(state.next_contact_id)))
        self.db.execute("BEGIN")
        self.db.executemany(UPSERT, upserts)
        self.db.executemany(DELETE, deletes)
        self.db.execute("COMMIT")

    def clear(self) -> None:
        self.db.execute("DELETE FROM emulator_state")

    def close(self) -> None:
        self.db.close()

    def load(self, state: EmulatorState) -> None:
        try:
            records = self.db.execute(SELECT).fetchall()
        except sqlite3.Error as exc:
            raise StateFileError(f"cannot read the emulator state file {self.path}: {exc}") from None
        records.sort(key=lambda r: LOAD_ORDER.index(r[0]) if r[0] in LOAD_ORDER else len(LOAD_ORDER))
        for kind, ident, data in records:
            _load_one(state, kind, ident, orjson.loads(data))


def _load_one(state: EmulatorState, kind: str, ident: str, data: Any) -> None:
    subdomain = ident.split("/", 1)[0]
    tenant = state.tenants.get(subdomain)
    if kind == "de" and tenant is not None:
        fields = [Field(**f) for f in data.pop("fields")]
        de = DataExtension(fields=fields, case_sensitive=state.options.case_sensitive_names, **data)
        tenant.data_extensions[de.id] = de
    elif kind == "row":
        for t in state.tenants.values():
            owner = t.data_extensions.get(data["de_id"])
            if owner is not None:
                owner.rows[tuple(data["pk"])] = data["row"]
    elif kind == "contact" and tenant is not None:
        contact = Contact(**data)
        tenant.contacts[contact.contact_key] = contact
    elif kind == "event_definition" and tenant is not None:
        definition = EventDefinition(**data)
        tenant.event_definitions[definition.key.lower()] = definition
    elif kind == "fired" and tenant is not None:
        tenant.fired_events.append(FiredEvent(**data))
    elif kind == "job":
        data["deadlock_rows"] = frozenset(data["deadlock_rows"])
        job = AsyncJob(**data)
        state.jobs[job.id] = job
        if job.results is None:
            state.pending_jobs.append(job)
    elif kind == "meta" and ident == "next_contact_id":
        state.next_contact_id = max(state.next_contact_id, int(data))
