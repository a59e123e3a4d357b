"""Wiring: load a config file into compiled, ready-to-route subscriptions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sfmc_actions.config import DEFAULT_DESTINATION, Config, Destination, SfmcSettings, load_config
from sfmc_actions.route.router import Router
from sfmc_actions.route.subscriptions import Subscription, compile_subscriptions


@dataclass(frozen=True)
class Loaded:
    config: Config
    subscriptions: list[Subscription]  # of every destination, each naming its own
    warnings: list[str]

    def destination(self, name: str) -> Destination:
        """The destination called `name`; KeyError when the config has none."""
        for destination in self.config.destinations:
            if destination.name == name:
                return destination
        raise KeyError(name)

    def subscriptions_of(self, name: str) -> list[Subscription]:
        return [s for s in self.subscriptions if s.destination == name]

    def router(self) -> Router:
        """Routes through every destination's subscriptions, each job tagged with its destination and tenant."""
        return Router(self.subscriptions, {d.name: tenant_of(d) for d in self.config.destinations})


def load(
    path: str | Path,
    *,
    environ: dict[str, str] | None = None,
    text: str | None = None,
) -> Loaded:
    """Load and fully check a config file (every destination). Raises ConfigError listing every problem."""
    config = load_config(path, environ, text)
    subscriptions, warnings = compile_subscriptions(config)
    return Loaded(config, subscriptions, [*config.warnings, *warnings])


EMULATOR_TENANT = "emulator"


def tenant_key(settings: SfmcSettings | None) -> str:
    """Names the SFMC tenant jobs are delivered to: one token and one rate limit per key."""
    if settings is None:
        return EMULATOR_TENANT
    return f"{settings.subdomain}/{settings.account_id}/{settings.client_id}"


def tenant_of(destination: Destination) -> str:
    """The tenant key of a destination's jobs. Destinations without credentials each get their own business unit
    of the built-in emulator, so each its own key ('emulator' for the top-level form's one destination)."""
    if destination.settings is None and destination.name != DEFAULT_DESTINATION:
        return f"{EMULATOR_TENANT}/{destination.name}"
    return tenant_key(destination.settings)
