"""Checking a row against a data extension's real fields before it is sent: what SFMC is documented to refuse.

A row SFMC refuses costs requests (a rowset is rejected whole, and the bad row is then isolated by resending,
rowsets.py) and shows only at send time. These checks find such rows first, in SFMC's words, so the good rows of
a batch go in one request. The rule: NEVER stricter than SFMC. A row is refused here only where SFMC's rule is
documented or observed (sfmc-rest-api.md §3, §4, §8) AND the value breaks it whatever SFMC's undocumented
details are; where a rule is not documented there is no check.

    check_keyed_row(schema, {"keys": ..., "values": ...})   the synchronous rowset API (§3)
    check_flat_item(schema, {column: value})                 the asynchronous rows API (§4)
    check_value(column, value)                               one value (also used by check-config --remote)

What is checked, and why it is safe:
* `keys` names a column that is not a primary key: "Primary key '<name>' does not exist." (§3 T9 OBS; the name
  is lower-cased as in the observed message). Names compare case-insensitively (§8: probably so; so never
  stricter).
* `values` has no column of the data extension: "At least one existing field is required in the values
  property" (§3 T1 OBS, wording). Other unknown columns are ignored, as SFMC ignores them (§3 INF).
* A primary key column with no value (absent from the row, or null): primary keys cannot be null (§8 T4/T11).
* An explicit null in a non-nullable column. A non-nullable column that is merely absent is NOT refused: an
  upsert of an existing row may leave it out (§3), and only SFMC knows whether the row exists.
* Text and EmailAddress values longer than the column's length (`length` is the maximum, §8 S14). Only text
  values are measured, in code points (SQL Server counts UTF-16 units, never fewer).
* EmailAddress: SFMC's rule is not published (§8), so only a value that cannot be an address at all: no "@", or
  nothing before or after it. Message verbatim (§3 T8 OBS).
* Number and Decimal: text with no digit, or with characters no number has (letters other than an exponent's
  e). Decimal also: more digits before the point than precision minus scale (`length` is the precision, `scale`
  the digits after the point, §8 S14), which no rounding fixes. Range of Number, fractions in a Number,
  thousands separators: not documented, not checked.
* Date: the accepted formats are not documented (§8), so only text with no digit at all, a yyyy-mm-dd date that
  exists in neither day/month order, and booleans.
* Boolean: text that is no spelling of a boolean in any convention (true/false, 1/0, yes/no, y/n, t/f, on/off).
* Phone and Locale: formats not documented, not checked.
* Async items only: a nested object or array (the async API fails the whole request on it, §4 T7 OBS).

Messages follow SFMC's one observed pattern, "<Column>: The value for column [<Column>] <problem>" (§3 T8 OBS);
the problem texts other than the email one are not in any source (INF).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sfmc_actions.sfmc.data_extensions import Column

AT_LEAST_ONE = "At least one existing field is required in the values property"  # §3 T1 OBS
EMAIL_PROBLEM = "is not a valid email address. Parse error [InvalidEmailAddress]"  # §3 T8 OBS
NULL_PROBLEM = "does not allow null value."  # §4 T1 OBS ("Column [contactkey] does not allow null value.")
MISSING_KEYS = "Cannot locate the existing record. Required keys are missing."  # §4 T1 OBS (async results)
_NUMBER_CHARS = re.compile(r"^[0-9+\-.,eE\s]*$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T\s])")
_BOOLEANS = frozenset({"true", "false", "1", "0", "yes", "no", "y", "n", "t", "f", "on", "off"})
_LENGTH_TYPES = frozenset({"text", "emailaddress"})


@dataclass(frozen=True)
class DataExtensionSchema:
    """A data extension's fields as SFMC lists them (`GET /data/v1/customobjects/{id}/fields`)."""

    id: str
    columns: Sequence[Column]
    key: str | None = None
    name: str | None = None
    _by_name: dict[str, Column] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name.lower(): c for c in self.columns})

    def column(self, name: str) -> Column | None:
        return self._by_name.get(str(name).lower())

    @property
    def primary_keys(self) -> list[Column]:
        return [c for c in self.columns if c.is_primary_key]

    @property
    def label(self) -> str:
        return self.name or self.key or self.id


def value_message(column: str, problem: str) -> str:
    return f"{column}: The value for column [{column}] {problem}"


def check_value(column: Column, value: Any) -> str | None:
    """Why SFMC would refuse `value` in `column` (the problem, for `value_message`), or None. Null is not judged
    here (see `check_keyed_row`)."""
    if value is None or isinstance(value, Mapping | list):
        return None
    kind = column.type.lower()
    if isinstance(value, str) and kind in _LENGTH_TYPES and column.length and len(value) > column.length:
        return f"is too long. The maximum length is {column.length} characters."
    checker = _CHECKS.get(kind)
    return checker(column, value) if checker is not None else None


