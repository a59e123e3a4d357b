"""Matching follows destination-subscriptions' validate() and get(), JavaScript semantics included."""

from __future__ import annotations

from collections import UserDict
from typing import Any

import pytest

from sfmc_actions import trigger_matches
from sfmc_actions.js.number import NAN
from sfmc_actions.route.fql import Condition, Group, compile_trigger
from sfmc_actions.route.fql.evaluate import compile_predicate
from sfmc_actions.route.fql.lookup import BUILTIN, js_falsy, member, walk


def m(fql: str, event: Any) -> bool:
    return compile_trigger(fql).matches(event)


@pytest.mark.parametrize(
    ("fql", "properties", "expected"),
    [
        ("properties.a.b = 0", {"a": 0}, True),  # a falsy value part-way is the result
        ('properties.a.b = ""', {"a": ""}, True),
        ("properties.a.b = false", {"a": False}, True),
        ("properties.a.b = null", {"a": None}, True),
        ("properties.a.b = null", {"a": "x"}, True),  # "x".b is undefined
        ("properties.a.length = 3", {"a": "abc"}, True),
        ("properties.a.length = 2", {"a": "🎉"}, True),  # UTF-16 length
        ("properties.a.length = 2", {"a": [1, None]}, True),
        ("properties.a.length = 0", {"a": []}, True),  # [] is truthy in JavaScript
        ("properties.a.length = null", {"a": {}}, True),
        ('properties.a.\\1 = "b"', {"a": "abc"}, True),
        ('properties.a.\\1 = "b"', {"a": ["a", "b"]}, True),
        ('properties.a.\\01 = "b"', {"a": ["a", "b"]}, False),  # not a canonical index
        ("properties.a.\\5 = null", {"a": ["a"]}, True),
        ("properties.constructor != null", {}, True),  # Object.prototype.constructor
        ('properties.constructor = "own"', {"constructor": "own"}, True),  # own keys first
        ("properties.a.map != null", {"a": []}, True),
        ("properties.a.toFixed != null", {"a": 5}, True),
        ("properties.a.toFixed = 0", {"a": 0}, True),  # 0 is falsy: the walk stops at 0
        ("properties.a.valueOf != null", {"a": True}, True),
        ("properties.a.constructor.name = null", {"a": 1}, True),  # documented deviation: JS says "Number"
        ("properties.a = 1", {"a": True}, False),  # a boolean is not a number
        ("properties.a = 1", {"a": 1}, True),
        ("properties.a = 1", {"a": 1.0}, True),
        ("properties.a != 1", {"a": "1"}, False),  # number_not_equals needs a number
        ('properties.a != "1"', {"a": 1}, True),
        ("properties.a > 9007199254740992", {"a": 9007199254740993}, False),  # rounded like JSON.parse
        ("properties.a = 9007199254740992", {"a": 9007199254740993}, True),
        ("properties.a > 1", {"a": 10**400}, True),  # JSON.parse gives Infinity
        ("properties.a < 1", {"a": -(10**400)}, True),
        ('properties.a > ""', {"a": 1}, True),  # Number("") is 0
        ('properties.a < "0x10"', {"a": 15}, True),
        ('properties.a < "1_0"', {"a": 1}, False),  # Number("1_0") is NaN
        ("properties.a > -", {"a": 1}, False),  # NaN
        ('properties.a = "[object Object]"', {"a": {}}, False),
        ('properties.a != "x"', {}, True),
        ("properties.a.b = 1", {"a": {"b": 1}}, True),
        ("properties.a\\ b = 1", {"a b": 1}, True),
    ],
)
def test_path_lookup(fql: str, properties: dict[str, Any], expected: bool) -> None:
    assert m(fql, {"properties": properties}) is expected


def test_the_root_itself_can_be_falsy_or_a_primitive() -> None:
    assert m("properties.x = 0", {"properties": 0})
    assert m("traits.x = null", {"traits": None})
    assert m("context.x = null", {"context": 5})  # (5).x is undefined
    assert not m("context.x != null", {"context": 5})


def test_text_operators() -> None:
    event = {"event": "Order Completed", "name": 5}
    assert m('contains(event, "der C")', event)
    assert m('contains(event, "")', event)
    assert not m('contains(name, "5")', event)  # not a string
    assert not m('!contains(name, "5")', event)  # not_contains needs a string too
    assert m('match(event, "Order*")', event)
    assert m('!match(event, "*Viewed")', event)
    assert not m('!match(userId, "*x")', event)  # missing: not a string


