"""`sfmc-actions serve` as a process, probed as the issue-11 attacker and unlucky operator would, over real
sockets: the emulator and /metrics not exposed, a locked or read-only store answered fast and cleanly, idle
sockets at the descriptor limit, credentials masked in what it prints."""

from __future__ import annotations

import json
import select
import socket
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import EMULATOR_URL, INGEST_URL, METRICS_URL, ROOT, Service, sfmc_actions, wait_for
from tests.read_only import immutable

QUICKSTART = ROOT / "examples" / "quickstart.yaml"
SEED = ROOT / "examples" / "emulator-seed.yaml"
AUTH = ("quickstart-website-key", "")
TRACK = {
    "userId": "u-1",
    "event": "Order Completed",
    "properties": {"order_id": "o-1", "revenue": 1, "currency": "EUR"},
}


def config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "serve.yaml"
    path.write_text(QUICKSTART.read_text(encoding="utf-8").rstrip("\n") + "\n" + extra, encoding="utf-8")
    return path


def serve(cfg: Path, database: str, *more: str, prefix: tuple[str, ...] = ()) -> Service:
    args = ("--config", str(cfg), "--port", "0", "--emulator-port", "0", "--emulator-seed", str(SEED))
    return Service("serve", *args, "--database", database, *more, prefix=prefix)


