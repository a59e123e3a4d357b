"""Liquid filters with LiquidJS 10 semantics where python-liquid (Shopify/Ruby semantics) differs.

LiquidJS converts filter arguments with `toNumber(v) = +v || 0` and does double arithmetic:
`7 | divided_by: 2` is 3.5, `0.1 | plus: 0.2` is 0.30000000000000004, `1 | divided_by: 0` is
Infinity; `round` rounds halves away from zero on the shifted decimal; `join` joins with
`Array.prototype.join`. LiquidJS also has `json`/`jsonify`, `sha256`, `hmac_sha256` and
`to_integer`, which python-liquid lacks. String filters receive JavaScript text for numbers and
booleans (`true`, `100`), not Python's (`True`, `100.0`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from liquid.undefined import Undefined

from sfmc_actions.js.json import js_json_stringify
from sfmc_actions.js.operators import js_to_number, js_to_string
from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.js.values import js_number_to_string
from sfmc_actions.route.mapping import liquid_dates

Filter = Callable[..., Any]

STRING_FILTERS = (
    "append",
    "capitalize",
    "downcase",
    "escape",
    "escape_once",
    "lstrip",
    "prepend",
    "remove",
    "remove_first",
    "remove_last",
    "replace",
    "replace_first",
    "replace_last",
    "rstrip",
    "split",
    "strip",
    "strip_html",
    "strip_newlines",
    "truncate",
    "truncatewords",
    "upcase",
    "url_encode",
    "url_decode",
    "base64_encode",
    "base64_decode",
    "base64_url_safe_encode",
    "base64_url_safe_decode",
)


def liquid_text(value: Any) -> str:
    """LiquidJS `stringify`: how output and string filters see a value."""
    t = type(value)
    if t is str:
        return value
    if value is None or value is UNDEFINED or isinstance(value, Undefined):
        return ""
    if t is bool:
        return "true" if value else "false"
    if t is int or t is float:
        return js_number_to_string(value)
    if t is list or t is tuple:
        return "".join(liquid_text(item) for item in value)
    if t is dict:
        return "[object Object]"
    return str(value)


def _number(value: Any) -> float:
    # LiquidJS toNumber: `+value || 0` (NaN becomes 0).
    if isinstance(value, Undefined):
        return 0.0
    number = js_to_number(value)
    return 0.0 if math.isnan(number) else number


def _js_result(number: float) -> int | float:
    # Keep whole results as ints so python-liquid's own filters (slice, truncate) accept them.
    return int(number) if math.isfinite(number) and number.is_integer() and abs(number) < 2**53 else number


def _js_divide(left: float, right: float) -> float:
    if right == 0:
        if left == 0 or math.isnan(left):
            return math.nan
        return math.copysign(math.inf, left) * math.copysign(1.0, right)
    return left / right


def _js_remainder(left: float, right: float) -> float:
    if right == 0 or not math.isfinite(left):
        return math.nan
    return math.fmod(left, right)  # JavaScript `%` keeps the dividend's sign


def plus(value: Any, arg: Any = None) -> int | float:
    return _js_result(_number(value) + _number(arg))


def minus(value: Any, arg: Any = None) -> int | float:
    return _js_result(_number(value) - _number(arg))


def times(value: Any, arg: Any = None) -> int | float:
    return _js_result(_number(value) * _number(arg))


def divided_by(value: Any, arg: Any = None) -> int | float:
    return _js_result(_js_divide(_number(value), _number(arg)))


def modulo(value: Any, arg: Any = None) -> int | float:
    left, right = _number(value), _number(arg)
    return _js_result(_js_remainder(_js_remainder(left, right) + right, right))


def _shift_decimal(number: float, exponent: int) -> float:
    mantissa, _, power = js_number_to_string(number).partition("e")
    return float(f"{mantissa}e{int(power or '0') + exponent}")


def round_(value: Any, places: Any = 0) -> int | float:
    number, digits = _number(value), int(_number(places))
    scaled = _shift_decimal(abs(number), digits)
    if not scaled <= 2**53 - 1:
        return _js_result(number)
    rounded = _shift_decimal(float(math.floor(scaled + 0.5)), -digits)
    return _js_result(-rounded if number < 0 else rounded)


def join(value: Any, separator: Any = None) -> str:
    items = _to_array(value)
    glue = " " if separator is None or isinstance(separator, Undefined) else liquid_text(separator)
    return glue.join("" if item is None or isinstance(item, Undefined) else js_to_string(item) for item in items)


def _to_array(value: Any) -> list[Any]:
    if value is None or isinstance(value, Undefined):
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def compact(value: Any) -> list[Any]:
    return [item for item in _to_array(value) if item is not None and not isinstance(item, Undefined)]


def sum_(value: Any, prop: Any = None) -> int | float:
    total = 0.0
    for item in _to_array(value):
        if prop is not None and not isinstance(prop, Undefined):
            item = item.get(liquid_text(prop)) if isinstance(item, dict) else None
            item = UNDEFINED if item is None else item
        number = js_to_number(item)
        total += 0.0 if math.isnan(number) else number
    return _js_result(total)


def json_(value: Any, space: Any = 0) -> Any:
    if isinstance(value, Undefined):
        return None
    return js_json_stringify(value) if not space else _indented_json(value, int(_number(space)))


def _indented_json(value: Any, space: int) -> str:
    return json.dumps(value, ensure_ascii=False, indent=space)


def sha256(value: Any) -> str:
    return hashlib.sha256(liquid_text(value).encode("utf-8", "surrogatepass")).hexdigest()


def hmac_sha256(value: Any, key: Any = None) -> str:
    digest = hmac.new(liquid_text(key).encode("utf-8"), liquid_text(value).encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()


def to_integer(value: Any) -> int | float:
    return _js_result(js_to_number(value))


def with_js_text(filter_func: Filter) -> Filter:
    """Give a string filter JavaScript text for numbers and booleans."""

    @wraps(filter_func)
    def js_text_input(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, (bool, int, float)):
            value = liquid_text(value)
        return filter_func(value, *args, **kwargs)

    return js_text_input


LIQUIDJS_FILTERS: dict[str, Filter] = {
    "plus": plus,
    "minus": minus,
    "times": times,
    "divided_by": divided_by,
    "modulo": modulo,
    "round": round_,
    "join": join,
    "compact": compact,
    "sum": sum_,
    "json": json_,
    "jsonify": json_,
    "sha256": sha256,
    "hmac_sha256": hmac_sha256,
    "to_integer": to_integer,
    "date": liquid_dates.date,
    "date_to_xmlschema": liquid_dates.date_to_xmlschema,
    "date_to_rfc822": liquid_dates.date_to_rfc822,
}
