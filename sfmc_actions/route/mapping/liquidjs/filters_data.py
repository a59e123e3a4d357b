"""LiquidJS's math, array and misc filters (default, json/jsonify/inspect, to_integer, raw).

Math filters read every argument with `toNumber` (`+v || 0`) and compute in doubles. Array filters treat
nil as [] and any other non-array as a one-element array; `first`/`last` read a string's UTF-16 units.
`json` is JavaScript's JSON.stringify: index-like keys first, drops as `{}`, `undefined` members skipped.
"""

from __future__ import annotations

import math
import random
from typing import Any

from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.js.values import js_number_to_string, json_stringify, to_utf16_units, utf16_len
from sfmc_actions.route.mapping.liquidjs import jsops
from sfmc_actions.route.mapping.liquidjs.lexer import PropertyAccess, Tokenizer
from sfmc_actions.route.mapping.liquidjs.render import FILTERS, Context, RenderFailure, evaluate_token
from sfmc_actions.route.mapping.liquidjs.values import (
    Drop,
    array_element,
    canonical,
    compare,
    equals,
    is_falsy,
    is_nil,
    is_number,
    js_string,
    js_truthy,
    liquid_number,
    own_member,
    read_property,
    stringify,
    tidy,
    to_number,
    to_value,
)


# --- math ---
def _numbers(value: Any, args: tuple[Any, ...]) -> list[float]:
    return [liquid_number(value), *(liquid_number(a) for a in args)]


def abs_(ctx: Context, value: Any, *args: Any) -> Any:
    return tidy(abs(liquid_number(value)))


def at_least(ctx: Context, value: Any, *args: Any) -> Any:
    return tidy(max(_numbers(value, args)))  # Math.max over the value and every argument


def at_most(ctx: Context, value: Any, *args: Any) -> Any:
    return tidy(min(_numbers(value, args)))


def ceil(ctx: Context, value: Any, *args: Any) -> Any:
    x = liquid_number(value)
    return tidy(float(math.ceil(x)) if math.isfinite(x) else x)


def floor(ctx: Context, value: Any, *args: Any) -> Any:
    x = liquid_number(value)
    return tidy(float(math.floor(x)) if math.isfinite(x) else x)


def _divide(left: float, right: float) -> float:
    if right == 0:
        if left == 0 or left != left:
            return math.nan
        return math.copysign(math.inf, left) * math.copysign(1.0, right)
    return left / right


def _remainder(left: float, right: float) -> float:
    if right == 0 or not math.isfinite(left) or right != right or left != left:
        return math.nan
    if math.isinf(right):
        return left
    return math.fmod(left, right)  # JavaScript `%` keeps the dividend's sign


def divided_by(ctx: Context, value: Any, *args: Any) -> Any:
    left, right = liquid_number(value), _arg(args, 0)
    integer = liquid_number(args[1]) if len(args) > 1 else 0.0  # `integerArithmetic = false`
    quotient = _divide(left, right)
    if integer:
        quotient = float(math.floor(quotient)) if math.isfinite(quotient) else quotient
    return tidy(quotient)


def _arg(args: tuple[Any, ...], index: int) -> float:
    # `argumentsToNumber` converts the arguments passed; one left out is undefined: NaN in arithmetic.
    return liquid_number(args[index]) if index < len(args) else math.nan


def minus(ctx: Context, value: Any, *args: Any) -> Any:
    return tidy(liquid_number(value) - _arg(args, 0))


def plus(ctx: Context, value: Any, *args: Any) -> Any:
    return tidy(liquid_number(value) + _arg(args, 0))


def times(ctx: Context, value: Any, *args: Any) -> Any:
    return tidy(liquid_number(value) * _arg(args, 0))


def modulo(ctx: Context, value: Any, *args: Any) -> Any:
    left, right = liquid_number(value), _arg(args, 0)
    return tidy(_remainder(_remainder(left, right) + right, right))


def _shift_decimal(x: float, exponent: float) -> float:
    mantissa, _, power = js_number_to_string(x).partition("e")
    return to_number(f"{mantissa}e{js_number_to_string(to_number(power or '0') + exponent)}")


def _js_round(x: float) -> float:
    if not math.isfinite(x):
        return x
    low = math.floor(x)
    return float(low + 1 if x - low >= 0.5 else low)


