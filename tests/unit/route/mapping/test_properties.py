"""Properties: whatever the event or the mapping, the engine fails only with MappingError."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfmc_actions.errors import MappingError
from sfmc_actions.route.mapping import UNDEFINED, compile_mapping, validate_mapping

KEYS = st.sampled_from(["a", "b", "0", "1", "length", "email", "products", "", "x y", "@path", "_metadata"])
scalars = st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=25,
)
events = st.dictionaries(KEYS, json_values, max_size=6)

REPRESENTATIVE = [
    {
        "keys": {"id": {"@path": "$.a"}},
        "values": {
            "e": {"@if": {"exists": {"@path": "$.b.email"}, "then": {"@path": "$.b.email"}, "else": "x"}},
            "t": {"@template": "{{a}} {{{b}}} {{0.length}}"},
        },
    },
    {"v": {"@if": {"blank": {"@path": "$.a"}, "then": {"@case": {"operator": "upper", "value": {"@path": "$.b"}}}}}},
    {"v": {"@replace": {"pattern": "a", "replacement": "$&$`$'", "value": {"@path": "$.a"}, "ignorecase": True}}},
    {"v": {"@arrayPath": ["$.products", {"id": {"@path": "$.a"}, "all": {"@path": "$."}}]}},
    {"v": {"@arrayPath": [{"@path": "$.b"}, {"@path": "$.0"}]}},
    {
        "v": {"@json": {"mode": "encode", "value": {"@path": "$."}}},
        "w": {"@json": {"mode": "decode", "value": {"@path": "$.a"}}},
    },
    {"v": {"@flatten": {"value": {"@path": "$."}, "separator": "."}}},
    {"v": {"@merge": {"direction": "left", "objects": [{"@path": "$.a"}, {"@path": "$.b"}, {"k": {"@path": "$.1"}}]}}},
    {"v": {"@transform": {"apply": {"z": {"@path": "$.a"}}, "mapping": {"y": {"@path": "$.z.0"}}}}},
    {"v": {"@excludeWhenNull": {"@path": "$.b"}}, "l": {"@literal": [{"@path": "$.a"}, {"@path": "$.nope"}]}},
    {"v": {"@liquid": "{{ a | append: b }}{% if b %}{{ b | size }}{% endif %}{{ a | plus: 1 }}"}},
    {"v": [{"@path": {"@path": "$.a"}}, {"@template": {"@path": "$.b"}}, {"@oops": 1}]},
]
COMPILED = [compile_mapping(m) for m in REPRESENTATIVE]


def _no_missing(value: Any) -> bool:
    if value is UNDEFINED:
        return False
    if isinstance(value, dict):
        return all(_no_missing(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_missing(v) for v in value)
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events)
def test_representative_mappings_on_any_event(event: dict[str, Any]) -> None:
    for compiled in COMPILED:
        try:
            result = compiled.resolve(event)
        except MappingError:
            continue
        assert _no_missing(result)
        json.dumps(result)  # JSON-ready (lone surrogates from JS string indexing are allowed)


DIRECTIVES = st.sampled_from(
    [
        "@path",
        "@template",
        "@if",
        "@case",
        "@replace",
        "@arrayPath",
        "@json",
        "@flatten",
        "@merge",
        "@literal",
        "@transform",
        "@excludeWhenNull",
        "@liquid",
        "@nope",
    ]
)
OPTION_KEYS = st.sampled_from(
    [
        "exists",
        "blank",
        "then",
        "else",
        "operator",
        "value",
        "pattern",
        "replacement",
        "pattern2",
        "ignorecase",
        "global",
        "mode",
        "separator",
        "omitArrays",
        "direction",
        "objects",
        "apply",
        "mapping",
        "_metadata",
    ]
)
OPTION_STRINGS = st.sampled_from(
    ["$.a", "a.0", "lower", "upper", "encode", "decode", "left", "right", ".", "{{a}}", "$&", ""]
)


def _mapping_nodes(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    directive = st.builds(lambda name, options: {name: options}, DIRECTIVES, children)
    options = st.dictionaries(OPTION_KEYS, children | OPTION_STRINGS, max_size=4)
    return directive | options | st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3)


mappings = st.recursive(scalars | OPTION_STRINGS, _mapping_nodes, max_leaves=15)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mappings, events)
def test_any_mapping_validates_or_fails_cleanly(mapping: Any, event: dict[str, Any]) -> None:
    errors = validate_mapping(mapping)
    assert isinstance(errors, list) and all(isinstance(e, str) for e in errors)
    try:
        compiled = compile_mapping(mapping)
    except MappingError as e:
        assert errors == e.errors
        return
    assert errors == []
    with contextlib.suppress(MappingError):
        compiled.resolve(event)
