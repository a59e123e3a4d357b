"""LiquidJS 10.30.1 as Segment's `@segment/actions-core` 3.170.0 configures it, ported to Python.

Segment renders `@liquid` with `new Liquid({renderLimit: 500, parseLimit: 1000, memoryLimit: 1e8})`, six tags
and twenty filters disabled, everything else at LiquidJS's defaults (lenient filters, own properties only,
Liquid truthiness). This package reproduces that engine's reading and rendering rules on the mapping
engine's Python values, so a template renders to the same text as in Segment:

    lexer.py       template text -> tokens; the expression and filter reader
    tags.py        tokens -> templates; every tag; rendering with break/continue
    render.py      the context (scopes, environment, memory limit) and expression evaluation
    values.py      JavaScript values as LiquidJS sees them (drops, toValue, stringify, equals, readProperty)
    jsops.py       JavaScript string and number operations the filters use
    filters_*.py   the filters (text, data, dates)

It is a port rather than python-liquid with shims: python-liquid follows Ruby Liquid, and nearly every
difference (the lenient reader, JavaScript values in output and comparisons, UTF-16 strings, each filter's
coercions) sat in a different corner of it.
"""

from __future__ import annotations

from typing import Any

from sfmc_actions.route.mapping.liquidjs import filters_data, filters_date, filters_text  # noqa: F401 (register)
from sfmc_actions.route.mapping.liquidjs.lexer import LiquidError
from sfmc_actions.route.mapping.liquidjs.render import FILTERS, RenderFailure
from sfmc_actions.route.mapping.liquidjs.tags import DISABLED_TAGS, Node, Parser, render

DISABLED_FILTERS = (
    "array_to_sentence_string",
    "concat",
    "find",
    "find_exp",
    "find_index",
    "find_index_exp",
    "group_by",
    "group_by_exp",
    "has",
    "has_exp",
    "map",
    "newline_to_br",
    "reject",
    "reject_exp",
    "reverse",
    "sort",
    "sort_natural",
    "uniq",
    "where_exp",
    "type",
)


def _disabled_filter(name: str) -> Any:
    def disabled(*args: Any) -> Any:
        raise RenderFailure(f'filter "{name}" is disabled')

    return disabled


for _name in DISABLED_FILTERS:
    FILTERS[_name] = _disabled_filter(_name)


def parse(source: str) -> list[Node]:
    """The templates of `source`; raises LiquidError (message with line and column) when it does not parse."""
    return Parser(source).parse()


def render_templates(templates: list[Node], env: Any, source: str) -> str:
    """Render parsed templates with `env` (the event) as the environment; raises LiquidError."""
    return render(templates, env, source)


__all__ = ["DISABLED_FILTERS", "DISABLED_TAGS", "LiquidError", "parse", "render_templates"]
