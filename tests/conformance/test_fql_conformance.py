"""Replay Segment's FQL cases (spec §10) and the differential cases generated with Segment's own code.

`segment-runtime.jsonl` is a verbatim copy of spec/conformance/segment-runtime.jsonl; its `fql` kind
(42 cases) comes from Segment's tests. `fql_oracle_cases.jsonl` was produced by
`fql_oracle_generate.py`, which runs `@segment/destination-subscriptions` 3.37.0 (lexer
`@segment/fql-ts` 1.10.1) on every probe: the oracle's 46×5 matrix, hand-written probes for every
operator and quirk, and a seeded random sample. For each FQL we check the AST against Segment's
`parseFql` output (same JSON shape), parse failure against Segment's `{error}`, and the match result
against `validate()` on every event (where `validate()` threw, Segment's runtime delivers nothing:
we expect no match).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from sfmc_actions import trigger_matches
from sfmc_actions.errors import FqlSyntaxError
from sfmc_actions.route.fql import compile_trigger, generate, parse

HERE = Path(__file__).parent


def _lines(name: str) -> list[dict[str, Any]]:
    text = (HERE / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


SEGMENT_CASES = [c for c in _lines("segment-runtime.jsonl") if c["kind"] == "fql"]
_ORACLE_LINES = _lines("fql_oracle_cases.jsonl")
ORACLE_EVENTS: dict[str, Any] = _ORACLE_LINES[0]["events"]
ORACLE_BY_FQL: dict[str, list[dict[str, Any]]] = defaultdict(list)
for _case in _ORACLE_LINES[1:]:
    ORACLE_BY_FQL[_case["fql"]].append(_case)


def test_case_counts() -> None:
    assert len(SEGMENT_CASES) == 42
    assert len(ORACLE_BY_FQL) > 350
    assert sum(len(cases) for cases in ORACLE_BY_FQL.values()) > 1400
    sources = {cases[0]["source"] for cases in ORACLE_BY_FQL.values()}
    assert "oracle fql-semantics" in sources
    # the shared oracle matrix: 46 FQLs × 5 events (two FQLs are repeated by later probe groups)
    matrix = [f for f, cases in ORACLE_BY_FQL.items() if cases[0]["source"] == "oracle fql-semantics"]
    assert len(matrix) == 46


@pytest.mark.parametrize("case", SEGMENT_CASES, ids=[c["id"] for c in SEGMENT_CASES])
def test_segment_fql_case(case: dict[str, Any]) -> None:
    if case.get("expect_parse_error"):
        with pytest.raises(FqlSyntaxError):
            trigger_matches(case["fql"], case["event"])
    else:
        assert trigger_matches(case["fql"], case["event"]) is case["expect"]


def _numbers_as_floats(value: Any) -> Any:
    # JavaScript numbers are doubles: 12345678901234567000 in Segment's JSON is the double we hold.
    return json.loads(json.dumps(value), parse_int=float)


@pytest.mark.parametrize("fql", list(ORACLE_BY_FQL), ids=[f"{i}:{f[:40]}" for i, f in enumerate(ORACLE_BY_FQL)])
def test_oracle_fql(fql: str) -> None:
    cases = ORACLE_BY_FQL[fql]
    if cases[0].get("expect_parse_error"):
        with pytest.raises(FqlSyntaxError):
            parse(fql)
        return
    trigger = compile_trigger(fql)
    assert _numbers_as_floats(trigger.ast.to_dict()) == _numbers_as_floats(cases[0]["ast"])
    assert parse(generate(trigger.ast)) == trigger.ast
    for case in cases:
        event = ORACLE_EVENTS[case["event_ref"]]
        assert trigger.matches(event) is case["expect"], (case["event_ref"], event)
        if case.get("segment_throws"):
            assert case["expect"] is False
