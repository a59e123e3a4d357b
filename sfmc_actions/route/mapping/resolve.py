"""Path lookup as Segment's `get()` does it (spec §1.2), precompiled into segment tuples.

Quirks kept on purpose, because they decide which value reaches SFMC:
* the split rule: `.`, `[` before a quote or digit, `]`s after one; quotes deleted afterwards;
* a JS-falsy value met on the way (`0`, `""`, `false`, `null`) *is* the result;
* strings are indexed by UTF-16 code unit and, like arrays, have a `length`;
* only own keys of objects count (JS prototype members such as `constructor` are MISSING).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sfmc_actions.jsvalues import is_array_index, to_utf16_units, utf16_len
from sfmc_actions.route.mapping.jsvalues import MISSING, array_members, js_truthy

Getter = Callable[[Any], Any]

# Segment's get.ts: /\[(?="|'|\d)|\.|(?<="|'|\d)]+/g. JS `\d` is ASCII-only, hence [0-9].
_SPLIT = re.compile(r"""\[(?="|'|[0-9])|\.|(?<="|'|[0-9])]+""")
_QUOTES = re.compile("""['"]""")


@lru_cache(maxsize=4096)
def split_path(path: str) -> tuple[str, ...] | None:
    """Segments of a `get()` path; `None` means the path is the root itself (`""` or `"."`)."""
    if path in ("", "."):
        return None
    return tuple(_QUOTES.sub("", part) for part in _SPLIT.split(path) if part)


def strip_dollar_dot(path: str) -> str:
    """`path.replace('$.', '')`: only the first occurrence, wherever it is (`foo.$.bar` → `foo.bar`)."""
    return path.replace("$.", "", 1)


def member(value: Any, key: str) -> Any:
    """`value[key]` for one step of the walk; `value` is JS-truthy and not a dict."""
    t = type(value)
    if t is list:
        if key == "length":
            return len(value)
        if is_array_index(key):
            index = int(key)
            return value[index] if index < len(value) else MISSING
        return array_members(value).get(key, MISSING)
    if t is str:
        if key == "length":
            return utf16_len(value)
        if is_array_index(key):
            index = int(key)
            if value.isascii():
                return value[index] if index < len(value) else MISSING
            units = to_utf16_units(value)
            return units[index] if index < len(units) else MISSING
        return MISSING
    if isinstance(value, dict):  # also dict subclasses, which the fast paths leave to this step
        return value.get(key, MISSING)
    return MISSING  # numbers and booleans have no own members


def step(value: Any, key: str) -> Any:
    """One reduce step of `get()`: `prev && prev[key]`."""
    if value is MISSING or value is None:
        return value
    if type(value) is dict:
        return value.get(key, MISSING)
    if not js_truthy(value):
        return value
    return member(value, key)


def _index(key: str) -> int | None:
    return int(key) if is_array_index(key) else None


def get(value: Any, path: str) -> Any:
    """Segment's `get(obj, path)` (no `$.` removal: callers that need it do it first)."""
    segments = split_path(path)
    if segments is None:
        return value
    for key in segments:
        value = step(value, key)
    return value


def compile_getter(path: str) -> Getter:
    """A function doing `get(payload, path)` for a fixed path, unrolled for depths up to 4.

    Each step tests for an object first (by far the most common), then for an array with a
    precomputed index, and leaves everything else (falsy short-circuit, strings, `length`, an index
    past the end) to the general `step`.
    """
    segments = split_path(path)
    if segments is None:
        return _identity
    steps = tuple((key, _index(key)) for key in segments)
    if len(steps) == 1:
        ((a, _),) = steps

        def get1(p: Any) -> Any:
            if type(p) is dict:
                return p.get(a, MISSING)
            return step(p, a)

        return get1
    if len(steps) == 2:
        (a, _), (b, ib) = steps

        def get2(p: Any) -> Any:
            p = p.get(a, MISSING) if type(p) is dict else step(p, a)
            if type(p) is dict:
                return p.get(b, MISSING)
            if p is MISSING:
                return p
            return p[ib] if type(p) is list and ib is not None and ib < len(p) else step(p, b)

        return get2
    if len(steps) == 3:
        (a, _), (b, ib), (c, ic) = steps

        def get3(p: Any) -> Any:
            p = p.get(a, MISSING) if type(p) is dict else step(p, a)
            if type(p) is dict:
                p = p.get(b, MISSING)
            elif p is MISSING:
                return p
            else:
                p = p[ib] if type(p) is list and ib is not None and ib < len(p) else step(p, b)
            if type(p) is dict:
                return p.get(c, MISSING)
            if p is MISSING:
                return p
            return p[ic] if type(p) is list and ic is not None and ic < len(p) else step(p, c)

        return get3
    if len(steps) == 4:
        (a, _), (b, ib), (c, ic), (d, id_) = steps

        def get4(p: Any) -> Any:
            p = p.get(a, MISSING) if type(p) is dict else step(p, a)
            if type(p) is dict:
                p = p.get(b, MISSING)
            elif p is MISSING:
                return p
            else:
                p = p[ib] if type(p) is list and ib is not None and ib < len(p) else step(p, b)
            if type(p) is dict:
                p = p.get(c, MISSING)
            elif p is MISSING:
                return p
            else:
                p = p[ic] if type(p) is list and ic is not None and ic < len(p) else step(p, c)
            if type(p) is dict:
                return p.get(d, MISSING)
            if p is MISSING:
                return p
            return p[id_] if type(p) is list and id_ is not None and id_ < len(p) else step(p, d)

        return get4

    def get_n(p: Any) -> Any:
        for key, index in steps:
            if type(p) is dict:
                p = p.get(key, MISSING)
            else:
                p = p[index] if type(p) is list and index is not None and index < len(p) else step(p, key)
        return p

    return get_n


def _identity(p: Any) -> Any:
    return p
