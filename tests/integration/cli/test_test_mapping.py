"""`sfmc-actions test-mapping` on the quick start and on V2 subscriptions, against the emulator on a real socket."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli.conftest import QUICKSTART, Cli
from tests.integration.sfmc.conftest import Emulator

ORDER = {
    "type": "track",
    "event": "Order Completed",
    "userId": "u1",
    "messageId": "m-1",
    "timestamp": "2024-05-01T12:00:00.000Z",
    "properties": {"order_id": "o-1", "revenue": 19.99, "currency": "EUR"},
}
IDENTIFY = {"type": "identify", "userId": "u2", "traits": {"email": "u2@example.com", "first_name": "Ada"}}
SIGNED_UP = {
    "type": "track",
    "event": "Signed Up",
    "userId": "u3",
    "properties": {"plan": "pro"},
    "context": {"traits": {"email": "u3@example.com"}},
}
UNMASKED_BEARER = re.compile(r"Bearer (?!\*{8})\S")


@pytest.fixture
def event_file(tmp_path: Path) -> Any:
    def write(event: dict[str, Any], name: str = "event.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(event), encoding="utf-8")
        return path

    return write


def run_json(cli: Cli, config: Path, subscription: str, event: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = cli(
        "test-mapping", "--config", config, "--subscription", subscription, event, "--json", *extra, *cli.emulator_args
    )
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def test_preview_of_a_matching_event_sends_nothing(cli: Cli, emulator: Emulator, event_file: Any) -> None:
    result = cli("test-mapping", "-c", QUICKSTART, "-s", "orders-de", event_file(ORDER), *cli.emulator_args)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "matches" in out and "Validated payload (single mode)" in out
    assert "batch key: dataExtension:key:Orders" in out
    assert f"POST {cli.emulator.base_url}/hub/v1/dataevents/key:Orders/rowset" in out
    assert "Authorization: Bearer ********" in out and not UNMASKED_BEARER.search(result.output)
    body = (
        '[{"keys":{"Order_ID":"o-1"},"values":{"Contact_Key":"u1","Revenue":19.99,"Currency":"EUR",'
        '"Summary":"o-1: EUR 19.99","Ordered_At":"2024-05-01T12:00:00.000Z"}}]'
    )
    assert body in out.splitlines()  # the exact bytes, on one line
    assert f"Content-Length: {len(body)}" in out
    assert emulator.get("/journal") == []  # no token, no request


def test_no_match_and_send_refused(cli: Cli, emulator: Emulator, event_file: Any) -> None:
    code, report = run_json(cli, QUICKSTART, "welcome-journey", event_file(ORDER), "--send")
    assert code == 1
    assert report["trigger"] == {"fql": 'type = "track" and event = "Signed Up"', "matches": False, "warnings": []}
    assert report["request"]["url"].endswith("/interaction/v1/events")  # still shown, to debug the mapping
    assert report["sent"] is None
    assert report["notes"] == ["not sent: the trigger does not match, so the service would not deliver this event"]
    assert emulator.get("/journal") == []
    text = cli("test-mapping", "-c", QUICKSTART, "-s", "welcome-journey", event_file(ORDER), *cli.emulator_args)
    assert text.exit_code == 1 and "does not match: the service would not deliver this event" in text.stdout


def test_validation_error_is_segments_message(cli: Cli, emulator: Emulator, event_file: Any) -> None:
    anonymous = {"type": "identify", "anonymousId": "a1", "traits": {"email": "a1@example.com"}}
    code, report = run_json(cli, QUICKSTART, "customers-de", event_file(anonymous), "--send")
    assert code == 1
    assert report["trigger"]["matches"] is True
    assert report["mapped"] == {"key": "Customers", "keys": {}, "values": {"Email": "a1@example.com", "Plan": "free"}}
    assert report["validation_error"] == "Data Extension Primary Key is missing the required field 'contactKey'."
    assert report["validated"] is None and report["request"] is None and report["sent"] is None
    assert report["notes"] == ["not sent: there is no valid payload, so the service would not deliver this event"]
    text = cli("test-mapping", "-c", QUICKSTART, "-s", "customers-de", event_file(anonymous), *cli.emulator_args)
    assert "Validation error" in text.stdout and "missing the required field 'contactKey'" in text.stdout
    assert emulator.get("/journal") == []


@pytest.mark.parametrize(
    ("subscription", "event", "path", "de"),
    [
        ("orders-de", ORDER, "/hub/v1/dataevents/key:Orders/rowset", "Orders"),
        ("customers-de", IDENTIFY, "/hub/v1/dataevents/key:Customers/rowset", "Customers"),
        ("create-contact", IDENTIFY, "/contacts/v1/contacts", None),
        ("welcome-journey", SIGNED_UP, "/interaction/v1/events", "Welcome_Journey_Entry"),
    ],
)
def test_send_sends_exactly_the_previewed_request(
    cli: Cli, emulator: Emulator, event_file: Any, subscription: str, event: dict[str, Any], path: str, de: str | None
) -> None:
    code, report = run_json(cli, QUICKSTART, subscription, event_file(event), "--send")
    assert code == 0, report
    sent = report["sent"]
    assert sent["outcome"]["result"] == "delivered" and sent["token_requests"] == 1
    token, *api = sent["exchanges"]
    assert token["request"]["url"].endswith("/v2/token") and "client_secret=********" in token["request"]["body"]
    assert token["response"]["body"]["access_token"] == "********"
    assert api[0]["request"] == report["request"]  # method, URL, every header, body: the preview was exact
    (received,) = emulator.api_calls()
    assert received["path"] == path and received["method"] == report["request"]["method"]
    assert received["body"] == json.loads(report["request"]["body"])
    assert api[0]["response"]["status"] == received["status"]
    assert not UNMASKED_BEARER.search(json.dumps(report))
    if de is not None:
        assert len(emulator.get(f"/data-extensions/{de}")["rows"]) == 1


def test_event_from_stdin_and_bad_events(cli: Cli, emulator: Emulator, event_file: Any) -> None:
    piped = cli(
        "test-mapping", "-c", QUICKSTART, "-s", "orders-de", "-", "--json", *cli.emulator_args, stdin=json.dumps(ORDER)
    )
    assert piped.exit_code == 0 and json.loads(piped.stdout)["validated"]["keys"] == {"Order_ID": "o-1"}
    no_user = event_file({"type": "track", "event": "Order Completed"}, "no-user.json")
    rejected = cli("test-mapping", "-c", QUICKSTART, "-s", "orders-de", no_user, *cli.emulator_args)
    assert rejected.exit_code == 2 and "the service would reject this event" in rejected.stderr
    assert '"userId" or "anonymousId"' in rejected.stderr
    not_json = event_file({}, "bad.json")
    not_json.write_text("{nope", encoding="utf-8")
    broken = cli("test-mapping", "-c", QUICKSTART, "-s", "orders-de", not_json, *cli.emulator_args)
    assert broken.exit_code == 2 and "is not valid JSON" in broken.stderr
    unknown = cli("test-mapping", "-c", QUICKSTART, "-s", "nope", no_user, *cli.emulator_args)
    assert unknown.exit_code == 2 and "its subscriptions: create-contact, customers-de" in unknown.stderr


def test_v2_end_to_end_create_then_send(cli: Cli, emulator: Emulator, event_file: Any, tmp_path: Path) -> None:
    created = cli(
        "data-extensions",
        "create",
        "--name",
        "Signups",
        "--folder",
        "1001",
        "-C",
        "User_ID:Text(64):pk",
        "-C",
        "Email:EmailAddress",
        "-C",
        "Plan:Text(20)",
        "--json",
        *cli.emulator_args,
    )
    assert created.exit_code == 0, created.output
    de_id = json.loads(created.stdout)["id"]
    config = tmp_path / "v2.yaml"
    subscriptions = ""
    for name, action in (("signups-v2", "dataExtensionV2"), ("signups-async", "asyncDataExtension")):
        subscriptions += f"""
  - name: {name}
    action: {action}
    trigger: type = "track" and event = "Signed Up" or event = "Upgraded"
    mapping:
      onMappingSave: {{outputs: {{id: {de_id}, name: Signups}}}}
      keys:
        User_ID: {{"@path": "$.userId"}}
      values:
        Email: {{"@path": "$.context.traits.email"}}
        Plan: {{"@path": "$.properties.plan"}}
