"""The actions' field definitions, exactly Segment's (sfmc-properties.ts and each action's index.ts).

They are plain data in the shape Segment's field definitions have (label, description, type, required, default,
properties, additionalProperties, ...), which `route.payload.PayloadSchema.from_fields` turns into the same
validation Segment runs. Labels matter: Segment's validation messages name fields by label ("Data Extension
Primary Key is missing the required field 'contactKey'."). `default` only pre-fills a new mapping; it has no
effect at delivery (segment-runtime.md §3.4). tests/conformance/test_action_fields.py compares every definition
with the one Segment's published code exports.
"""

from __future__ import annotations

from typing import Any

Field = dict[str, Any]

CONTACT_KEY: Field = {
    "label": "Contact Key",
    "description": "The unique identifier that you assign to a contact. This will be used to create a contact if one "
    "does not already exist with this Contact Key.",
    "type": "string",
    "default": {"@path": "$.userId"},
}

CONTACT_KEY_API_EVENT: Field = {
    "label": "Contact Key",
    "description": "The unique identifier that identifies a subscriber or a contact.",
    "type": "string",
    "default": {"@path": "$.userId"},
    "required": True,
}

KEY: Field = {
    "label": "Data Extension Key",
    "description": "The external key of the data extension that you want to store information in. The data extension "
    "must be predefined in SFMC. The external key is required if a Data Extension ID is not provided.",
    "type": "string",
}

ID: Field = {
    "label": "Data Extension ID",
    "description": "The ID of the data extension that you want to store information in. The data extension must be "
    "predefined in SFMC. The ID is required if a Data Extension Key is not provided.\n\nSee more information on how to "
    "find your Data Extension ID [here](https://help.salesforce.com/s/articleView?id=000385238&type=1).",
    "type": "string",
}

KEYS: Field = {
    "label": "Data Extension Primary Key",
    "description": "The Primary Key is a unique identifier for each row in the Data Extension. In the mapping "
    "configuration, enter the SFMC Key Name on the left and map the corresponding Segment Field on the right. Each "
    "Data Extension supports only one Primary Key. When data is sent to SFMC, the system will update an existing row "
    "if the Primary Key matches; otherwise, it will create a new record.",
    "type": "object",
    "required": True,
    "defaultObjectUI": "keyvalue:only",
    "additionalProperties": True,
}

_VALUES_HOWTO = (
    " Fields must be created in the data extension before sending data for it. On the left-hand side, input the SFMC "
    "field name exactly how it appears in the data extension. On the right-hand side, map the Segment field that "
    "contains the corresponding value."
)

VALUES_CONTACT: Field = {
    "label": "Contact Fields",
    "description": "The fields in the data extension that contain data about a contact, such as Email, Last Name, etc."
    + _VALUES_HOWTO,
    "type": "object",
    "defaultObjectUI": "keyvalue:only",
    "required": True,
}

VALUES_EVENT: Field = {
    "label": "Data Extension Fields",
    "description": "The fields in the data extension that contain data about an event, such as Product Name, Revenue, "
    "Event Time, etc." + _VALUES_HOWTO,
    "type": "object",
    "defaultObjectUI": "keyvalue:only",
    "required": True,
}

EVENT_DEFINITION_KEY: Field = {
    "label": "Event Definition Key",
    "description": "The unique key for an event definition in Salesforce Marketing Cloud. The event defintion must be "
    "predefined in SFMC. ",
    "type": "string",
    "required": True,
}

EVENT_DATA: Field = {
    "label": "Event Data",
    "description": "The properties of the event. Fields must be created in the event definition schema before sending "
    "data for it. On the left-hand side, input the SFMC field name exactly how it appears in the event definition "
    "schema. On the right-hand side, map the Segment field that contains the corresponding value.",
    "type": "object",
    "defaultObjectUI": "keyvalue:only",
}

ENABLE_BATCHING: Field = {
    "label": "Batch data to SFMC",
    "description": "If true, data is batched before sending to the SFMC Data Extension.",
    "type": "boolean",
    "default": False,
}

BATCH_SIZE: Field = {
    "label": "Batch Size",
    "description": "Maximum number of events to include in each batch. Actual batch sizes may be lower.",
    "type": "number",
    "required": False,
    "unsafe_hidden": True,
    "default": 10,
}

# The contact variants declare `contactKey` inside `keys` (required, pre-filled from userId).
CONTACT_KEYS: Field = {
    **KEYS,
    "properties": {
        "contactKey": {
            "label": "Contact Key",
            "description": "The unique identifier that you assign to a contact. Contact Key must be a Primary Key in "
            "the data extension that contains contact information.",
            "type": "string",
            "required": True,
        }
    },
    "default": {"contactKey": {"@path": "$.userId"}},
}

# asyncDataExtension's hidden batching fields (asyncDataExtension/fields.ts).
ASYNC_ENABLE_BATCHING: Field = {**ENABLE_BATCHING, "default": True, "unsafe_hidden": True}
ASYNC_BATCH_BYTES: Field = {
    "label": "Batch Bytes",
    "description": "The maximum size of a batch in bytes.",
    "type": "number",
    "required": False,
    "default": 5000000,
    "unsafe_hidden": True,
}
ASYNC_BATCH_SIZE: Field = {**BATCH_SIZE, "minimum": 1000, "default": 28000, "maximum": 30000}


def dynamic(field: Field) -> Field:
    """V2 fields get their key choices from the data extension (segment-runtime.md §8.2)."""
    return {**field, "dynamic": True}
