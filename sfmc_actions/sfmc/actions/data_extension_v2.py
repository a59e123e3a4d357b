"""`dataExtensionV2` (Send Event to Data Extension (V2)): rows into the data extension whose id the mapping
stores as `onMappingSave.outputs.id` (or `retlOnMappingSave.outputs.id`), as Segment's hook saves it."""

from __future__ import annotations

from sfmc_actions.sfmc.actions.base import HOOKS
from sfmc_actions.sfmc.actions.rowsets import RowsetAction
from sfmc_actions.sfmc.fields import BATCH_SIZE, ENABLE_BATCHING, KEYS, VALUES_EVENT, dynamic

ACTION = RowsetAction(
    key="dataExtensionV2",
    title="Send Event to Data Extension (V2)",
    description="Upsert events as rows into a data extension in Salesforce Marketing Cloud.",
    fields={
        "keys": dynamic({**KEYS, "required": True}),
        "values": dynamic(VALUES_EVENT),
        "enable_batching": ENABLE_BATCHING,
        "batch_size": BATCH_SIZE,
    },
    hooks=HOOKS,
    target_from_hook=True,
)
