"""`sfmc-actions import segment` through the real CLI: what it writes, what it prints, and what it refuses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sfmc_actions.cli import app
from tests.unit.segment_import.conftest import EXPORTS, PAIRS, SOURCES, pair_args, read

runner = CliRunner()


def run(*args: str | Path) -> Any:
    return runner.invoke(app, ["import", "segment", *[str(a) for a in args]])


def flat(text: str) -> str:
    return " ".join(text.split())


def test_import_writes_the_config_lists_what_it_skipped_and_checks_the_result(tmp_path: Path) -> None:
    out = tmp_path / "config.yaml"
    result = run(*pair_args(), "--sources", SOURCES, "--output", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # with --output everything else is on stderr
    stderr = flat(result.stderr)
    assert f"wrote {out}: 2 destination(s), 11 subscription(s), 3 source(s)" in stderr
    assert "not converted (3):" in stderr
    assert "subscription 'Warehouse customers' (id sub_retl) of destination 'sfmc-emea': Reverse ETL (modelId" in stderr
    assert "subscription 'Send email' (id sub_unknown) of destination 'sfmc-emea': action 'sendEmail' is not" in stderr
    assert "source 'snowflake' (id src_dwh1): no imported destination receives from it" in stderr
    for variable in ("SFMC_EMEA_CLIENT_SECRET", "SFMC_US_CLIENT_SECRET", "SEGMENT_WRITE_KEY_WEBSITE_2"):
        assert variable in stderr and f"${{{variable}}}" in out.read_text()
    # check-config's report on the file written, trigger warnings included.
    assert f"check-config {out} (placeholder values for the 5 variable(s) not set yet):" in stderr
    assert "subscription 'Product views (async)' of destination 'sfmc-emea': `and` and `or` are mixed" in stderr
    assert f"ok {out}: 2 destinations, 11 subscription(s), 3 source(s)" in stderr


def test_importing_twice_gives_the_same_bytes_on_stdout_and_in_the_file(tmp_path: Path) -> None:
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    assert run(*pair_args(), "--sources", SOURCES, "-o", first).exit_code == 0
    assert run(*pair_args(), "--sources", SOURCES, "-o", second).exit_code == 0
    printed = run(*pair_args(), "--sources", SOURCES)
    assert printed.exit_code == 0
    assert first.read_bytes() == second.read_bytes() == printed.stdout.encode()


def test_the_installed_command_is_deterministic_across_processes(tmp_path: Path) -> None:
    outputs = []
    for n in range(2):
        out = tmp_path / f"run{n}.yaml"
        command = [sys.executable, "-m", "sfmc_actions", "import", "segment", *pair_args(), "-o", str(out)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] and b"destinations:" in outputs[0] and b"sources:" not in outputs[0]


def test_secrets_and_write_keys_never_reach_the_file_or_the_terminal(tmp_path: Path) -> None:
    destination = read(PAIRS[0][0])
    destination["data"]["destination"]["settings"]["client_secret"] = "real-client-secret-0123"
    (tmp_path / "d.json").write_text(json.dumps(destination))
    out = tmp_path / "config.yaml"
    result = run("--destination", tmp_path / "d.json", "--subscriptions", PAIRS[0][1], "--sources", SOURCES, "-o", out)
    assert result.exit_code == 0, result.stderr
    for secret in ("real-client-secret-0123", "WEB-KEY-aaaaaaaaaaaa", "WEB-KEY-bbbbbbbbbbbb"):
        assert secret not in out.read_text() and secret not in result.stderr and secret not in result.stdout


def test_a_result_that_does_not_check_out_is_written_and_exits_1(tmp_path: Path) -> None:
    subscriptions = read(PAIRS[1][1])
    subscriptions["data"]["subscriptions"][0]["trigger"] = 'type = "identify" and ('
    (tmp_path / "s.json").write_text(json.dumps(subscriptions))
    out = tmp_path / "config.yaml"
    result = run("--destination", PAIRS[1][0], "--subscriptions", tmp_path / "s.json", "-o", out)
    assert result.exit_code == 1
    assert "destinations[0].subscriptions[0].trigger: invalid trigger" in flat(result.stderr)
    assert 'trigger: type = "identify" and (' in out.read_text()  # written as Segment had it, to fix here


def malformed(tmp_path: Path, name: str, change: Any) -> Path:
    """A copy of one of the sample exports, changed by `change` (a function of the document, or raw text)."""
    path = tmp_path / name
    if isinstance(change, str):
        path.write_text(change)
    else:
        document = read(EXPORTS / name)
        change(document)
        path.write_text(json.dumps(document))
    return path


CASES = [
    ("destination-emea.json", '{"data": {"destination": ', "", "not valid JSON"),
    ("destination-emea.json", "[1, 2]", "$", "should be a JSON object"),
    (
        "destination-emea.json",
        lambda d: d["data"]["destination"]["settings"].pop("subdomain"),
        "$.data.destination.settings.subdomain",
        "this field is required",
    ),
    (
        "destination-emea.json",
        lambda d: d["data"].pop("destination"),
        "$.data.destination",
        "this field is required",
    ),
    (
        "subscriptions-emea.json",
        lambda d: d["data"]["subscriptions"][2].pop("trigger"),
        "$.data.subscriptions[2].trigger",
        "this field is required",
    ),
    (
        "subscriptions-emea.json",
        lambda d: d["data"]["subscriptions"][0].update(enabled="true"),
        "$.data.subscriptions[0].enabled",
        "Input should be a valid boolean",
    ),
    (
        "subscriptions-emea.json",
        lambda d: d["data"].update(subscriptions={"id": "x"}),
        "$.data.subscriptions",
        "Input should be a valid list",
    ),
    (
        "subscriptions-emea.json",
        lambda d: d["data"]["subscriptions"][1].update(settings=["not", "a", "mapping"]),
        "$.data.subscriptions[1].settings",
        "Input should be a valid dictionary",
    ),
    (
        "sources.json",
        lambda d: d["data"]["sources"][0].update(writeKeys="WEB-KEY-aaaaaaaaaaaa"),
        "$.data.sources[0].writeKeys",
        "Input should be a valid list",
    ),
]


@pytest.mark.parametrize(("name", "change", "json_path", "message"), CASES)
def test_malformed_exports_name_the_file_and_path_exit_2_and_write_nothing(
    tmp_path: Path, name: str, change: Any, json_path: str, message: str
) -> None:
    bad = malformed(tmp_path, name, change)
    files = {PAIRS[0][0].name: PAIRS[0][0], PAIRS[0][1].name: PAIRS[0][1], SOURCES.name: SOURCES} | {name: bad}
    out = tmp_path / "config.yaml"
    out.write_text("# the config as it was\n")
    result = run(
        "--destination",
        files[PAIRS[0][0].name],
        "--subscriptions",
        files[PAIRS[0][1].name],
        "--sources",
        files[SOURCES.name],
        "-o",
        out,
    )
    assert result.exit_code == 2
    stderr = flat(result.stderr)
    assert f"error: nothing written: {bad}: {json_path + ': ' if json_path else ''}" in stderr
    assert message in stderr and "GET /" in stderr  # how to fix: which answer to save
    assert out.read_text() == "# the config as it was\n"  # untouched, not half-written
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".config.yaml")] == []  # no temp file left
    assert "WEB-KEY" not in stderr


def test_pairs_given_out_of_order_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "config.yaml"
    swapped = [(PAIRS[0][0], PAIRS[1][1]), (PAIRS[1][0], PAIRS[0][1])]
    result = run(*pair_args(swapped), "-o", out)
    assert result.exit_code == 2 and not out.exists()
    stderr = flat(result.stderr)
    assert f"{PAIRS[1][1]}: $.data.subscriptions[0].destinationId: 'dst_4HwPz8sQ1yUS' is not the destination" in stderr
    assert "in pairs, in the same order" in stderr
    result = run(*pair_args(), "--destination", PAIRS[0][0], "-o", out)
    assert result.exit_code == 2 and "got 3 --destination and 2 --subscriptions" in flat(result.stderr)
    result = run("--destination", tmp_path / "missing.json", "--subscriptions", PAIRS[0][1], "-o", out)
    assert result.exit_code == 2 and "missing.json: cannot read the file" in flat(result.stderr)
    assert not out.exists()


def test_test_mapping_picks_a_subscription_of_one_destination_in_the_imported_config(tmp_path: Path) -> None:
    out = tmp_path / "config.yaml"
    assert run(*pair_args(), "-o", out).exit_code == 0
    event = tmp_path / "order.json"
    event.write_text(
        json.dumps(
            {
                "type": "track",
                "event": "Order Completed",
                "userId": "u1",
                "properties": {"order_id": "o-1", "revenue": 5},
            }
        )
    )
    env = {"SFMC_EMEA_CLIENT_SECRET": "emea-secret", "SFMC_US_CLIENT_SECRET": "us-secret"}
    base = ["test-mapping", "-c", str(out), "-s", "Orders", str(event), "--json"]
    ambiguous = runner.invoke(app, base, env=env)
    assert ambiguous.exit_code == 2
    assert "has a subscription 'Orders' in destinations sfmc-emea, sfmc-us: choose one with --destination" in flat(
        ambiguous.stderr
    )
    result = runner.invoke(app, [*base, "--destination", "sfmc-us"], env=env)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["batch_key"] == "dataExtension:key:Orders_US" and "MID 100000002" in report["target"]
    assert report["request"]["url"].startswith("https://mcus00000000000000000000002.rest.marketingcloudapis.com/")
    missing = runner.invoke(app, [*base[:4], "Nope", str(event), "--destination", "sfmc-us"], env=env)
    assert missing.exit_code == 2
    assert (
        "no subscription named 'Nope' in destination 'sfmc-us'; its subscriptions: Create Contact, Orders, Screens"
        in flat(missing.stderr)
    )
