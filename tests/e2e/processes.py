"""`sfmc-actions` as OS processes: start one, wait for its banner, read its stderr, stop it with SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]
INGEST_URL = re.compile(r"ingest API on (http://\S+?),")
EMULATOR_URL = re.compile(r"delivering to emulator (http://\S+?);")
METRICS_URL = re.compile(r"metrics at (http://\S+?/metrics)")
STARTED = re.compile(r"sfmc-actions .*Ctrl\+C to stop")


class Service:
    def __init__(self, *args: str, env: dict[str, str] | None = None, prefix: tuple[str, ...] = ()) -> None:
        """`prefix`: a command to run it under, such as ("prlimit", "--nofile=256")."""
        self.args = [*prefix, sys.executable, "-m", "sfmc_actions", *args]
        self.command = args[0] if args else "sfmc-actions"
        self.env = {**os.environ, "COLUMNS": "200", **(env or {})}
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> Service:
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while not any(STARTED.search(line) for line in self.lines):
            if self.process.poll() is not None:
                raise AssertionError(f"{self.command} exited with {self.process.returncode}:\n{self.stderr}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"{self.command} did not start within {timeout} s:\n{self.stderr}")
            time.sleep(0.05)
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    @property
    def stderr(self) -> str:
        return "\n".join(self.lines)

    def find(self, pattern: re.Pattern[str]) -> str:
        for line in self.lines:
            match = pattern.search(line)
            if match:
                return match.group(1)
        raise AssertionError(f"{pattern.pattern!r} not in the output:\n{self.stderr}")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then the exit code (graceful: 0)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.command} did not stop within {timeout} s of SIGTERM:\n{self.stderr}") from None
        self._close()
        return code

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._close()

    def _close(self) -> None:
        if self._reader is not None:
            self._reader.join(5)
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.kill()


def sfmc_actions(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a short command (status, dead-letters) to completion."""
    return subprocess.run(
        [sys.executable, "-m", "sfmc_actions", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=60,
    )


def wait_for(condition: object, timeout: float = 30.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)
