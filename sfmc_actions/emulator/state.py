"""The emulator's whole state: tenants and their data, tokens, async jobs, counters, and change tracking.

Everything lives in memory. Each mutation calls `changed(kind, id, value)`, so the optional SQLite
store (`persist.py`, `--state FILE`) writes only what changed at the end of the request.
"""

from __future__ import annotations

import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from sfmc_actions.emulator.model import (
    AsyncJob,
    Clock,
    Contact,
    DataExtension,
    EventDefinition,
    FiredEvent,
    Folder,
    Options,
    Package,
    Token,
)

_GUID_LEN = 36


def new_guid() -> str:
    return str(uuid.uuid4())


def is_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == _GUID_LEN


@dataclass
class Tenant:
    """One SFMC tenant (a subdomain): its business units, packages, folders and data."""

    subdomain: str
    mids: list[int]
    packages: dict[str, Package] = field(default_factory=dict)
    folders: list[Folder] = field(default_factory=list)
    data_extensions: dict[str, DataExtension] = field(default_factory=dict)  # by id
    event_definitions: dict[str, EventDefinition] = field(default_factory=dict)  # by lower-cased key
    contacts: dict[str, Contact] = field(default_factory=dict)  # by contact key
    fired_events: list[FiredEvent] = field(default_factory=list)


class EmulatorState:
    """Tenants, tokens, async jobs and counters, plus lookups shared by the route modules."""

    def __init__(self, tenants: dict[str, Tenant], options: Options, clock: Clock) -> None:
        self.options = options
        self.clock = clock
        self.tenants = tenants
        self.tokens: dict[str, Token] = {}
        self.token_seq = 0
        self.token_requests: Counter[str] = Counter()  # per client_id, every /v2/token call
        self.token_times: dict[str, deque[float]] = {}
        self.jobs: dict[str, AsyncJob] = {}
        self.pending_jobs: list[AsyncJob] = []
        self.next_contact_id = 10_000_001
        self.track_changes = False  # turned on when a --state file persists the changes
        self.dirty: dict[tuple[str, str], Any] = {}  # (kind, id) -> record, or None when deleted
        self.job_runner: Any = None  # set by async_rows: completes a job's rows when it is due

    # -- change tracking -------------------------------------------------------------------------
    def changed(self, kind: str, ident: str, value: Any) -> None:
        if self.track_changes:
            self.dirty[(kind, ident)] = value

    def take_dirty(self) -> dict[tuple[str, str], Any]:
        dirty, self.dirty = self.dirty, {}
        return dirty

    # -- packages and tokens ---------------------------------------------------------------------
    def package(self, client_id: str) -> tuple[Tenant, Package] | None:
        for tenant in self.tenants.values():
            package = tenant.packages.get(client_id)
            if package is not None:
                return tenant, package
        return None

    def token(self, value: str) -> Token | None:
        return self.tokens.get(value)

    def expire_tokens(self) -> int:
        """Expire every token now (a fault and an inspection action); returns how many were live."""
        now = self.clock.now()
        live = [t for t in self.tokens.values() if t.expires_at > now]
        for token in live:
            token.expires_at = now
        return len(live)

    def prune_tokens(self) -> None:
        now = self.clock.now()
        for value in [v for v, t in self.tokens.items() if t.expires_at < now - 3600]:
            del self.tokens[value]

    # -- data extensions -------------------------------------------------------------------------
    def find_de(self, tenant: Tenant, mid: int, ref: str) -> DataExtension | None:
        """A DE from a path reference: `key:K`, `id:GUID` or a bare GUID (§3 S7; never by name)."""
        if ref[:4].lower() == "key:":
            return self.de_by_key(tenant, mid, ref[4:])
        ident = ref[3:] if ref[:3].lower() == "id:" else ref
        de = tenant.data_extensions.get(ident.lower())
        return de if de is not None and de.mid == mid else None

    def de_by_key(self, tenant: Tenant, mid: int, key: str) -> DataExtension | None:
        sensitive = self.options.case_sensitive_names
        wanted = key if sensitive else key.lower()
        for de in tenant.data_extensions.values():
            if de.mid == mid and (de.key if sensitive else de.key.lower()) == wanted:
                return de
        return None

    def add_de(self, tenant: Tenant, de: DataExtension) -> None:
        de.case_sensitive = self.options.case_sensitive_names
        de.reindex()
        tenant.data_extensions[de.id] = de
        self.changed("de", f"{tenant.subdomain}/{de.id}", de)

    def pk_of(self, de: DataExtension, row: dict[str, Any]) -> tuple[str, ...]:
        """The row's identity: its primary-key values, normalised (§8: case-insensitive by default)."""
        pks = de.primary_keys
        if not pks:  # no primary key (journey entry DEs): every row is new
            return ("#" + new_guid(),)
        lower = not self.options.case_sensitive_values
        values = []
        for f in pks:
            value = row.get(f.name)
            text = ("True" if value else "False") if isinstance(value, bool) else ("" if value is None else str(value))
            values.append(text.lower() if lower else text)
        return tuple(values)

    def put_row(
        self, de: DataExtension, row: dict[str, Any], insert_only: bool = False, pk: tuple[str, ...] | None = None
    ) -> bool:
        """Upsert `row` (stored column names): existing columns not in `row` keep their values (§3).

        Returns False, changing nothing, when `insert_only` and the key exists.
        """
        pk = pk if pk is not None else self.pk_of(de, row)
        existing = de.rows.get(pk)
        if existing is not None:
            if insert_only:
                return False
            existing.update(row)
        else:
            existing = de.rows[pk] = dict(row)
        if self.track_changes:
            self.dirty[("row", row_ident(de.id, pk))] = {"de_id": de.id, "pk": list(pk), "row": existing}
        return True

    def delete_row(self, de: DataExtension, pk: tuple[str, ...]) -> bool:
        if de.rows.pop(pk, None) is None:
            return False
        self.changed("row", row_ident(de.id, pk), None)
        return True

    # -- async jobs ------------------------------------------------------------------------------
    def add_job(self, job: AsyncJob) -> None:
        self.jobs[job.id] = job
        self.pending_jobs.append(job)
        self.changed("job", job.id, job)

    def run_due_jobs(self) -> None:
        """Complete every async job whose completion time has come (called before each request).

        Jobs finish lazily, so a fake clock moves them forward and no background task is needed.
        """
        if not self.pending_jobs:
            return
        now = self.clock.now()
        due = [job for job in self.pending_jobs if job.completed_at <= now]
        if not due:
            return
        self.pending_jobs = [job for job in self.pending_jobs if job.completed_at > now]
        for job in sorted(due, key=lambda j: j.completed_at):
            self.job_runner(self, job)
            self.changed("job", job.id, job)

    # -- contacts --------------------------------------------------------------------------------
    def allocate_contact_id(self) -> int:
        value = self.next_contact_id
        self.next_contact_id += 1
        return value

    def tenant_of(self, subdomain: str) -> Tenant:
        return self.tenants[subdomain]


def row_ident(de_id: str, pk: tuple[str, ...]) -> str:
    return de_id + "\x1f" + "\x1f".join(pk)
