"""What `check-config` prints about a config file; `import segment` prints the same about the file it wrote.

Errors (every problem, with file, YAML path, line and how to fix it) and warnings (triggers whose meaning in
Segment is surprising, destinations sharing a data extension) go to stderr; the one-line summary goes to `out`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console

from sfmc_actions.config import Destination, is_sfmc_host
from sfmc_actions.errors import ConfigError


def report_config(
    path: str | Path, out: Console, err: Console, *, text: str | None = None, environ: dict[str, str] | None = None
) -> bool:
    """Check the config (`text` instead of the file when given) and print the report; True when it loads."""
    from sfmc_actions.service.load import load

    try:
        loaded = load(path, environ=environ, text=text)
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(f"[bold red]error:[/] {problem}", highlight=False, soft_wrap=True)
        err.print(f"{len(exc.problems)} problem(s) in {path}", style="bold red", highlight=False)
        return False
    for warning in loaded.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    config = loaded.config
    counts = f"{len(loaded.subscriptions)} subscription(s), {len(config.sources)} source(s)"
    if len(config.destinations) == 1:
        target = _target(config.destinations[0], with_mid=False)
        out.print(f"[green]ok[/] {path}: {counts}, delivering to the {target}", highlight=False, soft_wrap=True)
        return True
    out.print(
        f"[green]ok[/] {path}: {len(config.destinations)} destinations, {counts}", highlight=False, soft_wrap=True
    )
    for destination in config.destinations:
        out.print(f"  {destination.name}: {_destination_summary(destination)}", highlight=False, soft_wrap=True)
    return True


def _destination_summary(destination: Destination) -> str:
    return f"{len(destination.subscriptions)} subscription(s), delivering to the {_target(destination, with_mid=True)}"


def _target(destination: Destination, *, with_mid: bool) -> str:
    settings = destination.settings
    if settings is None:
        return "built-in emulator"
    tenant = f"SFMC tenant {settings.subdomain}" + (f" (MID {settings.account_id})" if with_mid else "")
    host = urlsplit(settings.api_base_url).hostname or "" if settings.api_base_url else ""
    if host and not is_sfmc_host(host):
        return f"{tenant} through {host}, not SFMC: the client secret goes there"
    return tenant
