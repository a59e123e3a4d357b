"""Compile a mapping once into a tree of closures; resolve events with no re-validation.

Segment's `transform(mapping, data)` (mapping-kit `index.ts`) re-validates and re-walks the mapping
for every event. Here the same steps (root-directive hook, `{...mapping}` spread, validation)
run once in `compile_mapping`; the result is a function per node, with UNDEFINED removed while
objects are built (see `registry.Mode`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

import orjson

from sfmc_actions.errors import MappingError
from sfmc_actions.js.operators import array_members_scope, clean_missing, js_truthy, real_type_of, remove_undefined
from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.js.values import js_key_order, to_utf16_units, utf16_len
from sfmc_actions.route.mapping import directives, liquid, replace, structural  # noqa: F401  (registers them)
from sfmc_actions.route.mapping.liquid import copy_event, writes_to_event
from sfmc_actions.route.mapping.registry import CLEAN, DIRECTIVES, KEEP, Mode, Resolver, constant, raises
from sfmc_actions.route.mapping.structural import is_runtime_directive
from sfmc_actions.route.mapping.validate import validation_errors
from sfmc_actions.route.mapping.wellformed import json_problems, plain_json

ROOT_MAPPING_FIELD_KEY = "__segment_internal_directive"
_NULL_TO_OBJECT = "Cannot convert undefined or null to object"  # the TypeError Node throws


def _spread(mapping: Any) -> Any:
    # `{ ...mapping }`: arrays and strings become index-keyed objects, other scalars `{}`.
    if type(mapping) is dict:
        return mapping
    if type(mapping) is list:
        return {str(i): v for i, v in enumerate(mapping)}
    if type(mapping) is str:
        return {str(i): unit for i, unit in enumerate(to_utf16_units(mapping))}
    return {}


def _keys(value: Any) -> list[str]:
    """`Object.keys(value)`."""
    if value is None or value is UNDEFINED:
        raise MappingError(_NULL_TO_OBJECT)
    if type(value) is dict:
        return js_key_order(list(value))
    if type(value) is list:
        return [str(i) for i in range(len(value))]
    if type(value) is str:
        return [str(i) for i in range(utf16_len(value))]
    return []


def _apply_root_directive(mapping: dict[str, Any]) -> Any:
    """Segment's `getMappingToProcess`: the root directive receives the other keys as `mapping`."""
    customer = {k: v for k, v in mapping.items() if k != ROOT_MAPPING_FIELD_KEY}
    root = mapping[ROOT_MAPPING_FIELD_KEY]
    keys = _keys(root)
    if len(keys) > 1:
        raise MappingError("The root mapping must only have a single directive object")
    first = keys[0] if keys else None
    if first is None:
        directive: Any = UNDEFINED
    elif type(root) is str:
        directive = to_utf16_units(root)[int(first)]
    else:
        directive = root[first] if type(root) is dict else root[int(first)]
    if not js_truthy(directive) or type(directive) not in (dict, list):
        raise MappingError("The root directive must be an object")
    if type(directive) is list:
        return root  # JS sets a property on the array, which neither validation nor resolution sees
    with_mapping = {**directive, "mapping": customer}
    if type(root) is dict:
        return {**root, first: with_mapping}
    return [with_mapping if i == 0 else v for i, v in enumerate(root)]


def prepare_mapping(mapping: Any) -> Any:
    """What `transform` resolves: hook applied, spread, validated. Raises MappingError if invalid."""
    problems = json_problems(mapping)
    if problems:
        raise _invalid(problems)
    mapping = plain_json(mapping)  # dict/list subclasses (e.g. from a YAML loader) become dict/list
    if mapping is None or mapping is UNDEFINED:
        raise MappingError(_NULL_TO_OBJECT)
    prepared = _spread(mapping)
    if type(mapping) is dict and ROOT_MAPPING_FIELD_KEY in mapping:
        prepared = _apply_root_directive(mapping)
    errors = validation_errors(prepared)
    if errors:
        raise _invalid(errors)
    return prepared


def _invalid(errors: list[str]) -> MappingError:
    if len(errors) == 1:
        return MappingError(f"invalid mapping: {errors[0]}", errors=errors)
    listing = "\n".join(f"  {e}" for e in errors)
    return MappingError(f"invalid mapping ({len(errors)} problems):\n{listing}", errors=errors)


