"""The JavaScript value rules every stage shares; expected values are Node 20's answers.

Gathers the edge cases the FQL, mapping and payload copies of these rules each tested, plus the inputs
on which those copies disagreed (marked "Node decided").
"""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfmc_actions.js.values import (
    JS_WHITESPACE,
    from_utf16_units,
    has_surrogates,
    is_array_index,
    js_key_order,
    js_number_to_string,
    js_string_to_number,
    js_to_number,
    js_to_string,
    js_trim,
    json_stringify,
    to_utf16_units,
    utf16_len,
)

# [text, String(Number(text))] from Node.
NUMBER_OF_STRING = [
    ("", "0"),
    (" ", "0"),
    ("12.5", "12.5"),
    (" 12 ", "12"),
    ("\t7\n", "7"),
    ("1e3", "1000"),
    ("0x10", "16"),
    ("0X1f", "31"),
    (" 0x1F ", "31"),
    ("0o17", "15"),
    ("0o7", "7"),
    ("0b101", "5"),
    ("0b11", "3"),
    ("-0x10", "NaN"),
    ("0x-1", "NaN"),
    ("0x", "NaN"),
    ("+5", "5"),
    (".5", "0.5"),
    ("5.", "5"),
    (".", "NaN"),
    ("+.e1", "NaN"),
    ("-.5e-2", "-0.005"),
    ("abc", "NaN"),
    ("5px", "NaN"),
    ("1,5", "NaN"),
    ("- 1", "NaN"),
    ("NaN", "NaN"),
    ("1_000", "NaN"),
    ("Infinity", "Infinity"),
    ("-Infinity", "-Infinity"),
    ("+Infinity", "Infinity"),
    ("infinity", "NaN"),
    ("inf", "NaN"),
    ("nan", "NaN"),
    ("1e400", "Infinity"),
    ("1" * 400, "Infinity"),
    ("\u00a012\u3000", "12"),
    ("\u00a05\ufeff", "5"),
    ("\ufeff3", "3"),
    ("\u180e1", "NaN"),
    ("1e", "NaN"),
    ("e5", "NaN"),
    ("0.0000001", "1e-7"),
    ("00012", "12"),
    ("-0", "0"),
    ("\u0661\u0662", "NaN"),
    ("²", "NaN"),
    # Node decided: the mapping and payload copies raised OverflowError here, the FQL copy said Infinity.
    ("0x" + "f" * 300, "Infinity"),
    ("0b" + "1" * 1100, "Infinity"),
    ("0o" + "7" * 400, "Infinity"),
]

# [number, String(number)] from Node (Python ints beyond 2**53 are held as the nearest double, as JS does).
STRING_OF_NUMBER = [
    (1, "1"),
    (1234, "1234"),
    (100, "100"),
    (100.0, "100"),
    (12.0, "12"),
    (12.5, "12.5"),
    (-1.5, "-1.5"),
    (0.1, "0.1"),
    (0.1 + 0.2, "0.30000000000000004"),
    (1e21, "1e+21"),
    (1e20, "100000000000000000000"),
    (1e16, "10000000000000000"),
    (123456789012345680000, "123456789012345680000"),
    (1e-7, "1e-7"),
    (-1e-7, "-1e-7"),
    (1.5e-7, "1.5e-7"),
    (0.000001, "0.000001"),
    (1e-5, "0.00001"),
    (-0.0, "0"),
    (0.0, "0"),
    (0, "0"),
    (123e-20, "1.23e-18"),
    (1.5e300, "1.5e+300"),
    (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (2**53, "9007199254740992"),
    (2**53 + 1, "9007199254740992"),
    (2**53 + 2, "9007199254740994"),
    (12345678901234567890, "12345678901234567000"),
    (2**60, "1152921504606847000"),
    (9077263938041646.0, "9077263938041646"),
    (math.inf, "Infinity"),
    (-math.inf, "-Infinity"),
    (math.nan, "NaN"),
    (10**400, "Infinity"),
    (-(10**400), "-Infinity"),
]


@pytest.mark.parametrize(("text", "expected"), NUMBER_OF_STRING)
def test_number_of_a_string(text: str, expected: str) -> None:
    assert js_number_to_string(js_string_to_number(text)) == expected


@pytest.mark.parametrize(("number", "expected"), STRING_OF_NUMBER)
def test_string_of_a_number(number: float, expected: str) -> None:
    assert js_number_to_string(number) == expected


# Number::toString's two layouts: plain digits without trailing fraction zeros, or d.ddde±n.
_PLAIN = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?")
_EXPONENT = re.compile(r"-?[1-9](?:\.[0-9]*[1-9])?e[+-][1-9][0-9]*")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_text_reads_back_as_the_same_number(x: float) -> None:
    text = js_number_to_string(x)
    assert js_string_to_number(text) == x
    plain = x == 0 or 1e-6 <= abs(x) < 1e21  # where JavaScript switches to exponents
    assert (_PLAIN if plain else _EXPONENT).fullmatch(text), text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, 1.0),
        (False, 0.0),
        (None, 0.0),
        (0, 0.0),
        (7, 7.0),
        (2.5, 2.5),
        (" 12 ", 12.0),
        ("0x10", 16.0),
        (2**60, float(2**60)),
        (10**400, math.inf),
        (-(10**400), -math.inf),  # Node decided: the mapping copy raised OverflowError
    ],
)
def test_number_of_a_primitive(value: Any, expected: float) -> None:
    assert js_to_number(value) == expected


