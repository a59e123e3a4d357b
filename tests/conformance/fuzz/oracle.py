"""The Node side of the differential fuzz: installs the driver's npm packages, runs `driver.js`, asks it cases.

The driver (`driver/driver.js`) is one long-running Node process reading NDJSON cases on stdin and writing one
answer line per case; `Oracle.ask` pipelines a whole block of cases through it (a writer thread feeds stdin
while this thread reads the answers), which is far faster than a process per case.

Values go to Node as JSON text written by `js_json`, which says exactly what a JavaScript value is: `-0` stays
`-0`, integers keep all their digits (JavaScript rounds them to doubles when it parses them) and lone
surrogates are escaped. Key order is whatever the Python dict has: JavaScript's JSON.parse puts index-like
keys first by itself, as it does for real events.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DRIVER_DIR = Path(__file__).resolve().parent / "driver"
_INSTALLED_MARKER = DRIVER_DIR / "node_modules" / "@segment" / "actions-core" / "package.json"


class NodeMissing(RuntimeError):
    """No `node` (or `npm`) on PATH: the fuzz cannot ask Segment's code."""


def node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        raise NodeMissing("node is not on PATH: install Node.js 20 to run the differential fuzz against Segment's code")
    return node


def ensure_installed() -> None:
    """`npm ci` into driver/node_modules (git-ignored) when it is missing: the pinned versions of the lock file."""
    node_executable()
    if _INSTALLED_MARKER.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise NodeMissing(
            "npm is not on PATH: it installs the oracle's packages (npm ci in tests/conformance/fuzz/driver)"
        )
    run = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=DRIVER_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if run.returncode != 0 or not _INSTALLED_MARKER.exists():
        raise RuntimeError(f"npm ci in {DRIVER_DIR} failed (exit {run.returncode}):\n{run.stderr[-4000:]}")


def js_json(value: Any) -> str:
    """JSON text for a JavaScript value held in Python form (see the module docstring)."""
    out: list[str] = []
    _write(value, out)
    return "".join(out)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif type(value) is int:
        out.append(str(value))
    elif type(value) is float:
        if not math.isfinite(value):
            out.append("null")  # JSON has no NaN/Infinity; JSON.stringify writes null
        elif value == 0:
            out.append("-0" if math.copysign(1.0, value) < 0 else "0")
        else:
            out.append(repr(value))
    elif type(value) is str:
        out.append(json.dumps(value))  # ASCII-only: astral characters as pairs, lone surrogates as \udXXX
    elif type(value) is list:
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif type(value) is dict:
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(key))
            out.append(":")
            _write(item, out)
        out.append("}")
    else:
        raise TypeError(f"not a JSON value: {value!r}")


class Oracle:
    """A running driver. Use as a context manager; `ask` answers a list of cases in order."""

    def __init__(self) -> None:
        ensure_installed()
        # Segment's servers run in UTC and LiquidJS dates use the process zone; Intl's default locale (month
        # names, %c) comes from the environment: en-US, as the oracle's README documents.
        env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
        env.update(TZ="UTC", LANG="en_US.UTF-8")
        # A file, not a pipe, so the driver never blocks on it; closed in close().
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self._process = subprocess.Popen(
            [node_executable(), str(DRIVER_DIR / "driver.js")],
            cwd=DRIVER_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            text=True,
            encoding="utf-8",
            errors="surrogatepass",
            bufsize=1 << 16,
        )
        self._next_id = 0

    def __enter__(self) -> Oracle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()  # end of input: the driver answers what it has and exits
        if process.poll() is None:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()
        self._stderr.close()

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()[-2000:].decode("utf-8", "replace")

    def ask(self, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One answer per case (see driver.js for their shapes)."""
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        first = self._next_id
        self._next_id += len(cases)
        lines = [js_json({"id": first + i, **case}) + "\n" for i, case in enumerate(cases)]
        failure: list[BaseException] = []

        def feed() -> None:
            try:
                assert process.stdin is not None
                for chunk in _chunks(lines, 256):
                    process.stdin.write("".join(chunk))
                process.stdin.flush()
            except BaseException as e:  # reported by the reader below
                failure.append(e)

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        answers = []
        for index in range(len(cases)):
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"the oracle stopped after {index} of {len(cases)} answers: {self._stderr_tail()}")
            answer = json.loads(line)
            if answer.get("id") != first + index:
                raise RuntimeError(f"the oracle answered out of order: {line[:300]}")
            answers.append(answer)
        writer.join()
        if failure:
            raise RuntimeError(f"writing to the oracle failed: {failure[0]}")
        return answers


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
