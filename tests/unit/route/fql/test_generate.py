"""generate() writes FQL that Segment's parser reads back as the same AST."""

from __future__ import annotations

import pytest

from sfmc_actions.js.number import NAN
from sfmc_actions.route.fql import Condition, Group, compile_trigger, generate, parse
from sfmc_actions.route.fql.generate import escape_word


@pytest.mark.parametrize(
    ("fql", "canonical"),
    [
        ('type="track"', 'type = "track"'),
        ("type = track", 'type = "track"'),
        ("type = 'track'", "type = \"'track'\""),
        ("userId != null and name = null", "userId != null and name = null"),
        ("properties.a = 5 and properties.b != 1.50", "properties.a = 5 and properties.b != 1.5"),
        ("properties.a = 1e2", "properties.a = 1"),
        ("properties.a > 100000000000000000000000", "properties.a > 100000000000000000000000"),
        ("properties.a = true or traits.b = false", "properties.a = true or traits.b = false"),
        ('contains(event, "x")', 'contains(event, "x")'),
        ('!contains(properties.x, "y")', '!contains(properties.x, "y")'),
        ('match(event, "A*") or !match(name, "*B")', 'match(event, "A*") or !match(name, "*B")'),
        ('match(event, "AB")', 'match(event, "*B")'),  # what it means: ends with "B"
        ('event contains "x"', 'contains(event, "x")'),
        ('type contains "x"', 'type contains "x"'),  # contains(type, …) yields no condition
        ('(contains(event, "x") or type = "a") and name = "n"', 'contains(event, "x") and type = "a" and name = "n"'),
        ('(type = "a" or contains(event, "x")) and name = "n"', '(type = "a" or contains(event, "x")) and name = "n"'),
        ('(event contains "x" or type = "a")', 'contains(event, "x") or type = "a"'),
        ('type = "t" and (event contains "x" or type = "a")', 'type = "t" and (event contains "x" or type = "a")'),
        ("properties.\\and = 1", "properties.\\and = 1"),
        ("properties.a\\ b.\\0 = 1", "properties.a\\ b.\\0 = 1"),
        ("properties\\. = 1", "properties\\. = 1"),
        ("properties.a = -", "properties.a = -"),
        ('type = "a" and ()', 'type = "a" and ()'),
        ("type in [", 'type in "["'),
        ("type ( 1", 'type \\( "1"'),
        ('type "x" 1', 'type "x" "1"'),
    ],
)
def test_canonical_text(fql: str, canonical: str) -> None:
    tree = parse(fql)
    assert generate(tree) == canonical
    assert parse(canonical) == tree


@pytest.mark.parametrize(
    "condition",
    [
        Condition("event", "=", value='say "hi"'),  # no double quotes inside "…": an escaped word
        Condition("event", "=", value="'it''s'"),
        Condition("event", "=", value="'\"'"),  # a single-quoted token keeps its quotes
        Condition("event", "ends_with", value=""),
        Condition("event", "ends_with", value="a*"),
        Condition("event", "starts_with", value='a"'),
        Condition("event", "ends_with", value="\udf89 Launch"),  # half an emoji, as match() leaves it
        Condition("event-property", "<", "x", True),
        Condition("event-property", "!=", "x", False),
        Condition("event-property", "contains", "x", 5.0),
        Condition("event-property", "number_equals", "x", NAN),
        Condition("event-property", "number_equals", "x", float("inf")),
        Condition("event-property", "number_not_equals", "x", -1e-7),
        Condition("event-property", "=", "a.and.b", "v"),
        Condition("event-trait", "is_false", "x..y"),
        Condition("event-context", "exists", ""),
        Condition("userId", "is_true"),
        Condition("event", ")", value=")"),
        Condition("event", "'q'", value="v"),
    ],
)
def test_round_trip_of_awkward_conditions(condition: Condition) -> None:
    for tree in (
        Group("and", (condition,)),
        Group("or", (Condition("event", "=", value="z"), Group("and", (condition, condition)))),
    ):
        assert parse(generate(tree)) == tree


@pytest.mark.parametrize(
    ("node", "words"),
    [
        (Group("and", ()), "without conditions"),
        (Group("and", (None,)), "without conditions"),
        (Group("xor", (Condition("event", "=", value="a"),)), "and or or"),
        (Group("and", (Group("and", (Group("and", (Condition("event", "=", value="a"),)),)),)), "one level"),
        (Group("and", (Group("and", (None, None)),)), "top level"),
        (Condition("event-type", "exists"), "needs a value"),
        (Condition("name", "is_true"), "needs a value"),
        (Condition("event", "=", value=5.0), "compares with text"),
        (Condition("event-property", "=", "x", 5.0), "another operator"),
        (Condition("event-property", "=", "x", True), "another operator"),
        (Condition("nope", "=", value="x"), "unknown condition type"),
    ],
)
def test_asts_no_fql_can_produce(node: Condition | Group, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        generate(node)


@pytest.mark.parametrize(
    "fql",
    [
        'event = \\\ud83c\\\udf89\\"',  # the value 🎉" as an escaped identifier: one escape per UTF-16 unit
        'properties.\\\ud83d\\\ude00 != "x"',  # an emoji's two halves escaped (issue 14: ValueError before)
        "properties.\\\ud83d <= bare",  # a lone surrogate in a field name
    ],
)
def test_astral_characters_and_lone_surrogates_are_written_unit_by_unit(fql: str) -> None:
    tree = parse(fql)
    assert parse(generate(tree)) == tree
    assert compile_trigger(fql).warnings is not None  # warnings are written with generate(): no ValueError


def test_escape_word() -> None:
    assert escape_word("a b") == "a\\ b"
    assert escape_word("0x") == "\\0x"
    assert escape_word("and", escape_first=True) == "\\and"
    with pytest.raises(ValueError):
        escape_word("")
