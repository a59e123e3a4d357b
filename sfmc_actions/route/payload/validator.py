"""`PayloadSchema`: an action's fields, compiled once, validating mapped payloads as Segment does.

Per payload, in Segment's order (actions-core Action.execute / executeBatch, schema-validation.ts):
1. removeEmptyValues (root-level "" too in single-event mode only);
2. arrifyFields: a top-level `multiple` field holding one value gets it wrapped in an array;
3. Ajv validation with coercion and removal of undeclared keys (compiler.py);
4. `dynamicAuthSettings` is put back even though it is not a declared field;
5. any error -> PayloadValidationError with ajv-human-errors' message.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

import orjson

from sfmc_actions.errors import PayloadValidationError
from sfmc_actions.js.equality import UNDEFINED
from sfmc_actions.route.payload.cleanup import REMOVED, Clean, compile_clean, compile_copy
from sfmc_actions.route.payload.compiler import compile_schema, property_checks
from sfmc_actions.route.payload.fields import Schema, fields_to_json_schema
from sfmc_actions.route.payload.messages import SchemaError, aggregate_message

_EXEMPT = "dynamicAuthSettings"  # Action.execute passes `exempt: ['dynamicAuthSettings']`


class PayloadSchema:
    """The validator of one action's fields. Build with `from_fields`; `validate` is thread-safe."""

    __slots__ = ("_array_keys", "_check", "_clean_batch", "_clean_single", "_fast", "json_schema")

    def __init__(self, json_schema: Schema, *, single_pass: bool = True) -> None:
        """Compile a JSON Schema as `fields_to_json_schema` builds it (prefer `from_fields`).

        `single_pass=False` keeps every payload on the step-by-step path (clean, arrify, check),
        which the single pass must always agree with; tests run both.
        """
        self.json_schema = json_schema
        self._check = compile_schema(json_schema)
        self._clean_single = compile_clean(json_schema, root=True)
        self._clean_batch = compile_clean(json_schema)
        properties: dict[str, Any] = json_schema.get("properties") or {}
        # arrifyFields wraps the value as it is (removeEmptyValues leaves a non-array alone under an
        # array schema), so the wrapped value is copied along the items schema before Ajv changes it.
        self._array_keys = tuple(
            (key, compile_copy(sub.get("items"))) for key, sub in properties.items() if sub.get("type") == "array"
        )
        self._fast = _RootPass.build(json_schema, self._array_keys) if single_pass else None

    @classmethod
    def from_fields(cls, fields: dict[str, dict[str, Any]]) -> PayloadSchema:
        """Compile an action's field definitions (Segment's shape: label, type, required, multiple, ...).

        Raises ValueError for definitions Segment's validator would also refuse to compile (an
        unknown `format`, an unsupported condition operator). Results are cached by content.
        """
        try:
            key = orjson.dumps(fields)
        except TypeError:  # not plain JSON (say, a set in a choices list): compile without caching
            return cls(fields_to_json_schema(fields))
        return _compiled(key)

    def validate(self, payload: object, mode: Literal["single", "batch"] = "single") -> object:
        """The cleaned, coerced payload (a new object; the input is never changed).

        `mode` is "single" for one event (Segment's perform) or "batch" (performBatch): only single
        mode strips root-level "" values. Raises PayloadValidationError with Segment's message.
        Free-form object values (fields without `properties`) are shared with the input, not copied.
        """
        if self._fast is not None and type(payload) is dict and (mode == "single" or mode == "batch"):
            return self._fast.run(payload, mode == "single")
        if mode == "single":
            data = self._clean_single(payload)
        elif mode == "batch":
            data = self._clean_batch(payload)
        else:
            raise ValueError(f'mode must be "single" or "batch", not {mode!r}')
        exempt = UNDEFINED
        if type(data) is dict:
            exempt = data.get(_EXEMPT, UNDEFINED)  # validateSchema copies it before arrifyFields
            for key, copy in self._array_keys:
                value = data.get(key)
                if value is not None and type(value) is not list:
                    data[key] = [copy(value)]
        elif data is REMOVED:
            data = UNDEFINED
        errors: list[SchemaError] = []
        result = self._check(data, "", errors)
        if exempt is not UNDEFINED:
            result[_EXEMPT] = exempt
        if errors:
            raise PayloadValidationError(aggregate_message(errors))
        return result


class _RootPass:
    """The common case in one pass over the payload's keys: an object payload and fields without
    conditional requirements. Same result as clean -> arrify -> check, which stays the reference
    (and the path for everything else); the two are compared on every oracle case in the tests.
    Undeclared keys can be dropped while cleaning because `required` only looks at declared keys.
    """

    __slots__ = ("array_keys", "children", "cleans", "required", "schema")

    def __init__(self, schema: Schema, array_keys: tuple[tuple[str, Clean], ...]) -> None:
        properties: dict[str, Any] = schema["properties"]
        self.schema = schema
        self.cleans = {key: compile_clean(sub) for key, sub in properties.items()}
        self.children = property_checks(properties)
        self.required = tuple(schema.get("required") or ())
        self.array_keys = array_keys

    @classmethod
    def build(cls, schema: Schema, array_keys: tuple[tuple[str, Clean], ...]) -> _RootPass | None:
        plain = set(schema) <= {"type", "additionalProperties", "properties", "required"}
        if plain and schema.get("additionalProperties") is False and isinstance(schema.get("properties"), dict):
            return cls(schema, array_keys)
        return None

    def run(self, payload: dict[str, Any], strip_empty: bool) -> dict[str, Any]:
        cleans = self.cleans
        out: dict[str, Any] = {}
        exempt: Any = UNDEFINED
        for key, value in payload.items():
            clean = cleans.get(key)
            if clean is not None:
                value = clean(value)
                if value is REMOVED:
                    continue
            if strip_empty and value == "" and type(value) is str:
                continue
            if key == _EXEMPT:
                exempt = value
            if clean is not None:
                out[key] = value
        for key, copy in self.array_keys:
            value = out.get(key)
            if value is not None and type(value) is not list:
                out[key] = [copy(value)]
        errors: list[SchemaError] = []
        for key in self.required:
            if key not in out:
                errors.append(SchemaError("required", "", self.schema, out, key))
        for key, pointer, check in self.children:
            if key in out:
                out[key] = check(out[key], pointer, errors)
        if exempt is not UNDEFINED:
            out[_EXEMPT] = exempt
        if errors:
            raise PayloadValidationError(aggregate_message(errors))
        return out


@functools.lru_cache(maxsize=256)
def _compiled(fields_json: bytes) -> PayloadSchema:
    """`from_fields`' cache, keyed by the fields' JSON (thread-safe; field order is part of the key)."""
    return PayloadSchema(fields_to_json_schema(orjson.loads(fields_json)))