def round_(ctx: Context, value: Any, places: Any = UNDEFINED, *args: Any) -> Any:
    x = liquid_number(value)
    digits = liquid_number(0 if places is UNDEFINED else places)
    scaled = _shift_decimal(abs(x), digits)
    if not scaled <= 2**53 - 1:
        return tidy(x)
    rounded = _shift_decimal(_js_round(scaled), -digits)
    return tidy(-rounded if x < 0 else rounded)


# --- arrays ---
def to_array(value: Any) -> list[Any]:
    value = to_value(value)
    if is_nil(value):
        return []
    return value if type(value) is list else [value]


def join(ctx: Context, value: Any, separator: Any = UNDEFINED, *args: Any) -> str:
    items = to_array(value)
    separator = to_value(separator)
    glue = " " if is_nil(separator) else stringify(separator)
    size = utf16_len(glue) * max(len(items) - 1, 0) + sum(utf16_len(js_string(i)) for i in items)
    ctx.memory.use(size)
    return canonical(glue.join("" if is_nil(i) else js_string(i) for i in items))


def _array_like_element(value: Any, index: int) -> Any:
    value = to_value(value)
    if not js_truthy(value):
        return ""
    if type(value) is list:
        return array_element(value, index)
    length = own_member(value, "length")
    if not is_number(length):
        return ""
    position = length + index if index < 0 else index
    return own_member(value, position)


def last(ctx: Context, value: Any, *args: Any) -> Any:
    return _array_like_element(value, -1)


def first(ctx: Context, value: Any, *args: Any) -> Any:
    return _array_like_element(value, 0)


def size(ctx: Context, value: Any, *args: Any) -> Any:
    if not js_truthy(value):
        return 0
    length = own_member(value, "length")
    return length if js_truthy(length) else 0


def _path_value(ctx: Context, item: Any, path: str) -> Any:
    # Context._getFromScope(item, "a.b"): readProperty step by step (size/first/last included).
    for key in path.split("."):
        item = read_property(item, key)
    return item


def sum_(ctx: Context, value: Any, prop: Any = UNDEFINED, *args: Any) -> Any:
    total = 0.0
    use_prop = js_truthy(prop)
    path = stringify(prop) if use_prop else ""
    for item in to_array(value):
        x = to_number(_path_value(ctx, item, path) if use_prop else item)
        total += 0.0 if x != x else x
    return tidy(total)


def compact(ctx: Context, value: Any, *args: Any) -> list[Any]:
    items = to_array(value)
    ctx.memory.use(len(items))
    return [i for i in items if not is_nil(to_value(i))]


def push(ctx: Context, value: Any, item: Any = UNDEFINED, *args: Any) -> list[Any]:
    items = to_array(value)
    ctx.memory.use(len(items) + 1)
    return [*items, item]


def unshift(ctx: Context, value: Any, item: Any = UNDEFINED, *args: Any) -> list[Any]:
    items = to_array(value)
    ctx.memory.use(len(items))
    return [item, *items]


def pop(ctx: Context, value: Any, *args: Any) -> list[Any]:
    items = to_array(value)
    ctx.memory.use(len(items))
    return items[:-1]


def shift(ctx: Context, value: Any, *args: Any) -> list[Any]:
    items = to_array(value)
    ctx.memory.use(len(items))
    return items[1:]


def slice_(ctx: Context, value: Any, begin: Any = UNDEFINED, length: Any = UNDEFINED, *args: Any) -> Any:
    value = to_value(value)
    if is_nil(value):
        return []
    length = 1 if length is UNDEFINED else length
    if type(value) is list:
        if _less_than_zero(begin):
            begin = jsops.js_add(len(value), begin)
        if _less_than_zero(begin) or _less_than_zero(length):
            return []
        ctx.memory.use(length)
        return jsops.array_slice(value, begin, jsops.js_add(begin, length))
    units = to_utf16_units(stringify(value))
    if _less_than_zero(begin):
        begin = jsops.js_add(jsops.code_point_length(units), begin)
    if _less_than_zero(begin) or _less_than_zero(length):
        return ""
    ctx.memory.use(length)
    start = jsops.advance_code_points(units, 0, begin)
    return canonical(units[start : jsops.advance_code_points(units, start, length)])


def _less_than_zero(value: Any) -> bool:
    return compare(to_value(value) if isinstance(value, Drop) else value, 0) == -1


