"""Properties: generate/parse round-trips, matching never raises, parse fails only with FqlSyntaxError,
and the compiled closures agree with a plain tree-walking port of Segment's validate()."""

from __future__ import annotations

import math
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfmc_actions.errors import FqlSyntaxError
from sfmc_actions.js.number import NAN, js_number
from sfmc_actions.js.values import from_utf16_units, js_to_string, to_utf16_units
from sfmc_actions.route.fql import Condition, Group, Node, compile_trigger, generate, parse
from sfmc_actions.route.fql.evaluate import compile_predicate
from sfmc_actions.route.fql.lookup import js_falsy, member

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- ASTs that Segment's parser can produce -------------------------------------------------------
PLAIN = st.characters(exclude_categories=["Cs"])  # any character but a lone surrogate
BMP = st.characters(exclude_categories=["Cs"], max_codepoint=0xFFFF)
TEXT = st.one_of(
    st.sampled_from(["track", "Order Completed", "", "a", "5", "null", "true", "a*", "*a", "🎉 x", "x y"]),
    st.text(PLAIN.filter(lambda c: c != '"'), max_size=8),
    st.text(BMP, min_size=1, max_size=8),
    st.text(PLAIN.filter(lambda c: c != "'"), max_size=6).map(lambda t: f"'{t}'"),
)
OPS = st.sampled_from(
    [
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "contains",
        "not_contains",
        "starts_with",
        "ends_with",
        "not_starts_with",
        "not_ends_with",
        "exists",
        "in",
        "and",
        "null",
        "true",
        '"q"',
        "'q'",
        "(",
        ")",
        ".",
        "007",
        "!",
    ]
)
LONE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)  # half of a UTF-16 surrogate pair
NAMES = st.one_of(
    st.sampled_from(["a", "b", "a.b", "length", "0", "a.0", "constructor", "x y", "", ".", "a..b", "properties"]),
    st.text(BMP, max_size=6),
    st.text(st.one_of(PLAIN, LONE), max_size=4).map(from_utf16_units),  # astral characters, lone surrogates
)
NUMBERS = st.one_of(st.floats(allow_nan=False), st.just(NAN), st.integers(-1000, 1000).map(float))


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    kind = draw(
        st.sampled_from(["event-type", "event", "name", "userId", "event-property", "event-trait", "event-context"])
    )
    if kind in ("event-type", "event"):
        return Condition(kind, draw(OPS), value=draw(TEXT))
    if kind in ("name", "userId"):
        specials = ["exists", "not_exists"] + (["is_true", "is_false"] if kind == "userId" else [])
        if draw(st.booleans()):
            return Condition(kind, draw(st.sampled_from(specials)))
        return Condition(kind, draw(OPS), value=draw(TEXT))
    name = draw(NAMES)
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return Condition(kind, draw(st.sampled_from(["exists", "not_exists", "is_true", "is_false"])), name)
    if choice == 1:
        return Condition(kind, draw(st.sampled_from(["number_equals", "number_not_equals"])), name, draw(NUMBERS))
    op = draw(OPS)
    value: str | float | bool
    if op == "=":
        value = draw(TEXT)
    elif op == "!=":
        value = draw(st.one_of(TEXT, st.booleans()))
    else:
        value = draw(st.one_of(TEXT, st.booleans(), NUMBERS))
    return Condition(kind, op, name, value)


def groups_of(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Group]:
    return st.builds(Group, st.sampled_from(["and", "or"]), st.lists(children, min_size=2, max_size=4).map(tuple))


TREES = st.one_of(
    conditions().map(lambda c: Group("and", (c,))),
    groups_of(st.one_of(conditions(), conditions(), groups_of(conditions()), st.none())),
)

