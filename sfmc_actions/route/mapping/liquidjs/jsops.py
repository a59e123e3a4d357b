"""JavaScript operations LiquidJS's filters lean on, over the engine's Python values: `+`, string methods on
UTF-16 code units (`split`, `indexOf`, `slice`), code-point walking, URI encoding, UTF-8 with lone surrogates.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from sfmc_actions.js.values import from_utf16_units, has_surrogates, js_number_to_string, to_utf16_units, utf16_len
from sfmc_actions.route.mapping.liquidjs.render import RenderFailure
from sfmc_actions.route.mapping.liquidjs.values import JS_SPACE_CLASS, js_string, to_number, to_primitive

JS_SPACES: Final = re.compile(f"[{JS_SPACE_CLASS}]+")
_TRIM_START: Final = re.compile(f"^[{JS_SPACE_CLASS}]+")
_TRIM_END: Final = re.compile(f"[{JS_SPACE_CLASS}]+$")


def trim(text: str) -> str:
    return trim_end(trim_start(text))


def trim_start(text: str) -> str:
    return _TRIM_START.sub("", text, count=1)


def trim_end(text: str) -> str:
    return _TRIM_END.sub("", text, count=1)


def js_add(left: Any, right: Any) -> Any:
    """`left + right`: string concatenation when either side is (or becomes) a string."""
    a, b = to_primitive(left), to_primitive(right)
    if type(a) is str or type(b) is str:
        return js_string(a) + js_string(b)
    return to_number(a) + to_number(b)


def to_integer(value: Any) -> float:
    """ToIntegerOrInfinity."""
    x = to_number(value)
    if x != x:
        return 0.0
    return x if math.isinf(x) else float(math.trunc(x))


def _needs_units(*texts: str) -> bool:
    return any(has_surrogates(t) for t in texts)


def split(text: str, separator: str) -> list[str]:
    """`text.split(separator)`: by UTF-16 unit when the separator is "" (an emoji splits in two)."""
    if separator == "":
        return list(to_utf16_units(text))
    if _needs_units(separator):
        return [from_utf16_units(p) for p in to_utf16_units(text).split(to_utf16_units(separator))]
    return text.split(separator)


def replace_all(text: str, pattern: str, replacement: str) -> str:
    """`text.split(pattern).join(replacement)`."""
    if pattern == "":
        return from_utf16_units(replacement.join(to_utf16_units(text)))
    if _needs_units(pattern, replacement):
        units = to_utf16_units(text).replace(to_utf16_units(pattern), to_utf16_units(replacement))
        return from_utf16_units(units)
    return text.replace(pattern, replacement)


def replace_first(text: str, pattern: str, replacement: str) -> str:
    """`text.replace(pattern, () => replacement)`: the first occurrence, no `$` patterns."""
    if _needs_units(text, pattern, replacement):
        units = to_utf16_units(text).replace(to_utf16_units(pattern), to_utf16_units(replacement), 1)
        return from_utf16_units(units)
    return text.replace(pattern, replacement, 1)


def replace_last(text: str, pattern: str, replacement: str) -> str:
    """`lastIndexOf(pattern)` and the two substrings around it."""
    units, needle = to_utf16_units(text), to_utf16_units(pattern)
    index = units.rfind(needle)
    if index < 0:
        return text
    return from_utf16_units(units[:index] + to_utf16_units(replacement) + units[index + len(needle) :])


def advance_code_points(units: str, start: int, count: Any) -> int:
    """LiquidJS `advanceCodePoints` over UTF-16 `units`."""
    index = start
    limit = to_number(count)
    i = 0
    while i < limit and index < len(units):
        high = units[index]
        index += (
            2
            if "\ud800" <= high <= "\udbff" and index + 1 < len(units) and "\udc00" <= units[index + 1] <= "\udfff"
            else 1
        )
        i += 1
    return index


def code_point_length(units: str) -> int:
    return advance_count(units)


def advance_count(units: str) -> int:
    length, index = 0, 0
    while index < len(units):
        index = advance_code_points(units, index, 1)
        length += 1
    return length


def slice_units(text: str, start: Any, end: Any = None) -> str:
    """`text.slice(start, end)` on UTF-16 units (start/end converted as JavaScript converts them)."""
    units = to_utf16_units(text)
    size = len(units)
    begin = _relative(start, size, 0)
    finish = size if end is None else _relative(end, size, size)
    return from_utf16_units(units[begin:finish]) if begin < finish else ""


def _relative(value: Any, size: int, default: int) -> int:
    x = to_integer(value)
    if x < 0:
        return int(max(size + x, 0))
    return int(min(x, size))


def array_slice(items: list[Any], start: Any, end: Any) -> list[Any]:
    """`Array.prototype.slice(start, end)` (undefined end: to the end)."""
    size = len(items)
    begin = _relative(start, size, 0)
    finish = size if end is _END else _relative(end, size, size)
    return items[begin:finish] if begin < finish else []


_END: Final = object()
ARRAY_END: Final = _END


def utf8(text: str) -> bytes:
    """Node's UTF-8 for a JavaScript string: a lone surrogate is written as U+FFFD."""
    if not has_surrogates(text):
        return text.encode("utf-8")
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in from_utf16_units(text)).encode("utf-8")


_URI_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()")
URI_COMPONENT_SAFE: Final = _URI_UNRESERVED
URI_SAFE: Final = _URI_UNRESERVED | frozenset(";/?:@&=+$,#")


def encode_uri(text: str, safe: frozenset[str]) -> str:
    """`encodeURIComponent` / `encodeURI`: UTF-8 percent-encoding; a lone surrogate is a URIError."""
    out: list[str] = []
    for ch in text:
        if ch in safe:
            out.append(ch)
        elif "\ud800" <= ch <= "\udfff":
            raise RenderFailure("URI malformed")
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
    return "".join(out)


def decode_uri_component(text: str) -> str:
    """`decodeURIComponent`: %XX sequences as UTF-8; anything malformed is a URIError."""
    if "%" not in text:
        return text
    out: list[str] = []
    i, size = 0, len(text)
    while i < size:
        ch = text[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        first = _hex_byte(text, i)
        i += 3
        if first < 0x80:
            out.append(chr(first))
            continue
        if 0xC0 <= first < 0xE0:
            need, code, low = 1, first & 0x1F, 0x80
        elif 0xE0 <= first < 0xF0:
            need, code, low = 2, first & 0x0F, 0x800
        elif 0xF0 <= first < 0xF8:
            need, code, low = 3, first & 0x07, 0x10000
        else:
            raise RenderFailure("URI malformed")
        for _ in range(need):
            if i >= size or text[i] != "%":
                raise RenderFailure("URI malformed")
            byte = _hex_byte(text, i)
            if byte & 0xC0 != 0x80:
                raise RenderFailure("URI malformed")
            code = (code << 6) | (byte & 0x3F)
            i += 3
        if code < low or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise RenderFailure("URI malformed")
        out.append(chr(code))
    return from_utf16_units("".join(out))


def _hex_byte(text: str, i: int) -> int:
    digits = text[i + 1 : i + 3]
    if len(digits) != 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
        raise RenderFailure("URI malformed")
    return int(digits, 16)


def number_text(x: float) -> str:
    return js_number_to_string(x)


def units_length(text: str) -> int:
    return utf16_len(text)
