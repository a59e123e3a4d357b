"""The emulator's records: tenants, installed packages, tokens, data extensions, rows, journeys, jobs.

Plain dataclasses, no behaviour beyond name normalisation, so that `state.py` (lookups and
mutations), `persist.py` (SQLite) and the route modules share one vocabulary.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

# Every scope an SFMC installed package can grant (S16 DOC; the list in real token responses, T4).
ALL_SCOPES: tuple[str, ...] = (
    "offline",
    "documents_and_images_read",
    "documents_and_images_write",
    "saved_content_read",
    "saved_content_write",
    "automations_execute",
    "automations_read",
    "automations_write",
    "journeys_execute",
    "journeys_read",
    "journeys_write",
    "email_read",
    "email_send",
    "email_write",
    "push_read",
    "push_send",
    "push_write",
    "sms_read",
    "sms_send",
    "sms_write",
    "social_post",
    "social_publish",
    "social_read",
    "social_write",
    "web_publish",
    "web_read",
    "web_write",
    "audiences_read",
    "audiences_write",
    "list_and_subscribers_read",
    "list_and_subscribers_write",
    "data_extensions_read",
    "data_extensions_write",
    "file_locations_read",
    "file_locations_write",
    "tracking_events_read",
    "calendar_read",
    "calendar_write",
    "campaign_read",
    "campaign_write",
    "accounts_read",
    "accounts_write",
    "users_read",
    "users_write",
    "webhooks_read",
    "webhooks_write",
)

FIELD_TYPES = ("Text", "Number", "Date", "Boolean", "EmailAddress", "Phone", "Decimal", "Locale")


class Clock:
    """Wall-clock time plus an offset that tests (and `POST /__emulator/clock`) move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class Options:
    """Switches for behaviour the sources leave open (INF in the spec): each defaults to the best guess."""

    case_sensitive_names: bool = False  # column names and DE keys (§8: probably case-insensitive)
    case_sensitive_values: bool = False  # PK values (§8: SQL Server default collation)
    lowercase_error_names: bool = False  # echo column names lower-cased in messages, as in T9/T1 samples
    ignore_unknown_columns: bool = True  # §3 INF: unknown columns ignored if one known column is present
    strict_contacts: bool = False  # §5: require at least one attribute set
    strict_nulls: bool = False  # §3 T9: reject JSON null even in nullable columns
    body_limit_bytes: int = 5 * 1024 * 1024  # §3 S6: 5 MB
    body_limit_status: int = 413  # §3 INF: 413 or 400
    rowset_timeout_rows: int | None = None  # §3 T1: big sync rowsets time out; hang above this many rows
    async_not_visible_seconds: float = 0.2  # §4 T7: the status record is not visible at first
    async_pending_seconds: float = 0.1
    async_executing_seconds: float = 0.1
    wrong_tenant_status: int = 403  # §2: 403 40002 (or 401)
    hub_scope_status: int = 401  # §2 T6 OBS: /hub answers "Not Authorized" for a missing scope
    token_rate_limit: int | None = None  # token requests allowed per client per window; None = unlimited
    token_rate_window_seconds: float = 1200.0  # S5: one token per 20 minutes per client
    account_id_error: str = (
        "The client does not have access to the requested account_id. Use the MID of a business unit "
        "that the installed package can reach."
    )
    customobject_search_lag_seconds: float = 0.0  # §7 T6: $search misses a new DE for ~8 s
    # Batched journey entry (`POST /interaction/v1/async/events`) is processed asynchronously (DOC); how long a
    # member stays `queued`, and how long before the status endpoint lists it at all, is not documented (INF).
    journey_processing_seconds: float = 0.0
    journey_status_lag_seconds: float = 0.0
    # The status endpoint is documented for batched entry; whether it lists entries made one at a time with
    # `POST /interaction/v1/events` is not (INF: by default it does not).
    status_lists_single_events: bool = False
    # SOAP Delete of a DataExtensionObject whose row does not exist: no source shows SFMC's answer (INF).
    # "error": StatusCode Error with the row-not-found ErrorMessage; "ok": answered as if it was deleted.
    delete_missing_row: str = "error"
    journal_size: int = 2000  # requests kept in the journal (oldest dropped first)


