"""`JSON.stringify` / `JSON.parse` as JavaScript does them, for `@json` and Liquid's `json` filter.

Differences from Python's `json` that matter: compact output, non-ASCII kept, lone surrogates
escaped, numbers written like JavaScript (`100.0` → `100`), MISSING members skipped (and MISSING
array elements written as null); `NaN`/`Infinity` are not JSON for the parser.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from sfmc_actions.route.mapping.jsnumbers import js_number_to_string
from sfmc_actions.route.mapping.jsvalues import MISSING

_encode_basic = json.JSONEncoder(ensure_ascii=False).encode
_SURROGATE = re.compile("[\ud800-\udfff]")


def _encode_string(text: str) -> str:
    encoded = _encode_basic(text)
    if not text.isascii() and _SURROGATE.search(encoded):
        # Well-formed JSON.stringify (Node 12+) escapes lone surrogates instead of writing them raw.
        encoded = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)
    return encoded


def js_json_stringify(value: Any) -> Any:
    """`JSON.stringify(value)`: compact, non-ASCII kept, MISSING members skipped; MISSING → MISSING."""
    if value is MISSING:
        return MISSING
    parts: list[str] = []
    _stringify_into(value, parts)
    return "".join(parts)


def _stringify_into(value: Any, out: list[str]) -> None:
    t = type(value)
    if t is str:
        out.append(_encode_string(value))
    elif value is None or value is MISSING:
        out.append("null")
    elif t is bool:
        out.append("true" if value else "false")
    elif t is int or t is float:
        finite = t is int or math.isfinite(value)
        out.append(js_number_to_string(value) if finite else "null")
    elif t is list:
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _stringify_into(item, out)
        out.append("]")
    elif t is dict:
        out.append("{")
        first = True
        for key, item in value.items():
            if item is MISSING:
                continue
            if not first:
                out.append(",")
            first = False
            out.append(_encode_string(str(key)))
            out.append(":")
            _stringify_into(item, out)
        out.append("}")
    else:
        out.append(_encode_string(str(value)))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_int(text: str) -> int | float:
    # JavaScript numbers are doubles: big integers lose precision exactly as JSON.parse does.
    number = int(text)
    return number if -(2**53) < number < 2**53 else float(text)


_decoder = json.JSONDecoder(parse_constant=_reject_constant, parse_int=_parse_int)


def js_json_parse(text: str) -> Any:
    """`JSON.parse(text)`; raises ValueError where JavaScript throws SyntaxError."""
    return _decoder.decode(text)
