"""The short retention soak (bench/retention.py --quick): `serve` with its built-in emulator takes 100,000 events in
10 rounds while purging every 2 s (retention 5 s), and its store stays the same size; the history's totals then
equal the rows in the emulator and what was sent bad (rejected at ingest, dead)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.retention import QUICK, soak


@pytest.mark.slow
async def test_the_store_stays_flat_and_the_history_matches(tmp_path: Path) -> None:
    retention = {"delivered": "5s", "dead": "5s", "rejected": "5s", "purge_every": "2s"}
    database = f"sqlite:///{tmp_path}/jobs.db"
    result = await soak(
        tmp_path, database, int(QUICK["events"]), int(QUICK["rounds"]), float(QUICK["seconds"]), retention, 4
    )
    assert result["events"] >= 100_000 and result["failed"] == 0
    assert result["purge_rounds_seen"] >= 5  # purges ran all along
    sizes = result["store_bytes"]
    assert result["store_bytes_max_deviation_from_round_2"] <= 0.25, sizes
    # without purging, ten rounds would have grown the store about tenfold from its first round
    assert sizes[-1] < 2 * sizes[0], sizes
    assert result["emulator_rows"] == result["history_delivered"], result
    assert result["history_rejected"] == result["sent"]["rejected"] == 1000
    assert result["history_dead"] == result["sent"]["dead"] == 1000
    assert result["serve_exit"] == 0
