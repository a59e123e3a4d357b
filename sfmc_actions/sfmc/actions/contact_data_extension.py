"""`contactDataExtension` (Send Contact to Data Extension): contact rows, `keys.contactKey` required."""

from __future__ import annotations

from sfmc_actions.sfmc.actions.rowsets import RowsetAction
from sfmc_actions.sfmc.fields import BATCH_SIZE, CONTACT_KEYS, ENABLE_BATCHING, ID, KEY, VALUES_CONTACT

ACTION = RowsetAction(
    key="contactDataExtension",
    title="Send Contact to Data Extension",
    description="Upsert contact data as rows into an existing data extension in Salesforce Marketing Cloud.",
    fields={
        "key": KEY,
        "id": ID,
        "keys": CONTACT_KEYS,
        "values": VALUES_CONTACT,
        "enable_batching": ENABLE_BATCHING,
        "batch_size": BATCH_SIZE,
    },
    default_trigger='type = "identify"',
)
