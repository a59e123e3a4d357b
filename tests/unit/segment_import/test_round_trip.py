"""Imported subscriptions behave exactly as the Segment ones they came from.

The reference is the public API applied to the exports themselves: Segment's trigger (`trigger_matches`) and
Segment's mapping, the subscription's `settings` (`resolve_mapping`). The imported config, loaded as the
service loads it, must route every example event to the same subscriptions with the same payloads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

import sfmc_actions
from sfmc_actions.events import parse_event
from sfmc_actions.segment_import import import_segment
from sfmc_actions.service.load import load
from sfmc_actions.sfmc.actions import ACTIONS
from tests.unit.segment_import.conftest import PAIRS, SOURCES, read

ROOT = Path(__file__).resolve().parents[3]
EVENTS = [
    parse_event(orjson.loads(line)).to_dict()
    for line in (ROOT / "examples" / "events.ndjson").read_text().splitlines()
    if line.strip()
]


def converted(pairs: list[tuple[Path, Path]] = PAIRS) -> list[list[dict[str, Any]]]:
    """Per destination, the Segment subscriptions the import converts (RETL and unknown slugs left out)."""
    return [
        [s for s in read(subs)["data"]["subscriptions"] if not s.get("modelId") and s["actionSlug"] in ACTIONS]
        for _, subs in pairs
    ]


@pytest.fixture(scope="module")
def imported() -> Any:
    result = import_segment(PAIRS, SOURCES)
    environ = {v.name: f"value-of-{v.name}" for v in result.env_vars}
    environ["NOT_AN_ENV_VAR"] = "must-not-appear"  # a literal ${NOT_AN_ENV_VAR} in a Segment mapping stays
    return load("imported.yaml", environ=environ, text=result.text)


def test_triggers_and_mappings_are_copied_unchanged(imported: Any) -> None:
    originals = converted()
    assert [len(d.subscriptions) for d in imported.config.destinations] == [len(o) for o in originals]
    for destination, segment_subs in zip(imported.config.destinations, originals, strict=True):
        for ours, theirs in zip(destination.subscriptions, segment_subs, strict=True):
            assert ours.action == theirs["actionSlug"]
            assert ours.trigger == theirs["trigger"]
            assert ours.mapping == theirs["settings"]  # hook outputs included, `${...}` text included
            assert ours.enabled == theirs["enabled"]


def test_every_example_event_routes_to_the_same_subscriptions_and_payloads(imported: Any) -> None:
    originals = converted()
    compiled = {name: [s for s in imported.subscriptions if s.destination == name] for name in ("sfmc-emea", "sfmc-us")}
    matched_once: set[tuple[int, int]] = set()
    for event in EVENTS:
        expected = [
            (d, i, sfmc_actions.resolve_mapping(sub["settings"], event))
            for d, subs in enumerate(originals)
            for i, sub in enumerate(subs)
            if sub["enabled"] and sfmc_actions.trigger_matches(sub["trigger"], event)
        ]
        routed = [
            (d, i, sub.mapping.resolve(event))
            for d, subs in enumerate(compiled.values())
            for i, sub in enumerate(subs)
            if sub.enabled and sub.trigger.matches(event)
        ]
        assert routed == expected, event["messageId"]
        matched_once.update((d, i) for d, i, _ in routed)
    enabled = {(d, i) for d, subs in enumerate(originals) for i, s in enumerate(subs) if s["enabled"]}
    assert matched_once == enabled  # every enabled subscription saw at least one event: the check has teeth


def test_the_yaml_reads_back_as_the_document_written() -> None:
    result = import_segment(PAIRS, SOURCES)
    document = yaml.safe_load(result.text)
    emea = document["destinations"][0]
    assert emea["settings"] == {
        "subdomain": "mcemea0000000000000000000001",
        "account_id": "100000001",
        "client_id": "emea-client-id",
        "client_secret": "${SFMC_EMEA_CLIENT_SECRET}",
    }
    values = emea["subscriptions"][2]["mapping"]["values"]
    assert values["Yes"] == "yes" and values["Summary"]["@template"].startswith("{{properties.order_id}}:")
    assert emea["subscriptions"][6]["mapping"]["values"]["Weight"] == 1.0
    assert emea["subscriptions"][1]["mapping"]["values"]["Note"] == {"@literal": "imported $${NOT_AN_ENV_VAR} as is"}
