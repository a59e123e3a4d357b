"""Mapping validation with Segment's exact messages (spec §1.9, mapping-kit `validate.ts`).

The control flow mirrors Segment's: a check that fails stops its directive, while the members of an
object (and the fields of a directive's options) are each checked and their errors collected. So
`{"obj":{...bad...},"hash":{...bad...}}` reports both, `@arrayPath` reports only its first problem,
and directives inside arrays are not looked at (they fail at runtime instead). Messages read
`/<path joined by "/"> <message>.`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn

from sfmc_actions.js.operators import real_type_of
from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.js.values import js_key_order, utf16_len

Stack = tuple[str, ...]
Check = Callable[[Any, Stack], None]

MAX_PATTERN_LENGTH = 10
MAX_REPLACEMENT_LENGTH = 10


class Invalid(Exception):
    """One or more validation messages (Segment's ValidationError / AggregateError)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


def _fail(message: str, stack: Stack) -> NoReturn:
    raise Invalid([f"/{'/'.join(stack)} {message}."])


def _article(word: str) -> str:
    return "an" if word[:1] in ("a", "e", "i", "o", "u") else "a"


def _type_or_directive(value: Any) -> str:
    if isinstance(value, dict) and any(str(k).startswith("@") for k in value):
        return "directive"
    return real_type_of(value)


def _it_is(kind: str) -> str:
    return f"{_article(kind)} {kind}"


def validate_directive(obj: Any, stack: Stack) -> None:
    if not isinstance(obj, dict):
        kind = real_type_of(obj)
        _fail(f"should be a directive object but it is {_it_is(kind)}", stack)
    keys = list(obj)
    directive_keys = [k for k in keys if k.startswith("@")]
    if len(directive_keys) > 1:
        _fail(f"should only have one @-prefixed key but it has {len(directive_keys)} keys", stack)
    if any(not k.startswith("@") and k != "_metadata" for k in keys):
        _fail(f"should only have one @-prefixed key but it has {len(keys)} keys", stack)
    name = directive_keys[0]
    check = _DIRECTIVES.get(name)
    if check is None:
        _fail(f"has an invalid directive: {name}", stack)
    check(obj[name], (*stack, name))


def _directive_or_raw(value: Any, stack: Stack) -> None:
    kind = _type_or_directive(value)
    if kind == "directive":
        validate_directive(value, stack)
    elif kind not in ("object", "array", "boolean", "string", "number", "null"):
        _fail(f"should be a mapping directive or a JSON value but it is {_it_is(kind)}", stack)


def _directive_or_string(value: Any, stack: Stack) -> None:
    kind = _type_or_directive(value)
    if kind == "directive":
        validate_directive(value, stack)
    elif kind != "string":
        _fail(f"should be a string or a mapping directive but it is {_it_is(kind)}", stack)


def _directive_or_object(value: Any, stack: Stack) -> None:
    kind = _type_or_directive(value)
    if kind == "directive":
        validate_directive(value, stack)
    elif kind == "object":
        _object(value, stack)
    else:
        _fail(f"should be a object or a mapping directive but it is {_it_is(kind)}", stack)


def _string(value: Any, stack: Stack) -> None:
    kind = _type_or_directive(value)
    if kind != "string":
        _fail(f"should be a string but it is {_it_is(kind)}", stack)


def _string_length(low: int, high: int) -> Check:
    def check(value: Any, stack: Stack) -> None:
        if isinstance(value, str) and utf16_len(value) < low:
            _fail(f"should be a string of length {low} or greater", stack)
        if isinstance(value, str) and utf16_len(value) > high:
            _fail(f"should be a string of length {high} or less", stack)

    return check


def _chain(*checks: Check) -> Check:
    def check(value: Any, stack: Stack) -> None:
        for one in checks:
            one(value, stack)

    return check


def _allowed_strings(*allowed: str) -> Check:
    def check(value: Any, stack: Stack) -> None:
        _string(value, stack)
        if value.lower() not in allowed:
            shown = json.dumps(value, ensure_ascii=False)
            _fail(f"should be one of {', '.join(allowed)} but it is {shown}", stack)

    return check


def _boolean(value: Any, stack: Stack) -> None:
    kind = _type_or_directive(value)
    if kind != "boolean":
        _fail(f"should be a boolean but it is {_it_is(kind)}", stack)


def _object(value: Any, stack: Stack) -> None:
    kind = _type_or_directive(value)
    if kind != "object":
        _fail(f"should be an object but it is {_it_is(kind)}", stack)
    keys = js_key_order(list(value))
    directive_key = next((k for k in keys if k[:1] == "@"), None)
    if directive_key is not None:
        shown = json.dumps(directive_key, ensure_ascii=False)
        _fail(f"shouldn't have directive (@-prefixed) keys but it has {shown}", stack)
    messages: list[str] = []
    for key in keys:
        try:
            validate(value[key], (*stack, key))
        except Invalid as e:
            messages.extend(e.messages)
    if messages:
        raise Invalid(messages)


Fields = dict[str, tuple[bool, Check]]  # field -> (required, check)


def _object_with_fields(value: Any, fields: Fields, stack: Stack) -> None:
    _object(value, stack)
    messages: list[str] = []
    for prop, (required, check) in fields.items():
        try:
            if prop not in value:
                if required:
                    _fail(f"should have field {json.dumps(prop)} but it doesn't", stack)
                continue
            check(value[prop], (*stack, prop))
        except Invalid as e:
            messages.extend(e.messages)
    if messages:
        raise Invalid(messages)


def _array(value: Any, stack: Stack) -> None:
    kind = real_type_of(value)
    if kind != "array":
        _fail(f"should be an array but it is {_it_is(kind)}", stack)


def _fields(spec: Fields) -> Check:
    return lambda value, stack: _object_with_fields(value, spec, stack)


def _array_path(value: Any, stack: Stack) -> None:
    _array(value, stack)
    _directive_or_string(value[0] if value else UNDEFINED, stack)
    validate(value[1] if len(value) > 1 else UNDEFINED, stack)


def _merge(value: Any, stack: Stack) -> None:
    _object_with_fields(
        value,
        {"direction": (False, _allowed_strings("left", "right")), "objects": (True, _array)},
        stack,
    )
    # Segment validates the entries without passing the stack: their messages start at "/".
    for entry in value["objects"]:
        _directive_or_object(entry, ())


_DIRECTIVES: dict[str, Check] = {
    "@if": _fields(
        {"exists": (False, _directive_or_raw), "then": (False, _directive_or_raw), "else": (False, _directive_or_raw)}
    ),
    "@case": _fields({"operator": (False, _string), "value": (False, _directive_or_string)}),
    "@replace": _fields(
        {
            "pattern": (True, _chain(_string, _string_length(1, MAX_PATTERN_LENGTH))),
            "replacement": (False, _chain(_string, _string_length(0, MAX_REPLACEMENT_LENGTH))),
            "value": (True, _directive_or_string),
            "ignorecase": (False, _boolean),
            "global": (False, _boolean),
        }
    ),
    "@arrayPath": _array_path,
    "@path": _directive_or_string,
    "@json": _fields({"value": (True, _directive_or_raw), "mode": (True, _allowed_strings("encode", "decode"))}),
    "@flatten": _fields({"separator": (False, _string), "value": (True, _directive_or_raw)}),
    "@merge": _merge,
    "@template": _directive_or_string,
    "@literal": _directive_or_raw,
    "@transform": _fields({"apply": (True, _directive_or_object), "mapping": (True, _directive_or_object)}),
    "@excludeWhenNull": _directive_or_raw,
    "@liquid": _string,
}


def validate(mapping: Any, stack: Stack = ()) -> None:
    """Segment's `validate(mapping)`: raises `Invalid` with every message found."""
    kind = _type_or_directive(mapping)
    if kind == "directive":
        validate_directive(mapping, stack)
    elif kind == "object":
        _object(mapping, stack)
    elif kind == "array":
        _array(mapping, stack)


def validation_errors(mapping: Any) -> list[str]:
    """Every message `validate(mapping)` reports; `[]` when the mapping is valid."""
    try:
        validate(mapping)
    except Invalid as e:
        return e.messages
    except RecursionError:
        return ["/ is nested too deeply."]
    return []
