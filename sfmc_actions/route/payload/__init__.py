"""Payload validation: an action's fields -> JSON Schema -> Segment's cleanup, coercion and messages.

`PayloadSchema.from_fields(fields).validate(payload, mode)` returns the payload an action's `send`
receives, or raises `errors.PayloadValidationError` with the message Segment would give.
"""

from __future__ import annotations

from sfmc_actions.route.payload.fields import fields_to_json_schema
from sfmc_actions.route.payload.validator import PayloadSchema

__all__ = ["PayloadSchema", "fields_to_json_schema"]
