"""The conversion's edge cases, on the sample exports changed one thing at a time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from sfmc_actions.segment_import import import_segment
from sfmc_actions.segment_import.convert import env_name, slug
from tests.unit.segment_import.conftest import PAIRS, SOURCES, read


def changed(tmp_path: Path, source: Path, change: Any) -> Path:
    document = read(source)
    change(document)
    path = tmp_path / source.name
    path.write_text(json.dumps(document))
    return path


def test_a_disabled_destination_imports_its_subscriptions_disabled(tmp_path: Path) -> None:
    destination = changed(tmp_path, PAIRS[1][0], lambda d: d["data"]["destination"].update(enabled=False))
    result = import_segment([(destination, PAIRS[1][1])])
    subscriptions = yaml.safe_load(result.text)["destinations"][0]["subscriptions"]
    assert [s["enabled"] for s in subscriptions] == [False, False, False]
    (note,) = result.notes
    assert "destination 'sfmc-us' is disabled in Segment" in note
    assert "(enabled in Segment: 'Create Contact', 'Orders', 'Screens')" in note


def test_a_partial_page_and_another_destination_type_are_said(tmp_path: Path) -> None:
    subscriptions = changed(tmp_path, PAIRS[1][1], lambda d: d["data"]["pagination"].update(next="MjA="))
    destination = changed(
        tmp_path, PAIRS[1][0], lambda d: d["data"]["destination"]["metadata"].update(slug="salesforce-marketing-cloud")
    )
    result = import_segment([(destination, subscriptions)])
    assert any("one page of several (pagination.next is set)" in n for n in result.notes)
    assert any(
        "is a 'salesforce-marketing-cloud' destination, not 'actions-salesforce-marketing-cloud'" in n
        for n in result.notes
    )


def test_names_come_from_segment_names_else_ids_and_never_repeat(tmp_path: Path) -> None:
    nameless = changed(tmp_path, PAIRS[1][0], lambda d: d["data"]["destination"].pop("name"))
    result = import_segment([(nameless, PAIRS[1][1]), (PAIRS[1][0], PAIRS[1][1]), (PAIRS[1][0], PAIRS[1][1])])
    names = [d["name"] for d in yaml.safe_load(result.text)["destinations"]]
    assert names == ["destination-dst-4hwpz8sq1yus", "sfmc-us", "sfmc-us-2"]
    assert [v.name for v in result.env_vars] == [
        "SFMC_DESTINATION_DST_4HWPZ8SQ1YUS_CLIENT_SECRET",
        "SFMC_US_CLIENT_SECRET",
        "SFMC_US_2_CLIENT_SECRET",
    ]
    assert slug("  SFMC — EMEA (Prod)!! ") == "sfmc-emea-prod" and env_name("a.b-c") == "A_B_C"


def test_only_the_enabled_sources_the_destinations_receive_from_are_written(tmp_path: Path) -> None:
    sources = changed(tmp_path, SOURCES, lambda d: d["data"]["sources"][0].update(enabled=False))
    result = import_segment(PAIRS, sources)
    written = yaml.safe_load(result.text)["sources"]
    assert written == [{"name": "ios-app", "write_key": "${SEGMENT_WRITE_KEY_IOS_APP}"}]
    reasons = {s.what: s.reason for s in result.skipped}
    assert reasons["source 'website' (id src_web1)"] == "disabled in Segment: it accepts no events there"
    missing = changed(tmp_path, PAIRS[1][0], lambda d: d["data"]["destination"].update(sourceId="src_gone"))
    result = import_segment([(missing, PAIRS[1][1])], SOURCES)
    assert any(
        "the source src_gone of destination dst_4HwPz8sQ1yUS is not in the sources file" in n for n in result.notes
    )


def test_without_sources_no_sources_section_is_written() -> None:
    result = import_segment(PAIRS)
    assert "sources" not in yaml.safe_load(result.text) and result.sources == 0
    assert [v.name for v in result.env_vars] == ["SFMC_EMEA_CLIENT_SECRET", "SFMC_US_CLIENT_SECRET"]