@pytest.mark.parametrize("value", ["abc", [], {}, object(), math.nan])
def test_number_of_anything_else_is_nan(value: Any) -> None:
    assert math.isnan(js_to_number(value))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a", "a"),
        ("", ""),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (3, "3"),
        (3.0, "3"),
        (1e21, "1e+21"),
        (-0.0, "0"),
        (math.nan, "NaN"),
    ],
)
def test_string_of_a_primitive(value: Any, expected: str) -> None:
    assert js_to_string(value) == expected


def test_trim_uses_javascript_whitespace() -> None:
    assert js_trim("\ufeff\u2028 a \u00a0") == "a"
    assert js_trim("\x1ca\x85") == "\x1ca\x85"  # str.strip() would remove these, JS does not
    assert "\x85" not in JS_WHITESPACE and "\u180e" not in JS_WHITESPACE  # U+180E left Zs in Unicode 6.3


@pytest.mark.parametrize(
    ("text", "length", "units"),
    [
        ("", 0, ""),
        ("abc", 3, "abc"),
        ("héllo", 5, "héllo"),
        ("日本", 2, "日本"),
        ("a😀b", 4, "a\ud83d\ude00b"),
        ("😀😀", 4, "\ud83d\ude00\ud83d\ude00"),
        ("\ud800x", 2, "\ud800x"),  # a lone surrogate is one unit, as in JavaScript
    ],
)
def test_utf16_length_and_units(text: str, length: int, units: str) -> None:
    assert utf16_len(text) == length
    assert to_utf16_units(text) == units and len(units) == length
    assert from_utf16_units(units) == text


def test_utf16_units_slice_like_javascript() -> None:
    assert from_utf16_units(to_utf16_units("a😀")[:2]) == "a\ud83d"  # "a😀".slice(0, 2) splits the emoji
    assert has_surrogates("a\ud83d") and has_surrogates("\ud83d\ude00")
    assert not has_surrogates("a😀") and not has_surrogates("abc")


@pytest.mark.parametrize(
    ("key", "index"),
    [
        ("0", True),
        ("17", True),
        ("4294967294", True),
        ("4294967295", False),
        ("01", False),
        ("-1", False),
        ("1.5", False),
        ("", False),
        ("١", False),
        ("length", False),
    ],
)
def test_array_index_keys(key: str, index: bool) -> None:
    assert is_array_index(key) is index


def test_object_key_order_puts_array_indices_first() -> None:
    assert js_key_order(["b", "2", "a", "10", "01", "1"]) == ["1", "2", "10", "b", "a", "01"]
    # Object.keys({b, "2", a, "4294967294", "4294967295", "01", "1"}) in Node:
    keys = ["b", "2", "a", "4294967294", "4294967295", "01", "1"]
    assert js_key_order(keys) == ["1", "2", "4294967294", "b", "a", "4294967295", "01"]
    plain = ["b", "a"]
    assert js_key_order(plain) == plain


_UNDEFINED = object()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('a"b\n\u00e9', '"a\\"b\\n\u00e9"'),
        ("\u2028\x7f\x00", '"\u2028\x7f\\u0000"'),
        ("😀", '"😀"'),
        # A surrogate pair held as two Python code points (to_utf16_units' form) is one character in JavaScript.
        ("\ud83d\ude00", '"😀"'),
        ("\ud83d" + "\ude00\ud83d", '"😀\\ud83d"'),
        # Node decided: the payload copy wrote lone surrogates raw; well-formed JSON.stringify escapes them.
        ("\ud800", '"\\ud800"'),
        (["a\udc00b"], '["a\\udc00b"]'),
        ([1.0, None, {"k": 1e21}], '[1,null,{"k":1e+21}]'),
        (
            {"a": [1, 100.0], "c": -0.0, "d": math.inf, "e": -math.inf, "f": math.nan},
            '{"a":[1,100],"c":0,"d":null,"e":null,"f":null}',
        ),
        ([True, False, 2**60, 12.5], "[true,false,1152921504606847000,12.5]"),
        # Node decided: the mapping copy wrote an integer beyond the largest double as Infinity (not JSON).
        ([10**400], "[null]"),
        ({}, "{}"),
        ([], "[]"),
        # Object key order (issue 14): index-like keys first, ascending; then the others as inserted.
        ({"b": 1, "1": 2}, '{"1":2,"b":1}'),
        (
            {"b": {"10": 0, "2": 0, "x": 0}, "4294967295": 1, "01": 2, "4294967294": 3},
            '{"4294967294":3,"b":{"2":0,"10":0,"x":0},"4294967295":1,"01":2}',
        ),
    ],
)
def test_json_stringify(value: Any, expected: str) -> None:
    assert json_stringify(value) == expected


def test_json_stringify_indents_as_javascript() -> None:
    # node -e 'console.log(JSON.stringify({b: [1, {}, []], 1: {x: "y"}, e: {}}, null, 2))'
    value = {"b": [1, {}, []], "1": {"x": "y"}, "e": {}}
    assert json_stringify(value, indent="  ") == (
        '{\n  "1": {\n    "x": "y"\n  },\n  "b": [\n    1,\n    {},\n    []\n  ],\n  "e": {}\n}'
    )


def test_json_stringify_skips_the_callers_undefined() -> None:
    value = {"a": [1, _UNDEFINED, 100.0], "b": _UNDEFINED, "c": "x"}
    assert json_stringify(value, _UNDEFINED) == '{"a":[1,null,100],"c":"x"}'  # {"b":[null]} in Node
