"""Compiled triggers: parse once, warn once, then match events fast."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sfmc_actions.errors import FqlSyntaxError
from sfmc_actions.route.fql.ast import Group
from sfmc_actions.route.fql.evaluate import compile_predicate
from sfmc_actions.route.fql.parser import Parser
from sfmc_actions.route.fql.quirks import warnings_for


@dataclass(frozen=True, eq=False)
class Trigger:
    """A Segment FQL trigger, compiled. `matches(event)` decides exactly as Segment's
    `validate(parseFql(fql), event)`; `warnings` explain where that differs from how the FQL reads.
    Compare triggers by `ast` (two texts can mean the same); a Trigger itself is hashable by identity."""

    fql: str
    ast: Group
    warnings: list[str]
    matches: Callable[[Any], bool] = field(repr=False, compare=False)


def compile_trigger(fql: str) -> Trigger:
    """Parse and compile `fql` (cached: the same text compiles once). Raises FqlSyntaxError."""
    if not isinstance(fql, str):
        raise FqlSyntaxError(f"a trigger must be a string, got {type(fql).__name__}", repr(fql), 0)
    return _compile(fql)


@functools.lru_cache(maxsize=1024)
def _compile(fql: str) -> Trigger:
    parser = Parser(fql)
    tree = parser.parse()
    return Trigger(fql, tree, warnings_for(fql, tree, parser.notes), compile_predicate(tree))
