"""sfmc-actions: deliver Segment-spec customer events into Salesforce Marketing Cloud.

The functions below are the stable public API of the routing engine; other programs call them. They import
the engine when first called, so `import sfmc_actions` (and the CLI's start-up) stays light.
"""

from __future__ import annotations

from typing import Any, Literal

from sfmc_actions._version import __version__

__all__ = ["__version__", "resolve_mapping", "trigger_matches", "validate_mapping", "validate_payload"]


def trigger_matches(fql: str, event: dict[str, Any]) -> bool:
    """Whether `event` matches the Segment FQL trigger. Raises `errors.FqlSyntaxError` on bad FQL."""
    from sfmc_actions.route.fql import compile_trigger

    return compile_trigger(fql).matches(event)


def resolve_mapping(mapping: dict[str, Any], event: dict[str, Any]) -> object:
    """Resolve a Segment mapping against `event`. Raises `errors.MappingError` on an invalid mapping."""
    from sfmc_actions.route.mapping import compile_mapping

    return compile_mapping(mapping).resolve(event)


def validate_mapping(mapping: dict[str, Any]) -> list[str]:
    """Every validation error of a Segment mapping, as Segment words them; empty when valid."""
    from sfmc_actions.route.mapping import validate_mapping as validate

    return validate(mapping)


def validate_payload(fields: dict[str, Any], payload: object, mode: Literal["single", "batch"] = "single") -> object:
    """Clean, coerce and validate a mapped payload against an action's fields, as Segment does.

    Raises `errors.PayloadValidationError` with Segment's message.
    """
    from sfmc_actions.route.payload import PayloadSchema

    return PayloadSchema.from_fields(fields).validate(payload, mode)
