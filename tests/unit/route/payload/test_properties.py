"""Properties of payload validation on arbitrary JSON: only PayloadValidationError escapes, the input is
left as it was, the result is JSON, and the single-pass and step-by-step paths always agree."""

from __future__ import annotations

import copy
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfmc_actions.errors import PayloadValidationError
from sfmc_actions.route.payload import PayloadSchema, fields_to_json_schema

KEYS = st.sampled_from(["a", "b", "k", "n", "key", "x", "dynamicAuthSettings"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["", " ", "1", "0", "true", "false", "1e3", "0x10", "Infinity", "2021-01-01", "Jan 1 2021"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)
TYPES = st.sampled_from(["string", "number", "integer", "boolean", "object", "datetime", "password", "text"])


@st.composite
def field(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    kind = draw(TYPES)
    definition: dict[str, Any] = {"label": draw(st.sampled_from(["Label", "", "Ünïcode"])), "type": kind}
    for flag in ("required", "multiple", "allowNull"):
        if draw(st.booleans()):
            definition[flag] = True
    if kind in ("string", "number") and draw(st.booleans()):
        definition[draw(st.sampled_from(["minimum", "maximum"]))] = draw(st.integers(0, 4))
    if kind == "string" and draw(st.booleans()):
        definition["choices"] = draw(st.lists(st.sampled_from(["a", "b", "1", "true"]), min_size=1, max_size=3))
    if kind == "object" and depth < 2 and draw(st.booleans()):
        definition["properties"] = draw(st.dictionaries(KEYS, field(depth + 1), min_size=1, max_size=3))
        definition["additionalProperties"] = draw(st.booleans())
    return definition


FIELDS = st.dictionaries(KEYS, field(), min_size=1, max_size=4)
MODES = st.sampled_from(["single", "batch"])


def _outcome(schema: PayloadSchema, payload: Any, mode: Any) -> tuple[str, Any]:
    try:
        return "ok", orjson.loads(orjson.dumps(schema.validate(payload, mode)))
    except PayloadValidationError as error:
        return "error", str(error)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=FIELDS, payload=st.one_of(JSON, st.dictionaries(KEYS, JSON, max_size=5)), mode=MODES)
def test_validate_only_raises_payload_validation_error(fields: dict[str, Any], payload: Any, mode: Any) -> None:
    before = copy.deepcopy(payload)
    schema = PayloadSchema.from_fields(fields)
    kind, value = _outcome(schema, payload, mode)
    assert payload == before
    if kind == "error":
        assert value.endswith(".")
        assert value[:1] == value[:1].upper()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=FIELDS, payload=st.dictionaries(KEYS, JSON, max_size=5), mode=MODES)
def test_single_pass_agrees_with_step_by_step(fields: dict[str, Any], payload: Any, mode: Any) -> None:
    json_schema = fields_to_json_schema(fields)
    fast = PayloadSchema(json_schema, single_pass=True)
    reference = PayloadSchema(json_schema, single_pass=False)
    assert _outcome(fast, payload, mode) == _outcome(reference, payload, mode)
