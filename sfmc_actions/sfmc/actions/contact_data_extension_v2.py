"""`contactDataExtensionV2` (Send Contact to Data Extension (V2)): contact rows into the data extension whose id
the mapping stores as `onMappingSave.outputs.id` (or `retlOnMappingSave.outputs.id`)."""

from __future__ import annotations

from sfmc_actions.sfmc.actions.base import HOOKS
from sfmc_actions.sfmc.actions.rowsets import RowsetAction
from sfmc_actions.sfmc.fields import BATCH_SIZE, CONTACT_KEYS, ENABLE_BATCHING, VALUES_CONTACT, dynamic

ACTION = RowsetAction(
    key="contactDataExtensionV2",
    title="Send Contact to Data Extension (V2)",
    description="Upsert contact data as rows into a data extension in Salesforce Marketing Cloud.",
    fields={
        "keys": dynamic(CONTACT_KEYS),
        "values": dynamic(VALUES_CONTACT),
        "enable_batching": ENABLE_BATCHING,
        "batch_size": BATCH_SIZE,
    },
    default_trigger='type = "identify"',
    hooks=HOOKS,
    target_from_hook=True,
)
