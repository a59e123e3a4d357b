"""`dataExtension` (Send Event to Data Extension): rows into the data extension named by `key` or `id`."""

from __future__ import annotations

from sfmc_actions.sfmc.actions.rowsets import RowsetAction
from sfmc_actions.sfmc.fields import BATCH_SIZE, ENABLE_BATCHING, ID, KEY, KEYS, VALUES_EVENT

ACTION = RowsetAction(
    key="dataExtension",
    title="Send Event to Data Extension",
    description="Upsert events as rows into an existing data extension in Salesforce Marketing Cloud.",
    fields={
        "key": KEY,
        "id": ID,
        "keys": {**KEYS, "required": True},
        "values": VALUES_EVENT,
        "enable_batching": ENABLE_BATCHING,
        "batch_size": BATCH_SIZE,
    },
)