def jobs_in(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM jobs").fetchone()[0])
    finally:
        conn.close()


def listening_host(url: str) -> str:
    return url.split("//")[1].rsplit(":", 1)[0]


def test_the_emulator_stays_on_loopback_whatever_host_says(tmp_path: Path) -> None:
    with serve(config(tmp_path), f"sqlite:///{tmp_path}/a.db", "--host", "0.0.0.0") as service:
        assert listening_host(service.find(INGEST_URL)) == "0.0.0.0"
        assert listening_host(service.find(EMULATOR_URL)) == "127.0.0.1"
        assert "--emulator-host" not in service.stderr
        assert service.stop() == 0
    with serve(config(tmp_path), f"sqlite:///{tmp_path}/b.db", "--emulator-host", "0.0.0.0") as service:
        assert listening_host(service.find(EMULATOR_URL)) == "0.0.0.0"
        assert "the built-in emulator listens on 0.0.0.0 (--emulator-host)" in service.stderr
        assert service.stop() == 0


def test_metrics_leave_the_public_ingest_port(tmp_path: Path) -> None:
    with serve(config(tmp_path), f"sqlite:///{tmp_path}/a.db", "--metrics-port", "0") as service:
        url, metrics = service.find(INGEST_URL), service.find(METRICS_URL)
        assert listening_host(metrics.removesuffix("/metrics")) == "127.0.0.1"
        assert httpx.get(f"{url}/metrics", timeout=10).status_code == 404
        scraped = httpx.get(metrics, timeout=10)
        assert scraped.status_code == 200 and "sfmc_actions_queue_jobs" in scraped.text
        assert service.stop() == 0
    with serve(config(tmp_path), f"sqlite:///{tmp_path}/b.db") as service:
        assert "metrics not served (--metrics-port)" in service.stderr
        assert httpx.get(f"{service.find(INGEST_URL)}/metrics", timeout=10).status_code == 404
        assert service.stop() == 0
    public = config(tmp_path, "metrics: {public: true}\n")
    with serve(public, f"sqlite:///{tmp_path}/c.db") as service:
        url = service.find(INGEST_URL)
        assert service.find(METRICS_URL) == f"{url}/metrics"
        assert httpx.get(f"{url}/metrics", timeout=10).status_code == 200
        assert service.stop() == 0


def test_a_locked_store_answers_503_fast_and_stores_nothing(tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    cfg = config(tmp_path, "ingest: {store_timeout: 1}\n")
    with serve(cfg, f"sqlite:///{db}") as service:
        url = service.find(INGEST_URL)
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
        lock = sqlite3.connect(db, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # another process holds the write lock (70 s in the issue)
        try:
            started = time.monotonic()
            answer = httpx.post(f"{url}/v1/track", json=TRACK, auth=AUTH, timeout=30)
            waited = time.monotonic() - started
            assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
            assert answer.json()["code"] == "store_busy"
            assert waited < 5  # about the 1 s store_timeout, never the 30 s busy timeout
            ready = httpx.get(f"{url}/readyz", timeout=10)
            assert ready.status_code == 503 and "cannot commit a write" in ready.json()["message"]
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        time.sleep(0.5)
        assert jobs_in(db) == 0  # the request that gave up did not commit later either
        assert httpx.post(f"{url}/v1/track", json=TRACK, auth=AUTH, timeout=30).status_code == 200
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
        assert service.stop() == 0
    assert "Traceback" not in service.stderr


def test_a_read_only_store_refuses_to_start_with_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "ro.db"
    made = sfmc_actions("status", "--database", f"sqlite:///{db}")  # creates and migrates the store
    assert made.returncode == 0, made.stderr
    with immutable(db):
        service = serve(config(tmp_path), f"sqlite:///{db}")
        with pytest.raises(AssertionError, match="exited with 2"):
            service.start()
        service.kill()  # closes its pipe
    assert "cannot commit a write: attempt to write a readonly database" in service.stderr
    assert "make the database file and its directory writable" in service.stderr
    assert "Traceback" not in service.stderr


def test_sigterm_stops_cleanly_when_the_store_turned_read_only(tmp_path: Path) -> None:
    db = tmp_path / "turned.db"
    with serve(config(tmp_path), f"sqlite:///{db}") as service:
        url = service.find(INGEST_URL)
        assert httpx.post(f"{url}/v1/track", json=TRACK, auth=AUTH, timeout=30).status_code == 200
        wal = db.with_name(db.name + "-wal")
        with immutable(db), immutable(wal):  # the disk went read-only under a running service
            answer = httpx.post(f"{url}/v1/track", json=TRACK, auth=AUTH, timeout=30)
            assert answer.status_code == 503 and answer.json()["code"] == "store_unavailable"
            assert httpx.get(f"{url}/readyz", timeout=10).status_code == 503
            assert service.stop() == 0
    after_sigterm = service.stderr.split("received SIGTERM", 1)[1]
    assert "Traceback" not in after_sigterm  # was an OperationalError traceback out of the release of claims
    assert "could not release the claims" in after_sigterm and "worker stopped" in after_sigterm


def test_idle_sockets_at_the_descriptor_limit_leave_healthz_answering(tmp_path: Path) -> None:
    cfg = config(tmp_path, "ingest: {header_timeout: 6}\n")
    with serve(cfg, f"sqlite:///{tmp_path}/fd.db", prefix=("prlimit", "--nofile=256:256")) as service:
        url = service.find(INGEST_URL)
        host, port = url.split("//")[1].rsplit(":", 1)
        idle: list[socket.socket] = []
        refused = 0
        try:
            for _ in range(300):  # the 300 idle sockets against a limit of 256
                sock = socket.create_connection((host, int(port)), timeout=5)
                idle.append(sock)
            waiting = {sock.fileno(): sock for sock in idle}
            deadline = time.monotonic() + 5  # within the 6 s header timeout: only the refusals answer by then
            while waiting and time.monotonic() < deadline:
                readable, _, _ = select.select(list(waiting.values()), [], [], 0.2)
                for sock in readable:  # over the cap, a connection is answered 503 at once and closed
                    if sock.recv(64).startswith(b"HTTP/1.1 503 "):
                        refused += 1
                    del waiting[sock.fileno()]
            assert refused >= 300 - 128 - 5  # the cap is 256 less the 128 kept for the process itself
            wait_for(lambda: httpx.get(f"{url}/healthz", timeout=5).status_code == 200, 20, "/healthz")
        finally:
            for sock in idle:
                sock.close()
        assert service.stop() == 0
    assert service.stderr.count("out of system resource") <= 10


@pytest.mark.postgres
def test_a_password_in_the_query_string_is_masked_everywhere(tmp_path: Path, postgres_url: str) -> None:
    database = f"{postgres_url}&password=hunter2-in-query"  # trust auth here: the password is only carried
    status = sfmc_actions("status", "--database", database, "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["database"].endswith("&password=***")
    assert "hunter2-in-query" not in status.stdout + status.stderr
    with serve(config(tmp_path), database) as service:
        assert service.stop() == 0
    assert "password=***" in service.stderr and "hunter2-in-query" not in service.stderr
