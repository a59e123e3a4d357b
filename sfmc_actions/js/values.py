"""JavaScript value rules shared by the FQL matcher, the mapping engine and payload validation.

Segment's runtime is JavaScript, and we copy its semantics for JSON values in Python form (dict, list,
str, int, float, bool, None): one number type (a double) written without `.0` and with JS exponents
(`1e+21`), `Number(text)` with JS whitespace and `0x`/`0o`/`0b` literals, strings measured and indexed
in UTF-16 code units, `JSON.stringify` and `Object.keys` order (segment-runtime.md §9). Each copy of
these rules was checked against Node; where they disagreed, Node decided (tests/unit/js/test_values.py).
Beside this module: `undefined` (undefined.py), truthiness and `String()` of arrays (operators.py), Ajv's
equality and type names (equality.py), FQL number literals (number.py).
"""

from __future__ import annotations

import json
import math
import re
from json.encoder import encode_basestring
from typing import Any, Final

import orjson

# ECMAScript WhiteSpace (TAB, VT, FF, ZWNBSP, every Zs space) and LineTerminator: what `trim()` and
# `Number()` strip. Not Python's `str.strip()` set, which also takes U+001C-U+001F and U+0085.
JS_WHITESPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# StrDecimalLiteral (ASCII digits, no numeric separators) and the unsigned non-decimal literals.
_DECIMAL: Final = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_NON_DECIMAL: Final = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")
_MAX_SAFE: Final = 2**53  # every int up to here is exactly a double, and prints the same in JS
_NOT_FINITE: Final = frozenset(("NaN", "Infinity", "-Infinity"))
_ASTRAL: Final = re.compile("[\U00010000-\U0010ffff]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def js_trim(text: str) -> str:
    """`String.prototype.trim`."""
    return text.strip(JS_WHITESPACE)


def js_string_to_number(text: str) -> float:
    """`Number(text)`: trims JS whitespace, "" is 0, reads `.5`, `5.`, `Infinity`, `0x1F`/`0o17`/`0b101`;
    NaN for anything else, including Python-only spellings ("1_000", "inf", "nan", non-ASCII digits)."""
    body = text.strip(JS_WHITESPACE)
    if not body:
        return 0.0
    if _DECIMAL.fullmatch(body):
        return float(body.replace("Infinity", "inf"))  # float() itself overflows to inf, as JS does
    if _NON_DECIMAL.fullmatch(body):
        try:
            return float(int(body, 0))
        except OverflowError:  # a literal beyond the largest double reads as Infinity
            return math.inf
    return math.nan


def js_to_number(value: Any) -> float:
    """`Number(value)` for a primitive: bool, number, string, None (null → 0); NaN for anything else."""
    t = type(value)
    if t is float:
        return value
    if t is str:
        return js_string_to_number(value)
    if t is bool:
        return 1.0 if value else 0.0
    if t is int:
        try:
            return float(value)
        except OverflowError:  # JSON integers beyond the largest double are ±Infinity in JS
            return math.inf if value > 0 else -math.inf
    return 0.0 if value is None else math.nan


def js_number_to_string(x: int | float) -> str:
    """`String(x)` for a number: `100.0` → "100", `1e21` → "1e+21", `1e-7`, `-0` → "0", NaN, ±Infinity;
    integers beyond 2**53 are rounded to a double first, as JavaScript holds them."""
    if type(x) is float:
        text = repr(x)
        # repr() picks the same shortest round-trip digits as ECMAScript Number::toString, and lays
        # out 1e-4 <= |x| < 1e16 in plain notation exactly like JavaScript, bar the ".0".
        if "e" not in text and "n" not in text:
            if text[-2:] == ".0":
                return text[:-2] if x else "0"
            return text
        return _laid_out(x)
    if type(x) is int and -_MAX_SAFE <= x <= _MAX_SAFE:
        return str(x)
    try:
        return _laid_out(float(x))
    except OverflowError:
        return "Infinity" if x > 0 else "-Infinity"


def _laid_out(x: float) -> str:
    """Number::toString's layout for the values repr() writes differently (exponents, NaN, Infinity)."""
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    mantissa, _, exp_text = repr(abs(x)).partition("e")
    whole, _, frac = mantissa.partition(".")
    all_digits = whole + frac
    digits = all_digits.lstrip("0")
    # x = 0.digits × 10**point
    point = len(whole) + (int(exp_text) if exp_text else 0) - (len(all_digits) - len(digits))
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    exponent = point - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{head}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"


def js_to_string(value: Any) -> str:
    """`String(value)` for a primitive: str, bool, number, None (null). Arrays, objects and `undefined`
    are the callers' business (mapping-kit's arrays may hold its own `undefined`)."""
    t = type(value)
    if t is str:
        return value
    if t is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    return js_number_to_string(value)


def utf16_len(text: str) -> int:
    """`text.length`: UTF-16 code units, so characters beyond U+FFFF count twice."""
    if text.isascii():
        return len(text)
    return len(text) + len(_ASTRAL.findall(text))


def to_utf16_units(text: str) -> str:
    """`text` with every astral character split into its two UTF-16 surrogates, so that Python
    indexing, slicing, `len` and `in` act on UTF-16 code units as JavaScript's do."""
    if text.isascii() or not _ASTRAL.search(text):
        return text
    return _ASTRAL.sub(_surrogate_pair, text)


def _surrogate_pair(match: re.Match[str]) -> str:
    code = ord(match[0]) - 0x10000
    return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))