def _email(column: Column, value: Any) -> str | None:
    text = str(value).strip()
    if text == "" and isinstance(value, str):
        return None  # an empty value: whether SFMC takes it as null is not documented
    local, at, domain = text.rpartition("@")
    return EMAIL_PROBLEM if not at or not local or not domain else None


def _not_a_number(value: Any) -> bool:
    if not isinstance(value, str):
        return False  # JSON numbers are numbers; booleans: SFMC's conversion is not documented
    text = value.strip()
    return text != "" and (not any(c.isdigit() for c in text) or not _NUMBER_CHARS.match(text))


def _number(column: Column, value: Any) -> str | None:
    return "is not a valid number." if _not_a_number(value) else None


def _decimal(column: Column, value: Any) -> str | None:
    if _not_a_number(value):
        return "is not a valid decimal number."
    if isinstance(value, bool) or column.length is None or (isinstance(value, str) and "," in value):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    whole = len(str(abs(int(number)))) if abs(number) >= 1 else 0
    scale = column.scale or 0
    if whole > column.length - scale:
        return f"is out of range for a decimal with precision {column.length} and scale {scale}."
    return None


def _valid_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _date(column: Column, value: Any) -> str | None:
    if isinstance(value, bool):
        return "is not a valid date."
    if not isinstance(value, str) or value.strip() == "":
        return None
    text = value.strip()
    if not any(c.isdigit() for c in text):
        return "is not a valid date."
    match = _ISO_DATE.match(text)
    if match:
        year, a, b = (int(g) for g in match.groups())
        if not _valid_day(year, a, b) and not _valid_day(year, b, a):
            return "is not a valid date."
    return None


def _boolean(column: Column, value: Any) -> str | None:
    if isinstance(value, str) and value.strip() != "" and value.strip().lower() not in _BOOLEANS:
        return "is not a valid boolean."
    return None


_CHECKS = {
    "emailaddress": _email,
    "number": _number,
    "decimal": _decimal,
    "date": _date,
    "boolean": _boolean,
}


def _typed(schema: DataExtensionSchema, given: Mapping[str, Any], problems: list[str], null_message: str) -> None:
    for name, value in given.items():
        column = schema.column(name)
        if column is None:
            continue
        if value is None and not column.is_nullable:
            problems.append(null_message.format(column=column.name))
            continue
        problem = check_value(column, value)
        if problem is not None:
            problems.append(value_message(column.name, problem))


def check_keyed_row(schema: DataExtensionSchema, row: Mapping[str, Any]) -> list[str]:
    """Why SFMC's rowset API would refuse a `{keys, values}` row (empty: send it)."""
    keys, values = row.get("keys"), row.get("values")
    if not isinstance(keys, Mapping) or (values is not None and not isinstance(values, Mapping)):
        return []  # not the documented shape: SFMC answers for itself
    problems = [
        f"Primary key '{str(name).lower()}' does not exist."
        for name in keys
        if (column := schema.column(name)) is None or not column.is_primary_key
    ]
    if values is not None and not any(schema.column(name) is not None for name in values):
        problems.insert(0, AT_LEAST_ONE)  # SFMC puts it first (§3 T1 OBS)
    given = {**(values or {}), **keys}
    present = {str(name).lower() for name, value in given.items() if value is not None}
    for pk in schema.primary_keys:
        if pk.name.lower() not in present:
            problems.append(value_message(pk.name, NULL_PROBLEM))
    _typed(schema, {k: v for k, v in given.items() if v is not None or not _is_pk(schema, k)}, problems, _SYNC_NULL)
    return list(dict.fromkeys(problems))


def check_flat_item(schema: DataExtensionSchema, item: Mapping[str, Any]) -> list[str]:
    """Why SFMC's async rows API would refuse a flat item (empty: send it)."""
    problems = [
        f"{name}: nested objects and arrays cannot be sent to the asynchronous rows API"
        for name, value in item.items()
        if isinstance(value, Mapping | list)
    ]
    present = {str(name).lower() for name, value in item.items() if value is not None}
    missing = [pk.name for pk in schema.primary_keys if pk.name.lower() not in present]
    if missing:
        details = "; ".join(f"Column [{name}] {NULL_PROBLEM}" for name in missing)
        problems.append(f"{MISSING_KEYS} ({details})")
    _typed(schema, {k: v for k, v in item.items() if v is not None or not _is_pk(schema, k)}, problems, _ASYNC_NULL)
    return problems


_SYNC_NULL = "{column}: The value for column [{column}] " + NULL_PROBLEM
_ASYNC_NULL = "Column [{column}] " + NULL_PROBLEM


def _is_pk(schema: DataExtensionSchema, name: str) -> bool:
    column = schema.column(name)
    return column is not None and column.is_primary_key
