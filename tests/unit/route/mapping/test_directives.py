"""Tricky parts of each directive; every expected value was checked against Segment's mapping-kit."""

from __future__ import annotations

from typing import Any

import pytest

from sfmc_actions.errors import MappingError
from sfmc_actions.route.mapping import UNDEFINED, compile_mapping
from sfmc_actions.route.mapping.replace import canonicalize


def resolve(mapping: Any, event: Any = None) -> Any:
    return compile_mapping(mapping).resolve({} if event is None else event)


def fails(mapping: Any, event: Any = None) -> str:
    with pytest.raises(MappingError) as caught:
        resolve(mapping, event)
    return str(caught.value)


class TestIf:
    def test_else_is_used_only_when_truthy_as_written(self) -> None:
        for falsy in (0, False, "", None):
            assert resolve({"v": {"@if": {"exists": {"@path": "$.x"}, "then": 1, "else": falsy}}}) == {}
        assert resolve({"v": {"@if": {"exists": {"@path": "$.x"}, "then": 1, "else": []}}}) == {"v": []}

    def test_falsy_then_is_returned(self) -> None:
        assert resolve({"v": {"@if": {"exists": {"@path": "$.x"}, "then": False}}}, {"x": ""}) == {"v": False}

    def test_exists_key_wins_even_when_falsy(self) -> None:
        # `exists: 0` alone is refused, but with a truthy `blank` the literal 0 "exists".
        assert resolve({"v": {"@if": {"exists": 0, "blank": "x", "then": "T", "else": "E"}}}) == {"v": "T"}
        assert 'requires an "exists" key or a "blank" key' in fails([{"@if": {"exists": 0, "then": 1}}])

    def test_coalesce_shape_returns_the_condition_value(self) -> None:
        coalesce = {"@if": {"exists": {"@path": "$.a"}, "then": {"@path": "$.a"}, "else": {"@path": "$.b"}}}
        assert resolve({"v": coalesce}, {"a": 0, "b": 1}) == {"v": 0}
        assert resolve({"v": coalesce}, {"a": None, "b": 1}) == {"v": 1}
        assert resolve({"v": coalesce}, {"b": 1}) == {"v": 1}


class TestCase:
    def test_non_strings_skip_the_operator_check(self) -> None:
        assert resolve({"@case": {"operator": "nope", "value": {"@path": "$.n"}}}, {"n": 5}) == 5
        assert "lower" in fails({"@case": {"operator": "LOWER", "value": "x"}})

    def test_full_unicode_case_mapping(self) -> None:
        assert resolve({"@case": {"operator": "upper", "value": "straße"}}) == "STRASSE"


class TestReplace:
    @pytest.mark.parametrize(
        ("replacement", "result"),
        [
            ("$&$&", "abbcbb"),
            ("$$", "a$c$"),
            ("$`", "aacabc"),
            ("$'", "acbc"),
            ("$1", "a$1c$1"),
            ("$<n>", "a$<n>c$<n>"),
            ("$", "a$c$"),
            ("\\", "a\\c\\"),
        ],
    )
    def test_javascript_replacement_tokens(self, replacement: str, result: str) -> None:
        mapping = {"@replace": {"pattern": "b", "replacement": replacement, "value": {"@path": "$.x"}}}
        assert resolve(mapping, {"x": "abcb"}) == result

    def test_pattern_is_literal(self) -> None:
        mapping = {"@replace": {"pattern": ".*", "replacement": "_", "value": {"@path": "$.x"}}}
        assert resolve(mapping, {"x": "a.*b.*"}) == "a_b_"

    def test_ignorecase_uses_javascript_canonicalisation(self) -> None:
        assert canonicalize("ſßk\u212a") == "ſßK\u212a"  # no folding into ASCII, ß stays
        mapping = {"@replace": {"pattern": "s", "replacement": "x", "ignorecase": True, "value": {"@path": "$.x"}}}
        assert resolve(mapping, {"x": "sSſ"}) == "xxſ"

    def test_value_conversions(self) -> None:
        mapping = {"@replace": {"pattern": "1", "replacement": "X", "value": {"@path": "$.x"}}}
        assert resolve(mapping, {"x": 100.0}) == "X00"
        assert resolve(mapping, {"x": True}) == "true"
        for empty in (None, {"a": 1}, [1]):
            assert resolve(mapping, {"x": empty}) == ""
        assert resolve(mapping, {}) == ""

    def test_lone_surrogates_match_utf16_units(self) -> None:
        # Issue 14, class 3: half of an emoji's pair matches inside the emoji, as in JavaScript.
        assert resolve({"@replace": {"pattern": "\ud83d", "value": "😀"}}) == "\ude00"
        mapping = {"@replace": {"pattern": "\ude00", "replacement": "[$&]", "value": {"@path": "$.x"}}}
        assert resolve(mapping, {"x": "a😀b"}) == "a\ud83d[\ude00]b"
        assert resolve({"@replace": {"pattern": "😀", "replacement": "x", "value": "a😀😀"}}) == "axx"

    def test_length_limits_count_utf16_units_and_apply_at_runtime(self) -> None:
        too_long = [{"@replace": {"pattern": "😀" * 6, "value": {"@path": "$.x"}}}]
        assert "less than 10 characters" in fails({"v": too_long}, {"x": "y"})
        assert resolve({"v": too_long}, {"x": None}) == {"v": [""]}  # never reached the check


