"""OS-level helpers of bench/e2e.py: child processes, /proc readings (RSS, CPU), py-spy, a stand-in autovacuum."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import asyncpg
from e2e_setup import ROOT  # bench/ is on sys.path: this script's folder

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


class Profiler:
    """`--profile DIR`: py-spy (pip install py-spy, not a project dependency) records serve during a phase, as
    collapsed stacks per thread (DIR/STORE-PHASE.txt) of the thread holding the GIL: where serve's Python time
    goes. (`--idle` instead of `--gil` shows what waits.)"""

    def __init__(self, folder: Path | None, store: str, pid: int) -> None:
        self.folder, self.store, self.pid = folder, store, pid
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, phase: str) -> None:
        if self.folder is None:
            return
        out = self.folder / f"{self.store}-{phase}.txt"
        command = [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(self.pid),
            "--format",
            "raw",
            "--threads",
            "--gil",
            "--rate",
            "200",
            "--output",
            str(out),
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(60)
            self.process = None


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU seconds of every PostgreSQL server process alive now (children of the postmaster included)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                total += cpu_seconds(int(entry.name))
        except OSError:  # exited meanwhile
            continue
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: everything but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


class Process:
    """A child process whose stderr is read by a thread (so it never blocks on a full pipe)."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if match := pattern.search(line):
                    return match.group(1)
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit(f"{self.popen.args!r} did not start:\n" + "\n".join(self.lines[-30:]))

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            code = self.popen.wait(60)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            code = self.popen.wait(10)
        self._reader.join(5)
        if self.popen.stderr is not None:  # else closed whenever it is collected: a ResourceWarning in a test
            self.popen.stderr.close()
        return code


class RssSampler(threading.Thread):
    """Samples a process's VmRSS (kB) every `every` seconds, keeping (perf_counter, kB) pairs."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.samples.append((time.perf_counter(), proc_status(self.pid)["VmRSS"]))
            except (OSError, KeyError):
                return

    @property
    def latest_mb(self) -> float:
        return round(self.samples[-1][1] / 1024, 1) if self.samples else 0.0

    def at_mb(self, when: float) -> float:
        """The first sample at or after `when`."""
        return round(next((kb for t, kb in self.samples if t >= when), self.samples[-1][1]) / 1024, 1)

    def stop(self) -> None:
        self._stop.set()


async def stand_in_autovacuum(schema: str, every: float) -> None:
    """VACUUM ANALYZE the jobs table every `every` seconds, when the server runs with autovacuum off.

    A queue table leaves a dead row version per claim and per outcome, which autovacuum clears (the migration
    asks for it after 1% of the table changed). The local test server has autovacuum off; production servers
    have it on. Without either, claims step over ever more dead index entries as the run goes on.
    """
    conn = await asyncpg.connect(POSTGRES)
    try:
        if await conn.fetchval("SHOW autovacuum") == "on":
            return
        while True:
            await asyncio.sleep(every)
            await conn.execute(f"VACUUM (ANALYZE) {schema}.jobs")
    finally:
        await conn.close()
