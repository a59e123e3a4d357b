"""The parser builds Segment's AST (parse-fql.js), and refuses what Segment refuses, saying why and where."""

from __future__ import annotations

import pytest

from sfmc_actions.errors import FqlSyntaxError
from sfmc_actions.js.number import NAN
from sfmc_actions.route.fql import Condition, Group, parse


def only(fql: str) -> Condition:
    tree = parse(fql)
    assert tree.operator == "and" and len(tree.children) == 1
    child = tree.children[0]
    assert isinstance(child, Condition)
    return child


@pytest.mark.parametrize(
    ("fql", "condition"),
    [
        ('type = "track"', Condition("event-type", "=", value="track")),
        ("type = 5", Condition("event-type", "=", value="5")),
        ("type = null", Condition("event-type", "=", value="null")),
        ("event = 1.50", Condition("event", "=", value="1.5")),
        ("name = null", Condition("name", "not_exists")),
        ("name != null", Condition("name", "exists")),
        ("name = true", Condition("name", "=", value="true")),
        ("userId = true", Condition("userId", "is_true")),
        ("userId = 5", Condition("userId", "=", value="5")),
        ("properties.a.b = 5", Condition("event-property", "number_equals", "a.b", 5.0)),
        ("properties.a != 5", Condition("event-property", "number_not_equals", "a", 5.0)),
        ('properties.a = "5"', Condition("event-property", "=", "a", "5")),
        ("properties.a = true", Condition("event-property", "is_true", "a")),
        ("properties.a != true", Condition("event-property", "!=", "a", True)),
        ("properties.a < true", Condition("event-property", "<", "a", True)),
        ("properties.a = bare", Condition("event-property", "=", "a", "bare")),
        ("properties.a = -", Condition("event-property", "number_equals", "a", NAN)),
        ("traits.t != null", Condition("event-trait", "exists", "t")),
        ("context.c = null", Condition("event-context", "not_exists", "c")),
        ("properties = 1", Condition("event-property", "number_equals", "properties", 1.0)),
        ('event.x = "A"', Condition("event", "=", value="A")),
        ('properties.x contains "y"', Condition("event-property", "contains", "x", "y")),
        ("type in x", Condition("event-type", "in", value="x")),
        ("type = ", Condition("event-type", "=", value="eos")),
        ("properties.\\0 = 1", Condition("event-property", "number_equals", "0", 1.0)),
        ("contains(properties.a, 5)", Condition("event-property", "contains", "a", "5")),
        ('!contains(userId, "u")', Condition("userId", "not_contains", value="u")),
        ('contains(propertiesx, "u")', Condition("event-property", "contains", "propertiesx", "u")),
        ('match(event, "Ab*")', Condition("event", "starts_with", value="Ab")),
        ('match(event, "*Ab")', Condition("event", "ends_with", value="Ab")),
        ('match(event, "Ab")', Condition("event", "ends_with", value="b")),
        ("match(event, 'Ab*')", Condition("event", "ends_with", value="Ab*'")),
        ('!match(traits.t, "x*")', Condition("event-trait", "not_starts_with", "t", "x")),
        ('match(event, "🎉x")', Condition("event", "ends_with", value="\udf89x")),  # JS slices UTF-16 units
    ],
)
def test_conditions(fql: str, condition: Condition) -> None:
    assert only(fql) == condition


def test_bool_and_number_values_are_different_asts() -> None:
    assert only("properties.a < true") != only("properties.a < 1")


def test_the_last_conjunction_of_a_level_wins() -> None:
    a, b, c = (Condition("event-type", "=", value=v) for v in "abc")
    assert parse('type = "a" and type = "b" or type = "c"') == Group("or", (a, b, c))
    assert parse('type = "a" or type = "b" and type = "c"') == Group("and", (a, b, c))
    assert parse('type = "a" or type = "b" and') == Group("and", (a, b))
    assert parse('type = "a" type = "b"') == Group("and", (a, b))


def test_groups() -> None:
    a, b, c = (Condition("event-type", "=", value=v) for v in "abc")
    assert parse('type = "a" and (type = "b" or type = "c")') == Group("and", (a, Group("or", (b, c))))
    assert parse('(type = "a" or type = "b")') == Group("or", (a, b))  # a lone group is the tree
    assert parse('(type = "a")') == Group("and", (a,))
    assert parse('!(type = "a")') == Group("and", (a,))  # the ! is ignored
    assert parse('type = "a" and ()') == Group("and", (a, None))  # JS undefined in the tree
    # the ')' of contains() closes the group: the rest joins the top level
    contains = Condition("event", "contains", value="b")
    assert parse('type = "a" and (contains(event, "b") or type = "c")') == Group("or", (a, contains, c))


def test_to_dict_is_segments_json_shape() -> None:
    tree = parse('properties.price > 99 and (traits.t != null or name = "x") and ()')
    assert tree.to_dict() == {
        "type": "group",
        "operator": "and",
        "children": [
            {"type": "event-property", "name": "price", "operator": ">", "value": 99},
            {
                "type": "group",
                "operator": "or",
                "children": [
                    {"type": "event-trait", "name": "t", "operator": "exists"},
                    {"type": "name", "operator": "=", "value": "x"},
                ],
            },
            None,
        ],
    }
    assert parse("properties.a = -").to_dict()["children"][0]["value"] is None  # JSON.stringify(NaN)


def test_empty_slots_alone_do_not_parse_but_two_do() -> None:
    assert parse("() and ()") == Group("and", (None, None))


@pytest.mark.parametrize(
    ("fql", "column", "words"),
    [
        ("", 0, "the trigger is empty"),
        (" \t\n", 0, "the trigger is empty"),
        ("typo", 0, "'typo' is not a field Segment triggers can test"),
        ('anonymousId = "a"', 0, "'anonymousId' is not a field"),
        ('toString type = "x"', 0, "Segment mistakes it for one"),
        ('contains(type, "t")', 0, "contains() does not work on 'type'"),
        ("()", 0, "this group contains no condition"),
        ("(foo) or", 0, "this group contains no condition"),
        ("type", 4, "Value token is missing: expected an operator and a value after 'type'"),
        ("(type)", 5, "Value token is missing"),
        ("contains", 8, "contains() is missing a 1st argument"),
        ("match(event", 11, "match() is missing a 2nd argument"),
        ('(type = "a"', 0, "this '(' is never closed: expected ')'"),
        ('type = "a" and (type = "b" or (type = "c"))', 30, "nested parentheses"),
        ('((type = "a"))', 1, "inside the group opened at column 1"),
        ('lowercase(event) = "x"', 0, "lowercase() is not a function Segment triggers support"),
        ("type * 1", 5, "invalid character '*'"),
    ],
)
def test_errors(fql: str, column: int, words: str) -> None:
    with pytest.raises(FqlSyntaxError) as caught:
        parse(fql)
    assert words in caught.value.reason
    assert caught.value.column == column
    assert str(caught.value).split("\n")[-1] == "  " + " " * column + "^"


def test_a_trigger_must_be_text() -> None:
    with pytest.raises(FqlSyntaxError, match="must be a string"):
        parse(None)  # type: ignore[arg-type]
