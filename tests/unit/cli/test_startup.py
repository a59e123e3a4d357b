"""The CLI imports every command module at start-up to register it; the stages load only when a command runs."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("queue", "route", "ingest", "deliver", "sfmc", "service", "emulator", "observe", "config", "events")


def test_registering_the_commands_loads_no_stage_or_library() -> None:
    code = "import json, sys, sfmc_actions.cli; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout)
    ours = [name for name in loaded if name.startswith("sfmc_actions.")]
    assert "sfmc_actions.cli.serve" in ours and "sfmc_actions.cli.test_mapping" in ours
    assert [name for name in ours if name.split(".")[1] in HEAVY] == []