def test_lone_surrogates_compare_as_utf16_units() -> None:
    # match() cut the emoji in half; JavaScript's endsWith still works on UTF-16 units.
    assert m('match(event, "🎉 Launch")', {"event": "x🎉 Launch"})
    assert m('match(event, "🎉 Launch")', {"event": "🎉 Launch"})
    assert not m('match(event, "🎉 Launch")', {"event": " Launch"})
    assert not m('match(event, "🎉 Launch")', {"event": 5})


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (None, False),  # validate throws on null
        ([], False),
        ("track", False),
        (5, False),
        ({"type": "track"}, True),
        (UserDict({"type": "track"}), True),
    ],
)
def test_events_that_are_not_plain_objects(event: Any, expected: bool) -> None:
    assert m('type = "track"', event) is expected
    assert m('type = "track" and event != "x"', event) is expected
    assert m('type = "track" or properties.x > 1', event) is expected


def test_type_not_equal_matches_primitives_like_javascript() -> None:
    assert m('type != "track"', "a string")  # "a string".type is undefined
    assert not m('type != "track"', None)


def test_an_empty_slot_throws_in_segment_so_nothing_matches() -> None:
    assert m('type = "track" or ()', {"type": "track"})  # `some` stops before the slot
    assert not m('type = "track" or ()', {"type": "page"})
    assert not m('type = "track" and ()', {"type": "track"})
    assert not m('() or type = "track"', {"type": "track"})


def test_a_path_without_keys_throws_in_segment() -> None:
    assert m('type = "track" or properties\\.\\. != null', {"type": "track"})
    assert not m('type = "page" or properties\\.\\. != null', {"type": "track", "properties": {}})
    assert not m("properties\\.\\. xyz 1", {})  # unknown operator, but the lookup still throws
    assert m("properties\\. = null", {"properties": {"": 1}})  # an empty path is always missing


def test_unknown_operators_are_false() -> None:
    assert not m('type in "track"', {"type": "track"})
    assert not m("properties.x in 1", {"properties": {"x": 1}})


def test_hand_built_asts() -> None:
    # Operators Segment never produces from FQL still behave as validate() would.
    assert not compile_predicate(Group("xor", (Condition("event", "=", value="a"),)))({"event": "a"})
    assert compile_predicate(Group("and", (Condition("event", "=", value=None),)))({"event": "undefined"})
    assert compile_predicate(Group("and", (Condition("event", "exists"),)))({"event": "a"})
    assert not compile_predicate(Group("and", (Condition("other", "exists"),)))({"other": 1})
    a = Condition("event", "contains", value="a")
    assert compile_predicate(Group("and", (a, a, a, a)))({"event": "a"})
    assert not compile_predicate(Group("or", (a, a, a, a)))({"event": "b"})
    number = Condition("event-property", "<", "x", NAN)
    assert not compile_predicate(Group("and", (number,)))({"properties": {"x": 1}})


def test_lookup_helpers() -> None:
    assert js_falsy(0) and js_falsy(0.0) and js_falsy("") and js_falsy(None) and js_falsy(False)
    assert js_falsy(float("nan"))
    assert not js_falsy([]) and not js_falsy({}) and not js_falsy("0")
    assert member({}, "hasOwnProperty") is BUILTIN
    assert member("ab", "length") == 2 and member(["x"], "0") == "x"
    assert member(BUILTIN, "name") is None
    assert walk({"a": [{"b": 2}]}, ("a", "0", "b")) == 2


def test_compile_trigger_is_cached_and_public_api() -> None:
    first = compile_trigger('type = "identify"')
    assert compile_trigger('type = "identify"') is first
    assert first.fql == 'type = "identify"' and first.warnings == []
    assert trigger_matches('type = "identify"', {"type": "identify"})
    assert "matches" not in repr(first)


def test_triggers_are_hashable_and_compare_by_ast() -> None:
    one, other = compile_trigger('type = "a" or type = "b"'), compile_trigger('type = "a"  or type = "b"')
    assert hash(one) != hash(other) or one is not other
    assert one.ast == other.ast
