"""The trigger AST, shaped like the one Segment's `parseFql` returns (`@segment/destination-subscriptions`).

`to_dict()` gives exactly the JSON the oracle prints for `parseFql(fql)`:

    {"type": "group", "operator": "and", "children": [
        {"type": "event-type", "operator": "=", "value": "track"},
        {"type": "event-property", "name": "price", "operator": ">", "value": 99}]}

A group child can be `None`: Segment's `undefined`, which an empty `( )` group (or one with nothing
Segment can evaluate) leaves in the AST. Segment's runtime then throws a TypeError on events that
reach it; `evaluate` mirrors that as "never matches".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

# Condition types, by the field written in FQL.
EVENT_TYPE: Final = "event-type"  # type
EVENT: Final = "event"  # event
NAME: Final = "name"  # name
USER_ID: Final = "userId"  # userId
PROPERTY: Final = "event-property"  # properties.<path>
TRAIT: Final = "event-trait"  # traits.<path>
CONTEXT: Final = "event-context"  # context.<path>

# The field an FQL condition starts with → Segment's condition type (parse-fql's tokenToConditionType).
FIELD_TYPES: Final[dict[str, str]] = {
    "type": EVENT_TYPE,
    "event": EVENT,
    "name": NAME,
    "userId": USER_ID,
    "properties": PROPERTY,
    "traits": TRAIT,
    "context": CONTEXT,
}
TYPE_FIELDS: Final[dict[str, str]] = {v: k for k, v in FIELD_TYPES.items()}
PATH_TYPES: Final = frozenset({PROPERTY, TRAIT, CONTEXT})

Value: TypeAlias = str | float | bool


@dataclass(frozen=True, slots=True, eq=False)
class Condition:
    """One test on one field. `name` is the path under properties/traits/context (None for the
    top-level fields); `value` is None when the operator takes none (exists, not_exists, is_true, is_false).
    Numbers are JavaScript numbers (float); NaN is always `jsnumber.NAN`, so equal ASTs compare equal."""

    type: str
    operator: str
    name: str | None = None
    value: Value | None = None

    def _key(self) -> tuple[object, ...]:
        # bool is an int in Python but not a number in JavaScript: `x < true` and `x < 1` differ.
        return self.type, self.operator, self.name, type(self.value), self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Condition) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            out["name"] = self.name
        out["operator"] = self.operator
        if self.value is not None:
            out["value"] = _json_value(self.value)
        return out


@dataclass(frozen=True, slots=True)
class Group:
    """Conditions joined by one operator, `and` or `or` (Segment keeps one per parenthesised level)."""

    operator: str
    children: tuple[Node | None, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "group",
            "operator": self.operator,
            "children": [None if c is None else c.to_dict() for c in self.children],
        }


Node: TypeAlias = Condition | Group


def _json_value(value: Value) -> Any:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None  # JSON.stringify(NaN) and JSON.stringify(Infinity) are null
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    return value


def walk(node: Node | None) -> list[Node | None]:
    """`node` and everything under it, depth first."""
    out: list[Node | None] = [node]
    if isinstance(node, Group):
        for child in node.children:
            out.extend(walk(child))
    return out
