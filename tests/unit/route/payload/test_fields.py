"""fields_to_json_schema against the schemas Segment's fieldsToJsonSchema builds (actions-core 3.170.0 in Node;
`$schema`, `description` and `default` left out: they do not affect validation)."""

from __future__ import annotations

from typing import Any

import pytest

from sfmc_actions.route.payload import PayloadSchema, fields_to_json_schema

SEGMENT_SCHEMAS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {
            "a": {"label": "A", "type": "string", "minimum": 2, "maximum": 0, "format": "email"},
            "n": {"label": "N", "type": "number", "minimum": 0, "maximum": 9},
            "i": {"label": "I", "type": "integer", "minimum": 1, "maximum": 9},
            "d": {"label": "D", "type": "datetime"},
            "p": {"label": "P", "type": "password"},
            "t": {"label": "T", "type": "text"},
        },
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "a": {"title": "A", "type": "string", "format": "email", "minLength": 2},
                "n": {"title": "N", "type": "number", "maximum": 9},
                "i": {"title": "I", "type": "integer"},
                "d": {"title": "D", "type": ["string", "number"], "format": "date-like"},
                "p": {"title": "P", "type": "string", "format": "password"},
                "t": {"title": "T", "type": "string", "format": "text"},
            },
            "required": [],
        },
    ),
    (
        {
            "c": {
                "label": "C",
                "type": "string",
                "choices": ["a", {"label": "B", "value": "b"}],
                "allowNull": True,
                "required": True,
            },
            "m": {"label": "M", "type": "string", "multiple": True, "choices": ["x"], "allowNull": True},
            "dn": {"label": "DN", "type": "datetime", "allowNull": True},
        },
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "c": {"title": "C", "type": ["string", "null"], "enum": ["a", "b", None]},
                "m": {"title": "M", "type": "array", "items": {"type": "string", "enum": ["x", None]}},
                "dn": {"title": "DN", "type": ["string", "number", "null"], "format": "date-like"},
            },
            "required": ["c"],
        },
    ),
    (
        {
            "o": {
                "label": "O",
                "type": "object",
                "allowNull": True,
                "properties": {"k": {"label": "K", "type": "string", "required": True}},
            },
            "mo": {
                "label": "MO",
                "type": "object",
                "multiple": True,
                "additionalProperties": True,
                "properties": {"k": {"label": "K", "type": "number"}},
            },
            "free": {"label": "Free", "type": "object", "additionalProperties": True},
        },
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "o": {
                    "title": "O",
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"k": {"title": "K", "type": "string"}},
                    "required": ["k"],
                },
                "mo": {
                    "title": "MO",
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": True,
                        "properties": {"k": {"title": "K", "type": "number"}},
                        "required": [],
                    },
                },
                "free": {"title": "Free", "type": "object"},
            },
            "required": [],
        },
    ),
    (
        {
            "op": {"label": "Op", "type": "string"},
            "name": {
                "label": "Name",
                "type": "string",
                "required": {
                    "match": "any",
                    "conditions": [
                        {"fieldKey": "op", "operator": "is", "value": "create"},
                        {"fieldKey": "op", "operator": "is_not"},
                    ],
                },
            },
        },
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {"op": {"title": "Op", "type": "string"}, "name": {"title": "Name", "type": "string"}},
            "required": [],
            "allOf": [
                {
                    "if": {
                        "anyOf": [{"properties": {"op": {"const": "create"}}, "required": ["op"]}, {"required": ["op"]}]
                    },
                    "then": {"required": ["name"]},
                }
            ],
        },
    ),
    (
        {
            "o": {
                "label": "O",
                "type": "object",
                "properties": {
                    "a": {"label": "A", "type": "string"},
                    "b": {
                        "label": "B",
                        "type": "string",
                        "required": {"conditions": [{"fieldKey": "o.a", "operator": "is", "value": "x"}]},
                    },
                    "c": {"label": "C", "type": "string", "required": True},
                },
            }
        },
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "o": {
                    "title": "O",
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "a": {"title": "A", "type": "string"},
                        "b": {"title": "B", "type": "string"},
                        "c": {"title": "C", "type": "string"},
                    },
                }
            },
            "required": [],
            "allOf": [
                {
                    "if": {
                        "properties": {"o": {"properties": {"a": {"const": "x"}}, "required": ["a"]}},
                        "required": ["o"],
                    },
                    "then": {"required": ["o"], "properties": {"o": {"required": ["b"]}}},
                }
            ],
        },
    ),
    (
        {
            "x": {"label": "X", "type": "string"},
            "y": {
                "label": "Y",
                "type": "string",
                "required": {"conditions": [{"fieldKey": "x", "operator": "is_not"}]},
            },
            "z": {
                "label": "Z",
                "type": "string",
                "required": {
                    "match": "all",
                    "conditions": [
                        {"fieldKey": "o.k", "operator": "is_not", "value": 1},
                        {"fieldKey": "x", "operator": "is", "value": "v"},
                    ],
                },
            },
        },
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "x": {"title": "X", "type": "string"},
                "y": {"title": "Y", "type": "string"},
                "z": {"title": "Z", "type": "string"},
            },
            "required": [],
            "allOf": [
                {
                    "if": {"allOf": [{"required": ["x"]}, {"not": {"properties": {"x": {"type": "null"}}}}]},
                    "then": {"required": ["y"]},
                },
                {
                    "if": {
                        "allOf": [
                            {
                                "properties": {"o": {"properties": {"k": {"not": {"const": 1}}}, "required": ["k"]}},
                                "required": ["o"],
                            },
                            {"properties": {"x": {"const": "v"}}, "required": ["x"]},
                        ]
                    },
                    "then": {"required": ["z"]},
                },
            ],
        },
    ),
]


