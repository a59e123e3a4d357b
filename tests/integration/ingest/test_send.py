"""`sfmc-actions send`: an NDJSON file with bad lines into a real SQLite file, through the CLI."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import orjson
from typer.testing import CliRunner

from sfmc_actions.cli import app
from sfmc_actions.queue import Job, JobState, open_store
from tests.integration.ingest.conftest import QUICKSTART, all_jobs

EVENTS = QUICKSTART.parent / "events.ndjson"


def read_store(url: str) -> tuple[list[Job], list[Job]]:
    async def read() -> tuple[list[Job], list[Job]]:
        store = await open_store(url)
        try:
            return await all_jobs(store), await store.list_dead(include_rejected=True)
        finally:
            await store.close()

    return asyncio.run(read())


def test_send_reports_bad_lines_by_number_and_keeps_them(tmp_path: Path) -> None:
    good = EVENTS.read_bytes().splitlines()
    lines = [good[0], b"{not json", good[1], b"", b'"a string"', b'{"type": "track", "userId": "u"}', *good[2:]]
    source = tmp_path / "backfill.ndjson"
    source.write_bytes(b"\n".join(lines) + b"\n")
    url = f"sqlite:///{tmp_path}/send.db"
    result = CliRunner().invoke(app, ["send", "--config", str(QUICKSTART), str(source), "--database", url])
    assert result.exit_code == 0, result.output
    assert f"{source}:2: not valid JSON" in result.output
    assert f"{source}:5: an event must be a JSON object" in result.output
    assert f'{source}:6: event: track events need "event"' in result.output
    assert re.search(r"rejected lines \(kept in the store\)\s*│\s*3\s*│", result.output)
    jobs, rejected = read_store(url)
    assert len(rejected) == 3 and {job.state for job in rejected} == {JobState.REJECTED}
    reasons = sorted(job.dead_reason or "" for job in rejected)
    assert reasons[0].startswith(f"{source}:2: not valid JSON")
    assert {job.raw_body for job in rejected} == {"{not json", '"a string"', '{"type": "track", "userId": "u"}'}
    routed = [job for job in jobs if job.state is not JobState.REJECTED]
    assert routed and {orjson.dumps(job.event) for job in routed} <= {orjson.dumps(orjson.loads(x)) for x in good}


def test_send_reads_stdin_and_the_database_variable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/env.db"
    result = CliRunner().invoke(
        app, ["send", "-c", str(QUICKSTART), "-"], input=EVENTS.read_bytes(), env={"SFMC_ACTIONS_DATABASE": url}
    )
    assert result.exit_code == 0, result.output
    jobs, rejected = read_store(url)
    assert rejected == [] and len(jobs) > 0


def test_send_says_what_is_wrong_with_the_file_or_the_database(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        app, ["send", "-c", str(QUICKSTART), str(tmp_path / "nope.ndjson"), "--database", f"sqlite:///{tmp_path}/x.db"]
    )
    assert missing.exit_code == 2 and "cannot read" in missing.output and "nope.ndjson" in missing.output
    shutil.copy(EVENTS, tmp_path / "e.ndjson")
    bad_url = runner.invoke(
        app, ["send", "-c", str(QUICKSTART), str(tmp_path / "e.ndjson"), "--database", "mysql://x/y"]
    )
    assert bad_url.exit_code == 2 and "unsupported database URL scheme" in bad_url.output