def from_utf16_units(text: str) -> str:
    """Join surrogate pairs back into characters; lone surrogates stay (JavaScript allows them)."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def has_surrogates(text: str) -> bool:
    """Whether `text` holds a surrogate, i.e. code-point and UTF-16 comparisons can differ."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def is_array_index(key: str) -> bool:
    """Whether `key` is a canonical array index ("0", "17"; not "01", "-1" or 2**32 - 1)."""
    return key.isascii() and key.isdigit() and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1


def js_key_order(keys: list[str]) -> list[str]:
    """`Object.keys` order: array-index keys first (ascending), then the others as inserted."""
    indices = [k for k in keys if is_array_index(k)]
    if not indices:
        return keys
    indices.sort(key=int)
    return indices + [k for k in keys if not is_array_index(k)]


_NO_UNDEFINED: Final = object()


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_SURROGATE_TOLERANT: Final = json.JSONDecoder(parse_constant=_no_constants)


def parse_json(data: bytes | str) -> Any:
    """`JSON.parse(data)` for incoming JSON (events, files): orjson, except that escaped lone surrogates
    ("\\ud83d"), which JavaScript reads and orjson refuses, are read by Python's parser. Raises
    orjson.JSONDecodeError (its own message) for anything else that is not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        if "surrogate" not in str(error):
            raise
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        try:
            return _SURROGATE_TOLERANT.decode(text)
        except json.JSONDecodeError as other:  # say what is wrong besides the surrogate
            raise orjson.JSONDecodeError(other.msg, other.doc, other.pos) from None
        except ValueError as other:
            raise orjson.JSONDecodeError(str(other), text, 0) from None


def json_text(value: Any, indent: bool = False, default: Any = str) -> str:
    """JSON text of stored or shown data (jobs, logs, command output), keys as they are: orjson, or Python's
    encoder (exact, lone surrogates escaped) for the values orjson refuses, lone surrogates and integers
    beyond 64 bits. `default` turns other objects into JSON values, as orjson's and json's `default` do."""
    try:
        return orjson.dumps(value, default=default, option=orjson.OPT_INDENT_2 if indent else 0).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, default=default, indent=2 if indent else None, separators=_SEPARATORS[indent])


_SEPARATORS: Final = {False: (",", ":"), True: (",", ": ")}


def json_stringify(value: Any, undefined: Any = _NO_UNDEFINED, indent: str = "") -> str:
    """`JSON.stringify(value, null, indent)`: keys in JavaScript's order (`js_key_order`: index-like keys
    first), non-ASCII kept but lone surrogates escaped (Node 12+), numbers as `String(x)` with NaN/±Infinity
    as null. `undefined` is the caller's stand-in for JavaScript `undefined`: object members holding it are
    skipped and array elements holding it are written null. A top-level `undefined` (for which JavaScript
    returns undefined, not text) is the caller's to handle."""
    out: list[str] = []
    _stringify_into(value, out, undefined, indent, "\n" if indent else "")
    return "".join(out)


def ordered_items(value: dict[str, Any]) -> Any:
    """A dict's items in `Object.keys` order (insertion order unless some key is an array index)."""
    for key in value:
        if key[:1].isdigit() and is_array_index(key):
            return [(k, value[k]) for k in js_key_order(list(value))]
    return value.items()


def _encode_string(text: str) -> str:
    encoded = encode_basestring(text)
    if not text.isascii() and _SURROGATE.search(encoded):
        # Join pairs that sit side by side first (JavaScript holds them as one character), then escape
        # the lone surrogates left, as JSON.stringify does.
        encoded = _SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", encode_basestring(from_utf16_units(text)))
    return encoded


def _stringify_into(value: Any, out: list[str], undefined: Any, indent: str, newline: str) -> None:
    t = type(value)
    if t is str:
        out.append(_encode_string(value))
    elif value is None or value is undefined:
        out.append("null")
    elif t is bool:
        out.append("true" if value else "false")
    elif t is int and -_MAX_SAFE <= value <= _MAX_SAFE:
        out.append(str(value))
    elif t is int or t is float:
        text = js_number_to_string(value)
        out.append("null" if text in _NOT_FINITE else text)
    elif t is list:
        if not value:
            out.append("[]")
            return
        inner = newline + indent
        out.append("[" + inner)
        for i, item in enumerate(value):
            if i:
                out.append("," + inner)
            _stringify_into(item, out, undefined, indent, inner)
        out.append(newline + "]")
    elif t is dict:
        inner = newline + indent
        colon = ": " if indent else ":"
        first = True
        for key, item in ordered_items(value):
            if item is undefined:
                continue
            out.append(("{" if first else ",") + inner)
            first = False
            out.append(_encode_string(str(key)))
            out.append(colon)
            _stringify_into(item, out, undefined, indent, inner)
        out.append("{}" if first else newline + "}")
    else:
        out.append(_encode_string(str(value)))
