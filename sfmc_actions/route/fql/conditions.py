"""One condition → a predicate over events: what destination-subscriptions' `validateValue` tests.

With no type coercion on the event side (segment-runtime.md §2.4):

    =  / !=                       the value is / is not the text String(expected)
    number_equals / <, <=, >, >=  the value is a JSON number; compared with Number(expected)
    contains, starts_with, ...    the value is a string (and its not_ forms)
    exists / not_exists           not null and not missing / null or missing
    is_true / is_false            the value is the boolean
    anything else                 false

The usual shapes (`type = "x"`, `traits.email != null`, `properties.revenue > 500`) get a closure
that reads the event inline; the rest compose a getter with a test.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Final

from sfmc_actions.js.number import js_number
from sfmc_actions.js.values import has_surrogates, js_to_number, js_to_string, to_utf16_units
from sfmc_actions.route.fql import ast
from sfmc_actions.route.fql.ast import Condition
from sfmc_actions.route.fql.lookup import OBJECT_MEMBERS, PathError, path_segments, walk

Event = dict[str, Any]
Predicate = Callable[[Event], bool]
Getter = Callable[[Event], Any]
Test = Callable[[Any], bool]

TOP_FIELDS: Final = {ast.EVENT_TYPE: "type", ast.EVENT: "event", ast.NAME: "name", ast.USER_ID: "userId"}
_ROOTS: Final = {ast.PROPERTY: "properties", ast.TRAIT: "traits", ast.CONTEXT: "context"}
_EXACT: Final = 2**53  # ints beyond this are rounded to doubles, as JSON.parse does


class Abort(Exception):
    """Segment's `validate` threw (see evaluate.py): the event does not match."""


def compile_condition(cond: Condition) -> Predicate:
    if cond.type in TOP_FIELDS:
        return _top_level(TOP_FIELDS[cond.type], cond)
    if cond.type not in _ROOTS:
        return lambda e: False
    fast = _one_key_condition(_ROOTS[cond.type], cond)
    if fast is not None:
        return fast
    getter = _path_getter(_ROOTS[cond.type], cond.name or "")
    test = _test(cond.operator, cond.value)
    if test is None:

        def unknown_operator(e: Event) -> bool:
            getter(e)  # Segment looks the value up first, and that may throw
            return False

        return unknown_operator
    return lambda e: test(getter(e))


def _top_level(key: str, cond: Condition) -> Predicate:
    """Conditions on type/event/name/userId read `event[key]` directly (no path walk)."""
    op, value = cond.operator, cond.value
    if value is not None and not has_surrogates(text := js_to_string(value)):
        if op == "=":
            return lambda e: e.get(key) == text
        if op == "!=":
            return lambda e: e.get(key) != text
        if op == "contains":
            return lambda e: type(v := e.get(key)) is str and text in v
    if op == "exists":
        return lambda e: e.get(key) is not None
    if op == "not_exists":
        return lambda e: e.get(key) is None
    test = _test(op, value)
    if test is None:

        def unknown_operator(e: Event) -> bool:
            e.get(key)  # Segment reads the field first: a null event throws even here
            return False

        return unknown_operator
    return lambda e: test(e.get(key))


def _one_key_condition(root: str, cond: Condition) -> Predicate | None:
    """`traits.email != null`, `properties.revenue > 500`, ...: one key under a root, read inline when
    the root is an object (the usual case), with the common operators; otherwise None."""
    segments = path_segments(cond.name or "")
    if len(segments) != 1 or segments[0] in OBJECT_MEMBERS or cond.name != segments[0]:
        return None
    key, op = segments[0], cond.operator

    def value(e: Event) -> Any:
        found = e.get(root)
        return found.get(key) if type(found) is dict else walk(found, segments)

    if op == "exists":

        def exists(e: Event) -> bool:
            found = e.get(root)
            return (found.get(key) if type(found) is dict else walk(found, segments)) is not None

        return exists
    if op in ("=", "!=") and cond.value is not None and not has_surrogates(text := js_to_string(cond.value)):
        if op == "=":

            def equals(e: Event) -> bool:
                found = e.get(root)
                return (found.get(key) if type(found) is dict else walk(found, segments)) == text

            return equals
        return lambda e: value(e) != text
    if op in _NUMBER_OPS:
        compare, x = _NUMBER_OPS[op], js_number(cond.value)

        def number(e: Event) -> bool:
            found = e.get(root)
            v: Any = found.get(key) if type(found) is dict else walk(found, segments)
            kind = type(v)
            if kind is float:
                return compare(v, x)
            if kind is int:
                return compare(v if -_EXACT <= v <= _EXACT else js_to_number(v), x)
            return False

        return number
    return None


def _path_getter(root: str, name: str) -> Getter:
    """`get(event[root], name)`: see lookup.py for the JavaScript rules it follows."""
    if not name:

        def no_path(e: Event) -> Any:
            e.get(root)  # Segment reads event[root] first: a null event throws even here
            return None  # get(obj, "") is undefined

        return no_path
    segments = path_segments(name)
    if not segments:

        def throws(e: Event) -> Any:
            raise Abort from PathError(name)

        return throws
    if len(segments) == 1 and segments[0] not in OBJECT_MEMBERS:
        key = segments[0]

        def get_one(e: Event) -> Any:
            value = e.get(root)
            if type(value) is dict:
                return value.get(key)
            return walk(value, segments)

        return get_one
    return lambda e: walk(e.get(root), segments)


def _test(op: str, expected: ast.Value | None) -> Test | None:
    """The test `validateValue(actual, op, expected)` applies to the looked-up value."""
    if op == "exists":
        return lambda v: v is not None
    if op == "not_exists":
        return lambda v: v is None
    if op == "is_true":
        return lambda v: v is True
    if op == "is_false":
        return lambda v: v is False
    if op in _NUMBER_OPS:
        return _number_test(_NUMBER_OPS[op], js_number(expected))
    if op not in _TEXT_OPS:
        return None
    text = js_to_string(expected) if expected is not None else "undefined"  # String(undefined)
    if has_surrogates(text):
        return _utf16_test(op, to_utf16_units(text))
    return _TEXT_OPS[op](text)


def _number_test(compare: Callable[[float, float], bool], x: float) -> Test:
    def test(v: Any) -> bool:
        kind = type(v)
        if kind is float:
            return compare(v, x)
        if kind is int:
            return compare(v if -_EXACT <= v <= _EXACT else js_to_number(v), x)
        return False

    return test


_NUMBER_OPS: Final[dict[str, Callable[[float, float], bool]]] = {
    "number_equals": operator.eq,
    "number_not_equals": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


_TEXT_OPS: Final[dict[str, Callable[[str], Test]]] = {
    "=": lambda t: lambda v: v == t,
    "!=": lambda t: lambda v: v != t,
    "contains": lambda t: lambda v: type(v) is str and t in v,
    "not_contains": lambda t: lambda v: type(v) is str and t not in v,
    "starts_with": lambda t: lambda v: type(v) is str and v.startswith(t),
    "not_starts_with": lambda t: lambda v: type(v) is str and not v.startswith(t),
    "ends_with": lambda t: lambda v: type(v) is str and v.endswith(t),
    "not_ends_with": lambda t: lambda v: type(v) is str and not v.endswith(t),
}


def _utf16_test(op: str, units: str) -> Test:
    """For expected text holding a lone surrogate (e.g. match() split an emoji), compare UTF-16 units
    as JavaScript does, not code points."""
    base = _TEXT_OPS[op](units)

    def test(v: Any) -> bool:
        return base(to_utf16_units(v) if type(v) is str else v)

    return test
