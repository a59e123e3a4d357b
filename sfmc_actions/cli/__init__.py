"""The `sfmc-actions` command line: this module holds the Typer app and registers one module per command group.

    serve.py            serve, worker: the long-running service (wiring in sfmc_actions/service/)
    status.py           status: queue depth, oldest waiting job, last errors
    dead_letters.py     dead-letters list | show | replay
    send.py             send: an NDJSON file straight into the job store
    test_mapping.py     test-mapping: what one subscription does with one event, up to the exact request
    data_extensions.py  data-extensions list | fields | folders | create (Segment's V2 hook as commands)
    emulator.py         emulator: the local SFMC emulator
    engine.py           match, map, check-config, route: the routing engine by hand
    import_segment.py   import segment: a Segment workspace's destinations and subscriptions as a config

and what they share: options.py (typer options), output.py (tables, JSON, `fail`), resources.py (the config and
the store, opened), connect.py (which SFMC tenant), config_report.py (what check-config prints), check_remote.py
(check-config --remote: the config against its tenants), create_spec.py
and wire.py (data-extensions create's spec, test-mapping's transports). Each command is a thin shell over a
stage or library; command modules import their heavy parts inside the commands, so start-up stays light.
"""

from __future__ import annotations

import typer

from sfmc_actions._version import __version__
from sfmc_actions.cli import (
    data_extensions,
    dead_letters,
    emulator,
    engine,
    import_segment,
    send,
    serve,
    status,
    test_mapping,
)
from sfmc_actions.cli.output import console

app = typer.Typer(
    name="sfmc-actions",
    help="Deliver Segment-spec customer events into Salesforce Marketing Cloud.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)


@app.callback()
def _root() -> None:
    """Deliver Segment-spec customer events into Salesforce Marketing Cloud."""


@app.command()
def version() -> None:
    """Print the version."""
    console.print(f"sfmc-actions {__version__}")


app.command()(engine.match)
app.command(name="map")(engine.map_event)
app.command(name="check-config")(engine.check_config)
app.command()(emulator.emulator)
app.command(name="route")(engine.route_file)
app.command()(send.send)
app.command()(serve.serve)
app.command()(serve.worker)
app.command()(status.status)
app.add_typer(dead_letters.app, name="dead-letters")
app.add_typer(data_extensions.app, name="data-extensions")
app.command(name="test-mapping")(test_mapping.test_mapping_command)
app.add_typer(import_segment.app, name="import")


def main() -> None:
    app()