# --- events -----------------------------------------------------------------------------------------
KEYS = st.sampled_from(["a", "b", "0", "length", "constructor", "x y", "properties", "", "q"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.sampled_from(["track", "Order Completed", "", "a", "5", "'track'", "🎉 x", "x🎉 x", "a*", "eos", "q"]),
    st.text(max_size=5),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=8,
)
EVENTS = st.one_of(
    st.dictionaries(
        st.sampled_from(["type", "event", "name", "userId", "properties", "traits", "context", "x"]), JSON, max_size=6
    ),
    JSON,
)


# --- a plain port of validate.js / get.js, walking the tree on every call -------------------------
class _Throw(Exception):
    pass


def _get(value: Any, path: str) -> Any:
    if not path:
        return None
    keys = re.findall(r"[^\[.\]]+", path)
    if not keys:
        raise _Throw
    for key in keys:
        value = value if js_falsy(value) else member(value, key)
    return value


def _number(value: Any) -> float | None:
    if type(value) is float:
        return value
    if type(value) is int:
        return js_number(value)
    return None


def _check(actual: Any, op: str, expected: Any) -> bool:
    text = to_utf16_units(js_to_string(expected)) if expected is not None else "undefined"
    units = to_utf16_units(actual) if type(actual) is str else None
    number = _number(actual)
    if op in ("=", "!="):
        return (units == text) == (op == "=")
    if op in ("number_equals", "number_not_equals", "<", "<=", ">", ">="):
        x = js_number(expected)
        if number is None or math.isnan(x):
            return op == "number_not_equals" and number is not None
        return {
            "number_equals": number == x,
            "number_not_equals": number != x,
            "<": number < x,
            "<=": number <= x,
            ">": number > x,
            ">=": number >= x,
        }[op]
    if op.removeprefix("not_") in ("contains", "starts_with", "ends_with"):
        if units is None:
            return False
        base = op.removeprefix("not_")
        found = (
            text in units
            if base == "contains"
            else units.startswith(text)
            if base == "starts_with"
            else units.endswith(text)
        )
        return found != op.startswith("not_")
    return {
        "exists": actual is not None,
        "not_exists": actual is None,
        "is_true": actual is True,
        "is_false": actual is False,
    }.get(op, False)


def _validate(node: Node | None, event: dict[str, Any]) -> bool:
    if node is None:
        raise _Throw
    if isinstance(node, Group):
        results = (_validate(child, event) for child in node.children)
        return all(results) if node.operator == "and" else any(results)
    field = {"event-type": "type", "event": "event", "name": "name", "userId": "userId"}.get(node.type)
    if field is not None:
        return _check(event.get(field), node.operator, node.value)
    root = {"event-property": "properties", "event-trait": "traits", "event-context": "context"}[node.type]
    return _check(_get(event.get(root), node.name or ""), node.operator, node.value)


def reference(tree: Group, event: Any) -> bool:
    if event is None:
        return False
    try:
        return _validate(tree, event if isinstance(event, dict) else {})
    except _Throw:
        return False


# --- properties -----------------------------------------------------------------------------------
@SETTINGS
@given(TREES)
def test_generate_then_parse_gives_the_same_ast(tree: Group) -> None:
    assert parse(generate(tree)) == tree


@SETTINGS
@given(TREES, st.lists(EVENTS, min_size=1, max_size=4))
def test_compiled_matching_agrees_with_a_plain_tree_walk_and_never_raises(tree: Group, events: list[Any]) -> None:
    matches = compile_predicate(tree)
    for event in events:
        assert matches(event) is reference(tree, event)


TOKENS = st.sampled_from(
    [
        "type",
        "event",
        "properties.a",
        "traits.b.c",
        "context",
        "name",
        "userId",
        "=",
        "!=",
        "<",
        ">=",
        "and",
        "or",
        "AND",
        "(",
        ")",
        "!",
        "!(",
        "contains(",
        "match(",
        ",",
        '"x"',
        "'x'",
        "5",
        "-",
        "1.",
        "null",
        "true",
        "foo",
        "\\",
        "[",
        "]",
        ".",
        "\r",
        "🎉",
        "\\\ud83c\\\udf89",
        "\\\udf89",
        '"',
        "an",
        "nul",
        "constructor",
    ]
)
SOUP = st.lists(st.tuples(TOKENS, st.sampled_from(["", " ", " ", "\t", "\n"])), max_size=10).map(
    lambda parts: "".join(a + b for a, b in parts)
)


@SETTINGS
@given(st.one_of(st.text(max_size=30), SOUP))
def test_parse_fails_only_with_fql_syntax_errors(fql: str) -> None:
    try:
        trigger = compile_trigger(fql)
    except FqlSyntaxError as error:
        assert 0 <= error.column <= len(fql)
        str(error).encode("utf-8", "surrogatepass")
    else:
        assert parse(generate(trigger.ast)) == trigger.ast
        for warning in trigger.warnings:
            warning.encode("utf-8")


# --- every operator on every field kind, against a grid of awkward values -------------------------
_OPERATORS = [
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "number_equals",
    "number_not_equals",
    "contains",
    "not_contains",
    "starts_with",
    "not_starts_with",
    "ends_with",
    "not_ends_with",
    "exists",
    "not_exists",
    "is_true",
    "is_false",
    "in",
]
_EXPECTED: list[Any] = ["5", "track", "", "\udf89 x", 5.0, 0.0, NAN, True, None]
_ACTUAL: list[Any] = [
    None,
    "5",
    "track",
    "",
    "🎉 x",
    5,
    5.0,
    0,
    -0.0,
    2**60,
    10**400,
    True,
    False,
    [],
    {},
    [5],
    {"a": 5},
    "eos",
]


def test_every_operator_on_every_field_agrees_with_the_tree_walk() -> None:
    kinds = ["event-type", "event", "name", "userId", "event-property", "event-trait", "event-context"]
    events: list[Any] = [{}, None, "text"]
    for actual in _ACTUAL:
        events += [
            {"type": actual, "event": actual, "name": actual, "userId": actual},
            {"properties": {"a": actual}, "traits": {"a": actual}, "context": {"a": actual}},
            {"properties": actual, "traits": actual, "context": actual},
            {"properties": {"a": {"b": actual}}, "traits": {"a": [actual]}},
        ]
    checked = 0
    for kind in kinds:
        names = (
            ["a", "a.b", "a.0", "a.length", ""]
            if kind.startswith("event-") and kind not in ("event-type", "event")
            else [None]
        )
        for name in names:
            for op in _OPERATORS:
                for value in _EXPECTED:
                    tree = Group("and", (Condition(kind, op, name, value),))
                    matches = compile_predicate(tree)
                    for event in events:
                        assert matches(event) is reference(tree, event), (tree, event)
                        checked += 1
    assert checked > 50_000


def test_fused_shapes_agree_with_the_tree_walk() -> None:
    # The compiler merges common shapes into one closure; each must keep validate()'s meaning.
    def eq(kind: str, text: str) -> Condition:
        return Condition(kind, "=", value=text)

    a, b, c = eq("event-type", "track"), eq("event", "A"), eq("name", "n")
    b2, b3 = eq("event", "B"), eq("event", "C")
    other = Condition("event-property", ">", "x", 1.0)
    shapes = [
        Group("and", (a,)),
        Group("or", (a,)),
        Group("and", (a, b)),
        Group("and", (a, b, c)),
        Group("or", (b, b2)),
        Group("or", (b, b2, b3, b)),
        Group("or", (a, b)),
        Group("and", (b, b2)),
        Group("and", (a, other)),
        Group("and", (a, other, b)),
        Group("and", (a, Group("or", (b, b2)))),
        Group("or", (Group("and", (a, b)), Group("and", (a, other, c)), Group("or", (b2, b3)))),
        Group("and", (a, Group("and", (a, b, c)), Group("and", (a, other)))),
        Group("or", (Group("and", (a, other)), b)),
        Group("and", (a, None)),
        Group("or", (b, b2, None)),
    ]
    values: list[Any] = [None, "track", "A", "B", "C", "n", ["A"], {"A": 1}, 5, True]
    events: list[Any] = [None, [], "A", {}]
    for t in values:
        for e in values:
            events.append({"type": t, "event": e, "name": "n", "properties": {"x": 2}})
            events.append({"type": t, "event": e, "properties": {"x": 0}})
    for tree in shapes:
        matches = compile_predicate(tree)
        for event in events:
            assert matches(event) is reference(tree, event), (tree, event)
