"""Engage audiences through ordinary mappings: entered -> true, exited -> false in a boolean column.

Engage sends membership two ways (segment-runtime.md §8.3): an identify with `traits.<audience_key>` true/false,
or track events "Audience Entered"/"Audience Exited" with `properties.<audience_key>` true/false. The mappings
are the example subscriptions proposed for examples/quickstart.yaml; tests/conformance/oracle_cases 09 and 25
show Segment sends the same rows.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from sfmc_actions import resolve_mapping, validate_payload
from sfmc_actions.route.fql import compile_trigger
from sfmc_actions.sfmc.actions import ACTIONS
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.outcomes import Delivered
from tests.unit.sfmc.fake_sfmc import FakeSfmc, Settings

ACTION = ACTIONS["contactDataExtension"]
IDENTIFY_MAPPING = {
    "key": "Audience_VIP",
    "keys": {"contactKey": {"@path": "$.userId"}},
    "values": {"In_Audience": {"@path": "$.traits.vip_customers"}, "Email": {"@path": "$.traits.email"}},
}
TRACK_MAPPING = {
    "key": "Audience_VIP",
    "keys": {"contactKey": {"@path": "$.userId"}},
    "values": {"In_Audience": {"@path": "$.properties.vip_customers"}},
}
PERSONAS = {"personas": {"computation_class": "audience", "computation_key": "vip_customers"}}


def identify(user: str, member: bool) -> dict[str, Any]:
    return {
        "type": "identify",
        "userId": user,
        "traits": {"vip_customers": member, "email": f"{user}@x.io"},
        "context": PERSONAS,
    }


def track(user: str, event: str, member: bool) -> dict[str, Any]:
    return {
        "type": "track",
        "event": event,
        "userId": user,
        "properties": {"audience_key": "vip_customers", "vip_customers": member},
        "context": PERSONAS,
    }


async def deliver(mapping: dict[str, Any], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    payloads = [validate_payload(dict(ACTION.fields), resolve_mapping(mapping, e), "batch") for e in events]
    fake = FakeSfmc()
    async with httpx.AsyncClient(transport=fake.transport()) as http:
        client = SfmcClient(Settings(), http=http, check_schema=False)  # type: ignore[arg-type]
        outcomes = await ACTION.send(client, payloads)
    assert all(isinstance(o, Delivered) for o in outcomes)
    (request,) = fake.api_requests()
    assert request.url.path == "/hub/v1/dataevents/key:Audience_VIP/rowset"
    return list(json.loads(request.content))


async def test_identify_traits_true_and_false() -> None:
    rows = await deliver(IDENTIFY_MAPPING, [identify("u-in", True), identify("u-out", False)])
    assert rows == [
        {"keys": {"contactKey": "u-in"}, "values": {"In_Audience": True, "Email": "u-in@x.io"}},
        {"keys": {"contactKey": "u-out"}, "values": {"In_Audience": False, "Email": "u-out@x.io"}},
    ]


async def test_audience_entered_and_exited_track_events() -> None:
    rows = await deliver(
        TRACK_MAPPING, [track("u-in", "Audience Entered", True), track("u-out", "Audience Exited", False)]
    )
    assert [(r["keys"]["contactKey"], r["values"]["In_Audience"]) for r in rows] == [("u-in", True), ("u-out", False)]


def test_triggers_select_the_audience_events() -> None:
    entered_or_exited = compile_trigger('type = "track" and (event = "Audience Entered" or event = "Audience Exited")')
    assert entered_or_exited.matches(track("u", "Audience Entered", True))
    assert entered_or_exited.matches(track("u", "Audience Exited", False))
    assert not entered_or_exited.matches(track("u", "Order Completed", False))
    on_identify = compile_trigger('type = "identify" and traits.vip_customers != null')
    assert on_identify.matches(identify("u", False))
