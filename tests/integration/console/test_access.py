"""Who may do what on the console port, in process over a real SQLite store: login, CSRF, Bearer, loopback."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from sfmc_actions.console import create_console_app
from sfmc_actions.queue import open_store
from sfmc_actions.service.console import check_console_host, console_context
from sfmc_actions.service.http import StartError
from sfmc_actions.service.load import load
from sfmc_actions.service.run import emulator_settings

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "access-test-token"


def write_config(tmp_path: Path, token: str | None) -> Path:
    text = (ROOT / "examples" / "quickstart.yaml").read_text()
    if token is not None:
        text += f"\nconsole:\n  token: {token}\n"
    path = tmp_path / "console.yaml"
    path.write_text(text)
    return path


async def client_for(
    tmp_path: Path, token: str | None, host: str = "127.0.0.1:8089"
) -> AsyncIterator[httpx.AsyncClient]:
    loaded = load(write_config(tmp_path, token))
    store = await open_store(f"sqlite:///{tmp_path / 'console.db'}")
    settings = emulator_settings("http://127.0.0.1:9")  # never called: nothing here sends
    context = console_context(loaded, store, "console.db", {"default": settings}, "http://127.0.0.1:9")
    transport = httpx.ASGITransport(create_console_app(context), client=("127.0.0.1", 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
            client.store = store  # type: ignore[attr-defined]  # for tests that seed it
            yield client
    finally:
        await store.close()


@pytest.fixture
async def with_token(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(tmp_path, TOKEN):
        yield client


@pytest.fixture
async def without_token(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(tmp_path, None):
        yield client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def log_in(client: httpx.AsyncClient) -> str:
    form = await client.get("/login")
    answer = await client.post("/login?next=/live", data={"csrf": csrf_of(form.text), "token": TOKEN})
    assert answer.status_code == 303 and answer.headers["location"] == "/live"
    return csrf_of((await client.get("/dead-letters")).text)


async def test_pages_need_a_login_and_the_api_a_token(with_token: httpx.AsyncClient) -> None:
    assert (await with_token.get("/errors")).headers["location"] == "/login?next=/errors"
    assert (await with_token.get("/admin/api/overview")).status_code == 401
    assert (await with_token.get("/admin/api/overview", headers={"Authorization": "Bearer nope"})).status_code == 401
    answer = await with_token.get("/admin/api/overview", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.json()["status"]["totals"]["delivered"] == 0


async def test_login_sets_a_strict_http_only_cookie_and_a_new_session(with_token: httpx.AsyncClient) -> None:
    form = await with_token.get("/login")
    before = with_token.cookies["sfmc_console"]
    answer = await with_token.post("/login", data={"csrf": csrf_of(form.text), "token": TOKEN})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert with_token.cookies["sfmc_console"] != before  # no session fixation
    assert (await with_token.get("/errors")).status_code == 200


async def test_a_wrong_token_is_refused(with_token: httpx.AsyncClient) -> None:
    form = await with_token.get("/login")
    answer = await with_token.post("/login", data={"csrf": csrf_of(form.text), "token": "wrong"})
    assert answer.status_code == 401 and "not the console token" in answer.text
    assert (await with_token.get("/errors")).status_code == 303


async def test_state_changing_requests_need_the_csrf_token(with_token: httpx.AsyncClient) -> None:
    csrf = await log_in(with_token)
    assert (await with_token.post("/dead-letters/replay", data={"ids": "1"})).status_code == 403
    assert (await with_token.post("/dead-letters/replay", data={"ids": "1", "csrf": "forged"})).status_code == 403
    answer = await with_token.post("/dead-letters/replay", data={"ids": "1", "csrf": csrf})
    assert answer.status_code == 400 and "no job with id 1" in answer.text  # past the guard: the page's own answer
    api = "/admin/api/dead-letters/replay"
    assert (await with_token.post(api, json={"ids": [1]})).status_code == 403  # a cookie alone is not enough
    answer = await with_token.post(api, json={"ids": [1]}, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 400 and "no job with id 1" in answer.json()["error"]


async def test_without_a_token_only_loopback_hosts_are_answered(tmp_path: Path) -> None:
    async for client in client_for(tmp_path, None, host="attacker.example:8089"):
        assert (await client.get("/")).status_code == 403
        assert (await client.get("/admin/api/overview")).status_code == 403


async def test_without_a_token_scripts_post_json_and_forms_need_csrf(without_token: httpx.AsyncClient) -> None:
    answer = await without_token.post("/admin/api/dead-letters/replay", json={"ids": [7]})
    assert answer.status_code == 400 and "no job with id 7" in answer.json()["error"]
    plain = await without_token.post("/admin/api/dead-letters/replay", content=b'{"ids": [7]}')
    assert plain.status_code == 403  # a cross-site form could send this; JSON needs a CORS preflight
    assert (await without_token.get("/login")).headers["location"] == "/"


async def test_openapi_describes_the_admin_api(without_token: httpx.AsyncClient) -> None:
    from openapi_spec_validator import validate

    document = (await without_token.get("/openapi.json")).json()
    validate(document)
    assert {"/admin/api/overview", "/admin/api/dead-letters/replay", "/admin/api/live-events"} <= set(document["paths"])


def test_serve_refuses_a_console_on_another_interface_without_a_token(tmp_path: Path) -> None:
    loaded = load(write_config(tmp_path, None))
    with pytest.raises(StartError, match="SFMC_ACTIONS_CONSOLE_TOKEN"):
        check_console_host(loaded, "0.0.0.0")
    check_console_host(loaded, "127.0.0.1")
    check_console_host(load(write_config(tmp_path, TOKEN)), "0.0.0.0")


async def test_an_in_doubt_journey_entry_is_marked_entered_without_sending(without_token: httpx.AsyncClient) -> None:
    from sfmc_actions.queue import JobDead, NewJob

    store = without_token.store  # type: ignore[attr-defined]
    event = {"type": "track", "event": "Signed Up", "messageId": "m-1", "userId": "u1"}
    entry = NewJob("welcome-journey", "apiEvent", "apiEvent", "emulator", "m-1", event, {"contactKey": "u1"})
    await store.enqueue([entry, entry.__class__(**{**entry.__dict__, "message_id": "m-2"})])
    first, second = await store.claim_batch("w", 10, 10)
    await store.apply_outcomes("w", [(first.id, JobDead("in doubt: the answer was lost")), (second.id, JobDead("no"))])
    detail = (await without_token.get(f"/dead-letters/{first.id}")).text
    assert (
        "Mark entered" in detail and "Mark entered" not in (await without_token.get(f"/dead-letters/{second.id}")).text
    )
    preview = await without_token.post("/admin/api/dead-letters/replay", json={"ids": [first.id], "dry_run": True})
    assert preview.json()["needs_confirmation"] is True and "journey twice" in preview.json()["warning"]
    answer = await without_token.post("/admin/api/dead-letters/entered", json={"ids": [first.id, second.id]})
    assert answer.status_code == 200 and answer.json() == {"entered": [first.id], "left": [second.id]}
    job = await store.get_job(first.id)
    assert job is not None and job.state.value == "delivered"
