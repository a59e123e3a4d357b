"""Ajv keywords that do not contain subschemas: number bounds, string lengths, formats, error reporting.

Also `Stop`, how a clause compiled without `allErrors` (the `if` and `not` of conditional
requirements) ends at its first error, as Ajv's generated code does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from sfmc_actions.errors import FieldDefinitionError
from sfmc_actions.route.payload import formats
from sfmc_actions.route.payload.messages import SchemaError

Check = Callable[[Any, str, list[SchemaError]], Any]
Step = Callable[[Any, str, list[SchemaError]], None]
Report = Callable[[list[SchemaError], SchemaError], None]


class Stop(Exception):
    """First error inside a subschema that Ajv evaluates without `allErrors` (if / not clauses)."""


def reporter(all_errors: bool) -> Report:
    def report(errors: list[SchemaError], error: SchemaError) -> None:
        errors.append(error)
        if not all_errors:
            raise Stop

    return report


def reject(keyword: str, schema: dict[str, Any], all_errors: bool) -> Check:
    report = reporter(all_errors)

    def check(data: Any, path: str, errors: list[SchemaError]) -> Any:
        report(errors, SchemaError(keyword, path, schema, data))
        return data

    return check


def run_silently(clause: Check, data: Any, path: str) -> tuple[bool, Any]:
    """Run a clause whose errors Ajv never reports (`if`, `not`): (valid, value it left)."""
    scratch: list[SchemaError] = []
    with contextlib.suppress(Stop):
        data = clause(data, path, scratch)
    return not scratch, data


def number_step(keyword: str, schema: dict[str, Any], report: Report) -> Step | None:
    limit = schema[keyword]
    if keyword == "format":
        name = limit
        if not formats.is_known(name):
            raise FieldDefinitionError(f'unknown format "{name}" in {schema!r}')
        validator = formats.NUMBER_FORMATS.get(name)
        if validator is None:  # string formats are not checked on numbers
            return None

        def number_format(data: Any, path: str, errors: list[SchemaError]) -> None:
            if not validator(data):
                report(errors, SchemaError("format", path, schema, data, name))

        return number_format
    fails: Callable[[Any], bool] = {
        "maximum": lambda data: data > limit,
        "minimum": lambda data: data < limit,
        "exclusiveMaximum": lambda data: data >= limit,
        "exclusiveMinimum": lambda data: data <= limit,
    }[keyword]

    def bound(data: Any, path: str, errors: list[SchemaError]) -> None:
        if fails(data):
            report(errors, SchemaError(keyword, path, schema, data, limit))

    return bound


def string_step(keyword: str, schema: dict[str, Any], report: Report) -> Step | None:
    value = schema[keyword]
    if keyword == "format":
        if not formats.is_known(value):
            raise FieldDefinitionError(f'unknown format "{value}" in {schema!r}')
        validator = formats.STRING_FORMATS.get(value)
        if validator is None:  # always-valid formats (text, password, binary) and number-only formats
            return None

        def string_format(data: Any, path: str, errors: list[SchemaError]) -> None:
            if not validator(data):
                report(errors, SchemaError("format", path, schema, data, value))

        return string_format
    too_long = keyword == "maxLength"

    def length(data: Any, path: str, errors: list[SchemaError]) -> None:
        # Ajv counts code points (ucs2length), as len() does; the message prints UTF-16 units.
        if (len(data) > value) if too_long else (len(data) < value):
            report(errors, SchemaError(keyword, path, schema, data, value))

    return length
