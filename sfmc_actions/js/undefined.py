"""JavaScript `undefined`: the one sentinel for "no value", distinct from JSON `null` (Python `None`).

Mapping-kit produces it (a `@path` that finds nothing; a mapping whose root directive finds nothing resolves to
it as a whole) and Ajv reads it (ajv-human-errors names its type "undefined"). One object for both, so a value
the mapping leaves undefined reaches payload validation as the very thing the validator means by undefined:
Segment says "The root value must be an object but it was undefined." for such a mapping, and so do we
(tests/unit/route/test_router.py). Object members holding it are dropped from mapping results; array elements
holding it become null.
"""

from __future__ import annotations

from typing import Any, Final, final


@final
class _Undefined:
    _instance: _Undefined | None = None
    __slots__ = ()

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False  # falsy, as in JavaScript

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __reduce__(self) -> str:
        return "UNDEFINED"  # pickles (and copies) as the module-level singleton


UNDEFINED: Final[Any] = _Undefined()


def is_undefined(value: Any) -> bool:
    """Whether `value` is UNDEFINED (JavaScript `undefined`)."""
    return value is UNDEFINED