def where(ctx: Context, value: Any, prop: Any = UNDEFINED, expected: Any = UNDEFINED, *args: Any) -> list[Any]:
    items = to_array(value)
    ctx.memory.use(len(items))
    reader = Tokenizer(stringify(prop))
    reader.skip_blank()
    props = reader.read_properties()  # LiquidJS `readScopeValue`: a path read in each item's own scope
    path = PropertyAccess(None, props, "") if props else None
    matched = []
    for item in items:
        found = evaluate_token(path, ctx.spawn(item)) if path is not None else UNDEFINED
        keep = not is_falsy(found) if expected is UNDEFINED else equals(found, expected)
        if keep:
            matched.append(item)
    return matched


def sample(ctx: Context, value: Any, count: Any = UNDEFINED, *args: Any) -> Any:
    value = to_value(value)
    if is_nil(value):
        return []
    items = value if type(value) is list else list(stringify(value))
    ctx.memory.use(len(items) if type(value) is list else utf16_len(stringify(value)))
    shuffled = list(items)
    random.shuffle(shuffled)  # Math.random: not reproducible in Segment either
    count = 1 if count is UNDEFINED else count
    if is_number(count) and count == 1:
        return shuffled[0] if shuffled else UNDEFINED
    return jsops.array_slice(shuffled, 0, count)


# --- misc ---
def default(ctx: Context, value: Any, fallback: Any = UNDEFINED, *args: Any) -> Any:
    value = to_value(value)
    if type(value) is list or type(value) is str:
        return value if value else fallback
    if value is False and _option(args, "allow_false"):
        return False
    return fallback if is_falsy(value) else value


def _option(args: tuple[Any, ...], name: str) -> Any:
    """`new Map(args).get(name)`: every argument must be an entry (an object)."""
    found: Any = UNDEFINED
    for entry in args:
        if type(entry) is list:
            key = entry[0] if entry else UNDEFINED
            item = entry[1] if len(entry) > 1 else UNDEFINED
        elif type(entry) is dict:
            key, item = entry.get("0", UNDEFINED), entry.get("1", UNDEFINED)
        elif isinstance(entry, Drop):
            key, item = UNDEFINED, UNDEFINED
        else:
            raise RenderFailure(f"Iterator value {js_string(entry)} is not an entry object")
        if type(key) is str and key == name:
            found = item
    return js_truthy(found) and found is not UNDEFINED


def _json_value(ctx: Context, value: Any) -> Any:
    """The value JSON.stringify sees, with LiquidJS's memory charge for every member it visits."""
    t = type(value)
    if t is str:
        ctx.memory.use(utf16_len(value))
        return value
    if value is None or t is bool or t is int or t is float:
        ctx.memory.use(len(json_stringify(value)))
        return value
    if t is list:
        ctx.memory.use(len(value) + 1)
        return [UNDEFINED if v is UNDEFINED else _json_value(ctx, v) for v in value]
    if t is dict:
        ctx.memory.use(2)
        return {k: _json_value(ctx, v) for k, v in value.items() if v is not UNDEFINED}
    if isinstance(value, Drop):
        ctx.memory.use(2)
        return {}  # drops have no enumerable members
    return value


def _space(space: Any) -> str:
    if is_number(space):
        x = jsops.to_integer(space)
        return " " * int(min(10, x)) if x >= 1 else ""
    if type(space) is str:
        return space[:10]
    return ""


def json_(ctx: Context, value: Any, space: Any = UNDEFINED, *args: Any) -> Any:
    if value is UNDEFINED:
        return UNDEFINED  # JSON.stringify(undefined) is undefined
    return json_stringify(_json_value(ctx, value), UNDEFINED, indent=_space(0 if space is UNDEFINED else space))


def to_integer(ctx: Context, value: Any, *args: Any) -> Any:
    return tidy(to_number(value))


def raw(ctx: Context, value: Any, *args: Any) -> Any:
    return value


FILTERS.update(
    {
        "abs": abs_,
        "at_least": at_least,
        "at_most": at_most,
        "ceil": ceil,
        "floor": floor,
        "divided_by": divided_by,
        "minus": minus,
        "plus": plus,
        "times": times,
        "modulo": modulo,
        "round": round_,
        "join": join,
        "last": last,
        "first": first,
        "size": size,
        "sum": sum_,
        "compact": compact,
        "push": push,
        "unshift": unshift,
        "pop": pop,
        "shift": shift,
        "slice": slice_,
        "where": where,
        "sample": sample,
        "default": default,
        "json": json_,
        "jsonify": json_,
        "inspect": json_,
        "to_integer": to_integer,
        "raw": raw,
    }
)
