"""The seven actions of Segment's "Salesforce Marketing Cloud (Actions)" destination, by partnerAction key.

from sfmc_actions.sfmc.actions import ACTIONS, get_action
outcomes = await get_action("dataExtension").send(client, payloads)
"""

from __future__ import annotations

from sfmc_actions.errors import SfmcActionsError
from sfmc_actions.sfmc.actions import (
    api_event,
    async_data_extension,
    contact,
    contact_data_extension,
    contact_data_extension_v2,
    data_extension,
    data_extension_v2,
)
from sfmc_actions.sfmc.actions.async_rows import PollPolicy
from sfmc_actions.sfmc.actions.base import Action, HookOutputs, Payload

__all__ = ["ACTIONS", "Action", "HookOutputs", "Payload", "PollPolicy", "UnknownActionError", "get_action"]

ACTIONS: dict[str, Action] = {
    action.key: action
    for action in (
        contact.ACTION,
        contact_data_extension.ACTION,
        data_extension.ACTION,
        api_event.ACTION,
        contact_data_extension_v2.ACTION,
        data_extension_v2.ACTION,
        async_data_extension.ACTION,
    )
}


class UnknownActionError(SfmcActionsError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def get_action(key: str) -> Action:
    """The action with this partnerAction key; the error lists the valid keys."""
    try:
        return ACTIONS[key]
    except KeyError:
        raise UnknownActionError(
            f"unknown SFMC action {key!r}: use one of {', '.join(ACTIONS)} (Segment's partnerAction keys)"
        ) from None