@dataclass
class Package:
    """An installed package's API integration (server-to-server)."""

    client_id: str
    client_secret: str = field(repr=False)
    mid: int  # the business unit that owns the package
    mids: frozenset[int]  # every MID a token may be issued for
    scopes: frozenset[str]
    enabled: bool = True


@dataclass
class Token:
    value: str = field(repr=False)
    label: str  # what the journal shows instead of the value
    subdomain: str
    mid: int
    client_id: str
    scopes: frozenset[str]
    expires_at: float


@dataclass
class Folder:
    id: int
    name: str
    content_type: str
    parent_id: int
    customer_key: str
    mid: int


@dataclass
class Field:
    name: str
    type: str
    length: int | None = None
    scale: int | None = None
    is_primary_key: bool = False
    is_nullable: bool = True
    default_value: str | None = None
    ordinal: int = 0

    def to_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "length": self.length,
            "scale": self.scale,
            "isPrimaryKey": self.is_primary_key,
            "isNullable": self.is_nullable,
            "defaultValue": self.default_value,
            "ordinal": self.ordinal,
            "isTemplateField": False,
            "isHidden": False,
            "isReadOnly": False,
            "isInheritable": False,
            "isOverridable": True,
            "mustOverride": False,
        }


@dataclass
class DataExtension:
    id: str  # lower-case GUID (§3 T8)
    key: str  # customerKey
    name: str
    mid: int
    category_id: int
    fields: list[Field]
    description: str = ""
    is_sendable: bool = False
    created_at: float = 0.0
    # Rows keyed by the normalised primary-key tuple; a DE without a primary key (journey entry
    # DEs) keys rows by an insertion counter.
    rows: dict[tuple[str, ...], dict[str, Any]] = field(default_factory=dict, repr=False)
    by_name: dict[str, Field] = field(default_factory=dict, repr=False)
    pk_fields: list[Field] = field(default_factory=list, repr=False)
    case_sensitive: bool = False

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        self.by_name = {self.norm(f.name): f for f in self.fields}
        self.pk_fields = [f for f in self.fields if f.is_primary_key]

    def norm(self, name: str) -> str:
        return name if self.case_sensitive else name.lower()

    def column(self, name: str) -> Field | None:
        return self.by_name.get(name if self.case_sensitive else name.lower())

    @property
    def primary_keys(self) -> list[Field]:
        return self.pk_fields


@dataclass
class EventDefinition:
    id: str
    key: str
    name: str
    mid: int
    data_extension_id: str
    type: str = "APIEvent"


@dataclass
class Contact:
    contact_key: str
    contact_id: int
    attribute_sets: list[Any]
    mid: int


@dataclass
class FiredEvent:
    event_instance_id: str
    contact_key: str
    event_definition_key: str
    data: dict[str, Any]
    mid: int
    fired_at: float
    request_id: str | None = None  # set for batched entry (/interaction/v1/async/events)
    # Batched entry is processed after acceptance: `queued` until `processed_at`, then `status`, which is
    # "processed", or "errored" with `error` (the contact did not enter). Single events are processed at once.
    status: str = "processed"
    error: str | None = None
    processed_at: float | None = None

    def status_at(self, now: float) -> str:
        return "queued" if self.processed_at is not None and now < self.processed_at else self.status


@dataclass
class AsyncJob:
    """One `/data/v1/async` submission and its life: not visible → Pending → Executing → Complete."""

    id: str
    subdomain: str
    mid: int
    de_id: str
    insert_only: bool  # POST inserts, PUT upserts (§4 S9)
    items: list[dict[str, Any]] = field(repr=False)
    submitted_at: float
    visible_at: float
    pickup_at: float
    completed_at: float
    deadlock_rows: frozenset[int] = frozenset()
    results: list[dict[str, Any]] | None = None  # filled when the job completes
