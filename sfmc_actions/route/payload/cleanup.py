"""Empty-value removal before validation: Segment's `removeEmptyValues` (actions-core
remove-empty-values.ts; runtime spec section 3.3, step 1), compiled per schema node.

* `null` is dropped unless the node's type allows null; `""` is dropped unless it allows string;
  nodes without `type` or `enum` (object fields without properties) are left alone.
* In single-event mode root-level `""` goes too, even for string fields; batch mode keeps it.
* Inside arrays with typed items, the items that would be dropped are filtered out, but the items
  kept are the original ones, not cleaned (so `[{"k": null}]` reaches the validator, which coerces
  null to "" for a string property): Segment filters with the cleaned copy and keeps the original.

The cleaned value is also the validator's private copy: every dict and list the validator may
change (objects with properties, arrays with items, along the schema) is a new container, so the
caller's payload is never mutated. Untouched subtrees (free-form objects) are shared, not copied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

REMOVED: Any = object()  # "delete this key": JavaScript's undefined result of removeEmptyValues

Clean = Callable[[Any], Any]


def _types(schema: dict[str, Any]) -> list[Any]:
    raw = schema.get("type")
    return [] if raw is None else list(raw) if isinstance(raw, list) else [raw]


def compile_copy(schema: Any) -> Clean:
    """Copy along the schema (dicts with properties, lists with items) without cleaning anything."""
    if not isinstance(schema, dict):
        return lambda value: value
    properties = schema.get("properties")
    items = schema.get("items")
    children = {key: compile_copy(sub) for key, sub in properties.items()} if isinstance(properties, dict) else None
    item = compile_copy(items) if items is not None else None

    def copy(value: Any) -> Any:
        if children is not None and type(value) is dict:
            return {key: children[key](v) if key in children else v for key, v in value.items()}
        if item is not None and type(value) is list:
            return [item(v) for v in value]
        return value

    return copy


def compile_clean(schema: Any, root: bool = False) -> Clean:
    """removeEmptyValues(value, schema, isRoot=root); returns REMOVED where Segment deletes the key."""
    copy = compile_copy(schema)
    if not isinstance(schema, dict) or (schema.get("type") is None and schema.get("enum") is None):
        return copy
    types = _types(schema)
    keeps_null = "null" in types
    keeps_empty = "string" in types
    properties = schema.get("properties")
    items = schema.get("items")
    children = {key: compile_clean(sub) for key, sub in properties.items()} if isinstance(properties, dict) else None
    item_clean = compile_clean(items) if items is not None else None
    item_copy = compile_copy(items)
    if children is None and item_clean is None:
        return _leaf_clean(keeps_null, keeps_empty)

    def clean(value: Any) -> Any:
        kind = type(value)
        if kind is dict:
            if children is None:
                return value
            out = {}
            for key, v in value.items():
                child = children.get(key)
                if child is not None:
                    v = child(v)
                    if v is REMOVED:
                        continue
                if root and v == "" and type(v) is str:
                    continue
                out[key] = v
            return out
        if kind is list:
            if item_clean is None:
                return value
            return [item_copy(v) for v in value if item_clean(v) is not REMOVED]
        if value is None:
            return value if keeps_null else REMOVED
        if kind is str and value == "" and not keeps_empty:
            return REMOVED
        return value

    return clean


def _leaf_clean(keeps_null: bool, keeps_empty: bool) -> Clean:
    """A node without properties or items: only a null or "" value itself can be dropped."""
    if keeps_null and keeps_empty:
        return lambda value: value

    def clean(value: Any) -> Any:
        if value is None:
            return value if keeps_null else REMOVED
        if not keeps_empty and value == "" and type(value) is str:
            return REMOVED
        return value

    return clean
