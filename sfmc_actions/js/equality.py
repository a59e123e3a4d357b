"""JavaScript value semantics that only Segment's validator (Ajv, running in Node) applies to payloads;
number text, `Number()`, UTF-16 lengths and `JSON.stringify` are shared (`sfmc_actions.js.values`).

Payloads are JSON values in Python form (dict, list, str, int, float, bool, None). JavaScript has one
number type, so the rules here treat int and float alike, and never treat bool as a number (Python's
`True == 1` would otherwise leak into comparisons).
"""

from __future__ import annotations

from typing import Any, Final

from sfmc_actions.js.undefined import UNDEFINED

_MAX_SAFE: Final = 2**53


def is_number(value: object) -> bool:
    """`typeof value == "number"` (JSON numbers only: bool is not a number)."""
    return type(value) is int or type(value) is float


def number_value(number: float) -> int | float:
    """The Python value for a JS number produced by coercion: whole values as int, as JSON writes them."""
    if number.is_integer() and -_MAX_SAFE <= number <= _MAX_SAFE:
        return int(number)
    return number


def strict_equal(a: object, b: object) -> bool:
    """JavaScript `a === b` for JSON values (objects compare by identity)."""
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return a is b
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if is_number(a):
        return is_number(b) and a == b
    return type(a) is type(b) and a == b


def deep_equal(a: object, b: object) -> bool:
    """`fast-deep-equal`, which Ajv uses for `const` and object-valued `enum` entries."""
    if type(a) is dict:
        if type(b) is not dict or len(a) != len(b):
            return False
        return all(key in b and deep_equal(value, b[key]) for key, value in a.items())
    if type(a) is list:
        if type(b) is not list or len(a) != len(b):
            return False
        return all(deep_equal(x, y) for x, y in zip(a, b, strict=True))
    return strict_equal(a, b)


def type_name(value: Any) -> str:
    """ajv-human-errors' `humanizeTypeOf`: the type of the value that was found, with its article."""
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if type(value) is bool:
        return "a boolean"
    if is_number(value):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
