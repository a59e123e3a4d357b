"""JavaScript value rules only payload validation uses; expected values are Node 20's answers (the shared
rules are tested in tests/unit/js/test_values.py)."""

from __future__ import annotations

import math

import pytest

from sfmc_actions.js.equality import UNDEFINED, deep_equal, number_value, strict_equal, type_name
from sfmc_actions.route.payload.messages import SchemaError, message


def test_number_value_writes_whole_numbers_as_int() -> None:
    assert number_value(1000.0) == 1000 and type(number_value(1000.0)) is int
    assert type(number_value(12.5)) is float
    assert type(number_value(1e300)) is float  # beyond 2**53 a float keeps the JSON value exact
    assert number_value(-0.0) == 0 and type(number_value(-0.0)) is int


def test_strict_equal_never_mixes_booleans_and_numbers() -> None:
    assert strict_equal(1, 1.0)
    assert not strict_equal(True, 1)
    assert not strict_equal("1", 1)
    assert not strict_equal(math.nan, math.nan)
    assert not strict_equal({}, {})  # objects compare by identity


def test_deep_equal() -> None:
    assert deep_equal({"a": [1, {"b": None}]}, {"a": [1.0, {"b": None}]})
    assert not deep_equal({"a": 1}, {"a": 1, "b": 2})
    assert not deep_equal([True], [1])
    assert not deep_equal({"a": 1}, [1])


def test_enum_messages_write_each_allowed_value_as_javascript_would() -> None:
    # `${JSON.stringify(v)}` per allowed value: undefined (a choice without a value) prints as is, and a
    # lone surrogate is escaped by well-formed JSON.stringify (the old copy here wrote it raw).
    error = SchemaError("enum", "", {"title": "C"}, "z", [UNDEFINED, "a\ud800", 1.0, None, {"k": [1e21]}])
    assert message(error) == 'C must be one of: undefined, "a\\ud800", 1, null, or {"k":[1e+21]}.'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (UNDEFINED, "undefined"),
        (True, "a boolean"),
        (1.5, "a number"),
        ("", "a string"),
        ([], "an array"),
        ({}, "an object"),
    ],
)
def test_type_name(value: object, expected: str) -> None:
    assert type_name(value) == expected
