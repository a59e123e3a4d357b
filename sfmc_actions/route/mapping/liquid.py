"""`@liquid`: Liquid templates rendered exactly as Segment renders them (spec §1.8).

Segment's mapping-kit (`liquid-directive.ts`) renders `@liquid` with LiquidJS 10.30, six tags and twenty
filters disabled; `liquidjs/` is a port of that engine. What this module adds is Segment's directive around
it: the value must be a string, "" renders "", templates are limited to 1,000 UTF-16 units, and a template
is parsed once (a cache) and rendered against the payload for each event.

LiquidJS's `increment`/`decrement` write their counter into the event itself, so fields resolved after
the template see it (Segment's transform walks the mapping in key order). `writes_to_event` tells the
compiler which mappings need that: it resolves them on a copy of the event, never on the caller's.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sfmc_actions.errors import MappingError
from sfmc_actions.js.values import utf16_len
from sfmc_actions.route.mapping import liquidjs
from sfmc_actions.route.mapping.liquidjs.tags import Node
from sfmc_actions.route.mapping.registry import Compiler, Mode, Resolver, constant, directive, raises

MAX_TEMPLATE_LENGTH = 1000
DISABLED_TAGS = liquidjs.DISABLED_TAGS
DISABLED_FILTERS = liquidjs.DISABLED_FILTERS


@lru_cache(maxsize=512)
def _parse(source: str) -> list[Node] | str:
    try:
        return liquidjs.parse(source)
    except liquidjs.LiquidError as e:
        return str(e)
    except RecursionError:
        return "Maximum call stack size exceeded"


def render_liquid(source: str, payload: Any) -> str:
    """Segment's `evaluateLiquid(source, payload)`."""
    if source == "":
        return ""
    if utf16_len(source) > MAX_TEMPLATE_LENGTH:
        raise MappingError(f"liquid template values are limited to {MAX_TEMPLATE_LENGTH} characters")
    templates = _parse(source)
    if isinstance(templates, str):
        raise MappingError(templates)
    try:
        return liquidjs.render_templates(templates, payload, source)
    except liquidjs.LiquidError as e:
        raise MappingError(str(e)) from None
    except RecursionError:
        raise MappingError("Maximum call stack size exceeded") from None


def writes_to_event(mapping: Any) -> bool:
    """Whether some `@liquid` template in `mapping` may write into the event (`increment`/`decrement`)."""
    kind = type(mapping)
    if kind is dict:
        template = mapping.get("@liquid")
        if type(template) is str and "crement" in template:
            return True
        return any(writes_to_event(v) for v in mapping.values())
    if kind is list:
        return any(writes_to_event(v) for v in mapping)
    return False


def copy_event(value: Any) -> Any:
    """A copy of the event's objects and arrays, for templates to write into."""
    kind = type(value)
    if kind is dict:
        return {k: copy_event(v) for k, v in value.items()}
    if kind is list:
        return [copy_event(v) for v in value]
    return value


@directive("@liquid")
def compile_liquid(options: Any, mode: Mode, compile: Compiler) -> Resolver:
    if type(options) is not str:
        return raises("liquid template value must be a string")
    if options == "":
        return constant("")
    return lambda payload: render_liquid(options, payload)
