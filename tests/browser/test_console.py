"""The console in a real browser against a real `serve` (issue 10's browser tests)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from segment.analytics import Client

from tests.browser.conftest import TOKEN, WRITE_KEY, Console, log_in, screenshot
from tests.e2e.processes import sfmc_actions, wait_for


def send(console: Console, kind: str, body: dict[str, Any]) -> None:
    answer = httpx.post(f"{console.ingest}/v1/{kind}", json=body, auth=(WRITE_KEY, ""), timeout=10)
    assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text


def api(console: Console, path: str, **params: Any) -> Any:
    answer = httpx.get(f"{console.url}{path}", params=params, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def dead_letter_of(console: Console, subscription: str, user: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    def dead() -> bool:
        found[:] = api(console, "/admin/api/dead-letters", subscription=subscription, user_id=user)
        return bool(found)

    wait_for(dead, 20, f"a dead letter of {subscription} for {user}")
    return found[0]


def test_a_wrong_token_is_refused_and_the_right_one_logs_in(console: Console, page: Any) -> None:
    page.goto(f"{console.url}/dead-letters")
    assert page.url.startswith(f"{console.url}/login")
    screenshot(page, "login")
    started = time.monotonic()
    log_in(page, console.url, "not-the-token")
    assert page.get_by_role("alert").inner_text() == "That is not the console token."
    assert time.monotonic() - started >= 0.25  # the delay after a failure
    log_in(page, console.url)
    page.wait_for_url(f"{console.url}/")
    assert page.get_by_role("heading", name="Overview").is_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "sfmc_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    answer = httpx.get(f"{console.url}/admin/api/overview", headers={"Authorization": "Bearer wrong"})
    assert answer.status_code == 401


def idle(totals: dict[str, int]) -> bool:
    return totals["pending"] == totals["claimed"] == 0 and totals["delivered"] >= 1


def test_the_overview_equals_status_json(console: Console, page: Any) -> None:
    send(console, "track", {"userId": "ov-1", "event": "Order Completed", "properties": {"order_id": "ov-1"}})
    wait_for(lambda: idle(api(console, "/admin/api/overview")["status"]["totals"]), 20, "an idle queue")
    log_in(page, console.url)
    page.goto(f"{console.url}/?since=1h")
    status = sfmc_actions("status", "--since", "1h", "--json", "--database", str(console.database))
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    expected = report["totals"]
    shown = {k: int(page.locator(f'#totals [data-key="{k}"]').inner_text()) for k in expected}
    assert shown == expected and expected["delivered"] >= 1
    assert int(page.locator('#headline [data-key="delivered"]').inner_text()) == expected["delivered"]
    for row in report["subscriptions"]:
        if row["subscription"]:
            cells = page.locator("#funnel tr", has=page.get_by_role("cell", name=row["subscription"], exact=True))
            assert int(cells.locator('[data-key="delivered"]').inner_text()) == row["delivered"]
    screenshot(page, "overview")


def test_an_error_group_shows_its_three_sample_parts(console: Console, page: Any) -> None:
    send(console, "identify", {"userId": "err-1", "traits": {"email": "not-an-email"}})
    dead_letter_of(console, "customers-de", "err-1")
    log_in(page, console.url)
    page.goto(f"{console.url}/errors?since=24h")
    group = page.locator("section.group", has_text="not a valid email address").first
    for part in ("Event received", "Request to SFMC", "Response from SFMC"):
        assert group.get_by_role("heading", name=part).first.is_visible()
    assert "err-1" in group.inner_text()
    assert "What to do" in group.inner_text()
    screenshot(page, "errors")


def test_the_mapping_tester_shows_the_exact_request(console: Console, page: Any) -> None:
    log_in(page, console.url)
    page.goto(f"{console.url}/subscriptions/default/orders-de")
    event = {"type": "track", "userId": "mt-1", "event": "Order Completed", "properties": {"order_id": "mt-1"}}
    page.get_by_label("Event (paste one").fill(json.dumps(event))
    page.get_by_role("button", name="Test", exact=True).click()
    request = page.locator("#request").inner_text()
    assert request.startswith(f"POST {console.emulator}/hub/v1/dataevents/key:Orders/rowset")
    assert "Authorization: Bearer ********" in request
    assert '"Order_ID":"mt-1"' in request
    assert page.locator("#batch-key").inner_text() == "dataExtension:key:Orders"
    screenshot(page, "mapping-tester")


def test_an_event_sent_with_the_segment_sdk_appears_in_live_events_within_2_s(console: Console, page: Any) -> None:
    log_in(page, console.url)
    page.goto(f"{console.url}/live")
    client = Client(WRITE_KEY, host=console.ingest, sync_mode=True)
    client.track("live-sdk-user", "Order Completed", {"order_id": "live-1"})
    # sync_mode: track() returned once the API answered
    row = page.locator("#live-rows tr", has_text="live-sdk-user")
    row.wait_for(timeout=2_000)
    assert "orders-de" in row.inner_text()
    screenshot(page, "live-events")


def test_replaying_a_journey_entry_asks_for_the_extra_confirmation(console: Console, page: Any) -> None:
    send(console, "track", {"userId": "journey-1", "event": "Trial Started"})
    dead = dead_letter_of(console, "trial-journey", "journey-1")
    log_in(page, console.url)
    page.goto(f"{console.url}/dead-letters/{dead['id']}")
    page.get_by_role("button", name="Preview replay").click()
    warning = page.locator("#journey-warning")
    assert "enter the journey twice" in warning.inner_text()
    checkbox = page.get_by_label("I understand the contact may enter the journey twice")
    assert checkbox.get_attribute("required") is not None
    screenshot(page, "replay-journey")
    answer = httpx.post(
        f"{console.url}/admin/api/dead-letters/replay",
        json={"ids": [dead["id"]], "dry_run": False},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 409 and "journey twice" in answer.json()["error"]


def test_fix_a_mapping_restart_replay_from_the_page_and_the_row_arrives(console: Console, page: Any) -> None:
    send(console, "identify", {"userId": "fix-1", "traits": {"email": "broken", "work_email": "ann@example.com"}})
    dead = dead_letter_of(console, "customers-de", "fix-1")
    console.stop()
    console.write_config("$.traits.work_email")
    console.start()
    log_in(page, console.url)
    page.goto(f"{console.url}/dead-letters?user_id=fix-1")
    page.get_by_label(f"select dead letter {dead['id']}").check()
    page.get_by_role("button", name="Preview replay of selected").click()
    assert "would deliver" in page.locator("#preview").inner_text()
    page.get_by_role("button", name="Replay").click()
    assert "Replayed 1 dead letter" in page.locator("#replayed").inner_text()
    screenshot(page, "replayed")

    def arrived() -> bool:
        rows = httpx.get(f"{console.emulator}/__emulator/data-extensions/Customers/rows").json()
        return any("ann@example.com" in json.dumps(row) and "fix-1" in json.dumps(row) for row in rows)

    wait_for(arrived, 20, "the replayed row in the emulator")


UNLABELLED = """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea, button'))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
  .map(el => el.outerHTML.slice(0, 120))"""


def test_every_page_is_small_labelled_and_keyboard_usable(console: Console, page: Any) -> None:
    send(console, "track", {"userId": "size-1", "event": "Order Completed", "properties": {"order_id": "s-1"}})
    log_in(page, console.url)
    pages = {
        "overview": "/?since=24h",
        "errors": "/errors",
        "dead-letters": "/dead-letters?include_rejected=1",
        "subscriptions": "/subscriptions",
        "subscription": "/subscriptions/default/orders-de",
        "live": "/live",
    }
    for name, path in pages.items():
        sizes: list[int] = []

        def count(response: Any, sizes: list[int] = sizes) -> None:
            sizes.append(int(response.headers.get("content-length") or len(response.body())))

        page.on("response", count)
        page.goto(f"{console.url}{path}", wait_until="networkidle")
        page.remove_listener("response", count)
        assert 0 < sum(sizes) <= 300_000, (name, sum(sizes))  # the first load, every asset included
        assert page.evaluate(UNLABELLED) == [], name
        screenshot(page, f"page-{name}")
    page.goto(f"{console.url}/")
    page.keyboard.press("Tab")  # the skip link first, then the navigation: all of it reachable without a mouse
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for _ in range(3):  # Overview, Errors, Dead letters
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Dead letters"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{console.url}/dead-letters")
