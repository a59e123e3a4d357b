"""Decoding a request body as JSON, including the well-formed JSON that orjson refuses.

orjson decodes almost every body, fast. It refuses some JSON that the grammar allows (RFC 8259) and that a
sender can produce, and refusing those would fail a whole batch for one event:

- a lone UTF-16 surrogate escape (`"\\ud83d"`): JavaScript's JSON.stringify writes one for half of an emoji
  cut by `.slice()`. It becomes U+FFFD, as Go's encoding/json (Segment's servers) and Python's `errors=
  "replace"` do;
- nesting deeper than 1,024 levels: the objects and arrays below `CUT_DEPTH` levels are replaced by a note,
  so the event holding them is still there to be rejected, alone, by the per-event nesting limit
  (events.MAX_DEPTH);
- a number beyond a double's range (`1e400`): decoded as JavaScript's JSON.parse does (Infinity, which JSON
  then writes as null).

Only a body orjson refused takes these slower paths; a body no path can read is reported with orjson's message.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from sfmc_actions.events import MAX_DEPTH

# Levels kept when cutting: an event sits at most two levels down ({"batch": [event]}), so it keeps more than
# MAX_DEPTH levels and is rejected for its nesting rather than accepted with a part silently cut.
CUT_DEPTH = MAX_DEPTH + 3
CUT_NOTE = b'"(cut: nested deeper than the JSON parser goes)"'
# In a JSON text, a backslash starts an escape only inside a string, and escapes are read left to right: a valid
# pair is kept, a lone surrogate replaced, any other escape (\\\\, \\", \\u0041...) kept as it is.
_ESCAPE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"  # a pair: kept
    rb"|(\\u[dD][89a-fA-F][0-9a-fA-F]{2})"  # a lone surrogate: replaced
    rb"|\\."  # any other escape: kept
)
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_INT64_MIN, _UINT64_LIMIT = -(2**63), 2**64


def loads(body: bytes) -> Any:
    """The JSON value of `body`; orjson.JSONDecodeError (orjson's own message) when it is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as refused:
        first = refused
    text = body
    if b"\\u" in text:
        text = _ESCAPE.sub(_replace_lone_surrogate, text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc):
            text = cut_deep(text, CUT_DEPTH)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:  # numbers beyond a double; what orjson does with integers beyond 64 bits (a float) is kept
        return json.loads(text, parse_int=_integer, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise first from None


def _replace_lone_surrogate(match: re.Match[bytes]) -> bytes:
    return b"\\ufffd" if match.group(1) is not None else match.group(0)


def _integer(text: str) -> int | float:
    if len(text) > 21:  # far beyond 64 bits (and beyond int()'s digit limit): a float, as orjson decodes it
        return float(text)
    value = int(text)
    return value if _INT64_MIN <= value < _UINT64_LIMIT else float(value)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def cut_deep(text: bytes, levels: int) -> bytes:
    """`text` with every object or array that opens below `levels` levels replaced by CUT_NOTE."""
    out: list[bytes] = []
    depth, kept_until, cut_from = 0, 0, -1
    for token in _TOKEN.finditer(text):
        char = token.group()[:1]
        if char == b'"':
            continue
        if char in b"[{":
            depth += 1
            if depth == levels + 1 and cut_from < 0:
                cut_from = token.start()
        else:
            depth -= 1
            if depth == levels and cut_from >= 0:
                out += (text[kept_until:cut_from], CUT_NOTE)
                kept_until, cut_from = token.end(), -1
    out.append(text[kept_until:])
    return b"".join(out)
