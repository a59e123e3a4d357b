"""JavaScript value semantics that Segment's mapping-kit relies on, for JSON-shaped Python values.

Segment's mapping-kit is TypeScript; its results depend on `undefined` (≠ `null`), JS truthiness,
`typeof`-style type names, `String(x)` (numbers without `.0`, arrays joined with commas) and
`JSON.stringify`. This module reproduces exactly those, nothing more (spec §1, §9).
"""

from __future__ import annotations

import math
from typing import Any, Final, final

from sfmc_actions.route.mapping.jsnumbers import js_number_to_string, js_string_to_number


@final
class _Missing:
    """JavaScript `undefined`: "no value", distinct from JSON `null` (Python `None`)."""

    _instance: _Missing | None = None
    __slots__ = ()

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Final[Any] = _Missing()
"""The one `undefined` value. Object members holding it are dropped from mapping results."""


def is_missing(value: Any) -> bool:
    """Whether `value` is MISSING (JavaScript `undefined`)."""
    return value is MISSING


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness: `{}` and `[]` are truthy; `0`, `""`, `null`, MISSING, NaN are not."""
    t = type(value)
    if t is str:
        return value != ""
    if t is bool:
        return value is True
    if t is int:
        return value != 0
    if t is float:
        return value == value and value != 0.0  # NaN is falsy
    return value is not None and value is not MISSING


def real_type_of(value: Any) -> str:
    """Segment's `realTypeOf`: `Object.prototype.toString` lower-cased (`object`, `array`, ...)."""
    if value is None:
        return "null"
    if value is MISSING:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__.lower()


def js_typeof(value: Any) -> str:
    """JavaScript `typeof` (objects, arrays and null are all "object")."""
    kind = real_type_of(value)
    return "object" if kind in ("array", "null") else kind


def utf16_len(text: str) -> int:
    """JavaScript `string.length`: UTF-16 code units, so characters beyond U+FFFF count twice."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def utf16_units(text: str) -> list[str]:
    """The string split into UTF-16 code units (astral characters become surrogate halves)."""
    if text.isascii() or all(ord(ch) <= 0xFFFF for ch in text):
        return list(text)
    units: list[str] = []
    for ch in text:
        code = ord(ch)
        if code > 0xFFFF:
            code -= 0x10000
            units.append(chr(0xD800 + (code >> 10)))
            units.append(chr(0xDC00 + (code & 0x3FF)))
        else:
            units.append(ch)
    return units


def js_to_number(value: Any) -> float:
    """JavaScript `Number(value)` (`+value`) for JSON values."""
    t = type(value)
    if t is bool:
        return 1.0 if value else 0.0
    if t is int or t is float:
        return float(value)
    if t is str:
        return js_string_to_number(value)
    if value is None:
        return 0.0
    if t is list:
        return js_string_to_number(js_to_string(value))
    return math.nan


def js_to_string(value: Any) -> str:
    """`String(value)` for JSON values: arrays are joined with "," and objects are "[object Object]"."""
    t = type(value)
    if t is str:
        return value
    if t is bool:
        return "true" if value else "false"
    if t is int or t is float:
        return js_number_to_string(value)
    if value is None:
        return "null"
    if value is MISSING:
        return "undefined"
    if t is list:
        return ",".join("" if v is None or v is MISSING else js_to_string(v) for v in value)
    return "[object Object]"


def template_text(value: Any) -> str:
    """How @template writes a value: `value ?? ""` then `String(...)`."""
    t = type(value)
    if t is str:
        return value
    if value is None or value is MISSING:
        return ""
    if t is int and -(2**53) < value < 2**53:
        return str(value)
    return js_to_string(value)


def loosely_equals_empty_string(value: Any) -> bool:
    """JavaScript `value == ''` for a value that is neither null nor undefined (used by `@if blank`)."""
    t = type(value)
    if t is str:
        return value == ""
    if t is bool:
        return value is False
    if t is int or t is float:
        return value == 0
    if t is list:
        return js_to_string(value) == ""
    return False


def clean_missing(value: Any) -> Any:
    """Final JSON form of a value: MISSING members dropped, MISSING array elements become null."""
    t = type(value)
    if t is dict:
        return {k: clean_missing(v) for k, v in value.items() if v is not MISSING}
    if t is list:
        return [None if v is MISSING else clean_missing(v) for v in value]
    return value


def remove_undefined(value: Any) -> Any:
    """Segment's `removeUndefined`: drops MISSING object members, keeps MISSING array elements."""
    t = type(value)
    if t is dict:
        return {k: remove_undefined(v) for k, v in value.items() if v is not MISSING}
    if t is list:
        return [remove_undefined(v) for v in value]
    return value


def _is_array_index(key: str) -> bool:
    return key.isascii() and key.isdigit() and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1


def js_key_order(keys: list[str]) -> list[str]:
    """`Object.keys` order: array-index-like keys first (ascending), then the rest as inserted."""
    indices = [k for k in keys if _is_array_index(k)]
    if not indices:
        return keys
    indices.sort(key=int)
    return indices + [k for k in keys if not _is_array_index(k)]


def is_array_index(key: str) -> bool:
    """Whether `key` is a canonical JavaScript array index ("0", "17"; not "01" or "-1")."""
    return _is_array_index(key)
