"""JavaScript value semantics only the mapping language depends on (spec §1, §9); the shared rules
(number text, `Number()`, UTF-16, key order) are tested in tests/unit/js/test_values.py."""

from __future__ import annotations

import math
from typing import Any

import pytest

from sfmc_actions.js.json import js_json_parse, js_json_stringify
from sfmc_actions.js.operators import (
    clean_missing,
    js_to_number,
    js_to_string,
    js_truthy,
    loosely_equals_empty_string,
    real_type_of,
    remove_undefined,
    template_text,
)
from sfmc_actions.route.mapping import UNDEFINED


@pytest.mark.parametrize(
    ("value", "truthy"),
    [
        (0, False),
        (0.0, False),
        (-0.0, False),
        (math.nan, False),
        ("", False),
        (None, False),
        (UNDEFINED, False),
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
    ("value", "number"),
    [([], 0.0), ([" 5 "], 5.0), ([[7]], 7.0), ([None], 0.0), ([UNDEFINED], 0.0), (None, 0.0), ("0x10", 16.0)],
)
def test_to_number_reads_arrays_through_their_text(value: Any, number: float) -> None:
    assert js_to_number(value) == number  # Number([" 5 "]) is 5 in Node


@pytest.mark.parametrize("value", [UNDEFINED, {}, [1, 2], {"a": 1}])
def test_to_number_of_undefined_and_objects_is_nan(value: Any) -> None:
    assert math.isnan(js_to_number(value))


def test_to_string_and_template_text() -> None:
    assert js_to_string([1, [2, 3], None, UNDEFINED, {"a": 1}, True]) == "1,2,3,,,[object Object],true"
    assert js_to_string(None) == "null" and js_to_string(UNDEFINED) == "undefined"
    assert template_text(None) == "" and template_text(UNDEFINED) == ""
    assert template_text(2.0) == "2" and template_text(7) == "7" and template_text({}) == "[object Object]"
    assert template_text(1e21) == "1e+21" and template_text(2**60) == "1152921504606847000"
    assert template_text(True) == "true" and template_text([1.5, None]) == "1.5,"
    assert js_to_string(object()) == "[object Object]"


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


def test_real_type_names() -> None:
    names = [real_type_of(v) for v in (None, UNDEFINED, True, 1, 1.5, "s", {}, [])]
    assert names == ["null", "undefined", "boolean", "number", "number", "string", "object", "array"]


def test_json_stringify_like_javascript() -> None:
    value = {"a": [1, UNDEFINED, 100.0], "b": UNDEFINED, "c": 'é\u2028"\n', "d": math.inf, "e": 1e21}
    assert js_json_stringify(value) == '{"a":[1,null,100],"c":"é\u2028\\"\\n","d":null,"e":1e+21}'
    assert js_json_stringify(UNDEFINED) is UNDEFINED
    assert js_json_stringify("\ud83d") == '"\\ud83d"'


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "{bad", "", "[1,]", "\ufeff1"])
def test_json_parse_rejects_what_javascript_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        js_json_parse(text)


def test_json_parse_big_integers_become_doubles() -> None:
    assert js_json_parse(" 5 ") == 5
    assert js_json_parse("12345678901234567890") == float(12345678901234567890)


def test_missing_removal_forms() -> None:
    value = {"a": UNDEFINED, "b": [UNDEFINED, {"c": UNDEFINED}], "d": None}
    assert clean_missing(value) == {"b": [None, {}], "d": None}
    assert remove_undefined(value) == {"b": [UNDEFINED, {}], "d": None}
