"""Wiring: load a config file into compiled, ready-to-route subscriptions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sfmc_actions.config import Config, SfmcSettings, load_config
from sfmc_actions.route.subscriptions import Subscription, compile_subscriptions


@dataclass(frozen=True)
class Loaded:
    config: Config
    subscriptions: list[Subscription]
    warnings: list[str]


def load(
    path: str | Path,
    *,
    environ: dict[str, str] | None = None,
    text: str | None = None,
    several_destinations: bool = False,
) -> Loaded:
    """Load and fully check a config file. Raises ConfigError listing every problem.

    The runtime delivers for one destination per config at this version, so a file with several is refused
    (ConfigError naming them) unless `several_destinations` (check-config, the Segment import).
    """
    config = load_config(path, environ, text)
    subscriptions, warnings = compile_subscriptions(config)
    warnings = [*config.warnings, *warnings]
    if not several_destinations:
        config.single_destination()
    return Loaded(config, subscriptions, warnings)


EMULATOR_TENANT = "emulator"


def tenant_key(settings: SfmcSettings | None) -> str:
    """Names the SFMC tenant jobs are delivered to: one token and one rate limit per key."""
    if settings is None:
        return EMULATOR_TENANT
    return f"{settings.subdomain}/{settings.account_id}/{settings.client_id}"
