"""Checking one row against a data extension, shared by the sync, async and journey routes.

A row is checked whole (every problem listed) so that the 10006 aggregate can carry several
messages (§3 T8 OBS). The caller decides what to commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sfmc_actions.emulator.fieldtypes import NULL_PROBLEM, check_value, value_message
from sfmc_actions.emulator.model import DataExtension, Field, Options

# §3 T1 OBS: the text SFMC puts first in additionalErrors when `values` has no known column.
AT_LEAST_ONE = "At least one existing field is required in the values property"


@dataclass
class RowCheck:
    row: dict[str, Any] = field(default_factory=dict)  # stored column name -> value (keys and values)
    columns: dict[str, Field] = field(default_factory=dict)  # stored column name -> its field
    errors: list[str] = field(default_factory=list)
    missing_keys: list[str] = field(default_factory=list)  # PK columns with no value
    bad_columns: list[tuple[str, str]] = field(default_factory=list)  # (column, problem) for async results


def shown(options: Options, name: str) -> str:
    return name.lower() if options.lowercase_error_names else name


def check_keyed_row(de: DataExtension, keys: Any, values: Any, options: Options) -> RowCheck:
    """A `{keys, values}` row of the sync API (§3): keys name exactly the PK columns."""
    check = RowCheck()
    if not isinstance(keys, dict):
        check.errors.append("The keys property is required: an object with the row's primary key values.")
        return check
    for name, value in keys.items():
        column = de.column(name)
        if column is None or not column.is_primary_key:
            check.errors.append(f"Primary key '{name.lower()}' does not exist.")  # §3 T9 OBS
            continue
        check.row[column.name] = value
        check.columns[column.name] = column
    check.missing_keys = [f.name for f in de.primary_keys if f.name not in check.row]
    for name in check.missing_keys:
        check.errors.append(value_message(shown(options, name), "is required: it is part of the primary key."))
    if values is not None:
        if not isinstance(values, dict):
            check.errors.append("The values property must be an object of column names and values.")
        else:
            _take_values(de, values, options, check, require_one=True)
    _check_types(de, options, check)
    return check


def check_flat_item(de: DataExtension, item: dict[str, Any], options: Options) -> RowCheck:
    """A flat column→value item of the async API or a journey event's Data (§4, §6)."""
    check = RowCheck()
    _take_values(de, item, options, check, require_one=False)
    check.missing_keys = [f.name for f in de.primary_keys if check.row.get(f.name) in (None, "")]
    _check_types(de, options, check)
    return check


def _take_values(
    de: DataExtension, values: dict[str, Any], options: Options, check: RowCheck, require_one: bool
) -> None:
    known = 0
    for name, value in values.items():
        column = de.column(name)
        if column is None:
            if not options.ignore_unknown_columns:
                check.errors.append(f"Column '{name}' does not exist in the data extension.")
            continue
        known += 1
        if column.is_primary_key and column.name in check.row:
            continue  # the keys object wins over a PK column repeated in values
        check.row[column.name] = value
        check.columns[column.name] = column
    if require_one and known == 0:
        check.errors.insert(0, AT_LEAST_ONE)


def _check_types(de: DataExtension, options: Options, check: RowCheck) -> None:
    for name, value in check.row.items():
        problem = check_value(check.columns[name], value, options.strict_nulls)
        if problem is not None:
            check.errors.append(value_message(shown(options, name), problem))
            check.bad_columns.append((shown(options, name), problem))


def check_required(de: DataExtension, check: RowCheck, options: Options, exists: bool) -> None:
    """An insert must give every non-nullable column that has no default (§8 INF)."""
    if exists:
        return
    for f in de.fields:
        if not f.is_nullable and f.default_value is None and f.name not in check.row and not f.is_primary_key:
            check.errors.append(value_message(shown(options, f.name), NULL_PROBLEM))
            check.bad_columns.append((shown(options, f.name), NULL_PROBLEM))


def aggregate(messages: list[str]) -> list[str]:
    """De-duplicated, with "At least one existing field…" first (§3 checklist item 4)."""
    unique = list(dict.fromkeys(messages))
    return sorted(unique, key=lambda m: m != AT_LEAST_ONE)
