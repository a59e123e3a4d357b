"""`sfmc-actions data-extensions ...`: what Segment's V2 mapping hook and dynamic fields do, as commands.

    list [--search TEXT]   data extensions by name, key or description (Segment's "select" choices)
    fields ID|NAME|KEY     columns; primary keys are the `keys` choices, the rest the `values` choices
                           (Segment's `keys.__keys__` / `values.__keys__` dynamic fields), and the mapping
                           snippet that selects it in a V2 subscription
    folders                data extension folders (Segment's categoryId choices)
    create ...             the V2 "create" hook: checked before any call, prints the V2 mapping snippet

Each command uses one client, so one token (connect.run). Which tenant: see connect.py.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sfmc_actions.cli.connect import Connection, connect, run, settings_from
from sfmc_actions.cli.options import COLUMN_EXAMPLE, COLUMN_SYNTAX, CredentialsOption, EmulatorOption, JsonOption
from sfmc_actions.cli.output import console, fail, fail_config, note, plain, print_json, yes_no
from sfmc_actions.errors import ConfigError

if TYPE_CHECKING:
    from sfmc_actions.cli.create_spec import CheckedSpec
    from sfmc_actions.sfmc.client import SfmcClient
    from sfmc_actions.sfmc.data_extensions import Columns, DataExtension

app = typer.Typer(
    name="data-extensions",
    help="List, inspect and create SFMC data extensions (what Segment's V2 mapping hook does).",
    no_args_is_help=True,
)

V2_ACTIONS = "dataExtensionV2, contactDataExtensionV2 or asyncDataExtension"
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def _connection(config: Path | None, emulator_url: str | None) -> Connection:
    connection = connect(settings_from(config), config, emulator_url)
    note(f"using {connection.label}")
    return connection


@app.command(name="list")
def list_command(
    search: Annotated[str | None, typer.Option(help="only those whose name, key or description contains this")] = None,
    config: CredentialsOption = None,
    emulator_url: EmulatorOption = None,
    as_json: JsonOption = False,
) -> None:
    """List data extensions (id, name, external key, folder)."""
    from sfmc_actions.sfmc.data_extensions import list_data_extensions

    connection = _connection(config, emulator_url)
    found = run(connection, lambda client: list_data_extensions(client, search))
    if as_json:
        print_json([dataclasses.asdict(de) for de in found])
        return
    table = Table(title=f"{len(found)} data extension(s)" + (f" matching {search!r}" if search else ""))
    for column in ("Name", "External key", "ID", "Folder", "Sendable", "Rows"):
        table.add_column(column, overflow="fold", no_wrap=column == "ID")  # ids get copied: keep them whole
    for de in found:
        rows = "" if de.row_count is None else str(de.row_count)
        table.add_row(de.name, de.key, de.id, str(de.folder_id or ""), yes_no(de.is_sendable), rows)
    console.print(table)


@app.command()
def fields(
    data_extension: Annotated[str, typer.Argument(metavar="ID", help="data extension id (or its exact name or key)")],
    config: CredentialsOption = None,
    emulator_url: EmulatorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a data extension's columns: primary keys (the mapping's `keys`) and the others (`values`)."""
    connection = _connection(config, emulator_url)
    de, columns = run(connection, lambda client: _fields(client, data_extension))
    snippet = {"onMappingSave": {"outputs": {"id": de.id, "name": de.name}}}
    if as_json:
        listed = [dataclasses.asdict(c) for c in columns.columns]
        print_json(
            {
                **dataclasses.asdict(de),
                "primary_keys": columns.primary_keys,
                "values": columns.values,
                "columns": listed,
                "mapping": snippet,
            }
        )
        return
    table = Table(title=f"{de.name} (key {de.key}, id {de.id})")
    for column in ("Column", "Type", "Length", "Scale", "Primary key", "Nullable"):
        table.add_column(column, overflow="fold")
    for c in columns.columns:
        size = "" if c.length is None else str(c.length)
        scale = "" if c.scale is None else str(c.scale)
        table.add_row(c.name, c.type, size, scale, yes_no(c.is_primary_key), yes_no(c.is_nullable))
    console.print(table)
    plain(f"keys (primary key columns):  {', '.join(columns.primary_keys) or '(none)'}")
    plain(f"values (the other columns):  {', '.join(columns.values) or '(none)'}")
    _print_snippet(snippet, columns.primary_keys, columns.values)


async def _fields(client: SfmcClient, ref: str) -> tuple[DataExtension, Columns]:
    from sfmc_actions.sfmc.data_extensions import data_extension_fields, get_data_extension

    de = await get_data_extension(client, ref) if _GUID.match(ref) else await _find_by_name(client, ref)
    return de, await data_extension_fields(client, de.id)