class _Compiler:
    """Turns mapping nodes into resolvers (implements `registry.Compiler`)."""

    def __call__(self, node: Any, mode: Mode) -> Resolver:
        kind = type(node)
        if kind is dict:
            if is_runtime_directive(node):
                name = next(k for k in node if k[:1] == "@")
                compile_directive = DIRECTIVES.get(name)
                if compile_directive is None:
                    return raises(f"{name} is not a valid directive, got undefined")
                return compile_directive(node[name], mode, self)
            return self._object(node, mode)
        if kind is list:
            return self._array(node, mode)
        return constant(node)

    def transform(self, mapping: Any) -> Resolver:
        try:
            resolve = self(prepare_mapping(mapping), KEEP)
            error: MappingError | None = None
        except MappingError as e:
            error = e

        def nested_transform(payload: Any) -> Any:
            if payload is UNDEFINED:
                payload = {}
            elif type(payload) is not dict:
                raise MappingError(f"data must be an object, got {real_type_of(payload)}")
            if error is not None:
                raise MappingError(str(error), errors=error.errors)
            return remove_undefined(resolve(payload))

        return nested_transform

    def _object(self, node: dict[str, Any], mode: Mode) -> Resolver:
        template: dict[str, Any] = {}
        dynamic: list[tuple[str, Resolver]] = []
        for key in js_key_order(list(node)):
            value = node[key]
            template[key] = value if type(value) not in (dict, list) else None
            if type(value) in (dict, list):
                dynamic.append((key, self(value, mode)))
        members = tuple(dynamic)
        if not members:
            return lambda payload: template.copy()
        if not mode.clean:

            def build_keeping_missing(payload: Any) -> Any:
                out = template.copy()
                for key, resolve in members:
                    out[key] = resolve(payload)
                return out

            return build_keeping_missing

        def build(payload: Any) -> Any:
            out = template.copy()
            for key, resolve in members:
                value = resolve(payload)
                if value is UNDEFINED:
                    del out[key]
                else:
                    out[key] = value
            return out

        return build

    def _array(self, node: list[Any], mode: Mode) -> Resolver:
        elements = tuple(self(value, mode) for value in node)
        if not mode.clean:
            return lambda payload: [resolve(payload) for resolve in elements]

        def build_array(payload: Any) -> Any:
            out = [resolve(payload) for resolve in elements]
            return [None if v is UNDEFINED else v for v in out] if UNDEFINED in out else out

        return build_array


_COMPILER = _Compiler()


class CompiledMapping:
    """A validated, compiled mapping. `resolve` is safe to call from many threads."""

    __slots__ = ("_copy_event", "_resolve", "mapping")

    def __init__(self, mapping: Any) -> None:
        self.mapping = mapping
        # Liquid's increment/decrement write into the event, as in Segment. Such a mapping resolves on a copy
        # of the event, in JavaScript form, and is cleaned at the end (Segment's removeUndefined): a value a
        # field took by reference then shows what a later template wrote, as in Segment.
        try:
            prepared = prepare_mapping(mapping)
            self._copy_event = writes_to_event(prepared)
            self._resolve = _COMPILER(prepared, KEEP if self._copy_event else CLEAN)
        except RecursionError:
            raise _invalid(["/ is nested too deeply."]) from None

    def resolve(self, event: Any) -> Any:
        """The mapped value for one event (UNDEFINED only if the whole mapping yields nothing)."""
        if type(event) is not dict:
            if event is UNDEFINED:
                event = {}
            elif not isinstance(event, dict):
                raise MappingError(f"data must be an object, got {real_type_of(event)}")
        try:
            if self._copy_event:
                return self._resolve_copy(event)
            return self._resolve(event)
        except RecursionError:
            raise MappingError("the mapping result is nested too deeply") from None

    def _resolve_copy(self, event: Any) -> Any:
        with array_members_scope():
            return clean_missing(self._resolve(copy_event(event)))

    def resolve_batch(self, events: Iterable[Any]) -> list[Any]:
        """Segment's `transformBatch`: one result per event; any failure aborts the whole batch."""
        if type(events) is not list:
            raise MappingError(f"data must be an array, got {real_type_of(events)}")
        resolve = self._resolve_copy if self._copy_event else self._resolve
        try:
            return [resolve(event) for event in events]
        except RecursionError:
            raise MappingError("the mapping result is nested too deeply") from None

    def __repr__(self) -> str:
        return f"CompiledMapping({self.mapping!r})"


_CACHE: dict[bytes, CompiledMapping] = {}
_CACHE_SIZE = 512


def compile_mapping(mapping: Any) -> CompiledMapping:
    """Validate and compile `mapping` once; repeat calls with an equal mapping hit a cache."""
    try:
        key = orjson.dumps(mapping)  # keeps key order, which decides the output's key order
    except TypeError:
        return CompiledMapping(mapping)  # not JSON: compiling reports where and why
    compiled = _CACHE.get(key)
    # orjson writes NaN and Infinity as null, so a key with a null needs an exact comparison.
    if compiled is None or (b"null" in key and compiled.mapping != mapping):
        compiled = CompiledMapping(mapping)
        if len(_CACHE) >= _CACHE_SIZE:
            with contextlib.suppress(RuntimeError, StopIteration):  # another thread may evict too
                _CACHE.pop(next(iter(_CACHE)), None)
        _CACHE[key] = compiled
    return compiled


def validate_mapping(mapping: Any) -> list[str]:
    """Every error `compile_mapping` would report, in Segment's words; `[]` when valid."""
    try:
        prepare_mapping(mapping)
    except MappingError as e:
        return list(e.errors)
    except RecursionError:
        return ["/ is nested too deeply."]
    return []
