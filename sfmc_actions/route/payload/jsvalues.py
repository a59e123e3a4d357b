"""JavaScript value semantics that Segment's validator (Ajv, running in Node) applies to payloads.

Payloads are JSON values in Python form (dict, list, str, int, float, bool, None). JavaScript has one
number type, so the rules here treat int and float alike, and never treat bool as a number (Python's
`True == 1` would otherwise leak into comparisons).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final


class _Undefined:
    """JavaScript `undefined`: the payload itself is missing (distinct from JSON null)."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = _Undefined()

# ECMAScript StrWhiteSpaceChar: WhiteSpace (incl. Unicode Zs and U+FEFF) and LineTerminator.
JS_WHITESPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# StrDecimalLiteral (no numeric separators, ASCII digits only) and the unsigned non-decimal literals.
_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)", re.ASCII)
_NON_DECIMAL = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)", re.ASCII)
_MAX_SAFE: Final = 2**53


def is_number(value: object) -> bool:
    """`typeof value == "number"` (JSON numbers only: bool is not a number)."""
    return type(value) is int or type(value) is float


def js_number(text: str) -> float:
    """JavaScript `Number(text)` for a string: NaN when it is not a numeric literal.

    Matches ToNumber(String): surrounding JS whitespace is trimmed, "" is 0, `0x`/`0o`/`0b` are read
    as integers, "Infinity" is accepted, and Python-only spellings ("1_000", "inf", "nan") are not.
    """
    body = text.strip(JS_WHITESPACE)
    if not body:
        return 0.0
    if _DECIMAL.fullmatch(body):
        return float(body.replace("Infinity", "inf"))
    if _NON_DECIMAL.fullmatch(body):
        return float(int(body, 0))
    return math.nan


def number_value(number: float) -> int | float:
    """The Python value for a JS number produced by coercion: whole values as int, as JSON writes them."""
    if number.is_integer() and -_MAX_SAFE <= number <= _MAX_SAFE:
        return int(number)
    return number


def js_string(value: object) -> str:
    """`"" + value` for a number or boolean (JS Number::toString: `1e+21`, `0.1`, no `.0`)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int and -_MAX_SAFE <= value <= _MAX_SAFE:
        return str(value)
    assert isinstance(value, int | float)
    return _float_string(float(value))


def _float_string(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    # repr() gives the shortest round-tripping digits, as JS does; only the layout differs.
    mantissa, _, exponent = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    size = len(digits)
    if size <= point <= 21:
        text = digits + "0" * (point - size)
    elif 0 < point <= 21:
        text = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        power = point - 1
        head = digits[0] + ("." + digits[1:] if size > 1 else "")
        text = f"{head}e{'+' if power >= 0 else '-'}{abs(power)}"
    return sign + text


def json_stringify(value: object) -> str:
    """`JSON.stringify(value)` for a JSON value (used to quote allowed values in enum messages)."""
    if value is None or value is True or value is False:
        return json.dumps(value)
    if value is UNDEFINED:
        return "undefined"  # what `${JSON.stringify(undefined)}` prints
    if is_number(value):
        number = float(value) if type(value) is float else value
        if type(number) is float and not math.isfinite(number):
            return "null"
        return js_string(number)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(json_stringify(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json_stringify(str(k))}:{json_stringify(v)}" for k, v in value.items()) + "}"
    return "null"


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


def utf16_length(text: str) -> int:
    """JavaScript `string.length` (UTF-16 code units), which the length messages print."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)
