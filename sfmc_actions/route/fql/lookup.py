"""Field lookup for properties/traits/context paths, as destination-subscriptions' `get()` does it.

    get(object, path) = path.match(/[^[.\\]]+/g).reduce((o, key) => o && o[key], object)

So (segment-runtime.md §2.4):

* the path splits on `.`, `[` and `]`; quotes are not special;
* a JS-falsy value met part-way (0, "", false, null, missing) is itself the result: `properties.a.b = 0`
  matches `{"a": 0}`;
* `o[key]` is JavaScript member access: arrays and strings have `length` and decimal indexes (UTF-16
  units for strings), and every object, array, string, number and `true` has its prototype's
  members. A member such as `constructor` "exists" (it is a function); we return `BUILTIN` for it.
  Going further into a builtin (`constructor.name`) gives missing here; JavaScript would look into the
  function object. That is the one place where we do not follow JavaScript.
* a path with no segment at all (`.`) makes Segment's runtime throw: `PathError`.

Missing and null behave the same in every FQL operator, so missing is returned as None.
"""

from __future__ import annotations

import re
from typing import Any, Final, final

from sfmc_actions.js.values import to_utf16_units, utf16_len


@final
class _Builtin:
    """A JavaScript prototype member (a function): present, truthy, and neither text, number nor boolean."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "BUILTIN"


BUILTIN: Final = _Builtin()


class PathError(Exception):
    """Segment's `get()` throws for a path without segments (TypeError: null.reduce)."""


_OBJECT: Final = frozenset(
    "constructor __defineGetter__ __defineSetter__ hasOwnProperty __lookupGetter__ __lookupSetter__ "  # noqa: SIM905 (a word list reads better)
    "isPrototypeOf propertyIsEnumerable toString valueOf __proto__ toLocaleString".split()
)
OBJECT_MEMBERS: Final = _OBJECT
ARRAY_MEMBERS: Final = _OBJECT | frozenset(
    "at concat copyWithin fill find findIndex findLast findLastIndex lastIndexOf pop push reverse shift "  # noqa: SIM905 (a word list reads better)
    "unshift slice sort splice includes indexOf join keys entries values forEach filter flat flatMap map every "
    "some reduce reduceRight toReversed toSorted toSpliced with".split()
)
STRING_MEMBERS: Final = _OBJECT | frozenset(
    "anchor at big blink bold charAt charCodeAt codePointAt concat endsWith fontcolor fontsize fixed includes "  # noqa: SIM905 (a word list reads better)
    "indexOf isWellFormed italics lastIndexOf link localeCompare match matchAll normalize padEnd padStart "
    "repeat replace replaceAll search slice small split strike sub substr substring sup startsWith "
    "toWellFormed trim trimStart trimLeft trimEnd trimRight toLocaleLowerCase toLocaleUpperCase toLowerCase "
    "toUpperCase".split()
)
NUMBER_MEMBERS: Final = _OBJECT | frozenset({"toExponential", "toFixed", "toPrecision"})
BOOLEAN_MEMBERS: Final = _OBJECT
_SEGMENT: Final = re.compile(r"[^\[.\]]+")


def path_segments(path: str) -> tuple[str, ...]:
    return tuple(_SEGMENT.findall(path))


def js_falsy(value: object) -> bool:
    """JavaScript falsiness for JSON values: `{}` and `[]` are truthy, unlike in Python."""
    if value is None or value is False or value == "":
        return True
    kind = type(value)
    return (kind is int or kind is float) and (value == 0 or value != value)


def _index(key: str) -> int | None:
    """The array index a property key names: canonical decimal only ("01" and "-0" are not indexes)."""
    if key.isdigit() and key.isascii() and (key == "0" or key[0] != "0"):
        return int(key)
    return None


def member(value: Any, key: str) -> Any:
    """JavaScript `value[key]` for a JS-truthy JSON value; None where JavaScript gives undefined."""
    kind = type(value)
    if kind is dict:
        found = value.get(key, BUILTIN)
        if found is BUILTIN:
            return BUILTIN if key in _OBJECT else None
        return found
    if kind is list:
        if key == "length":
            return len(value)
        index = _index(key)
        if index is not None:
            return value[index] if index < len(value) else None
        return BUILTIN if key in ARRAY_MEMBERS else None
    if kind is str:
        if key == "length":
            return utf16_len(value)
        index = _index(key)
        if index is not None:
            units = to_utf16_units(value)
            return units[index] if index < len(units) else None
        return BUILTIN if key in STRING_MEMBERS else None
    if kind is bool:
        return BUILTIN if key in BOOLEAN_MEMBERS else None
    if kind is int or kind is float:
        return BUILTIN if key in NUMBER_MEMBERS else None
    return None


def walk(value: Any, segments: tuple[str, ...]) -> Any:
    """`segments.reduce((o, key) => o && o[key], value)`."""
    for key in segments:
        if type(value) is dict and key not in _OBJECT:
            value = value.get(key)
        elif js_falsy(value):
            return value
        else:
            value = member(value, key)
    return value
