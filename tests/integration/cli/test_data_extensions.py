"""`sfmc-actions data-extensions list|fields|folders|create` against the emulator: output, errors, one token each."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.cli.conftest import Cli
from tests.integration.sfmc.conftest import Emulator

QUICKSTART_DES = {"Customers", "Orders", "Page_Views", "Audience_VIP", "Welcome_Journey_Entry"}


def test_list_search_and_json(cli: Cli, emulator: Emulator) -> None:
    listed = cli("data-extensions", "list", *cli.emulator_args, "--json")
    assert listed.exit_code == 0, listed.output
    assert {de["name"] for de in json.loads(listed.stdout)} == QUICKSTART_DES
    assert "using the emulator at" in listed.stderr and "demo tenant" in listed.stderr  # says where it looked

    searched = cli("data-extensions", "list", "--search", "Order", *cli.emulator_args, "--json")
    (orders,) = json.loads(searched.stdout)
    assert (orders["name"], orders["key"], orders["folder_id"]) == ("Orders", "Orders", 1001)
    assert emulator.get("/journal", route="customobjects")[-1]["query"] == "%24search=Order"

    table = cli("data-extensions", "list", *cli.emulator_args)
    assert table.exit_code == 0
    assert "5 data extension(s)" in table.stdout and orders["id"] in table.stdout  # the id is printed whole
    assert emulator.token_requests() == 3  # one per command


def test_fields_by_id_and_by_name_with_one_token(cli: Cli, emulator: Emulator) -> None:
    by_name = cli("data-extensions", "fields", "orders", *cli.emulator_args, "--json")
    assert by_name.exit_code == 0, by_name.output
    found = json.loads(by_name.stdout)
    assert found["primary_keys"] == ["Order_ID"]  # Segment's keys.__keys__
    assert found["values"] == ["Contact_Key", "Revenue", "Currency", "Summary", "Ordered_At"]  # values.__keys__
    revenue = next(c for c in found["columns"] if c["name"] == "Revenue")
    assert (revenue["type"], revenue["length"], revenue["scale"], revenue["is_nullable"]) == ("Decimal", 18, 2, True)
    assert found["mapping"] == {"onMappingSave": {"outputs": {"id": found["id"], "name": "Orders"}}}
    assert emulator.token_requests() == 1  # search, then fields: one token

    by_id = cli("data-extensions", "fields", found["id"], *cli.emulator_args)
    assert by_id.exit_code == 0, by_id.output
    assert "keys (primary key columns):  Order_ID" in by_id.stdout
    assert f"id: {found['id']}" in by_id.stdout and "onMappingSave:" in by_id.stdout
    assert emulator.token_requests() == 2
    calls = [c["path"] for c in emulator.api_calls()]
    assert calls[-2:] == [f"/data/v1/customobjects/{found['id']}", f"/data/v1/customobjects/{found['id']}/fields"]


def test_fields_of_an_unknown_data_extension(cli: Cli) -> None:
    unknown = cli("data-extensions", "fields", "No_Such_DE", *cli.emulator_args)
    assert unknown.exit_code == 2
    assert "no data extension has the id, name or key 'No_Such_DE'" in unknown.stderr
    missing = cli("data-extensions", "fields", "00000000-0000-4000-8000-000000000000", *cli.emulator_args)
    assert missing.exit_code == 1
    assert "SFMC refused the request" in missing.stderr and "was not found" in missing.stderr


def test_folders(cli: Cli, emulator: Emulator) -> None:
    result = cli("data-extensions", "folders", *cli.emulator_args, "--json")
    assert result.exit_code == 0, result.output
    assert [(f["id"], f["path"]) for f in json.loads(result.stdout)] == [(1001, "Data Extensions")]
    assert [c["route"] for c in emulator.api_calls()] == ["soap"]
    assert emulator.token_requests() == 1


def test_create_from_options_with_folder_by_name(cli: Cli, emulator: Emulator) -> None:
    result = cli(
        "data-extensions",
        "create",
        "--name",
        "Signups",
        "--folder",
        "data extensions",
        "--description",
        "from the CLI test",
        "-C",
        "User_ID:Text(64):pk",
        "-C",
        "Email:EmailAddress:required",
        "-C",
        "Score:Decimal(9,2)",
        "-C",
        "Joined:Date",
        *cli.emulator_args,
        "--json",
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["folder_id"] == 1001 and created["name"] == "Signups"
    assert created["mapping"] == {"onMappingSave": {"outputs": {"id": created["id"], "name": "Signups"}}}
    (request,) = [c for c in emulator.api_calls("customobjects") if c["method"] == "POST"]
    body = json.loads(request["body"]) if isinstance(request["body"], str) else request["body"]
    assert body["categoryId"] == "1001" and body["description"] == "from the CLI test"
    assert [
        (f["name"], f["type"], f.get("length"), f.get("scale"), f["isPrimaryKey"], f["isNullable"])
        for f in body["fields"]
    ] == [
        ("User_ID", "Text", 64, None, True, False),
        ("Email", "EmailAddress", 254, None, False, False),
        ("Score", "Decimal", 9, 2, False, True),
        ("Joined", "Date", None, None, False, True),
    ]
    fields = emulator.get(f"/data-extensions/{created['id']}")["fields"]
    assert [f["name"] for f in fields] == ["User_ID", "Email", "Score", "Joined"]
    assert emulator.token_requests() == 1  # folders (SOAP) and the create shared one token


def test_create_from_a_spec_file_prints_the_v2_snippet(cli: Cli, emulator: Emulator, tmp_path: Path) -> None:
    spec = tmp_path / "de.yaml"
    spec.write_text(
        "name: Orders_V2\nfolder_id: 1001\nkey: orders-v2\nsendable: true\nsendable_field: Email\n"
        "columns:\n"
        "  - {name: Order_ID, type: Text, length: 50, primary_key: true}\n"
        "  - {name: Email, type: EmailAddress}\n",
        encoding="utf-8",
    )
    result = cli("data-extensions", "create", "--spec", spec, "--name", "Orders_V3", *cli.emulator_args)
    assert result.exit_code == 0, result.output
    (created,) = [de for de in emulator.get("/data-extensions") if de["name"] == "Orders_V3"]  # --name overrode
    assert created["key"] == "orders-v2" and created["isSendable"] is True
    assert f"Created data extension 'Orders_V3': id {created['id']}, key orders-v2, folder 1001" in result.stdout
    snippet = result.stdout[result.stdout.index("mapping:") :]
    assert snippet.splitlines()[:5] == [
        "mapping:",
        "  onMappingSave:",
        "    outputs:",
        f"      id: {created['id']}",
        "      name: Orders_V3",
    ]
    assert "# map each of: Order_ID" in snippet and "# map any of: Email" in snippet


def test_bad_column_specs_are_all_listed_before_any_request(cli: Cli, emulator: Emulator, tmp_path: Path) -> None:
    result = cli(
        "data-extensions",
        "create",
        "--name",
        "Bad",
        "--folder",
        "1001",
        "-C",
        "Id:Date:pk",
        "-C",
        "Total:Decimal",
        "-C",
        "Note:Text(5000)",
        "-C",
        "Kind:Enum",
        "-C",
        "nocolon",
        "-C",
        "Flag:Boolean(3)",
        "-C",
        "Id:Text:weird",
        *cli.emulator_args,
    )
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 8, result.stderr
    for expected in (
        "--column 'nocolon': write a column as NAME:TYPE",
        "--column 'Id:Text:weird': unknown column flag ':weird'",
        "--column 'Id:Date:pk' primary_key: SFMC rounds stored dates, so a Date column cannot be a primary key",
        "--column 'Total:Decimal': a Decimal column needs length (precision) and scale",
        "--column 'Note:Text(5000)' length: Text length must be 1 to 4000, not 5000",
        "--column 'Kind:Enum' type: type must be one of Text",
        "--column 'Flag:Boolean(3)' length: a Boolean column takes no length or scale",
        "--column 'Id:Text:weird' name: column 'Id' appears twice",
    ):
        assert any(expected in line for line in errors), (expected, errors)
    assert "write it as e.g. 'Total:Decimal(18,2)'" in result.stderr
    assert emulator.get("/journal") == []  # no token request either

    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps({"columns": [{"name": "Email", "type": "EmailAddress", "length": 300}]}))
    from_file = cli("data-extensions", "create", "--spec", spec, *cli.emulator_args)
    assert from_file.exit_code == 2
    assert f"{spec}: name: a data extension needs a name" in from_file.stderr
    assert f"{spec}: folder_id: SFMC requires the id of the folder" in from_file.stderr
    assert f"{spec}: columns[0].length: EmailAddress length must be 1 to 254, not 300" in from_file.stderr
    assert f"{spec}: columns: no primary key column" in from_file.stderr
    assert emulator.get("/journal") == []


def test_create_refusals_from_sfmc_and_an_unknown_folder(cli: Cli, emulator: Emulator) -> None:
    args = ["data-extensions", "create", "--name", "Orders", "-C", "Id:Text:pk", *cli.emulator_args]
    unknown_folder = cli(*args, "--folder", "Nowhere")
    assert unknown_folder.exit_code == 2
    assert "no data extension folder is named 'Nowhere'; folders: 'Data Extensions' (1001)" in unknown_folder.stderr
    assert not any(c["method"] == "POST" and c["route"] == "customobjects" for c in emulator.api_calls())
    duplicate = cli(*args, "--folder", "1001")  # the seed already has an Orders data extension
    assert duplicate.exit_code == 1
    assert "SFMC refused the request" in duplicate.stderr and "409" in duplicate.stderr


def test_dry_run_prints_the_body_without_calling(cli: Cli, emulator: Emulator) -> None:
    result = cli(
        "data-extensions",
        "create",
        "--name",
        "T",
        "--folder",
        "Data Extensions",
        "-C",
        "Id:Text(10):pk",
        "--dry-run",
        *cli.emulator_args,
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["categoryId"] == "<the id of folder 'Data Extensions'>"
    assert body["fields"][0] | {"name": "Id", "type": "Text", "length": 10, "isPrimaryKey": True} == body["fields"][0]
    assert emulator.get("/journal") == []


def test_settings_from_a_config_and_bad_credentials(cli: Cli, emulator: Emulator, tmp_path: Path) -> None:
    config = cli.credentials_config(tmp_path)
    good = cli("data-extensions", "list", "--config", config, "--json")
    assert good.exit_code == 0, good.output
    assert "SFMC tenant mcdemo0000000000000000000000 (MID 100000001) at http" in good.stderr
    conflicting = cli("data-extensions", "list", "--config", config, *cli.emulator_args)
    assert conflicting.exit_code == 2 and "--emulator-url does not apply" in conflicting.stderr

    wrong = cli.credentials_config(tmp_path, secret="not-the-right-secret-value")
    refused = cli("data-extensions", "folders", "--config", wrong)
    assert refused.exit_code == 1
    assert "SFMC refused the credentials (HTTP 401)" in refused.stderr
    assert "Installed Packages" in refused.stderr and f"(settings in {wrong})" in refused.stderr
    assert "not-the-right-secret-value" not in refused.output
    assert [c["route"] for c in emulator.get("/journal")] == ["token", "customobjects", "token"]  # nothing after


def test_unreachable_emulator_and_a_broken_config(cli: Cli, tmp_path: Path) -> None:
    down = cli("data-extensions", "list", "--emulator-url", "http://127.0.0.1:9")
    assert down.exit_code == 1
    assert "cannot reach the emulator at http://127.0.0.1:9" in down.stderr
    assert "sfmc-actions emulator" in down.stderr
    bad_url = cli("data-extensions", "list", "--emulator-url", "localhost:8787")
    assert bad_url.exit_code == 2 and "must be an http:// or https:// URL" in bad_url.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("settings:\n  subdomain: https://mcabc.auth.marketingcloudapis.com/\n  client_id: x\n")
    result = cli("data-extensions", "list", "--config", broken)
    assert result.exit_code == 2
    assert "settings.subdomain" in result.stderr and "Did you mean 'mcabc'?" in result.stderr
