"""The console's wiring: what `serve` hands the web console (console/), and where it may listen."""

from __future__ import annotations

from sfmc_actions.config import SfmcSettings, is_loopback
from sfmc_actions.console import ConsoleContext, Target
from sfmc_actions.queue import JobStore, redact_url
from sfmc_actions.route.router import Router
from sfmc_actions.service.http import StartError
from sfmc_actions.service.load import Loaded, tenant_key

TOKEN_HINT = (
    "set a token in the config (console: {token: ${SFMC_ACTIONS_CONSOLE_TOKEN}}) and export "
    "SFMC_ACTIONS_CONSOLE_TOKEN=$(openssl rand -hex 32) before starting, or keep console.host on 127.0.0.1"
)


def check_console_host(loaded: Loaded, host: str) -> None:
    """Without a token the console (dead letters, replay, sends) must stay on this machine."""
    if loaded.config.console.token is None and not is_loopback(host):
        raise StartError(f"{loaded.config.path}: the console would listen on {host} without a token: {TOKEN_HINT}")


def console_context(
    loaded: Loaded, store: JobStore, database: str, delivering: SfmcSettings, emulator_url: str | None
) -> ConsoleContext:
    """`delivering`: the settings the workers use (the built-in emulator's when the config has none)."""
    config = loaded.config
    targets = {}
    for destination in config.destinations:
        settings = destination.settings or delivering
        label = (
            f"the built-in emulator at {emulator_url}"
            if destination.settings is None
            else f"SFMC tenant {settings.subdomain} (MID {settings.account_id})"
        )
        targets[destination.name] = Target(settings, label, tenant_key(destination.settings))
    router = Router(loaded.subscriptions, tenant_key(config.settings))
    return ConsoleContext(
        config,
        loaded.subscriptions,
        store,
        router,
        targets,
        redact_url(database),
        token=config.console.token,
        emulator_url=emulator_url,
    )
