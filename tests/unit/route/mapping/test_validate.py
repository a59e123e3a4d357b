"""Mapping validation: Segment's exact messages and JSON-pointer paths, every error collected."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from sfmc_actions import validate_mapping
from sfmc_actions.errors import MappingError
from sfmc_actions.route.mapping import compile_mapping


@pytest.mark.parametrize(
    ("mapping", "errors"),
    [
        ({"@arrayPath": "nope"}, ["/@arrayPath should be an array but it is a string."]),
        ({"@path": False}, ["/@path should be a string or a mapping directive but it is a boolean."]),
        ({"@replace": {"value": {"@path": "$.a"}}}, ['/@replace should have field "pattern" but it doesn\'t.']),
        (
            {"@replace": {"pattern": "x", "value": "y", "global": "bla"}},
            ["/@replace/global should be a boolean but it is a string."],
        ),
        ({"@template": 123}, ["/@template should be a string or a mapping directive but it is a number."]),
        ({"@path": "$.foo", "bar": "baz"}, ["/ should only have one @-prefixed key but it has 2 keys."]),
        (
            {"@path": "$.foo", "@bar": "baz", "_metadata": {}},
            ["/ should only have one @-prefixed key but it has 2 keys."],
        ),
        ({"@path": "$.foo", "_metadata": {}, "x": 1}, ["/ should only have one @-prefixed key but it has 3 keys."]),
        ({"@oops": {}}, ["/ has an invalid directive: @oops."]),
        (
            {"a": {"@arrayPath": []}},
            ["/a/@arrayPath should be a string or a mapping directive but it is an undefined."],
        ),
        ({"a": {"@json": {"mode": "x", "value": 1}}}, ['/a/@json/mode should be one of encode, decode but it is "x".']),
        (
            {"a": {"@flatten": {"separator": {"@path": "$.s"}, "value": 1}}},
            ["/a/@flatten/separator should be a string but it is a directive."],
        ),
        (
            {"a": {"@merge": {"objects": [{"k": {"@path": 1}}, 2]}}},
            ["/k/@path should be a string or a mapping directive but it is a number."],
        ),
        (
            {"a": {"@replace": {"pattern": "waaaaaytoolong", "value": {"@oops": 1}}}},
            ["/a/@replace/value has an invalid directive: @oops."],
        ),
        ({"a": {"@if": {"@path": "x"}}}, ["/a/@if should be an object but it is a directive."]),
        ({"a": {"@liquid": 5}}, ["/a/@liquid should be a string but it is a number."]),
        ({"a": [{"@oops": 1}]}, []),
        ({"a": {"@template": "{{x}}", "_metadata": {"label": "X"}}}, []),
    ],
)
def test_messages(mapping: Any, errors: list[str]) -> None:
    assert validate_mapping(mapping) == errors


def test_sibling_errors_are_all_collected_in_javascript_key_order() -> None:
    mapping = {"b": {"@oops": 2}, "2": {"@oops": 1}, "1": {"@path": 1}, "c": {"d": {"@template": {}}}}
    assert validate_mapping(mapping) == [
        "/1/@path should be a string or a mapping directive but it is a number.",
        "/2 has an invalid directive: @oops.",
        "/b has an invalid directive: @oops.",
        "/c/d/@template should be a string or a mapping directive but it is an object.",
    ]


def test_replace_fields_are_checked_in_segments_order() -> None:
    mapping = {"@replace": {"pattern": 5, "replacement": 6, "value": 7, "ignorecase": 1, "global": "x"}}
    assert validate_mapping(mapping) == [
        "/@replace/pattern should be a string but it is a number.",
        "/@replace/replacement should be a string but it is a number.",
        "/@replace/value should be a string or a mapping directive but it is a number.",
        "/@replace/ignorecase should be a boolean but it is a number.",
        "/@replace/global should be a boolean but it is a string.",
    ]


def test_root_directive_hook_is_applied_before_validation() -> None:
    hooked = {"__segment_internal_directive": {"@transform": {"apply": {"a": {"@path": "$.x"}}}}, "b": 1}
    assert validate_mapping(hooked) == []
    assert validate_mapping({"__segment_internal_directive": {"@a": {}, "@b": {}}}) == [
        "The root mapping must only have a single directive object"
    ]
    assert validate_mapping({"__segment_internal_directive": "a"}) == ["The root directive must be an object"]


def test_values_json_cannot_hold_are_reported_with_their_place() -> None:
    mapping = {"a": {"when": datetime.date(2024, 1, 1)}, "b": [float("nan")], 3: "x"}
    errors = validate_mapping(mapping)
    assert errors == [
        "/a/when is a date, not a JSON value; quote it to make it a string.",
        "/b/0 is nan, which JSON cannot hold; use a number or a string.",
        "/ has the key 3, which is not a string; quote it.",
    ]


def test_compile_raises_mapping_error_with_every_error() -> None:
    with pytest.raises(MappingError) as caught:
        compile_mapping({"obj": {"@path": "foo.bar", "oops": True}, "hash": {"@template": {}}})
    assert caught.value.errors == [
        "/obj should only have one @-prefixed key but it has 2 keys.",
        "/hash/@template should be a string or a mapping directive but it is an object.",
    ]
    assert "2 problems" in str(caught.value)


def test_deeply_nested_mapping_is_an_error_not_a_crash() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    assert validate_mapping(deep) != []
    with pytest.raises(MappingError):
        compile_mapping(deep)
