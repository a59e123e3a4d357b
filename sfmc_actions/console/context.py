"""What the console reads and acts on, handed over by the wiring (service/console.py builds it for `serve`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from sfmc_actions.observe.live import LIVE, LiveEvents

if TYPE_CHECKING:
    from sfmc_actions.config import Config, SfmcSettings
    from sfmc_actions.queue import JobStore
    from sfmc_actions.route.router import Router
    from sfmc_actions.route.subscriptions import Subscription


@dataclass
class Target:
    """Where one destination's subscriptions are delivered (the emulator's demo tenant without credentials)."""

    settings: SfmcSettings
    label: str  # for people, never a secret
    tenant: str  # the service's tenant key: the `tenant` of its jobs


@dataclass
class ConsoleContext:
    config: Config
    subscriptions: list[Subscription]  # every destination's, enabled or not
    store: JobStore
    router: Router  # the current config's (replay re-routes through it)
    targets: dict[str, Target]  # by destination name
    database: str  # the store's URL as shown (credentials masked)
    token: SecretStr | None = None
    emulator_url: str | None = None  # the built-in emulator, when it is the target
    live: LiveEvents = LIVE

    @property
    def several_destinations(self) -> bool:
        return len(self.config.destinations) > 1

    def mapping_of(self, sub: Subscription) -> dict[str, Any]:
        """The subscription's mapping as written in the config (as Segment stores it)."""
        for destination in self.config.destinations:
            if destination.name == sub.destination:
                for written in destination.subscriptions:
                    if written.name == sub.name:
                        return written.mapping
        return {}
