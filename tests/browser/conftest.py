"""Browser tests: the console in headless Chromium from the OS's packages (Debian's `chromium`), driven by
Playwright for Python with `executable_path` (Playwright's own browser download does not work here).

Without Chromium they skip, saying so; in CI (CI=true) they fail instead. Each page's screenshot is saved under
test-artifacts/screenshots/ (gitignored) so a reviewer can look without running anything.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.processes import ROOT, Service

CHROMIUM = os.environ.get("SFMC_ACTIONS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CONSOLE_URL = re.compile(r"console (http://\S+?)/ ")
TOKEN = "browser-test-console-token-0123456789"
WRITE_KEY = "browser-website-key"


def _chromium() -> str:
    found = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if found:
        return found
    message = f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install -y chromium) to run these tests"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


# Module scope: Playwright's sync API runs an event loop of its own while it is open, which the asyncio tests
# that follow would trip over; it is closed when the browser tests are done.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # a dev dependency: `make test` installs it
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page: Any, console: str, token: str = TOKEN) -> None:
    page.goto(f"{console}/")
    page.get_by_label("Console token").fill(token)
    page.get_by_role("button", name="Log in").click()


CONFIG = """
sources:
  - name: website
    write_key: {write_key}
console:
  port: 0
  token: ${{SFMC_ACTIONS_CONSOLE_TOKEN}}
delivery:
  max_attempts: 1
  max_age: 1
subscriptions:
  - name: customers-de
    action: contactDataExtension
    trigger: type = "identify" and traits.email != null
    mapping:
      key: Customers
      keys:
        contactKey: {{ "@path": "$.userId" }}
      values:
        Email: {{ "@path": "{email_path}" }}
  - name: orders-de
    action: dataExtension
    trigger: type = "track" and event = "Order Completed"
    mapping:
      key: Orders
      keys:
        Order_ID: {{ "@path": "$.properties.order_id" }}
      values:
        Contact_Key: {{ "@path": "$.userId" }}
        Revenue: {{ "@path": "$.properties.revenue" }}
  - name: trial-journey
    action: apiEvent
    trigger: type = "track" and event = "Trial Started"
    mapping:
      eventDefinitionKey: APIEvent-no-such-definition
      contactKey: {{ "@path": "$.userId" }}
"""


class Console:
    """One `serve` (SQLite file, built-in emulator seeded with the quick start's data extensions) for a module."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.config = folder / "console.yaml"
        self.database = folder / "console.db"
        shutil.copy(ROOT / "examples" / "emulator-seed.yaml", folder / "emulator-seed.yaml")
        self.write_config("$.traits.email")
        self.service: Service | None = None

    def write_config(self, email_path: str) -> None:
        self.config.write_text(CONFIG.format(write_key=WRITE_KEY, email_path=email_path))

    def start(self) -> None:
        self.service = Service(
            "serve", "--config", str(self.config), "--database", str(self.database),
            "--port", "0", "--emulator-port", "0",
            env={"SFMC_ACTIONS_CONSOLE_TOKEN": TOKEN},
        ).start()  # fmt: skip

    def stop(self) -> None:
        if self.service is not None:
            assert self.service.stop() == 0, self.service.stderr

    @property
    def url(self) -> str:
        assert self.service is not None
        return self.service.find(CONSOLE_URL)

    @property
    def ingest(self) -> str:
        from tests.e2e.processes import INGEST_URL

        assert self.service is not None
        return self.service.find(INGEST_URL)

    @property
    def emulator(self) -> str:
        from tests.e2e.processes import EMULATOR_URL

        assert self.service is not None
        return self.service.find(EMULATOR_URL)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    _chromium()  # skip (or fail in CI) before starting anything
    served = Console(tmp_path_factory.mktemp("console"))
    served.start()
    try:
        yield served
    finally:
        served.stop()
