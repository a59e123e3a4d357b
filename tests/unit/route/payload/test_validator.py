"""PayloadSchema behaviour beyond Segment's outputs: no mutation, sharing, modes, caching, SFMC fields."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sfmc_actions import validate_payload
from sfmc_actions.errors import PayloadValidationError
from sfmc_actions.route.payload import PayloadSchema

# The dataExtension action's fields (Segment's sfmc-properties: key, id, keys, values, batching).
DATA_EXTENSION: dict[str, Any] = {
    "key": {"label": "Data Extension Key", "type": "string"},
    "id": {"label": "Data Extension ID", "type": "string"},
    "keys": {"label": "Data Extension Primary Key", "type": "object", "required": True, "additionalProperties": True},
    "values": {"label": "Data Extension Fields", "type": "object", "required": True},
    "enable_batching": {"label": "Batch data to SFMC", "type": "boolean", "default": False},
    "batch_size": {"label": "Batch Size", "type": "number", "required": False, "default": 10},
}
CONTACT_KEYS: dict[str, Any] = {
    "keys": {
        "label": "Data Extension Primary Key",
        "type": "object",
        "required": True,
        "properties": {"contactKey": {"label": "Contact Key", "type": "string", "required": True}},
    },
}
NESTED: dict[str, Any] = {
    "items": {
        "label": "Items",
        "type": "object",
        "multiple": True,
        "properties": {
            "sku": {"label": "SKU", "type": "string", "required": True},
            "qty": {"label": "Qty", "type": "integer"},
        },
    },
    "meta": {"label": "Meta", "type": "object", "properties": {"n": {"label": "N", "type": "number"}}},
}


def test_data_extension_payload_is_coerced_and_cleaned() -> None:
    payload = {
        "key": "orders",
        "keys": {"contactKey": 777},
        "values": {"Email": None, "Name": ""},
        "enable_batching": "true",
        "batch_size": "25",
        "__segment_internal_sync_mode": "upsert",
    }
    result = PayloadSchema.from_fields(DATA_EXTENSION).validate(payload)
    # Free-form objects (no `properties`) are not touched: null and "" stay inside `values`.
    assert result == {
        "key": "orders",
        "keys": {"contactKey": 777},
        "values": {"Email": None, "Name": ""},
        "enable_batching": True,
        "batch_size": 25,
    }


@pytest.mark.parametrize(
    ("fields", "payload", "message"),
    [
        (DATA_EXTENSION, {"keys": {}}, "The root value is missing the required field 'values'."),
        (
            {"contactKey": {"label": "Contact Key", "type": "string", "required": True}},
            {"contactKey": None},
            "The root value is missing the required field 'contactKey'.",
        ),
        (
            CONTACT_KEYS,
            {"keys": {"other": 1}},
            "Data Extension Primary Key is missing the required field 'contactKey'.",
        ),
        (
            DATA_EXTENSION,
            {"keys": [], "values": "x", "batch_size": "ten"},
            "Data Extension Primary Key must be an object but it was an array. "
            "Data Extension Fields must be an object but it was a string. "
            "Batch Size must be a number but it was a string.",
        ),
    ],
)
def test_segment_messages(fields: dict[str, Any], payload: dict[str, Any], message: str) -> None:
    with pytest.raises(PayloadValidationError) as caught:
        validate_payload(fields, payload, "single")
    assert str(caught.value) == message
    assert caught.value.status == 400
    assert caught.value.code == "PAYLOAD_VALIDATION_FAILED"


@pytest.mark.parametrize("single_pass", [True, False])
def test_input_is_never_changed(single_pass: bool) -> None:
    schema = PayloadSchema(PayloadSchema.from_fields(NESTED).json_schema, single_pass=single_pass)
    payload = {"items": [{"sku": 1, "qty": "2", "junk": True}, {"sku": None}], "meta": {"n": "3", "x": 1}, "other": 1}
    before = copy.deepcopy(payload)
    result = schema.validate(payload, "batch")
    assert result == {"items": [{"sku": "1", "qty": 2}, {"sku": ""}], "meta": {"n": 3}}
    assert payload == before


def test_free_form_objects_are_shared_not_copied() -> None:
    payload = {"keys": {"k": 1}, "values": {"v": [1, 2]}}
    result = PayloadSchema.from_fields(DATA_EXTENSION).validate(payload)
    assert isinstance(result, dict)
    assert result is not payload
    assert result["values"] is payload["values"]


def test_single_and_batch_modes_differ_only_on_root_empty_strings() -> None:
    schema = PayloadSchema.from_fields({"s": {"label": "S", "type": "string"}, "o": NESTED["meta"]})
    payload = {"s": "", "o": {"n": ""}}
    assert schema.validate(payload, "single") == {"o": {}}
    assert schema.validate(payload, "batch") == {"s": "", "o": {}}


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match='mode must be "single" or "batch"'):
        PayloadSchema.from_fields(DATA_EXTENSION).validate({}, "bulk")  # type: ignore[arg-type]


def test_dynamic_auth_settings_survive_like_in_segment() -> None:
    result = PayloadSchema.from_fields(DATA_EXTENSION).validate(
        {"keys": {}, "values": {}, "dynamicAuthSettings": {"token": "t"}, "typo": 1}
    )
    assert result == {"keys": {}, "values": {}, "dynamicAuthSettings": {"token": "t"}}


def test_from_fields_is_cached_by_content_and_order() -> None:
    first = PayloadSchema.from_fields(copy.deepcopy(DATA_EXTENSION))
    assert PayloadSchema.from_fields(copy.deepcopy(DATA_EXTENSION)) is first
    reordered = dict(reversed(list(DATA_EXTENSION.items())))
    assert PayloadSchema.from_fields(reordered) is not first  # field order decides the message order


def test_multiple_field_wraps_a_single_value_at_the_top_level_only() -> None:
    schema = PayloadSchema.from_fields(NESTED)
    assert schema.validate({"items": {"sku": "a"}}) == {"items": [{"sku": "a"}]}
    with pytest.raises(PayloadValidationError, match=r"^The value at /items/0 is missing the required field 'sku'\.$"):
        schema.validate({"items": [{"qty": 1}]})


def test_non_object_payloads_get_segment_messages() -> None:
    schema = PayloadSchema.from_fields(DATA_EXTENSION)
    with pytest.raises(PayloadValidationError, match=r"^The root value must be an object but it was an array\.$"):
        schema.validate([])
    with pytest.raises(PayloadValidationError, match=r"^The root value must be an object but it was undefined\.$"):
        schema.validate(None)
