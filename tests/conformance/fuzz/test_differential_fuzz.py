"""The differential fuzz in CI: a fixed seed, 5,000 triggers and 5,000 mappings, Segment's code against ours.

Needs Node (the driver's npm packages are installed into the git-ignored driver/node_modules with `npm ci` on
first use). In CI (CI=true) a missing Node is a failure; elsewhere the test skips and says why. Any size and
seed: `python -m tests.conformance.fuzz --seed S --count N`.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

import pytest

from tests.conformance.fuzz import run as fuzz
from tests.conformance.fuzz.generate import Generator
from tests.conformance.fuzz.oracle import NodeMissing, Oracle, js_json, node_executable

SEED = 14
TRIGGERS = 5000
MAPPINGS = 5000


@pytest.fixture(scope="module")
def oracle() -> Any:
    try:
        node_executable()
        if shutil.which("npm") is None:
            raise NodeMissing("npm is not on PATH: it installs the oracle's packages (tests/conformance/fuzz/driver)")
    except NodeMissing as missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the differential fuzz cannot run in CI: {missing}")
        pytest.skip(f"differential fuzz skipped: {missing}")
    with Oracle() as running:
        yield running


def test_segment_and_sfmc_actions_agree_on_random_triggers_and_mappings(oracle: Oracle) -> None:
    summary = fuzz.Summary(seed=SEED)
    fuzz.check_triggers(oracle, Generator(SEED), TRIGGERS, summary)
    fuzz.check_mappings(oracle, Generator(SEED + 1), MAPPINGS, summary)
    report = json.dumps(summary.as_json(), indent=1, default=repr)
    assert summary.mismatch_count == 0, report[:20_000]
    assert (summary.triggers, summary.mappings) == (TRIGGERS, MAPPINGS)
    # The cases test something: both sides produce values and errors, Liquid included.
    for kind in ("trigger: matches", "trigger: parse error", "liquid: value", "liquid: error", "mapping: value"):
        assert summary.agreed[kind] > 200, report


def test_a_difference_is_reported(oracle: Oracle, monkeypatch: pytest.MonkeyPatch) -> None:
    # The comparison itself can fail: our side answering differently is a mismatch with its example.
    monkeypatch.setattr(fuzz, "_ours_mapping", lambda mapping, event: ("value", {"surprise": 1}))
    monkeypatch.setattr(fuzz, "_ours_trigger", lambda fql, event: ("crash", "ValueError: boom"))
    summary = fuzz.Summary(seed=1)
    fuzz.check_triggers(oracle, Generator(1), 20, summary)
    fuzz.check_mappings(oracle, Generator(2), 20, summary)
    assert summary.mismatches["trigger: crash"] == 20
    assert sum(n for kind, n in summary.mismatches.items() if not kind.startswith("trigger")) == 20
    assert all("event" in example and "segment" in example for example in summary.examples.values())


def test_values_reach_node_as_javascript_values(oracle: Oracle) -> None:
    # -0 stays -0, digits beyond 2**53 are read (and rounded) by JavaScript, lone surrogates survive.
    value = {"z": -0.0, "big": 2**64 + 5, "lone": "\ud83d", "b": 1, "1": 2}
    assert js_json(value) == '{"z":-0,"big":18446744073709551621,"lone":"\\ud83d","b":1,"1":2}'
    [answer] = oracle.ask([{"roundtrip": value}])
    assert answer["json"] == '{"1":2,"z":0,"big":18446744073709552000,"lone":"\\ud83d","b":1}'
    event = {"properties": value}
    [liquid] = oracle.ask(
        [{"mapping": {"v": {"@liquid": "{{ properties.big }} {{ properties.lone | size }}"}}, "event": event}]
    )
    assert liquid["json"] == '{"v":"18446744073709552000 1"}'
