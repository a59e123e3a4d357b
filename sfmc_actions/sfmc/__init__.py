"""The SFMC side: the API client with its OAuth flow, and the seven actions of Segment's SFMC destination.

    async with SfmcClient(settings) as client:
        outcomes = await get_action("dataExtension").send(client, payloads)

Nothing in here imports the emulator, the queue or the routing stage.
"""

from __future__ import annotations

from sfmc_actions.sfmc.actions import ACTIONS, Action, get_action
from sfmc_actions.sfmc.auth import InMemoryTokenCache, SfmcAuth, TokenCache
from sfmc_actions.sfmc.classify import classify
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Outcome, Retry
from sfmc_actions.sfmc.settings import Endpoints, SfmcSettingsLike

__all__ = [
    "ACTIONS",
    "Action",
    "Dead",
    "Delivered",
    "Endpoints",
    "InMemoryTokenCache",
    "Outcome",
    "Retry",
    "SfmcAuth",
    "SfmcClient",
    "SfmcSettingsLike",
    "TokenCache",
    "classify",
    "get_action",
]
