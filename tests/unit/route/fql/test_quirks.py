"""Triggers whose Segment meaning is surprising load with a warning saying what they mean and how to fix them.

Every trigger here is also in tests/conformance/fql_oracle_cases.jsonl (or the spec's cases), where
Segment's own parser confirms the meaning the warning states.
"""

from __future__ import annotations

import warnings

import pytest

from sfmc_actions.route.fql import compile_trigger


def warned(fql: str) -> list[str]:
    return compile_trigger(fql).warnings


@pytest.mark.parametrize(
    "fql",
    [
        'type = "track"',
        'type = "track" and event = "Order Completed"',
        '(type = "track" and contains(event, "Order")) or (type = "identify" and traits.email != null)',
        'type = "track" and (event = "A" or contains(event, "B"))',
        'properties.revenue > 500 or match(event, "Order*") or !match(name, "*x")',
        "userId != null and context.traits.email = null",
        "type = track",
        'type = "track" or',
    ],
)
def test_plain_triggers_do_not_warn(fql: str) -> None:
    assert warned(fql) == []


@pytest.mark.parametrize(
    ("fql", "phrases"),
    [
        (
            'type = "identify" and event = "X" or userId = "u1"',
            [
                "LAST and/or",
                "(`or`)",
                'means: type = "identify" or event = "X" or userId = "u1"',
                'If you meant `(type = "identify" and event = "X") or userId = "u1"`',
            ],
        ),
        (
            'userId = "u1" or type = "identify" and event = "X"',
            [
                'means: userId = "u1" and type = "identify" and event = "X"',
                'If you meant `userId = "u1" or (type = "identify" and event = "X")`',
            ],
        ),
        ('type = "a" or type = "b" and', ["(`and`)", 'If you meant `type = "a" or type = "b"`']),
        (
            '(type = "a" and type = "b" or type = "c") and name = "n"',
            ["column 1:", "inside the parentheses", "Segment allows one level"],
        ),
        (
            'type = "track" and (contains(event, "Order") or event = "Viewed")',
            [
                "column 20:",
                "')' at column 44",
                '`or event = "Viewed"` is read outside',
                'means: type = "track" or contains(event, "Order") or event = "Viewed"',
                "last inside the parentheses",
            ],
        ),
        ('!(type = "identify")', ["column 1:", "NOT negated", 'means: type = "identify"', "!="]),
        ('!type = "identify"', ["`!type` is read without the `!`"]),
        ("type = 'track'", ["single quotes", "7-character text 'track'", 'Use double quotes: "track"']),
        ("contains(event, 'x')", ["single quotes", "contains(event, 'x')"]),
        ('match(event, "Prod*Added")', ['means: event ends with "rod*Added"', '"text*" (starts with)']),
        ("match(event, 'Order*')", ['ends with "Order*\'"']),
        ('match(event, "*a*")', ['starts with "*a"']),
        ('foo and type = "track"', ["Segment ignores `foo`", "'foo' is not something", 'means: type = "track"']),
        ('anonymousId = "a" or type = "t"', ['Segment ignores `anonymousId = "a"`']),
        ('type = "a" AND event = "b"', ["'AND' is not a conjunction", "lower-case"]),
        ('constructor = "x" or type = "t"', ["mistakes it for one"]),
        ('type = "a" event = "b"', ['no `and`/`or` after `type = "a"`', "`and`"]),
        ('event.name = "x"', ["tests `event` itself and ignores `.name`"]),
        ("properties = 1", ['reads the key "properties" inside properties']),
        ('properties.tags.0 = "a"', ["joins only words after a dot", "properties.tags.\\0"]),
        ("event = null", ['compares event with the text "null"', "never true"]),
        ("type != null", ['"null"', "true for any other value"]),
        ("type =", ['"eos"']),
        ('type == "track"', ['compares with the text "="', 'Segment ignores `"track"`']),
        ("properties.x <=5", ['compares with the text "="']),
        ('type in "a"', ["`in` is not an operator", "always false"]),
        ("event = 007", ["reads 007 as the number 7", 'write "007"']),
        ("properties.flag = True", ["`True` is not the keyword true"]),
        ('type = "a" and ()', ["column 16:", "TypeError", "never match"]),
        ("properties\\.\\. != null", ["names no key", "TypeError"]),
        ("properties\\. = null", ["always missing"]),
        ("type = an", ["drops `n`", 'means: type = "a"']),
        ('type = "a"and event = "b"', ["column 10:", "followed by 'a' without a space"]),
    ],
)
def test_surprising_triggers_warn(fql: str, phrases: list[str]) -> None:
    text = "\n".join(warned(fql))
    for phrase in phrases:
        assert phrase in text


def test_warnings_are_plain_strings_not_python_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = warned('type = "a" and b or c = 1')
    assert result and all(isinstance(w, str) for w in result)


def test_warnings_with_half_an_emoji_can_be_printed() -> None:
    [warning] = warned('match(event, "🎉 Launch")')
    assert "\\udf89 Launch" in warning
    warning.encode("utf-8")
