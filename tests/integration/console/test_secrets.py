"""No page or admin API answer shows a secret: a real `serve` (PostgreSQL store reached with a password, SFMC
credentials pointing at the emulator, write keys, a webhook secret, a console token) whose every page and API
answer is fetched and searched for each of them, and for the access tokens SFMC issued."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from sfmc_actions.emulator import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SUBDOMAIN, EmulatorServer
from sfmc_actions.emulator import create_app as create_emulator
from tests.browser.conftest import CONSOLE_URL
from tests.e2e.processes import INGEST_URL, ROOT, Service, wait_for

pytestmark = pytest.mark.postgres

TOKEN = "console-token-secret-0a1b2c"
WRITE_KEY = "write-key-secret-3d4e5f"
WEBHOOK_SECRET = "webhook-secret-6a7b8c"
DB_PASSWORD = "db-password-9d0e1f"

CONFIG = f"""
settings:
  subdomain: {DEMO_SUBDOMAIN}
  account_id: {DEMO_ACCOUNT_ID}
  client_id: {DEMO_CLIENT_ID}
  client_secret: ${{SFMC_CLIENT_SECRET}}
  api_base_url: {{emulator}}
  allow_custom_api_host: true
sources:
  - name: website
    write_key: ${{WRITE_KEY}}
webhook:
  shared_secret: ${{WEBHOOK_SECRET}}
console:
  port: 0
  token: ${{SFMC_ACTIONS_CONSOLE_TOKEN}}
delivery:
  max_attempts: 1
  max_age: 1
subscriptions:
  - name: customers-de
    action: contactDataExtension
    trigger: type = "identify"
    mapping:
      key: Customers
      keys:
        contactKey: {{ "@path": "$.userId" }}
      values:
        Email: {{ "@path": "$.traits.email" }}
"""


def test_no_page_or_answer_shows_a_secret(tmp_path: Path, postgres_url: str) -> None:
    database = re.sub(r"^postgresql://([^@:/]+)@", rf"postgresql://\1:{DB_PASSWORD}@", postgres_url)
    assert DB_PASSWORD in database
    emulator_app = create_emulator(ROOT / "examples" / "emulator-seed.yaml")
    with EmulatorServer(emulator_app) as emulator:
        config = tmp_path / "secrets.yaml"
        config.write_text(CONFIG.replace("{emulator}", emulator), encoding="utf-8")
        env = {
            "SFMC_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "WRITE_KEY": WRITE_KEY,
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "SFMC_ACTIONS_CONSOLE_TOKEN": TOKEN,
        }
        with Service("serve", "--config", str(config), "--database", database, "--port", "0", env=env) as serve:
            ingest, console = serve.find(INGEST_URL), serve.find(CONSOLE_URL)
            bad = {"userId": "u-bad", "traits": {"email": "nope"}, "writeKey": WRITE_KEY}
            for body in ({"userId": "u-ok", "traits": {"email": "ok@example.com"}}, bad):
                assert httpx.post(f"{ingest}/v1/identify", json=body, auth=(WRITE_KEY, "")).status_code == 200
            httpx.post(f"{ingest}/v1/track", json={"userId": "x"}, auth=(WRITE_KEY, ""))  # rejected: no event
            bearer = {"Authorization": f"Bearer {TOKEN}"}

            def dead() -> bool:
                return bool(httpx.get(f"{console}/admin/api/dead-letters", headers=bearer).json())

            wait_for(dead, 20, "a dead letter")
            texts = _everything(console, bearer)
            tokens = list(emulator_app.state.emulator.state.tokens)
            log = serve.stderr
        assert tokens, "the service and the mapping tester asked SFMC for tokens"
    secrets = [TOKEN, WRITE_KEY, WEBHOOK_SECRET, DB_PASSWORD, DEMO_CLIENT_SECRET, *tokens]
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{secret[:6]}... shown by {where}"
    assert all(secret not in log for secret in secrets)
    assert len(texts) >= 15


def _everything(console: str, bearer: dict[str, str]) -> dict[str, str]:
    """Every API answer (Bearer) and every page (logged in), with a mapping test that sends."""
    texts: dict[str, str] = {}
    event = {"type": "identify", "userId": "u-t", "traits": {"email": "t@example.com"}}
    sent = httpx.post(
        f"{console}/admin/api/subscriptions/customers-de/test", json={"event": event, "send": True}, headers=bearer
    )
    assert sent.status_code == 200 and sent.json()["sent"]["outcome"]["result"] == "delivered", sent.text
    texts["POST test"] = sent.text
    dead = httpx.get(f"{console}/admin/api/dead-letters?include_rejected=true", headers=bearer).json()
    ids = [row["id"] for row in dead]
    replay = httpx.post(f"{console}/admin/api/dead-letters/replay", json={"ids": ids, "dry_run": True}, headers=bearer)
    texts["POST replay"] = replay.text
    paths = [
        "/openapi.json",
        *(f"/admin/api/{p}" for p in ("overview", "errors", "subscriptions", "live-events", "dead-letters")),
        *(f"/admin/api/dead-letters/{i}" for i in ids),
    ]
    for path in paths:
        answer = httpx.get(f"{console}{path}", headers=bearer)
        assert answer.status_code == 200, (path, answer.text)
        texts[path] = answer.text
    with httpx.Client(base_url=console, follow_redirects=True) as browser:
        form = browser.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        assert browser.post("/login", data={"csrf": csrf.group(1), "token": TOKEN}).status_code == 200
        pages = ["/", "/?view=percent", "/errors", "/dead-letters?include_rejected=1", "/subscriptions", "/live"]
        pages += ["/live/rows", "/subscriptions/default/customers-de", *(f"/dead-letters/{i}" for i in ids)]
        for path in pages:
            answer = browser.get(path)
            assert answer.status_code == 200 and ("<main" in answer.text or path == "/live/rows"), path
            texts[path] = answer.text
        page = browser.get("/subscriptions/default/customers-de").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        tested = browser.post(
            "/subscriptions/default/customers-de",
            data={"csrf": csrf.group(1), "event": '{"type": "identify", "userId": "u-p"}', "send": "1"},
        )
        assert 'id="sent"' in tested.text
        texts["POST page test"] = tested.text
    return texts
