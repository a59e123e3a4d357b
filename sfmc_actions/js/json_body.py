"""Request bodies as the bytes Segment's JavaScript would send for the same value.

JSON.stringify writes compact JSON, keys in JavaScript's order (array-index keys such as "1" first, then the
others as inserted), non-ASCII text as is, whole numbers without a fraction (`20`, never `20.0`: JavaScript has one
number type) and NaN/Infinity as `null` (segment-runtime.md §9, pitfalls 4 and 5). orjson does all of that, fast,
once `_js_numbers` has put keys in that order and whole floats as ints; numbers beyond 2**63 and lone surrogates
(which orjson refuses) go through the exact, slower encoder.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from sfmc_actions.js.values import json_stringify, ordered_items

_INT64 = 2**63


class _NotForOrjson(Exception):
    """A number orjson would write differently from JavaScript."""


def encode_json(value: Any) -> bytes:
    try:
        return orjson.dumps(_js_numbers(value))
    except (_NotForOrjson, orjson.JSONEncodeError):  # big numbers; lone surrogates from JS-style string slicing
        return json_stringify(value).encode()  # lone surrogates come out escaped, as in JavaScript


def _js_numbers(value: Any) -> Any:
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            if abs(value) >= _INT64:
                raise _NotForOrjson
            return int(value)  # 20.0 -> 20
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            raise _NotForOrjson
        return value
    if isinstance(value, dict):
        return {k: _js_numbers(v) for k, v in ordered_items(value)}
    if isinstance(value, list | tuple):
        return [_js_numbers(v) for v in value]
    return value
