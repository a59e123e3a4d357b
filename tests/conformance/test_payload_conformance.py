"""Payload validation against Segment's own behaviour.

* `segment-runtime.jsonl`, kind `payload_validation` (VAL-01..12): cases from Segment's tests.
* `payload_oracle_cases.jsonl`: what the real @segment/actions-core (removeEmptyValues + validateSchema,
  run in Node) returns for field definitions and payloads chosen to hit each rule and quirk.

Each case runs through the single-pass path and the step-by-step path, which must agree, and the
input payload must come out unchanged.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from sfmc_actions import validate_payload
from sfmc_actions.errors import PayloadValidationError
from sfmc_actions.route.payload import PayloadSchema, fields_to_json_schema

HERE = Path(__file__).parent


def _load(name: str, kind: str | None = None) -> list[dict[str, Any]]:
    cases = [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [case for case in cases if kind is None or case["kind"] == kind]


SEGMENT_CASES = _load("segment-runtime.jsonl", "payload_validation")
ORACLE_CASES = _load("payload_oracle_cases.jsonl")


def js_equal(a: Any, b: Any) -> bool:
    """Equality as JSON values: key order ignored, 1 == 1.0, but true != 1 and "1" != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(js_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(js_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _run(case: dict[str, Any], single_pass: bool) -> None:
    if "expect_compile_error" in case:
        with pytest.raises(ValueError):
            PayloadSchema(fields_to_json_schema(case["fields"]), single_pass=single_pass)
        return
    schema = PayloadSchema(fields_to_json_schema(case["fields"]), single_pass=single_pass)
    payload = case["payload"]
    before = copy.deepcopy(payload)
    if "expect_error" in case:
        with pytest.raises(PayloadValidationError) as caught:
            schema.validate(payload, case["mode"])
        assert str(caught.value) == case["expect_error"]
        assert caught.value.status == 400
    else:
        result = schema.validate(payload, case["mode"])
        # Through JSON, as it leaves the service: Infinity becomes null, as JSON.stringify writes it.
        assert js_equal(json.loads(orjson.dumps(result)), case["expect"]), result
    assert payload == before, "the input payload was changed"


@pytest.mark.parametrize("case", SEGMENT_CASES, ids=[c["id"] for c in SEGMENT_CASES])
def test_segment_case_through_public_api(case: dict[str, Any]) -> None:
    if "expect_error" in case:
        with pytest.raises(PayloadValidationError) as caught:
            validate_payload(case["fields"], case["payload"], case["mode"])
        assert str(caught.value) == case["expect_error"]
    else:
        assert validate_payload(case["fields"], case["payload"], case["mode"]) == case["expect"]


@pytest.mark.parametrize("single_pass", [True, False], ids=["single-pass", "step-by-step"])
@pytest.mark.parametrize("case", SEGMENT_CASES, ids=[c["id"] for c in SEGMENT_CASES])
def test_segment_case(case: dict[str, Any], single_pass: bool) -> None:
    _run(case, single_pass)


@pytest.mark.parametrize("single_pass", [True, False], ids=["single-pass", "step-by-step"])
@pytest.mark.parametrize("case", ORACLE_CASES, ids=[c["id"] for c in ORACLE_CASES])
def test_oracle_case(case: dict[str, Any], single_pass: bool) -> None:
    _run(case, single_pass)


def test_case_files_are_what_this_suite_expects() -> None:
    assert len(SEGMENT_CASES) == 12
    assert len(ORACLE_CASES) >= 200
    assert len({c["id"] for c in ORACLE_CASES}) == len(ORACLE_CASES)
    for case in ORACLE_CASES:
        expectations = {"expect", "expect_error", "expect_compile_error"} & case.keys()
        assert len(expectations) == 1, case["id"]
        assert case["mode"] in ("single", "batch"), case["id"]
