"""Directives that reshape values: `@arrayPath`, `@merge`, `@flatten`, `@transform` (spec §1.8).

These inspect the structure of resolved values, so their inputs are resolved in JavaScript form
(`KEEP`: UNDEFINED members kept) and their outputs cleaned only when the caller wants JSON form.
"""

from __future__ import annotations

from typing import Any

from sfmc_actions.errors import MappingError
from sfmc_actions.js.operators import array_members, clean_missing, js_truthy, js_typeof, real_type_of
from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.js.values import is_array_index, js_key_order, to_utf16_units
from sfmc_actions.route.mapping.registry import KEEP, Compiler, Mode, Resolver, directive, raises
from sfmc_actions.route.mapping.resolve import compile_getter, strip_dollar_dot


def is_runtime_directive(value: Any) -> bool:
    """Segment's `isDirective`: an object with an `@` key and no other keys but `_metadata`."""
    if type(value) is not dict:
        return False
    has_directive = False
    for key in value:
        if key[:1] == "@":
            has_directive = True
        elif key != "_metadata":
            return False
    return has_directive


@directive("@arrayPath")
def compile_array_path(options: Any, mode: Mode, compile: Compiler) -> Resolver:
    if type(options) is not list:
        return raises(f"@arrayPath expected array, got {real_type_of(options)}")
    path = options[0] if options else UNDEFINED
    shape = options[1] if len(options) > 1 else UNDEFINED
    if type(path) is str:
        root_of = compile_getter(strip_dollar_dot(path))
        root_clean = mode.payload_clean
    else:
        root_of = compile(path, KEEP)
        root_clean = False

    if not (type(shape) is dict and shape):
        if mode.clean and not root_clean:
            return lambda payload: clean_missing(root_of(payload))
        return root_of

    # Each element becomes the payload of the item shape: the event itself is out of reach.
    item = compile(shape, Mode(clean=mode.clean, payload_clean=root_clean))
    fill_holes = mode.clean and is_runtime_directive(shape)

    def array_path(payload: Any) -> Any:
        root = root_of(payload)
        kind = type(root)
        if kind is dict:
            items = [item(root)]
        elif kind is list:
            items = [item(element) for element in root]
        else:
            return root
        if fill_holes:
            return [None if v is UNDEFINED else v for v in items]
        return items

    return array_path


def _assign(target: dict[str, Any], source: Any) -> None:
    # Object.assign: null/undefined/numbers/booleans add nothing; strings add their characters.
    kind = type(source)
    if kind is dict:
        target.update(source)
    elif kind is list:
        for index, value in enumerate(source):
            target[str(index)] = value
        target.update(array_members(source))
    elif kind is str:
        for index, unit in enumerate(to_utf16_units(source)):
            target[str(index)] = unit


@directive("@merge")
def compile_merge(options: Any, mode: Mode, compile: Compiler) -> Resolver:
    if type(options) is not dict:
        return raises('@merge requires an object with an "objects" key and a "direction" key')
    if not js_truthy(options.get("direction", UNDEFINED)):
        return raises('@merge requires a "direction" key')
    direction_of = compile(options["direction"], KEEP)
    objects = options.get("objects", UNDEFINED)
    problem = None
    if not js_truthy(objects):
        problem = '@merge requires a "objects" key'
    elif type(objects) is not list:
        problem = f"@merge: expected opts.array, got {js_typeof(objects)}"
    entries = [compile(entry, KEEP) for entry in objects] if problem is None else []

    def merge(payload: Any) -> Any:
        direction = direction_of(payload)
        if problem is not None:
            raise MappingError(problem)
        resolved = [entry(payload) for entry in entries]
        if direction == "left":
            resolved.reverse()
        merged: dict[str, Any] = {}
        for source in resolved:
            _assign(merged, source)
        # A member whose value is UNDEFINED still overwrote an earlier one (then vanishes).
        return clean_missing(merged) if mode.clean else merged

    return merge


def _flatten_into(out: dict[str, Any], value: Any, prefix: str, separator: str, omit_arrays: bool) -> None:
    kind = type(value)
    if kind is dict:
        items: Any = ((key, value[key]) for key in js_key_order(list(value)))
    elif kind is list and not omit_arrays:
        items = [*((str(index), item) for index, item in enumerate(value)), *array_members(value).items()]
    else:
        out[prefix] = value
        return
    for key, item in items:
        _flatten_into(out, item, f"{prefix}{separator}{key}" if prefix else key, separator, omit_arrays)


@directive("@flatten")
def compile_flatten(options: Any, mode: Mode, compile: Compiler) -> Resolver:
    if type(options) is not dict:
        return raises('@flatten requires an object with a "separator" key')
    if not js_truthy(options.get("separator", UNDEFINED)):
        return raises('@flatten requires a "separator" key')
    separator_of = compile(options["separator"], KEEP)
    value_of = compile(options.get("value", UNDEFINED), KEEP)
    omit_arrays = js_truthy(options.get("omitArrays", UNDEFINED))

    def flatten(payload: Any) -> Any:
        separator = separator_of(payload)
        if type(separator) is not str:
            raise MappingError("@flatten requires a string separator")
        flat: dict[str, Any] = {}
        _flatten_into(flat, value_of(payload), "", separator, omit_arrays)
        if any(is_array_index(key) for key in flat):
            flat = {key: flat[key] for key in js_key_order(list(flat))}  # JS object key order
        return clean_missing(flat) if mode.clean else flat

    return flatten


@directive("@transform")
def compile_transform(options: Any, mode: Mode, compile: Compiler) -> Resolver:
    if type(options) is not dict:
        return raises('@transform requires an object with an "apply" key and a "mapping" key')
    if not js_truthy(options.get("mapping", UNDEFINED)):
        return raises('@transform requires a "mapping" key')
    if not js_truthy(options.get("apply", UNDEFINED)):
        return raises('@transform requires a "apply" key')
    if type(options["apply"]) is not dict:
        return raises('@transform "apply" key should be an object')
    apply = compile.transform(options["apply"])
    # The mapping runs on apply's result, which may hold UNDEFINED array elements.
    mapping = compile(options["mapping"], Mode(clean=mode.clean, payload_clean=False))
    return lambda payload: mapping(apply(payload))
