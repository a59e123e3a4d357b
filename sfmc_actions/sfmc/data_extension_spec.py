"""A data extension to create, checked against SFMC's rules before any call (sfmc-rest-api.md §7, §8).

`DataExtensionSpec.parse(raw)` reads a plain dict (from CLI options or a YAML/JSON file) and raises ConfigError
listing every problem with its path and how to fix it. Keys follow SFMC's create call and Segment's hook inputs
(`isPrimaryKey`, `isNullable`, `categoryId`, ...) or their snake_case forms. `create_body` builds the body of
`POST /data/v1/customobjects` the way Segment's create hook does (complete field objects: SFMC rejects partial
ones one property at a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfmc_actions.errors import ConfigError, ConfigProblem

TYPES = ("Text", "Number", "Date", "Boolean", "EmailAddress", "Phone", "Decimal", "Locale")
_TYPE_ALIASES = {t.lower(): t for t in TYPES} | {"email": "EmailAddress", "string": "Text", "integer": "Number"}
TEXT_DEFAULT_LENGTH = 50  # SFMC's default (Fields.Add docs)
TEXT_MAX_LENGTH = 4000
EMAIL_LENGTH = 254  # the REST create needs it explicitly for EmailAddress (sfmc-rest-api.md §7)
DECIMAL_MAX_PRECISION = 29
MAX_KEY_LENGTH = 36
SUBSCRIBER_FIELDS = ("_SubscriberKey", "_SubscriberID")


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    is_primary_key: bool
    is_nullable: bool
    length: int | None = None
    scale: int | None = None
    description: str = ""


@dataclass(frozen=True)
class DataExtensionSpec:
    name: str
    folder_id: int
    columns: tuple[ColumnSpec, ...]
    description: str = ""
    key: str | None = None
    is_sendable: bool = False
    sendable_field: str | None = None
    sendable_subscriber_field: str = "_SubscriberKey"

    @classmethod
    def parse(cls, raw: dict[str, Any], source: str = "data extension") -> DataExtensionSpec:
        return _Parser(raw, source).spec()


def create_body(spec: DataExtensionSpec) -> dict[str, Any]:
    body: dict[str, Any] = {"name": spec.name}
    if spec.key:
        body["key"] = spec.key
    body |= {"description": spec.description, "categoryId": str(spec.folder_id), "isSendable": spec.is_sendable}
    if spec.is_sendable:
        body["sendableCustomObjectField"] = spec.sendable_field
        body["sendableSubscriberField"] = spec.sendable_subscriber_field
    body["fields"] = [_field(column, ordinal) for ordinal, column in enumerate(spec.columns)]
    return body


def _field(column: ColumnSpec, ordinal: int) -> dict[str, Any]:
    field: dict[str, Any] = {
        "name": column.name,
        "type": column.type,
        "isNullable": column.is_nullable,
        "isPrimaryKey": column.is_primary_key,
    }
    if column.length is not None:
        field["length"] = column.length
    if column.scale is not None:
        field["scale"] = column.scale
    return field | {
        "description": column.description,
        "ordinal": ordinal,
        "isTemplateField": False,
        "isHidden": False,
        "isReadOnly": False,
        "isInheritable": False,
        "isOverridable": False,
        "mustOverride": False,
    }


class _Parser:
    def __init__(self, raw: dict[str, Any], source: str) -> None:
        self.raw = raw
        self.source = source
        self.problems: list[ConfigProblem] = []

    def problem(self, path: str, message: str, hint: str | None = None) -> None:
        self.problems.append(ConfigProblem(self.source, path, message, hint=hint))

    def get(self, data: dict[str, Any], *names: str) -> Any:
        return next((data[n] for n in names if n in data), None)

    def spec(self) -> DataExtensionSpec:
        raw = self.raw
        name = self.get(raw, "name")
        if not isinstance(name, str) or not name.strip():
            self.problem("name", "a data extension needs a name", "give name: Orders")
        folder = self.get(raw, "folder_id", "folder", "categoryId", "category_id")
        if isinstance(folder, str) and folder.strip().isdigit():
            folder = int(folder)
        if not isinstance(folder, int) or isinstance(folder, bool) or folder <= 0:
            self.problem(
                "folder_id",
                "SFMC requires the id of the folder (categoryId) to create the data extension in",
                "list folders with `sfmc-actions data-extensions folders` and give folder_id: <ID>",
            )
        key = self.get(raw, "key", "customerKey", "external_key")
        if key is not None and (not isinstance(key, str) or len(key) > MAX_KEY_LENGTH):
            self.problem(
                "key",
                f"the external key must be text of at most {MAX_KEY_LENGTH} characters",
                "shorten it, or leave it out and SFMC generates one",
            )
        columns = self.columns(self.get(raw, "columns", "fields"))
        sendable = bool(self.get(raw, "sendable", "isSendable", "is_sendable"))
        sendable_field = self.get(raw, "sendable_field", "sendableCustomObjectField")
        subscriber_field = self.get(raw, "sendable_subscriber_field", "sendableSubscriberField") or "_SubscriberKey"
        if sendable:
            names = {c.name.lower() for c in columns}
            if not isinstance(sendable_field, str) or sendable_field.lower() not in names:
                self.problem(
                    "sendable_field",
                    "a sendable data extension names one of its columns as the field that relates rows to subscribers",
                    "give sendable_field: <a column name, e.g. Email>",
                )
            if subscriber_field not in SUBSCRIBER_FIELDS:
                self.problem("sendable_subscriber_field", f"must be one of {', '.join(SUBSCRIBER_FIELDS)}")
        if self.problems:
            raise ConfigError(self.problems)
        return DataExtensionSpec(
            name=str(name).strip(),
            folder_id=int(folder),
            columns=tuple(columns),
            description=str(self.get(raw, "description") or ""),
            key=key,
            is_sendable=sendable,
            sendable_field=sendable_field if sendable else None,
            sendable_subscriber_field=str(subscriber_field),
        )

    def columns(self, raw: Any) -> list[ColumnSpec]:
        if not isinstance(raw, list) or not raw:
            self.problem(
                "columns",
                "a data extension needs at least one column",
                "give columns: [{name: Email, type: EmailAddress, primary_key: true}]",
            )
            return []
        columns, seen = [], set()
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                self.problem(f"columns[{i}]", "each column is a mapping with name and type")
                continue
            column = self.column(f"columns[{i}]", item)
            if column is None:
                continue
            if column.name.lower() in seen:  # SFMC compares column names case-insensitively
                self.problem(f"columns[{i}].name", f"column '{column.name}' appears twice", "give each column once")
            seen.add(column.name.lower())
            columns.append(column)
        if columns and not any(c.is_primary_key for c in columns):
            self.problem(
                "columns",
                "no primary key column: the rows APIs upsert by primary key",
                "mark the column that identifies a row with primary_key: true",
            )
        return columns

    def column(self, where: str, item: dict[str, Any]) -> ColumnSpec | None:
        name = self.get(item, "name")
        kind = _TYPE_ALIASES.get(str(self.get(item, "type") or "").lower())
        if not isinstance(name, str) or not name.strip():
            self.problem(f"{where}.name", "a column needs a name")
        if kind is None:
            self.problem(f"{where}.type", f"type must be one of {', '.join(TYPES)}, not {self.get(item, 'type')!r}")
        primary = bool(self.get(item, "primary_key", "isPrimaryKey", "is_primary_key"))
        nullable = self.get(item, "nullable", "isNullable", "is_nullable")
        length = self.number(f"{where}.length", self.get(item, "length", "maxLength", "precision"))
        scale = self.number(f"{where}.scale", self.get(item, "scale"))
        if not isinstance(name, str) or not name.strip() or kind is None:
            return None
        if primary and nullable is True:
            self.problem(f"{where}.nullable", "a primary key column cannot be nullable", "drop nullable: true")
        if primary and kind == "Date":
            self.problem(
                f"{where}.primary_key",
                "SFMC rounds stored dates, so a Date column cannot be a primary key",
                "use a Text column for the key",
            )
        length, scale = self.sizes(where, kind, length, scale)
        return ColumnSpec(
            name.strip(),
            kind,
            primary,
            bool(nullable) if nullable is not None else not primary,
            length,
            scale,
            str(self.get(item, "description") or ""),
        )

    def sizes(self, where: str, kind: str, length: int | None, scale: int | None) -> tuple[int | None, int | None]:
        if kind == "Text":
            length = TEXT_DEFAULT_LENGTH if length is None else length
            if not 1 <= length <= TEXT_MAX_LENGTH:
                self.problem(f"{where}.length", f"Text length must be 1 to {TEXT_MAX_LENGTH}, not {length}")
        elif kind == "EmailAddress":
            length = EMAIL_LENGTH if length is None else length
            if not 1 <= length <= EMAIL_LENGTH:
                self.problem(f"{where}.length", f"EmailAddress length must be 1 to {EMAIL_LENGTH}, not {length}")
        elif kind == "Decimal":
            if length is None or scale is None:
                self.problem(where, "a Decimal column needs length (precision) and scale", "e.g. length: 18, scale: 2")
            elif not 1 <= length <= DECIMAL_MAX_PRECISION or not 0 <= scale <= length:
                self.problem(
                    where,
                    f"Decimal precision must be 1 to {DECIMAL_MAX_PRECISION} and scale 0 to the "
                    f"precision, not {length},{scale}",
                )
        elif length is not None or scale is not None:
            self.problem(
                f"{where}.length",
                f"a {kind} column takes no length or scale",
                "length applies to Text, EmailAddress and Decimal only: remove it",
            )
            length = scale = None
        if kind != "Decimal" and scale is not None:
            self.problem(f"{where}.scale", "scale applies to Decimal columns only")
        return length, scale if kind == "Decimal" else None

    def number(self, where: str, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.problem(where, f"must be a whole number, not {value!r}")
        return None
