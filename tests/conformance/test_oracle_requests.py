"""Differential test: the requests we send are the requests Segment's own code sends for the same payload.

Each case in oracle_cases/ was run through Segment's published SFMC destination (the oracle, see make_cases.py):
it holds the events, each event's validated payload, the canned SFMC answers, and the HTTP requests Segment sent.
Here the same payloads go through our action and client to a real HTTP server that answers with the same canned
responses, and method, URL path and JSON body of every API request are compared with Segment's.

Intended differences (each case that shows one says so in INTENDED):
* tokens: we request a token before the first call and send no token request with "Bearer undefined"; Segment
  starts from a stored token and asks for a new one after a 401. Only API requests are compared.
* isolate: when SFMC rejects a rowset for row errors, Segment fails every row; we resend prefixes to deliver the
  good rows and find the bad ones (rowsets.py). The first request is Segment's; the rest carry subsets of it.
* by_target: Segment sends a whole batch to the data extension of the first event; we send one rowset per
  data extension.
* async_poll: Segment's published action stops at the 202; we then poll the job's status.
* outcomes: 401 twice is Retry(auth_failed) here (Segment drops the event); the transient 10006 and 5xx are Retry
  here and "500, retry" at Segment.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr

from sfmc_actions import resolve_mapping, validate_payload
from sfmc_actions.errors import PayloadValidationError
from sfmc_actions.sfmc.actions import ACTIONS, PollPolicy
from sfmc_actions.sfmc.actions.async_data_extension import AsyncRowsAction
from sfmc_actions.sfmc.actions.base import HOOKS, Action
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Outcome, Retry
from tests.conformance.canned_server import Canned, Recorded, make_app, serve

CASES = sorted((Path(__file__).parent / "oracle_cases").glob("[0-9]*.json"))

# case id -> (kind of difference, rows SFMC rejects when we resend them)
BadRow = Callable[[dict[str, Any]], bool]
INTENDED: dict[str, tuple[str, BadRow | None]] = {
    "07-batch-400-additional-errors": ("isolate", lambda row: "Bogus_Field" in row.get("values", {})),
    "26-batch-400-several-errors": ("isolate", lambda row: "@" not in str(row.get("values", {}).get("Email"))),
    "24-de-batch-mixed-targets": ("by_target", None),
    "22-async-de-batch": ("async_poll", None),
}


@dataclasses.dataclass
class Settings:
    subdomain: str
    account_id: str
    client_id: str
    client_secret: SecretStr
    api_base_url: str | None


def kind(outcome: Outcome) -> str:
    return {Delivered: "delivered", Retry: "retry", Dead: "dead"}[type(outcome)]


def segment_kind(status: int | None) -> str:
    """What Segment's pipeline does with an event's status (segment-runtime.md §5.2)."""
    if status is not None and 200 <= status < 300:
        return "delivered"
    if status in (401, 408, 423, 429) or (status is not None and status >= 500 and status != 501):
        return "retry"  # 401: refreshed and retried by Segment; a Retry(auth_failed) here
    return "dead"


def segment_outcomes(case: dict[str, Any], indexes: list[int]) -> list[str]:
    expected = case["expected"]
    if case["batch"]:
        statuses = [expected["batch"]["multistatus"][i]["status"] for i in indexes]
        return [segment_kind(s) for s in statuses]
    kinds = []
    for i in indexes:
        event = expected["events"][i]
        error = event["error"]
        kinds.append("delivered" if error is None else segment_kind(error["status"]))
    return kinds


def segment_api_requests(case: dict[str, Any]) -> list[tuple[str, str, Any]]:
    expected = case["expected"]
    requests = (
        expected["batch"]["requests"] if case["batch"] else [r for e in expected["events"] for r in e["requests"]]
    )
    return [(r["method"], urlsplit(r["url"]).path, r["body"]) for r in requests if r["kind"] == "api"]


def our_api_requests(canned: Canned) -> list[tuple[str, str, Any]]:
    return [(r.method, r.path, r.json()) for r in canned.requests if not r.path.endswith("/v2/token")]


def canned_for(case: dict[str, Any], difference: str | None, bad_row: BadRow | None) -> Canned:
    canned = Canned(
        api=list(case.get("responses") or []),
        tokens=list(case.get("token_responses") or []),
        default=case.get("default_response") or {"status": 200, "body": []},
    )
    if difference == "isolate":
        first = canned.api.pop(0)
        calls = 0

        def rowset(recorded: Recorded) -> dict[str, Any]:
            nonlocal calls
            calls += 1
            rows = recorded.json()
            if calls == 1:
                return first
            bad = [row for row in rows if bad_row and bad_row(row)]
            if not bad:
                return {"status": 200, "body": rows}
            return {"status": 400, "body": {**first["body"], "additionalErrors": first["body"]["additionalErrors"][:1]}}

        canned.extra["/rowset"] = rowset
    if difference == "async_poll":
        complete = {"requestStatus": "Complete", "resultStatus": "OK", "hasErrors": False}
        canned.extra["/status"] = lambda r: {"status": 200, "body": {"status": complete, "requestId": "s"}}
    return canned


def tuned(action: Action) -> Action:
    if isinstance(action, AsyncRowsAction):
        return dataclasses.replace(action, poll=PollPolicy(first_delay=0.01, timeout=10))
    return action


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
async def test_same_requests_as_segment(path: Path) -> None:
    case = json.loads(path.read_text())
    difference, bad_row = INTENDED.get(path.stem, (None, None))
    action = tuned(ACTIONS[case["action"]])
    hooks = {k: case["mapping"][k] for k in HOOKS if k in case["mapping"]}
    events = case["expected"]["events"]
    indexes = [e["index"] for e in events if e["matched"] and e["validation_error"] is None]
    payloads = [events[i]["payload"] for i in indexes]
    canned = canned_for(case, difference, bad_row)

    with serve(make_app(canned)) as base_url:
        settings = Settings(
            **{**case["settings"], "client_secret": SecretStr(case["settings"]["client_secret"])}, api_base_url=base_url
        )
        # Segment reads no fields before sending: compare the requests of the send itself.
        async with SfmcClient(settings, check_schema=False) as client:
            if case["batch"]:
                outcomes = await action.send(client, payloads, hooks) if payloads else []
            else:
                outcomes = [(await action.send(client, [p], hooks))[0] for p in payloads]

    ours, segments = our_api_requests(canned), segment_api_requests(case)
    if difference is None:
        assert ours == segments
        assert [kind(o) for o in outcomes] == segment_outcomes(case, indexes)
    elif difference == "isolate":
        (segment,) = segments
        assert ours[0] == segment
        rows = segment[2]
        for method, url_path, body in ours[1:]:
            assert (method, url_path) == segment[:2]
            start = rows.index(body[0])
            assert rows[start : start + len(body)] == body  # a contiguous run of the original rows, in order
        assert segment_outcomes(case, indexes) == ["dead"] * len(indexes)
        assert [kind(o) for o in outcomes] == ["dead" if bad_row and bad_row(r) else "delivered" for r in rows]
    elif difference == "by_target":
        (segment,) = segments
        by_key: dict[str, list[Any]] = {}
        for payload, row in zip(payloads, segment[2], strict=True):
            by_key.setdefault(f"/hub/v1/dataevents/key:{payload['key']}/rowset", []).append(row)
        assert sorted(ours, key=lambda r: r[1]) == sorted(("POST", k, v) for k, v in by_key.items())
        assert [kind(o) for o in outcomes] == segment_outcomes(case, indexes)
    elif difference == "async_poll":
        assert ours[0] == segments[0] and len(segments) == 1
        assert {(m, p) for m, p, _ in ours[1:]} == {
            ("GET", "/data/v1/async/8f0c7e52-3f5b-4d5e-9a55-1b0a6c1e2d3f/status")
        }
        assert [kind(o) for o in outcomes] == ["delivered"] * len(indexes)
    if not payloads or not segments:
        # Nothing sent by Segment: the action's target failed (06, 06b, 23) or nothing matched (17).
        assert ours == []
        if payloads:
            assert all(isinstance(o, Dead) for o in outcomes)
            assert outcomes[0].error in {e["error"]["message"] for e in events if e.get("error")} | {
                m["errormessage"] for m in (case["expected"].get("batch") or {}).get("multistatus") or []
            }


def test_every_case_is_checked() -> None:
    assert len(CASES) >= 25
    assert set(INTENDED) <= {p.stem for p in CASES}


def test_fields_are_segments() -> None:
    """Titles, descriptions, default subscriptions, field definitions and hooks, as Segment's code exports them."""
    segment = json.loads((Path(__file__).parent / "oracle_cases" / "segment_actions.json").read_text())
    assert list(segment) == [
        "contact",
        "dataExtension",
        "contactDataExtension",
        "apiEvent",
        "dataExtensionV2",
        "contactDataExtensionV2",
        "asyncDataExtension",
    ]
    for key, theirs in segment.items():
        ours = ACTIONS[key]
        assert ours.title == theirs["title"]
        assert ours.description == theirs["description"]
        assert ours.default_trigger == theirs["defaultSubscription"]
        assert ours.fields == theirs["fields"]
        assert sorted(ours.hooks) == sorted(theirs["hooks"])


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_our_fields_validate_payloads_as_segment(path: Path) -> None:
    """Our field definitions through the routing engine give the payloads Segment's runtime gave."""
    case = json.loads(path.read_text())
    action = ACTIONS[case["action"]]
    mapping = case["mapping"]
    if case.get("use_default_mappings"):
        mapping = {**{k: f["default"] for k, f in action.fields.items() if "default" in f}, **mapping}
    for event, expected in zip(case["events"], case["expected"]["events"], strict=True):
        if not expected["matched"]:
            continue
        mapped = resolve_mapping(mapping, event)
        if expected["validation_error"] is None:
            assert (
                validate_payload(dict(action.fields), mapped, "batch" if case["batch"] else "single")
                == expected["payload"]
            )
        else:
            with pytest.raises(PayloadValidationError) as caught:
                validate_payload(dict(action.fields), mapped, "batch" if case["batch"] else "single")
            assert str(caught.value) == expected["validation_error"]["message"]