async def _find_by_name(client: SfmcClient, ref: str) -> DataExtension:
    """SFMC reads data extensions by id only; a name or key is looked up with a search first."""
    from sfmc_actions.sfmc.data_extensions import list_data_extensions

    found = await list_data_extensions(client, ref)
    exact = [de for de in found if ref.lower() in (de.name.lower(), de.key.lower())]
    if len(exact) == 1:
        return exact[0]
    if exact:
        listed = ", ".join(f"{de.name} (key {de.key}, id {de.id})" for de in exact)
        fail(f"several data extensions are named or keyed {ref!r}: {listed}; give the id")
    fail(
        f"no data extension has the id, name or key {ref!r}; find it with `sfmc-actions data-extensions list "
        f"--search {ref[:20]!r}`"
    )


@app.command()
def folders(config: CredentialsOption = None, emulator_url: EmulatorOption = None, as_json: JsonOption = False) -> None:
    """List data extension folders (the folder ids `create --folder` takes)."""
    from sfmc_actions.cli.create_spec import folder_paths
    from sfmc_actions.sfmc.data_extensions import list_folders

    connection = _connection(config, emulator_url)
    found = run(connection, list_folders)
    paths = folder_paths(found)
    if as_json:
        print_json([dataclasses.asdict(f) | {"path": paths[f.id]} for f in found])
        return
    table = Table(title=f"{len(found)} data extension folder(s)")
    for column in ("ID", "Path", "Parent ID"):
        table.add_column(column, overflow="fold")
    for f in sorted(found, key=lambda f: paths[f.id].lower()):
        table.add_row(str(f.id), paths[f.id], "" if f.parent_id is None else str(f.parent_id))
    console.print(table)


@app.command(
    epilog=f"Columns: {COLUMN_SYNTAX}, e.g. {COLUMN_EXAMPLE}. Types: Text, Number, Date, Boolean, "
    "EmailAddress, Phone, Decimal, Locale."
)
def create(
    name: Annotated[str | None, typer.Option(help="data extension name")] = None,
    folder: Annotated[str | None, typer.Option(help="folder id, name or path (see `folders`)")] = None,
    column: Annotated[list[str] | None, typer.Option("--column", "-C", help=f"a column: {COLUMN_SYNTAX}")] = None,
    description: Annotated[str | None, typer.Option()] = None,
    key: Annotated[str | None, typer.Option(help="external key (SFMC generates one if left out)")] = None,
    sendable: Annotated[bool | None, typer.Option("--sendable/--not-sendable", show_default=False)] = None,
    sendable_field: Annotated[str | None, typer.Option(help="sendable: the column relating rows to contacts")] = None,
    subscriber_field: Annotated[
        str | None, typer.Option(help="sendable: _SubscriberKey (default) or _SubscriberID")
    ] = None,
    spec: Annotated[Path | None, typer.Option(help="YAML or JSON spec file; options given override it")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check the spec and print the request body only")] = False,
    config: CredentialsOption = None,
    emulator_url: EmulatorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a data extension (checked before any call) and print the snippet for a V2 subscription."""
    from sfmc_actions.cli.create_spec import CreateOptions, checked_spec
    from sfmc_actions.sfmc.data_extension_spec import create_body

    options = CreateOptions(name, folder, description, key, sendable, sendable_field, subscriber_field, column or [])
    try:
        checked = checked_spec(spec, options)
    except ConfigError as error:
        fail_config(error, str(spec) if spec else "the options")
    if dry_run:
        body = create_body(checked.spec)
        if checked.folder_ref:
            body["categoryId"] = f"<the id of folder {checked.folder_ref!r}>"
        print_json(body)
        return
    connection = _connection(config, emulator_url)
    created, folder_id = run(connection, lambda client: _create(client, checked))
    snippet = {"onMappingSave": {"outputs": {"id": created.id, "name": created.name}}}
    if as_json:
        print_json({**dataclasses.asdict(created), "folder_id": folder_id, "mapping": snippet})
        return
    plain(f"Created data extension {created.name!r}: id {created.id}, key {created.key}, folder {folder_id}")
    columns = checked.spec.columns
    keys = [c.name for c in columns if c.is_primary_key]
    _print_snippet(snippet, keys, [c.name for c in columns if not c.is_primary_key])


async def _create(client: SfmcClient, checked: CheckedSpec) -> tuple[DataExtension, int]:
    from sfmc_actions.cli.create_spec import resolve_folder
    from sfmc_actions.sfmc.data_extensions import create_data_extension, list_folders

    spec = checked.spec
    if checked.folder_ref is not None:
        try:
            spec = dataclasses.replace(spec, folder_id=resolve_folder(checked.folder_ref, await list_folders(client)))
        except ValueError as error:
            fail(f"--folder: {error}")
    return await create_data_extension(client, spec), spec.folder_id


def _print_snippet(snippet: dict[str, Any], keys: list[str], values: list[str]) -> None:
    """The mapping lines that point a V2 subscription at the data extension, as Segment stores its hook output."""
    import yaml

    text = yaml.safe_dump({"mapping": snippet}, sort_keys=False, default_flow_style=False, allow_unicode=True)
    plain(f"\nTo write to it, put this in a subscription with action {V2_ACTIONS}:\n")
    plain(text.rstrip())
    plain(f"  keys:     # map each of: {', '.join(keys) or '(none)'}")
    plain(f"  values:   # map any of: {', '.join(values) or '(none)'}")
