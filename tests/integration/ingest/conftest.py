"""The ingest API on a real socket (uvicorn, port 0) over a real store, in a thread so sync SDKs can call it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn

from sfmc_actions.ingest import create_ingest_app
from sfmc_actions.queue import Job, JobStore, open_store
from sfmc_actions.route.router import Router
from sfmc_actions.service.load import load, tenant_key

QUICKSTART = Path(__file__).resolve().parents[3] / "examples" / "quickstart.yaml"
WRITE_KEY = "quickstart-website-key"
WEBHOOK_SECRET = "integration-webhook-secret"
# The quick start routes identify/track/page; these make screen, group and alias reach the store too.
EXTRA = f"""
  - name: screens-de
    action: dataExtension
    trigger: type = "screen"
    mapping:
      key: Screens
      keys:
        Message_ID: {{ "@path": "$.messageId" }}
      values:
        Screen_Name: {{ "@path": "$.name" }}
        Contact_Key: {{ "@path": "$.userId" }}

  - name: groups-de
    action: dataExtension
    trigger: type = "group"
    mapping:
      key: Groups
      keys:
        Group_ID: {{ "@path": "$.groupId" }}
      values:
        Contact_Key: {{ "@path": "$.userId" }}
        Company: {{ "@path": "$.traits.name" }}

  - name: aliases-de
    action: dataExtension
    trigger: type = "alias"
    mapping:
      key: Aliases
      keys:
        Previous_ID: {{ "@path": "$.previousId" }}
      values:
        Contact_Key: {{ "@path": "$.userId" }}

webhook:
  shared_secret: {WEBHOOK_SECRET}
"""


@pytest.fixture(scope="session")
def config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ingest-config") / "ingest.yaml"
    path.write_text(QUICKSTART.read_text(encoding="utf-8").rstrip("\n") + "\n" + EXTRA, encoding="utf-8")
    return path


class IngestServer:
    """create_ingest_app over `open_store(database)`, served by uvicorn in a background thread."""

    def __init__(self, config_path: Path, database: str) -> None:
        self.config_path, self.database = config_path, database
        self.base_url = ""
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._server: uvicorn.Server | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="ingest", daemon=True)

    async def _main(self) -> None:
        try:
            loaded = load(self.config_path)
            store = await open_store(self.database)
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        try:
            router = Router(loaded.subscriptions, tenant_key(loaded.config.settings))
            app = create_ingest_app(loaded.config, router, store)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
            config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
            self._server = uvicorn.Server(config)
            serving = asyncio.ensure_future(self._server.serve(sockets=[sock]))
            while not self._server.started and not serving.done():
                await asyncio.sleep(0.01)
            self._ready.set()
            await serving
            sock.close()
        finally:
            await store.close()

    def __enter__(self) -> str:
        self._thread.start()
        if not self._ready.wait(20) or self._error is not None:
            raise RuntimeError(f"the ingest server did not start: {self._error!r}")
        return self.base_url

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(10)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/ingest.db"


@pytest.fixture
def server(config_path: Path, sqlite_url: str) -> Iterator[str]:
    with IngestServer(config_path, sqlite_url) as base_url:
        yield base_url


@pytest.fixture
async def store(sqlite_url: str) -> AsyncIterator[JobStore]:
    """A second connection to the server's store, to see what the API committed."""
    opened = await open_store(sqlite_url)
    yield opened
    await opened.close()


async def all_jobs(store: JobStore) -> list[Job]:
    """Every job, through the store's own API: ids count up from 1 in a fresh database."""
    jobs: list[Job] = []
    misses, job_id = 0, 0
    while misses < 20:
        job_id += 1
        job = await store.get_job(job_id)
        if job is None:
            misses += 1
        else:
            misses = 0
            jobs.append(job)
    return jobs


@contextlib.contextmanager
def no_default_client() -> Iterator[None]:
    """analytics-python's module-level client is global state: drop it after the test."""
    import segment.analytics as analytics

    saved = (analytics.write_key, analytics.host, analytics.sync_mode, analytics.default_client)
    try:
        yield
    finally:
        client = analytics.default_client
        if client is not None and client is not saved[3] and client.consumers:  # sync mode has no consumers
            client.shutdown()
        analytics.write_key, analytics.host, analytics.sync_mode, analytics.default_client = saved
