"""JavaScript values as LiquidJS 10.30 sees them: its drops, `toValue`, `stringify`, `toNumber`, truthiness,
`equals`, the relational operators and `readProperty`.

Values are the mapping engine's Python form of JSON plus JavaScript `undefined` (UNDEFINED): str, int/float
(one number type, doubles: integers beyond 2**53 compare as the doubles JavaScript holds), bool, None,
list, dict. Strings are Python text whose surrogate pairs are joined (`canonical`); where JavaScript
works on UTF-16 code units (`length`, indexes, comparisons, `indexOf`) the helpers here convert.
LiquidJS's literals `nil`/`null`, `empty` and `blank` are drops (objects with their own comparison rules),
and `{{ block }}` inside `{% block %}` is a BlockDrop.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.js.values import (
    from_utf16_units,
    has_surrogates,
    is_array_index,
    js_number_to_string,
    to_utf16_units,
    utf16_len,
)
from sfmc_actions.js.values import js_to_number as primitive_to_number
from sfmc_actions.route.mapping.resolve import member

_MAX_SAFE: Final = 2**53
# ECMAScript `\s` (WhiteSpace and LineTerminator): not Python's, which adds \x1c-\x1f and \x85 and lacks \ufeff.
JS_SPACE_CLASS: Final = "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_ONLY_SPACE: Final = re.compile(f"[{JS_SPACE_CLASS}]*")


class Drop:
    """A LiquidJS Drop: reading any member gives undefined (no JSON data lives on a drop)."""

    __slots__ = ()
    comparable = False

    def value_of(self) -> Any:
        return self  # Object.prototype.valueOf

    def member(self, key: Any) -> Any:
        return UNDEFINED

    def equals(self, other: Any) -> bool:
        """A comparable drop's `==` (only used when `comparable`)."""
        return self is other


class NullDrop(Drop):
    """`nil` / `null`: equal to null and undefined; every ordering comparison is false."""

    __slots__ = ()
    comparable = True

    def value_of(self) -> Any:
        return None

    def equals(self, other: Any) -> bool:
        return is_nil(to_value(other))


class EmptyDrop(Drop):
    """`empty`: equal to "", [] and {} (but not to another `empty`/`blank`)."""

    __slots__ = ()
    comparable = True

    def value_of(self) -> Any:
        return ""

    def equals(self, other: Any) -> bool:
        if isinstance(other, EmptyDrop):
            return False
        other = to_value(other)
        if type(other) is str:
            return other == ""
        if type(other) is list or type(other) is dict:
            return len(other) == 0
        return False  # numbers, booleans, nil; a BlockDrop has one own member


class BlankDrop(EmptyDrop):
    """`blank`: also false, nil and strings of JavaScript whitespace."""

    __slots__ = ()

    def equals(self, other: Any) -> bool:
        if other is False:
            return True
        if is_nil(to_value(other)):
            return True
        if type(other) is str:
            return _ONLY_SPACE.fullmatch(other) is not None
        return super().equals(other)


class BlockDrop(Drop):
    """`block` inside `{% block %}`: `block.super` renders the parent block, which is empty without layouts."""

    __slots__ = ()

    def member(self, key: Any) -> Any:
        return "" if key == "super" else UNDEFINED


NIL: Final = NullDrop()
EMPTY: Final = EmptyDrop()
BLANK: Final = BlankDrop()
LITERALS: Final[dict[str, Any]] = {
    "true": True,
    "false": False,
    "nil": NIL,
    "null": NIL,
    "empty": EMPTY,
    "blank": BLANK,
}


def to_value(value: Any) -> Any:
    """LiquidJS `toValue`: a drop's `valueOf()`."""
    return value.value_of() if isinstance(value, Drop) else value


def is_nil(value: Any) -> bool:
    return value is None or value is UNDEFINED


def is_number(value: Any) -> bool:
    t = type(value)
    return t is int or t is float


def canonical(text: str) -> str:
    """Join surrogate pairs that concatenation put side by side (JavaScript sees one character there)."""
    return from_utf16_units(text) if has_surrogates(text) else text


def number(value: int | float) -> float:
    """A number as the double JavaScript holds."""
    if type(value) is float:
        return value
    if -_MAX_SAFE <= value <= _MAX_SAFE:
        return float(value)
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def tidy(x: float) -> int | float:
    """A double as the engine keeps numbers: whole values within 2**53 as int (they print and index alike)."""
    if x == x and x not in (math.inf, -math.inf) and x.is_integer() and -_MAX_SAFE <= x <= _MAX_SAFE:
        return int(x) if x or math.copysign(1.0, x) > 0 else x  # keep -0.0
    return x


def js_string(value: Any) -> str:
    """`String(value)`."""
    t = type(value)
    if t is str:
        return value
    if t is bool:
        return "true" if value else "false"
    if t is int or t is float:
        return js_number_to_string(value)
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if t is list:
        return ",".join("" if v is None or v is UNDEFINED else js_string(v) for v in value)
    return "[object Object]"  # objects and drops (their toString is Object.prototype's)


def stringify(value: Any) -> str:
    """LiquidJS `stringify`: nil is "", arrays are their items' text concatenated."""
    value = to_value(value)
    t = type(value)
    if t is str:
        return value
    if value is None or value is UNDEFINED:
        return ""
    if t is list:
        return "".join(stringify(v) for v in value)
    return js_string(value)


