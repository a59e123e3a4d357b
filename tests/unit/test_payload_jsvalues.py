"""JavaScript value rules used by payload validation; expected values are Node 20's answers."""

from __future__ import annotations

import math

import pytest

from sfmc_actions.route.payload.jsvalues import (
    UNDEFINED,
    deep_equal,
    js_number,
    js_string,
    json_stringify,
    number_value,
    strict_equal,
    type_name,
    utf16_length,
)

# [text, String(Number(text))] from Node.
NUMBER_OF_STRING = [
    ("", "0"), (" ", "0"), ("12.5", "12.5"), (" 12 ", "12"), ("\t7\n", "7"), ("1e3", "1000"), ("0x10", "16"),
    ("0X1f", "31"), ("0o17", "15"), ("0b101", "5"), ("-0x10", "NaN"), ("+5", "5"), (".5", "0.5"), ("5.", "5"),
    ("-.5e-2", "-0.005"), ("abc", "NaN"), ("5px", "NaN"), ("NaN", "NaN"), ("1_000", "NaN"), ("Infinity", "Infinity"),
    ("-Infinity", "-Infinity"), ("+Infinity", "Infinity"), ("infinity", "NaN"), ("1e400", "Infinity"),
    ("\u00a012\u3000", "12"), ("\ufeff3", "3"), ("1e", "NaN"), ("e5", "NaN"), ("0.0000001", "1e-7"), ("00012", "12"),
    ("-0", "0"), ("\u0661\u0662", "NaN"), ("inf", "NaN"), ("nan", "NaN"),
]  # fmt: skip

# [number, "" + number] from Node.
STRING_OF_NUMBER = [
    (1234, "1234"), (12.5, "12.5"), (1e21, "1e+21"), (1e-7, "1e-7"), (0.000001, "0.000001"),
    (123456789012345680000, "123456789012345680000"), (-0.0, "0"), (0.1, "0.1"), (1.5e300, "1.5e+300"),
    (5e-324, "5e-324"), (2**53, "9007199254740992"), (2**53 + 2, "9007199254740994"), (-1e-7, "-1e-7"), (100, "100"),
    (1e20, "100000000000000000000"), (123e-20, "1.23e-18"), (0.1 + 0.2, "0.30000000000000004"), (12.0, "12"),
    (True, "true"), (False, "false"), (math.inf, "Infinity"), (-math.inf, "-Infinity"), (math.nan, "NaN"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), NUMBER_OF_STRING)
def test_js_number(text: str, expected: str) -> None:
    assert js_string(js_number(text)) == expected


@pytest.mark.parametrize(("value", "expected"), STRING_OF_NUMBER)
def test_js_string(value: float, expected: str) -> None:
    assert js_string(value) == expected


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


def test_json_stringify_matches_javascript() -> None:
    assert json_stringify('a"b\n\u00e9') == '"a\\"b\\n\u00e9"'
    assert json_stringify([1.0, None, {"k": 1e21}]) == '[1,null,{"k":1e+21}]'
    assert json_stringify(math.inf) == "null"
    assert json_stringify(UNDEFINED) == "undefined"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "null"), (UNDEFINED, "undefined"), (True, "a boolean"), (1.5, "a number"), ("", "a string"),
     ([], "an array"), ({}, "an object")],
)  # fmt: skip
def test_type_name(value: object, expected: str) -> None:
    assert type_name(value) == expected


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_length("a\U0001f600") == 3