def _without_undefined(value: Any) -> Any:
    """Drop keys whose value is None: Segment leaves them `undefined`, which JSON omits."""
    if isinstance(value, dict):
        return {k: _without_undefined(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_undefined(v) for v in value]
    return value


@pytest.mark.parametrize(("fields", "expected"), SEGMENT_SCHEMAS, ids=[f"set{i}" for i in range(len(SEGMENT_SCHEMAS))])
def test_schema_matches_segment(fields: dict[str, Any], expected: dict[str, Any]) -> None:
    assert _without_undefined(fields_to_json_schema(fields)) == expected


def test_bounds_of_zero_and_integer_bounds_are_ignored() -> None:
    schema = fields_to_json_schema(
        {"s": {"type": "string", "minimum": 0, "maximum": 3}, "i": {"type": "integer", "minimum": 1, "maximum": 2}}
    )
    assert schema["properties"]["s"] == {"title": None, "type": "string", "maxLength": 3}
    assert schema["properties"]["i"] == {"title": None, "type": "integer"}


def test_multiple_moves_choices_into_items_and_drops_null() -> None:
    schema = fields_to_json_schema(
        {"m": {"label": "M", "type": "string", "multiple": True, "allowNull": True, "choices": ["a"]}}
    )
    assert schema["properties"]["m"]["type"] == "array"
    assert schema["properties"]["m"]["items"] == {"type": "string", "enum": ["a", None]}


def test_unsupported_condition_operator_is_refused() -> None:
    fields = {
        "a": {"type": "string"},
        "b": {"type": "string", "required": {"conditions": [{"fieldKey": "a", "operator": "contains", "value": "x"}]}},
    }
    with pytest.raises(ValueError, match="Unsupported conditionally required field operator: contains"):
        fields_to_json_schema(fields)


def test_unknown_format_is_refused_when_compiling() -> None:
    with pytest.raises(ValueError, match='unknown format "nope"'):
        PayloadSchema.from_fields({"f": {"label": "F", "type": "string", "format": "nope"}})


def test_conditions_need_a_list() -> None:
    with pytest.raises(ValueError, match="needs a list of conditions"):
        fields_to_json_schema({"b": {"type": "string", "required": {"match": "all"}}})