def to_primitive(value: Any) -> Any:
    """ToPrimitive with hint number: arrays become their String(), objects "[object Object]"."""
    t = type(value)
    if t is list:
        return js_string(value)
    if t is dict:
        return "[object Object]"
    if isinstance(value, Drop):
        primitive = value.value_of()  # nil -> null, empty/blank -> ""; a BlockDrop is its own valueOf
        return "[object Object]" if primitive is value else primitive
    return value


def to_number(value: Any) -> float:
    """`+value` (ToNumber after ToPrimitive)."""
    return primitive_to_number(to_primitive(value))


def liquid_number(value: Any) -> float:
    """LiquidJS `toNumber`: `+toValue(value) || 0` (NaN and -0 become 0)."""
    x = to_number(to_value(value))
    return x if x == x and x != 0 else 0.0


def is_falsy(value: Any) -> bool:
    """Liquid truthiness (jsTruthy off): only false, null and undefined are falsy."""
    value = to_value(value)
    return value is False or value is None or value is UNDEFINED


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness (`html && ...`, `a || b`)."""
    t = type(value)
    if t is str:
        return value != ""
    if t is bool:
        return value
    if t is int:
        return value != 0
    if t is float:
        return value == value and value != 0.0
    return value is not None and value is not UNDEFINED


def strict_equals(a: Any, b: Any) -> bool:
    """`a === b` (objects by identity)."""
    if is_number(a) and is_number(b):
        return number(a) == number(b)
    ta, tb = type(a), type(b)
    if ta is str and tb is str:
        return a == b
    if ta is bool or tb is bool:
        return ta is tb and a == b
    if ta in (list, dict) or tb in (list, dict):
        return a is b
    return a is b or (ta is tb and ta is str and a == b)


def equals(left: Any, right: Any) -> bool:
    """LiquidJS `equals`: drops compare their way, arrays item by item, anything else with ===."""
    if isinstance(left, Drop) and left.comparable:
        return left.equals(right)
    if isinstance(right, Drop) and right.comparable:
        return right.equals(left)
    left, right = to_value(left), to_value(right)
    if type(left) is list:
        return (
            type(right) is list
            and len(left) == len(right)
            and all(equals(a, b) for a, b in zip(left, right, strict=True))
        )
    return strict_equals(left, right)


def compare(left: Any, right: Any) -> int | None:
    """The abstract relational comparison of `left` and `right` (already toValue'd): -1, 0, 1, or None when
    a NaN makes every ordering false."""
    a, b = to_primitive(left), to_primitive(right)
    if type(a) is str and type(b) is str:
        if a == b:
            return 0
        if not (a.isascii() and b.isascii()) and (has_astral(a) or has_astral(b)):
            a, b = to_utf16_units(a), to_utf16_units(b)  # JavaScript orders by UTF-16 code unit
        return -1 if a < b else 1
    x, y = to_number(a), to_number(b)
    if x != x or y != y:
        return None
    return -1 if x < y else (1 if x > y else 0)


def has_astral(text: str) -> bool:
    return utf16_len(text) != len(text)


def property_key(key: Any) -> str:
    """ToPropertyKey: the string a key names (`1` and "1" are the same member)."""
    return key if type(key) is str else js_string(key)


def own_member(obj: Any, key: Any) -> Any:
    """`obj[key]` for own members only (`ownPropertyOnly`); UNDEFINED when absent."""
    if type(obj) is dict:
        return obj.get(key if type(key) is str else property_key(key), UNDEFINED)
    name = key if type(key) is str else property_key(key)
    if isinstance(obj, Drop):
        return obj.member(name)
    return member(obj, name)  # mapping-kit's one step: lengths, indexes (UTF-16 units), array members


def has_own(obj: Any, key: Any) -> bool:
    """Whether `key in obj` finds an own member (scope lookup; prototype members count as absent)."""
    if type(obj) is dict:
        return (key if type(key) is str else property_key(key)) in obj
    return own_member(obj, key) is not UNDEFINED


def array_element(array: list[Any], index: int | float) -> Any:
    """LiquidJS `readArrayElement`: negative indexes count from the end; only own elements."""
    if index < 0:
        index = len(array) + index
    name = js_number_to_string(index)
    if is_array_index(name) and int(name) < len(array):
        return array[int(name)]
    return UNDEFINED


def size_of(obj: Any) -> Any:
    """LiquidJS `readSize`: an own `size` member, else the length or the number of keys."""
    if type(obj) is dict:
        return obj["size"] if "size" in obj else len(obj)
    if type(obj) is list:
        return len(obj)
    if type(obj) is str:
        return utf16_len(obj)
    return UNDEFINED


def read_property(obj: Any, key: Any) -> Any:
    """LiquidJS `Context.readProperty(obj, key)` with `ownPropertyOnly`."""
    key = to_value(key)
    if obj is None or obj is UNDEFINED:
        return obj
    if isinstance(obj, Drop):
        return obj.member(key)
    if type(obj) is list and is_number(key):
        return array_element(obj, key)
    value = own_member(obj, key)
    if key == "size" and type(key) is str:
        return size_of(obj)
    if key == "first" and type(key) is str:
        return array_element(obj, 0) if type(obj) is list else value
    if key == "last" and type(key) is str:
        return array_element(obj, -1) if type(obj) is list else value
    return value
