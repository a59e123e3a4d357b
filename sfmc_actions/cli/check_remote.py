"""`check-config --remote`: after the local check, every mismatch between the subscriptions and what they target
in SFMC (sfmc/remote_check.py), for each destination with its own tenant. Read-only: only GET calls (and a token).

Which tenant: each destination's `settings`, or, when it has no credentials, the demo tenant of a running
`sfmc-actions emulator` at `--emulator-url` (connect.py, as the other SFMC commands). Each problem is printed
as the local check prints its problems: file and line, YAML path, subscription, what is wrong and how to fix it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from sfmc_actions.cli.connect import connect, run
from sfmc_actions.cli.output import fail
from sfmc_actions.errors import ConfigError

if TYPE_CHECKING:
    from sfmc_actions.config import Destination
    from sfmc_actions.errors import ConfigProblem
    from sfmc_actions.sfmc.client import SfmcClient


def report_remote(path: Path, out: Console, err: Console, emulator_url: str | None) -> int:
    """Check each destination against its tenant and print the problems; returns how many there are."""
    from sfmc_actions.config import load_config

    try:
        config = load_config(path)
    except ConfigError:  # report_config has listed these already
        fail(f"{path} has problems (listed above): fix them before checking it against SFMC", 2)
    if emulator_url and all(d.settings is not None for d in config.destinations):
        connect(config.destinations[0].settings, path, emulator_url)  # refuses, saying why (connect.py)
    total = 0
    for destination in config.destinations:
        connection = connect(destination.settings, path, emulator_url if destination.settings is None else None)
        named = f" (destination {destination.name})" if destination.path else ""
        err.print(f"checking{named} against {connection.label}", style="dim", highlight=False, soft_wrap=True)

        async def check(client: SfmcClient, destination: Destination = destination) -> list[ConfigProblem]:
            from sfmc_actions.sfmc.remote_check import remote_problems

            return await remote_problems(config, client, destination)

        problems = run(connection, check)
        for problem in problems:
            err.print(f"[bold red]error:[/] {problem}", highlight=False, soft_wrap=True)
        total += len(problems)
        count = len(destination.subscriptions)
        if problems:
            err.print(
                f"{len(problems)} problem(s) between {path}{named} and {connection.label}",
                style="bold red",
                highlight=False,
                soft_wrap=True,
            )
        else:
            out.print(
                f"[green]ok[/] {path}{named}: no mismatch between its {count} subscription(s) and {connection.label}",
                highlight=False,
                soft_wrap=True,
            )
    return total
