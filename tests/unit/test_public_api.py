"""The stable public API other programs call: names, results and the error types they raise."""

from __future__ import annotations

import pytest

import sfmc_actions
from sfmc_actions.errors import FqlSyntaxError, MappingError, PayloadValidationError


def test_trigger_matches() -> None:
    assert sfmc_actions.trigger_matches('type = "track" and event = "A"', {"type": "track", "event": "A"})
    assert not sfmc_actions.trigger_matches("properties.x != 1", {"properties": {"x": 1}})
    with pytest.raises(FqlSyntaxError):
        sfmc_actions.trigger_matches("", {})


def test_resolve_and_validate_mapping() -> None:
    mapping = {"a": {"@path": "$.userId"}, "b": {"@path": "$.missing"}, "c": None}
    assert sfmc_actions.resolve_mapping(mapping, {"userId": "u"}) == {"a": "u", "c": None}
    assert sfmc_actions.validate_mapping({"@path": False}) == [
        "/@path should be a string or a mapping directive but it is a boolean."
    ]
    with pytest.raises(MappingError):
        sfmc_actions.resolve_mapping({"@path": False}, {})


def test_validate_payload() -> None:
    fields = {"contactKey": {"label": "Contact Key", "type": "string", "required": True}}
    assert sfmc_actions.validate_payload(fields, {"contactKey": 42, "other": 1}, "single") == {"contactKey": "42"}
    with pytest.raises(PayloadValidationError) as info:
        sfmc_actions.validate_payload(fields, {}, "batch")
    assert str(info.value) == "The root value is missing the required field 'contactKey'."
