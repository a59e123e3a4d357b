"""The JavaScript number and string conversions Segment's FQL matcher relies on.

Segment's matcher is TypeScript: number tokens are read with `Number(text)`, numeric comparisons
call `Number(expected)` on whatever the condition stores (a number, a string such as `"99"`, or a
boolean), and text comparisons call `String(expected)`. JavaScript strings are UTF-16, so `.slice`
and `.length` count UTF-16 code units. This module reproduces exactly those conversions.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Final

NAN: Final[float] = float("nan")
"""The one NaN used in ASTs, so that equal ASTs compare equal (tuple equality checks identity first)."""

# ECMAScript StrWhiteSpaceChar: WhiteSpace (TAB, VT, FF, ZWNBSP, every Zs space) and LineTerminator.
_JS_SPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DECIMAL: Final = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_NON_DECIMAL: Final = re.compile(r"0(?:[xX](?P<x>[0-9a-fA-F]+)|[oO](?P<o>[0-7]+)|[bB](?P<b>[01]+))")
_ASTRAL: Final = re.compile("[\U00010000-\U0010ffff]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _int_to_float(value: int) -> float:
    try:
        return float(value)
    except OverflowError:  # JavaScript reads such a literal as ±Infinity
        return math.inf if value > 0 else -math.inf


def js_number(value: object) -> float:
    """JavaScript `Number(value)` for the values an FQL condition can store: str, number, bool."""
    if value is True or value is False:
        return 1.0 if value else 0.0
    if isinstance(value, int):
        return _int_to_float(value)
    if isinstance(value, float):
        return NAN if math.isnan(value) else value
    if not isinstance(value, str):
        return NAN
    text = value.strip(_JS_SPACE)
    if not text:
        return 0.0  # Number("") and Number("  ") are 0
    if _DECIMAL.fullmatch(text):
        if text.endswith("Infinity"):
            return -math.inf if text[0] == "-" else math.inf
        return float(text)
    match = _NON_DECIMAL.fullmatch(text)
    if match is None:
        return NAN
    digits, base = next((match[k], b) for k, b in (("x", 16), ("o", 8), ("b", 2)) if match[k])
    return _int_to_float(int(digits, base))


def js_number_to_string(x: float) -> str:
    """JavaScript `String(x)` for a number: `100` not `100.0`, `1e+21`, `1e-7`, `-0` → `0`."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    # repr() gives the shortest digits that round-trip, as ECMAScript Number::toString requires.
    mantissa, _, exp_text = repr(abs(x)).partition("e")
    whole, _, frac = mantissa.partition(".")
    all_digits = whole + frac
    digits = all_digits.lstrip("0")
    # value = 0.digits × 10^n
    n = len(whole) + (int(exp_text) if exp_text else 0) - (len(all_digits) - len(digits))
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    exponent = n - 1
    body = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{body}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"


def js_to_string(value: str | float | bool) -> str:
    """JavaScript `String(value)` for a condition's stored value."""
    if isinstance(value, str):
        return value
    if value is True or value is False:
        return "true" if value else "false"
    return js_number_to_string(float(value))


def decimal_literal(x: float) -> str:
    """FQL number-token text that `Number()` reads back as exactly `x` (never exponent notation,
    which Segment's lexer cannot read). NaN is written `-`: the lexer reads a lone sign as a number
    token, and `Number("-")` is NaN."""
    if math.isnan(x):
        return "-"
    if math.isinf(x):
        return ("-" if x < 0 else "") + "1" + "0" * 309
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    text = format(Decimal(repr(x)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def to_utf16_units(text: str) -> str:
    """`text` with every astral character split into its two UTF-16 surrogates, so that Python
    indexing, slicing and `in` act on UTF-16 code units as JavaScript's do."""
    if text.isascii() or not _ASTRAL.search(text):
        return text
    return _ASTRAL.sub(lambda m: _surrogate_pair(ord(m[0])), text)


def _surrogate_pair(code: int) -> str:
    code -= 0x10000
    return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))


def from_utf16_units(text: str) -> str:
    """Join surrogate pairs back into characters; lone surrogates stay (JavaScript allows them)."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def has_surrogates(text: str) -> bool:
    """Whether `text` holds a lone surrogate, i.e. code-point and UTF-16 comparisons can differ."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def utf16_len(text: str) -> int:
    """JavaScript `text.length`."""
    if text.isascii():
        return len(text)
    return len(text) + len(_ASTRAL.findall(text))
