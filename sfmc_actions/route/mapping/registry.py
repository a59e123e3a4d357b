"""The directive registry: each directive is a small compiler from its options to a resolver.

A *resolver* takes the payload and returns the value. Compilers never raise: a directive whose
options are wrong (reachable when validation is skipped, e.g. inside arrays) compiles to a resolver
that raises Segment's runtime message when, and only when, Segment would run it.

`Mode` says what form the result must take, so UNDEFINED is removed while objects are built instead
of by a second walk:
* `clean=True`: the final JSON form: no UNDEFINED inside containers (array holes become `None`).
  The value itself may be UNDEFINED; the enclosing object then drops the key.
* `clean=False`: JavaScript form: objects keep UNDEFINED members and arrays keep UNDEFINED elements.
  Used for values a directive inspects (`@merge` overwrites with UNDEFINED, `@flatten` turns array
  holes into missing keys, `@arrayPath` items become payloads, ...).
* `payload_clean`: the payload is known to contain no UNDEFINED (true for the event itself), so a
  value taken from it needs no cleaning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sfmc_actions.errors import MappingError

Resolver = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Mode:
    clean: bool
    payload_clean: bool


CLEAN = Mode(clean=True, payload_clean=True)
KEEP = Mode(clean=False, payload_clean=False)


class Compiler(Protocol):
    """What a directive compiler may compile its sub-values with."""

    def __call__(self, node: Any, mode: Mode) -> Resolver:
        """Compile a nested mapping value (raw value, object, array or directive)."""
        ...

    def transform(self, mapping: Any) -> Resolver:
        """Segment's full `transform(mapping, payload)` (root hook, validation, UNDEFINED removal)."""
        ...


DirectiveCompiler = Callable[[Any, Mode, Compiler], Resolver]

DIRECTIVES: dict[str, DirectiveCompiler] = {}


def directive(name: str) -> Callable[[DirectiveCompiler], DirectiveCompiler]:
    """Register the compiler of directive `name`."""

    def register(fn: DirectiveCompiler) -> DirectiveCompiler:
        DIRECTIVES[name] = fn
        return fn

    return register


def raises(message: str) -> Resolver:
    """A resolver that fails the way Segment's runtime does, with its message."""

    def fail(payload: Any) -> Any:
        raise MappingError(message)

    return fail


def constant(value: Any) -> Resolver:
    """A resolver for a raw scalar value."""
    return lambda payload: value
