"""Ajv's type checks and type coercion (`coerceTypes: "array"`, strict numbers), value by value.

Ajv 8.18 `compile/validate/dataType.ts`: a value of a wrong type is first unwrapped when it is a
one-element array, then converted by the first applicable rule of the schema's types, in order:
to string (numbers, booleans; null -> ""), number/integer (numeric strings by JavaScript `Number()`,
booleans, null -> 0), boolean ("true"/"false", 1/0, null), null ("", 0, false) or array ([value]).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sfmc_actions.js.equality import is_number, number_value
from sfmc_actions.js.values import js_string_to_number, js_to_string

COERCIBLE = frozenset({"string", "number", "integer", "boolean", "null", "array"})
UNSET: Any = object()  # "no conversion applies"


def finite(value: Any) -> bool:
    """A JSON number that is neither NaN nor ±Infinity (Python ints always are)."""
    return type(value) is int or (type(value) is float and math.isfinite(value))


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "string": lambda value: type(value) is str,
    "number": finite,
    "integer": lambda value: type(value) is int or (finite(value) and value.is_integer()),
    "boolean": lambda value: type(value) is bool,
    "null": lambda value: value is None,
    "object": lambda value: type(value) is dict,
    "array": lambda value: type(value) is list,
}


def _is_type(kind: str, value: Any) -> bool:
    """Ajv's checkDataType with strictNumbers: NaN and Infinity are not numbers."""
    return _TYPE_TESTS[kind](value)


def type_test(types: list[str]) -> Callable[[Any], bool]:
    """Whether a value has one of `types` (Ajv's "wrong type" test, negated)."""
    tests = [_TYPE_TESTS[kind] for kind in types]
    if len(tests) == 1:
        return tests[0]
    return lambda value: any(test(value) for test in tests)


def _js_truthy(value: Any) -> bool:
    return not (value is None or value is False or value == "" or (is_number(value) and (value == 0 or value != value)))


def unwrapped_matches(types: list[str], value: Any) -> bool:
    """Ajv's checkDataTypes(types, data) in "correct" mode, used after unwrapping `[x]`.

    For several types Ajv joins the checks with AND (it is written for the "wrong type" test), so
    e.g. `["2021"]` for a datetime (string|number) field never matches and goes on to be coerced to
    the number 2021. Kept as Ajv 8.18 does it.
    """
    if len(types) == 1:
        return _is_type(types[0], value)
    remaining = set(types)
    matches = True
    if "array" in remaining and "object" in remaining:
        not_object = not (value is None or type(value) in (dict, list))
        matches = not_object if "null" in remaining else (not _js_truthy(value) or not_object)
        remaining -= {"null", "array", "object"}
    if "number" in remaining:
        remaining.discard("integer")
    return matches and all(_is_type(kind, value) for kind in remaining)


def coerce_one(kind: str, data: Any) -> Any:
    """Ajv's coerceData branch for one target type; `UNSET` when it does not apply."""
    if kind == "string":
        if is_number(data) or type(data) is bool:
            return js_to_string(data)
        return "" if data is None else UNSET
    if kind in ("number", "integer"):
        if type(data) is bool or data is None:
            return int(data or 0)
        if type(data) is str and data:
            number = js_string_to_number(data)
            if number != number:
                return UNSET
            # `!(data % 1)`: Infinity % 1 is NaN, which also passes.
            if kind == "integer" and math.isfinite(number) and not number.is_integer():
                return UNSET
            return number_value(number)
        return UNSET
    if kind == "boolean":
        if data == "false" or data is None or (is_number(data) and data == 0):
            return False
        return True if data == "true" or (is_number(data) and data == 1) else UNSET
    if kind == "null":
        return None if data == "" or data is False or (is_number(data) and data == 0) else UNSET
    if kind == "array" and (type(data) in (str, bool) or is_number(data) or data is None):
        return [data]
    return UNSET
