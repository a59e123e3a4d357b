"""`contact` (Create Contact): `POST /contacts/v1/contacts` with `{contactKey, attributeSets: []}`, per event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sfmc_actions.sfmc.actions.base import Payload, PerEventAction
from sfmc_actions.sfmc.classify import error_message
from sfmc_actions.sfmc.fields import CONTACT_KEY
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Outcome

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient


@dataclass(frozen=True, eq=False, repr=False)
class CreateContact(PerEventAction):
    def sent(self, payload: Payload) -> object:
        # Segment sends an empty attributeSets list (contact/index.ts); so does RudderStack.
        return {"contactKey": payload.get("contactKey"), "attributeSets": []}

    async def send_one(self, client: SfmcClient, payload: Payload) -> Outcome:
        answer = await client.upsert_contact(str(payload.get("contactKey")))
        # Segment counts any 2xx as delivered; SFMC's contacts API can also answer 200 with hasErrors
        # (sfmc-rest-api.md §5), which is a refusal, not a delivery.
        if answer.get("hasErrors") is True or answer.get("operationStatus", "OK") != "OK":
            return Dead(f"SFMC refused the contact: {error_message(answer)}", self.sent(payload))
        return Delivered(answer)


ACTION = CreateContact(
    key="contact",
    title="Create Contact",
    description="Create contacts in Salesforce Marketing Cloud.",
    fields={"contactKey": {**CONTACT_KEY, "required": True}},
    default_trigger='type = "identify"',
)
