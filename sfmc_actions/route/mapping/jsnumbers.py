"""JavaScript number semantics: `String(number)`, `Number(string)` and `String.prototype.trim`.

JavaScript has one number type (a double): text conversions never show `.0`, use exponents from
1e21 and below 1e-6, and `Number("0x10")` is 16 (spec §9 item 4).
"""

from __future__ import annotations

import math
import re


def _float_to_string(x: float) -> str:
    # ECMAScript Number::toString: shortest round-trip digits (Python's repr picks the same
    # digits), laid out with JS's own rules: plain notation for 1e-7 < |x| < 1e21.
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    text = repr(abs(x))
    if "e" in text:
        mantissa, exp_text = text.split("e")
        digits = mantissa.replace(".", "")
        point = int(exp_text) + 1
    else:
        whole, _, frac = text.partition(".")
        if whole != "0":
            digits, point = whole + frac, len(whole)
        else:
            stripped = frac.lstrip("0")
            digits, point = stripped, len(stripped) - len(frac)
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * (-point) + digits
    exponent = point - 1
    exp_sign = "+" if exponent >= 0 else "-"
    head = digits[0] if k == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{head}e{exp_sign}{abs(exponent)}"


def js_number_to_string(x: int | float) -> str:
    """`String(number)`: `100.0` → "100", `1e21` → "1e+21", integers beyond 2**53 rounded like JS."""
    if type(x) is float:
        text = repr(x)
        # Python writes 1e-4 <= |x| < 1e16 in plain notation exactly like JavaScript, bar ".0".
        if "e" not in text and "n" not in text and x != 0:
            return text[:-2] if text.endswith(".0") else text
    elif type(x) is int and -(2**53) < x < 2**53:
        return str(x)
    try:
        return _float_to_string(float(x))
    except OverflowError:
        return "Infinity" if x > 0 else "-Infinity"


_JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_JS_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_JS_RADIX = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")


def js_trim(text: str) -> str:
    """JavaScript `String.prototype.trim` (WhiteSpace + LineTerminator, not `str.strip()`'s set)."""
    return text.strip(_JS_WHITESPACE)


def js_string_to_number(text: str) -> float:
    """JavaScript `Number(text)`: trims, accepts `0x`/`0o`/`0b`, `.5`, `5.`, `Infinity`; else NaN."""
    body = js_trim(text)
    if body == "":
        return 0.0
    if _JS_DECIMAL.fullmatch(body):
        return float(body.replace("Infinity", "inf"))
    if _JS_RADIX.fullmatch(body):
        return float(int(body, 0))
    return math.nan
