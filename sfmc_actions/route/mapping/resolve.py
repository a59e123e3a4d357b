"""Path lookup as Segment's `get()` does it (spec §1.2), precompiled into segment tuples.

Quirks kept on purpose, because they decide which value reaches SFMC:
* the split rule: `.`, `[` before a quote or digit, `]`s after one; quotes deleted afterwards;
* a JS-falsy value met on the way (`0`, `""`, `false`, `null`) *is* the result;
* strings are indexed by UTF-16 code unit and, like arrays, have a `length`;
* only own keys of objects count (JS prototype members such as `constructor` are UNDEFINED).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sfmc_actions.js.operators import array_members, js_truthy
from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.js.values import is_array_index, to_utf16_units, utf16_len

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
            return value[index] if index < len(value) else UNDEFINED
        return array_members(value).get(key, UNDEFINED)
    if t is str:
        if key == "length":
            return utf16_len(value)
        if is_array_index(key):
            index = int(key)
            if value.isascii():
                return value[index] if index < len(value) else UNDEFINED
            units = to_utf16_units(value)
            return units[index] if index < len(units) else UNDEFINED
        return UNDEFINED
    if isinstance(value, dict):  # also dict subclasses, which the fast paths leave to this step
        return value.get(key, UNDEFINED)
    return UNDEFINED  # numbers and booleans have no own members


def step(value: Any, key: str) -> Any:
    """One reduce step of `get()`: `prev && prev[key]`."""
    if value is UNDEFINED or value is None:
        return value
    if type(value) is dict:
        return value.get(key, UNDEFINED)
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
    """A function doing `get(payload, path)` for a fixed path, unrolled for depths up to 3 (4: two times two).

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
                return p.get(a, UNDEFINED)
            return step(p, a)

        return get1
    if len(steps) == 2:
        return _two_steps(steps[0][0], *steps[1])
    if len(steps) == 3:
        (a, _), (b, ib), (c, ic) = steps

        def get3(p: Any) -> Any:
            p = p.get(a, UNDEFINED) if type(p) is dict else step(p, a)
            if type(p) is dict:
                p = p.get(b, UNDEFINED)
            elif p is UNDEFINED:
                return p
            else:
                p = p[ib] if type(p) is list and ib is not None and ib < len(p) else step(p, b)
            if type(p) is dict:
                return p.get(c, UNDEFINED)
            if p is UNDEFINED:
                return p
            return p[ic] if type(p) is list and ic is not None and ic < len(p) else step(p, c)

        return get3
    if len(steps) == 4:
        head, tail = _two_steps(steps[0][0], *steps[1]), _two_steps(steps[2][0], *steps[3])

        def get4(p: Any) -> Any:
            p = head(p)
            return p if p is UNDEFINED else tail(p)

        return get4

    def get_n(p: Any) -> Any:
        for key, index in steps:
            if type(p) is dict:
                p = p.get(key, UNDEFINED)
            else:
                p = p[index] if type(p) is list and index is not None and index < len(p) else step(p, key)
        return p

    return get_n


def _two_steps(a: str, b: str, ib: int | None) -> Getter:
    def get2(p: Any) -> Any:
        p = p.get(a, UNDEFINED) if type(p) is dict else step(p, a)
        if type(p) is dict:
            return p.get(b, UNDEFINED)
        if p is UNDEFINED:
            return p
        return p[ib] if type(p) is list and ib is not None and ib < len(p) else step(p, b)

    return get2


def _identity(p: Any) -> Any:
    return p
