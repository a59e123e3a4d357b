"""Request bodies as the bytes Segment's JavaScript would send for the same value.

JSON.stringify writes compact JSON, keeps key order and non-ASCII text as is, writes whole numbers without a
fraction (`20`, never `20.0`: JavaScript has one number type) and NaN/Infinity as `null`
(segment-runtime.md §9, pitfalls 4 and 5). orjson does all of that except the whole-number rule.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

_INT64 = 2**63


def encode_json(value: Any) -> bytes:
    return orjson.dumps(_js_numbers(value))


def _js_numbers(value: Any) -> Any:
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < _INT64:
            return int(value)  # 20.0 -> 20 (beyond 2**63 orjson's notation may differ from JavaScript's)
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else float(value)  # orjson's range; JavaScript loses it anyway
    if isinstance(value, dict):
        return {k: _js_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_js_numbers(v) for v in value]
    return value