class TestMergeAndFlatten:
    def test_missing_member_overwrites_then_vanishes(self) -> None:
        mapping = {"@merge": {"direction": "right", "objects": [{"k": 2}, {"k": {"@path": "$.missing"}}]}}
        assert resolve(mapping) == {}

    def test_exclude_when_null_inside_merge_overwrites(self) -> None:
        entries = [{"a": 1, "b": 2}, {"@excludeWhenNull": {"a": None, "b": 3}}]
        assert resolve({"@merge": {"direction": "right", "objects": entries}}) == {"b": 3}

    def test_strings_merge_as_characters(self) -> None:
        mapping = {"@merge": {"direction": "right", "objects": [{"@path": "$.s"}]}}
        assert resolve(mapping, {"s": "a😀"}) == {"0": "a", "1": "\ud83d", "2": "\ude00"}

    def test_direction_is_required_at_runtime(self) -> None:
        assert 'requires a "direction" key' in fails({"@merge": {"objects": [{"x": 1}]}})

    def test_flatten_array_holes_become_missing_keys(self) -> None:
        mapping = {"@flatten": {"separator": ".", "value": [{"@path": "$.nope"}, {"a": None}, {}]}}
        assert resolve(mapping) == {"1.a": None}

    def test_flatten_scalar_and_missing(self) -> None:
        assert resolve({"@flatten": {"separator": ".", "value": 5}}) == {"": 5}
        assert resolve({"@flatten": {"separator": ".", "value": {"@path": "$.x"}}}) == {}


class TestArrayPathAndTransform:
    def test_item_payload_is_the_element(self) -> None:
        mapping = {"@arrayPath": ["$.x", {"id": {"@path": "$.i"}, "root": {"@path": "$.top"}}]}
        assert resolve(mapping, {"top": 1, "x": [{"i": 1}, None, 5]}) == [{"id": 1}, {"id": None, "root": None}, {}]

    def test_directive_root_keeps_javascript_holes(self) -> None:
        root = {"@literal": [{"@path": "$.nope"}, {"i": 1}]}
        mapping = {"@arrayPath": [root, {"a": {"@path": "$.i"}, "self": {"@path": "$."}}]}
        assert resolve(mapping) == [{}, {"a": 1, "self": {"i": 1}}]

    def test_transform_payload_keeps_array_holes(self) -> None:
        mapping = {
            "@transform": {"apply": {"arr": [{"@path": "$.nope"}, 1]}, "mapping": {"first": {"@path": "$.arr.0"}}}
        }
        assert resolve(mapping) == {}

    def test_transform_validates_apply_only_when_run(self) -> None:
        bad = {"@transform": {"apply": {"x": {"@path": 5}}, "mapping": {"n": 1}}}
        skipped = {"v": [{"@if": {"exists": {"@path": "$.nope"}, "then": bad}}]}
        assert resolve(skipped) == {"v": [None]}
        assert "/x/@path should be a string" in fails({"v": [bad]})

    def test_transform_checks_its_payload(self) -> None:
        inner = {"@transform": {"apply": {"y": 1}, "mapping": {"z": {"@path": "$.y"}}}}
        assert "data must be an object, got number" in fails({"@arrayPath": ["$.x", {"t": inner}]}, {"x": [1]})


class TestJsonAndExclude:
    def test_encode_and_decode(self) -> None:
        assert (
            resolve({"@json": {"mode": "encode", "value": {"@path": "$.x"}}}, {"x": {"a": [1.0, None]}})
            == '{"a":[1,null]}'
        )
        assert resolve({"@json": {"mode": "decode", "value": {"@path": "$.x"}}}, {"x": " 5 "}) == 5
        assert resolve({"@json": {"mode": "decode", "value": {"@path": "$.x"}}}, {"x": "NaN"}) == "NaN"
        assert resolve({"v": {"@json": {"mode": "ENCODE", "value": 1}}}) == {}

    def test_encode_writes_keys_in_javascript_order(self) -> None:
        # Issue 14, class 2: JSON.stringify puts array-index keys first ({"1":2,"b":1} in Segment).
        mapping = {"@json": {"mode": "encode", "value": {"@path": "$.properties"}}}
        assert resolve(mapping, {"properties": {"b": 1, "1": 2}}) == '{"1":2,"b":1}'
        assert resolve(mapping, {"properties": {"b": {"9": 0, "a": 1, "0": 2}}}) == '{"b":{"0":2,"9":0,"a":1}}'

    def test_exclude_when_null_cleans_objects_only(self) -> None:
        value = {"a": None, "b": {"c": None}, "d": [None, {"e": None}]}
        assert resolve({"@excludeWhenNull": {"@path": "$.x"}}, {"x": value}) == {"b": {}, "d": [None, {"e": None}]}
        assert resolve({"v": {"@excludeWhenNull": {"@path": "$.x"}}}, {"x": None}) == {}


def test_unvalidated_array_members_fail_at_runtime() -> None:
    assert fails({"a": [{"@oops": 1}]}) == "@oops is not a valid directive, got undefined"
    assert fails({"a": [{"@path": 5}]}) == "@path: expected string, got number"
    assert resolve({"a": [{"@path": "$.x", "k": 1}]}, {"x": 1}) == {"a": [{"@path": "$.x", "k": 1}]}
    assert resolve({"a": [{"@path": "$.x", "@template": "t"}]}, {"x": 1}) == {"a": [1]}


def test_root_result_can_be_missing() -> None:
    assert compile_mapping({"@path": "$.nope"}).resolve({}) is UNDEFINED