"""
    config.write_text("subscriptions:" + subscriptions, encoding="utf-8")

    code, report = run_json(cli, config, "signups-v2", event_file(SIGNED_UP), "--send")
    assert code == 0, report
    assert "`and` and `or` are mixed without parentheses" in report["trigger"]["warnings"][0]
    assert report["batch_key"] == f"dataExtensionV2:id:{de_id}"
    assert report["request"]["url"] == f"{cli.emulator.base_url}/hub/v1/dataevents/{de_id}/rowset"
    assert report["sent"]["outcome"]["result"] == "delivered"
    assert emulator.rows(de_id) == {"u3": {"User_ID": "u3", "Email": "u3@example.com", "Plan": "pro"}}

    upgraded = {**SIGNED_UP, "event": "Upgraded", "userId": "u4", "properties": {"plan": "max"}}
    code, report = run_json(cli, config, "signups-async", event_file(upgraded), "--send")
    assert code == 0, report
    assert report["request"]["method"] == "PUT"
    assert report["request"]["url"] == f"{cli.emulator.base_url}/data/v1/async/dataextensions/{de_id}/rows"
    assert json.loads(report["request"]["body"]) == {
        "items": [{"User_ID": "u4", "Email": "u3@example.com", "Plan": "max"}]
    }
    assert any("polls GET /data/v1/async/" in n for n in report["notes"])
    urls = [e["request"]["url"] for e in report["sent"]["exchanges"]]
    assert any(u.endswith("/status") for u in urls)  # polled to completion, not stopped at the 202
    assert report["sent"]["outcome"]["result"] == "delivered" and report["sent"]["token_requests"] == 1
    assert set(emulator.rows(de_id)) == {"u3", "u4"}


def test_credentials_from_the_config(cli: Cli, emulator: Emulator, event_file: Any, tmp_path: Path) -> None:
    subscription = """
subscriptions:
  - name: orders
    action: dataExtension
    trigger: type = "track"
    mapping: {key: Orders, keys: {Order_ID: {"@path": "$.properties.order_id"}}, values: {Currency: EUR}}
"""
    config = cli.credentials_config(tmp_path, extra=subscription)
    preview = cli("test-mapping", "-c", config, "-s", "orders", event_file(ORDER))
    assert preview.exit_code == 0, preview.output
    assert "(to SFMC tenant mcdemo0000000000000000000000 (MID 100000001) at http" in preview.stdout
    assert emulator.get("/journal") == []  # a preview needs no token, even with credentials

    wrong = cli.credentials_config(tmp_path, secret="wrong-secret-value", extra=subscription)
    refused = cli("test-mapping", "-c", wrong, "-s", "orders", event_file(ORDER), "--send")
    assert refused.exit_code == 1
    assert "SFMC refused the credentials" in refused.stderr and "wrong-secret-value" not in refused.output
    assert [c["route"] for c in emulator.get("/journal")] == ["token"]  # nothing sent with a refused token
