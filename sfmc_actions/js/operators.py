"""JavaScript value semantics that only Segment's mapping-kit relies on, for JSON-shaped Python values.

Segment's mapping-kit is TypeScript; its results depend on `undefined` (≠ `null`, undefined.py), JS truthiness,
`typeof`-style type names and `String(x)` of arrays (joined with commas). This module adds those to
the rules every stage shares (`sfmc_actions.js.values`: number text, `Number()`, UTF-16, key order),
nothing more (spec §1, §9).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.js.values import js_number_to_string, js_string_to_number
from sfmc_actions.js.values import js_to_number as primitive_to_number
from sfmc_actions.js.values import js_to_string as primitive_to_string


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness: `{}` and `[]` are truthy; `0`, `""`, `null`, UNDEFINED, NaN are not."""
    t = type(value)
    if t is str:
        return value != ""
    if t is bool:
        return value is True
    if t is int:
        return value != 0
    if t is float:
        return value == value and value != 0.0  # NaN is falsy
    return value is not None and value is not UNDEFINED


def real_type_of(value: Any) -> str:
    """Segment's `realTypeOf`: `Object.prototype.toString` lower-cased (`object`, `array`, ...)."""
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__.lower()


def js_typeof(value: Any) -> str:
    """JavaScript `typeof` (objects, arrays and null are all "object")."""
    kind = real_type_of(value)
    return "object" if kind in ("array", "null") else kind


def js_to_number(value: Any) -> float:
    """JavaScript `Number(value)` (`+value`) for JSON values and UNDEFINED: arrays go through `String()`."""
    if type(value) is list:
        return js_string_to_number(js_to_string(value))
    return primitive_to_number(value)  # objects and UNDEFINED are NaN, null is 0


def js_to_string(value: Any) -> str:
    """`String(value)` for JSON values and UNDEFINED: arrays are joined with "," (null and undefined
    elements empty) and objects are "[object Object]"."""
    t = type(value)
    if t is str:
        return value
    if t is float or t is int or t is bool or value is None:
        return primitive_to_string(value)
    if value is UNDEFINED:
        return "undefined"
    if t is list:
        return ",".join("" if v is None or v is UNDEFINED else js_to_string(v) for v in value)
    return "[object Object]"


def template_text(value: Any) -> str:
    """How @template writes a value: `value ?? ""` then `String(...)`."""
    t = type(value)
    if t is str:
        return value
    if value is None or value is UNDEFINED:
        return ""
    if t is float or t is int:
        return js_number_to_string(value)
    return js_to_string(value)


def loosely_equals_empty_string(value: Any) -> bool:
    """JavaScript `value == ''` for a value that is neither null nor undefined (used by `@if blank`)."""
    t = type(value)
    if t is str:
        return value == ""
    if t is bool:
        return value is False
    if t is int or t is float:
        return value == 0
    if t is list:
        return js_to_string(value) == ""
    return False


def clean_missing(value: Any) -> Any:
    """Final JSON form of a value: UNDEFINED members dropped, UNDEFINED array elements become null."""
    t = type(value)
    if t is dict:
        return {k: clean_missing(v) for k, v in value.items() if v is not UNDEFINED}
    if t is list:
        return [None if v is UNDEFINED else clean_missing(v) for v in value]
    return value


def remove_undefined(value: Any) -> Any:
    """Segment's `removeUndefined`: drops UNDEFINED object members, keeps UNDEFINED array elements."""
    t = type(value)
    if t is dict:
        return {k: remove_undefined(v) for k, v in value.items() if v is not UNDEFINED}
    if t is list:
        return [remove_undefined(v) for v in value]
    return value


# Members JavaScript code writes onto an array (Liquid's `{% increment x %}` when an @arrayPath item is an
# array: LiquidJS sets `item.x`), which mapping-kit's get(), Object.assign and Object.entries then see. Python
# lists hold no such members, so they live here for one transform (on its copy of the event), by identity;
# the table keeps each array alive so that no other list takes its id meanwhile.
_ARRAY_MEMBERS: ContextVar[dict[int, tuple[list[Any], dict[str, Any]]] | None] = ContextVar(
    "array_members", default=None
)


@contextmanager
def array_members_scope() -> Iterator[None]:
    """Let code that runs inside write members onto arrays (see `set_array_member`)."""
    token = _ARRAY_MEMBERS.set({})
    try:
        yield
    finally:
        _ARRAY_MEMBERS.reset(token)


def array_members(array: list[Any]) -> dict[str, Any]:
    """The non-index members written onto `array` in this transform (usually none)."""
    table = _ARRAY_MEMBERS.get()
    entry = table.get(id(array)) if table else None
    return entry[1] if entry is not None else {}


def set_array_member(array: list[Any], name: str, value: Any) -> bool:
    """`array[name] = value` for a non-index name; False when no transform keeps such members."""
    table = _ARRAY_MEMBERS.get()
    if table is None:
        return False
    table.setdefault(id(array), (array, {}))[1][name] = value
    return True
