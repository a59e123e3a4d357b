"""The console's wiring: what `serve` hands the web console (console/), and where it may listen."""

from __future__ import annotations

from collections.abc import Mapping

from sfmc_actions.config import SfmcSettings, is_loopback
from sfmc_actions.console import ConsoleContext, Target
from sfmc_actions.queue import JobStore, redact_url
from sfmc_actions.service.http import StartError
from sfmc_actions.service.load import Loaded, tenant_of

TOKEN_HINT = (
    "set a token in the config (console: {token: ${SFMC_ACTIONS_CONSOLE_TOKEN}}) and export "
    "SFMC_ACTIONS_CONSOLE_TOKEN=$(openssl rand -hex 32) before starting, or keep console.host on 127.0.0.1"
)


def check_console_host(loaded: Loaded, host: str) -> None:
    """Without a token the console (dead letters, replay, sends) must stay on this machine."""
    if loaded.config.console.token is None and not is_loopback(host):
        raise StartError(f"{loaded.config.path}: the console would listen on {host} without a token: {TOKEN_HINT}")


def console_context(
    loaded: Loaded,
    store: JobStore,
    database: str,
    targets: Mapping[str, SfmcSettings],
    emulator_url: str | None,
) -> ConsoleContext:
    """`targets`: the settings each destination's workers deliver with (an emulator package for one without
    credentials), by destination name."""
    config = loaded.config
    described = {}
    for destination in config.destinations:
        settings = targets[destination.name]
        label = (
            f"the built-in emulator at {emulator_url}"
            if destination.settings is None
            else f"SFMC tenant {settings.subdomain} (MID {settings.account_id})"
        )
        described[destination.name] = Target(settings, label, tenant_of(destination))
    return ConsoleContext(
        config,
        loaded.subscriptions,
        store,
        loaded.router(),
        described,
        redact_url(database),
        token=config.console.token,
        emulator_url=emulator_url,
    )
