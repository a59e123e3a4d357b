"""JavaScript value semantics the mapping language depends on (spec §1, §9)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from sfmc_actions.route.mapping import MISSING, is_missing
from sfmc_actions.route.mapping.jsjson import js_json_parse, js_json_stringify
from sfmc_actions.route.mapping.jsnumbers import js_number_to_string, js_string_to_number, js_trim
from sfmc_actions.route.mapping.jsvalues import (
    clean_missing,
    js_key_order,
    js_to_string,
    js_truthy,
    loosely_equals_empty_string,
    real_type_of,
    remove_undefined,
    template_text,
    utf16_len,
    utf16_units,
)


def test_missing_is_a_falsy_singleton_distinct_from_none() -> None:
    assert is_missing(MISSING) and not is_missing(None)
    assert not MISSING
    assert repr(MISSING) == "MISSING"
    assert type(MISSING)() is MISSING


@pytest.mark.parametrize(
    ("value", "truthy"),
    [
        (0, False),
        (0.0, False),
        (-0.0, False),
        (math.nan, False),
        ("", False),
        (None, False),
        (MISSING, False),
        (False, False),
        ({}, True),
        ([], True),
        ("0", True),
        (" ", True),
        (-1, True),
        (True, True),
    ],
)
def test_js_truthiness(value: Any, truthy: bool) -> None:
    assert js_truthy(value) is truthy


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1, "1"),
        (100.0, "100"),
        (0.1, "0.1"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (-0.0, "0"),
        (123e-20, "1.23e-18"),
        (2**53 + 1, "9007199254740992"),
        (12345678901234567890, "12345678901234567000"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (math.nan, "NaN"),
        (1e16, "10000000000000000"),
        (-1.5, "-1.5"),
        (10**400, "Infinity"),
    ],
)
def test_number_to_string_like_javascript(number: float, text: str) -> None:
    assert js_number_to_string(number) == text


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("", 0.0),
        ("  12  ", 12.0),
        ("0x10", 16.0),
        ("0b11", 3.0),
        ("0o7", 7.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("-Infinity", -math.inf),
        ("1e3", 1000.0),
        ("\u00a05\ufeff", 5.0),
    ],
)
def test_string_to_number_like_javascript(text: str, number: float) -> None:
    assert js_string_to_number(text) == number


@pytest.mark.parametrize("text", ["abc", "1,5", "0x", "- 1", "1_000", "infinity", "0x-1"])
def test_string_to_number_nan(text: str) -> None:
    assert math.isnan(js_string_to_number(text))


def test_trim_uses_javascript_whitespace() -> None:
    assert js_trim("\ufeff\u2028 a \u00a0") == "a"
    assert js_trim("\x1ca\x85") == "\x1ca\x85"  # str.strip() would remove these, JS does not


def test_to_string_and_template_text() -> None:
    assert js_to_string([1, [2, 3], None, MISSING, {"a": 1}, True]) == "1,2,3,,,[object Object],true"
    assert js_to_string(None) == "null" and js_to_string(MISSING) == "undefined"
    assert template_text(None) == "" and template_text(MISSING) == ""
    assert template_text(2.0) == "2" and template_text(7) == "7" and template_text({}) == "[object Object]"


@pytest.mark.parametrize(
    ("value", "blank"),
    [
        ("", True),
        (0, True),
        (-0.0, True),
        (False, True),
        ([], True),
        ([""], True),
        ([None], True),
        ([[]], True),
        (" ", False),
        ("0", False),
        ({}, False),
        ([0], False),
        (True, False),
        (1, False),
    ],
)
def test_loose_equality_with_empty_string(value: Any, blank: bool) -> None:
    assert loosely_equals_empty_string(value) is blank


def test_utf16_lengths_and_units() -> None:
    assert utf16_len("a😀b") == 4 and utf16_len("abc") == 3
    assert utf16_units("a😀") == ["a", "\ud83d", "\ude00"]


def test_real_type_names() -> None:
    names = [real_type_of(v) for v in (None, MISSING, True, 1, 1.5, "s", {}, [])]
    assert names == ["null", "undefined", "boolean", "number", "number", "string", "object", "array"]


def test_json_stringify_like_javascript() -> None:
    value = {"a": [1, MISSING, 100.0], "b": MISSING, "c": 'é\u2028"\n', "d": math.inf, "e": 1e21}
    assert js_json_stringify(value) == '{"a":[1,null,100],"c":"é\u2028\\"\\n","d":null,"e":1e+21}'
    assert js_json_stringify(MISSING) is MISSING
    assert js_json_stringify("\ud83d") == '"\\ud83d"'


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "{bad", "", "[1,]", "\ufeff1"])
def test_json_parse_rejects_what_javascript_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        js_json_parse(text)


def test_json_parse_big_integers_become_doubles() -> None:
    assert js_json_parse(" 5 ") == 5
    assert js_json_parse("12345678901234567890") == float(12345678901234567890)


def test_missing_removal_forms() -> None:
    value = {"a": MISSING, "b": [MISSING, {"c": MISSING}], "d": None}
    assert clean_missing(value) == {"b": [None, {}], "d": None}
    assert remove_undefined(value) == {"b": [MISSING, {}], "d": None}


def test_object_key_order_puts_array_indices_first() -> None:
    assert js_key_order(["b", "2", "a", "10", "01", "1"]) == ["1", "2", "10", "b", "a", "01"]
