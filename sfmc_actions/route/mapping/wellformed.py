"""Reject mapping values that JSON cannot hold before Segment's rules are applied.

Segment's mappings are JSON, so its validator never meets a date, a set or a number key. A mapping
written in YAML can hold them (`when: 2024-01-01` is a date, `1: x` has an integer key); Segment's
rules would then misjudge them, so they are reported first, with their location and the fix.
"""

from __future__ import annotations

import math
from typing import Any

_SCALARS = (str, int, float, bool, type(None))


def json_problems(value: Any, limit: int = 20) -> list[str]:
    """Where `value` holds something that is not JSON, in document order (at most `limit`)."""
    problems: list[str] = []
    stack: list[tuple[str, Any, bool]] = [("", value, True)]  # (path, item, item-is-a-value)
    while stack and len(problems) < limit:
        where, item, is_value = stack.pop()
        if not is_value:
            problems.append(f"/{where.lstrip('/')} has the key {item!r}, which is not a string; quote it.")
        elif isinstance(item, dict):
            stack.extend(
                (f"{where}/{key}", member, True) if isinstance(key, str) else (where, key, False)
                for key, member in reversed(list(item.items()))
            )
        elif isinstance(item, list):
            stack.extend((f"{where}/{i}", member, True) for i, member in reversed(list(enumerate(item))))
        elif isinstance(item, float) and not math.isfinite(item):
            problems.append(f"/{where.lstrip('/')} is {item!r}, which JSON cannot hold; use a number or a string.")
        elif not isinstance(item, _SCALARS):
            kind = type(item).__name__
            problems.append(f"/{where.lstrip('/')} is a {kind}, not a JSON value; quote it to make it a string.")
    return problems


def plain_json(value: Any) -> Any:
    """A copy made of plain `dict`/`list` (the compiler dispatches on exact types)."""
    if isinstance(value, dict):
        return {key: plain_json(member) for key, member in value.items()}
    if isinstance(value, list):
        return [plain_json(member) for member in value]
    return value
