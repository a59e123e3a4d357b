"""JSON Schema -> validating closures with Ajv 8's semantics, as Segment configures it
(`coerceTypes: "array"`, `removeAdditional: true`, `allErrors: true`, strict numbers).

A compiled node is `check(data, path, errors) -> value`: it validates `data` (the value at JSON
pointer `path`), appends a `SchemaError` per failure, and returns the value the parent must store
(the coerced value, or `data` itself). Containers it receives are owned by the validator (see
`cleanup.py`), so keywords change them in place exactly where Ajv does: coercion of a property or an
array item, and removal of undeclared properties.

Keyword order is Ajv's, because it decides the order of the messages: type coercion first, then the
keywords that apply to any type (const, enum, not, anyOf, allOf, if/then/else), then the number,
string, array and object keywords; among object keywords `required` runs before undeclared keys are
removed and before the properties are validated. Only the keywords `fields_to_json_schema` can emit
are supported; anything else is refused when compiling.
"""

from __future__ import annotations

import contextlib
from typing import Any

from sfmc_actions.errors import FieldDefinitionError
from sfmc_actions.js.equality import deep_equal, strict_equal
from sfmc_actions.js.values import js_key_order
from sfmc_actions.route.payload.checks import (
    Check,
    Report,
    Step,
    Stop,
    number_step,
    reject,
    reporter,
    run_silently,
    string_step,
)
from sfmc_actions.route.payload.coercion import COERCIBLE, UNSET, coerce_one, finite, type_test, unwrapped_matches
from sfmc_actions.route.payload.messages import SchemaError

__all__ = ["Check", "Stop", "compile_schema", "property_checks"]

_ANNOTATIONS = frozenset({"title", "description", "default", "$schema", "type", "then", "else"})
_UNTYPED = ("const", "enum", "not", "anyOf", "allOf", "if")
_NUMBER = ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "format")
_STRING = ("maxLength", "minLength", "format")
_ARRAY = ("items",)
_OBJECT = ("required", "additionalProperties", "properties")
_KNOWN = _ANNOTATIONS.union(_UNTYPED, _NUMBER, _STRING, _ARRAY, _OBJECT)


def _present(schema: dict[str, Any], key: str) -> bool:
    return key in schema  # `"const": None` is a real keyword: JSON null


def compile_schema(schema: Any, all_errors: bool = True) -> Check:
    """Compile one schema node. `all_errors=False` compiles a clause that stops at its first error."""
    if schema is True or schema == {}:
        return lambda data, path, errors: data
    if schema is False:
        return reject("false schema", {}, all_errors)
    unknown = sorted(key for key in schema if key not in _KNOWN and schema[key] is not None)
    if unknown:
        raise FieldDefinitionError(f"unsupported JSON Schema keyword(s) {unknown} in {schema!r}")
    for keyword in ("enum", "anyOf", "allOf"):
        if schema.get(keyword) == []:  # Ajv's meta-schema check refuses the schema when compiling
            raise FieldDefinitionError(f"schema is invalid: {keyword} must NOT have fewer than 1 items in {schema!r}")
    raw_type = schema.get("type")
    types: list[str] = [] if raw_type is None else list(raw_type) if isinstance(raw_type, list) else [raw_type]
    for kind in types:
        if kind not in ("string", "number", "integer", "boolean", "null", "object", "array"):
            raise FieldDefinitionError(f"unknown JSON Schema type {kind!r} in {schema!r}")
    coerce_to = [kind for kind in types if kind in COERCIBLE]
    object_rules = any(_present(schema, key) for key in _OBJECT)
    array_rules = _present(schema, "items")
    has_rules = {"object": object_rules, "array": array_rules}
    check_types = bool(types) and not (not coerce_to and len(types) == 1 and has_rules.get(types[0], False))

    report = reporter(all_errors)
    untyped = [_untyped_step(key, schema, all_errors) for key in _UNTYPED if _present(schema, key)]
    number: list[Step] = [
        step for key in _NUMBER if _present(schema, key) if (step := number_step(key, schema, report))
    ]
    string: list[Step] = [
        step for key in _STRING if _present(schema, key) if (step := string_step(key, schema, report))
    ]
    items = compile_schema(schema["items"], all_errors) if array_rules else None
    obj = _object_steps(schema, all_errors, report) if object_rules else []
    object_type_error = not check_types and types == ["object"]
    type_ok = type_test(types)
    type_param = raw_type if isinstance(raw_type, list) else [raw_type]

    def type_error(data: Any, path: str, errors: list[SchemaError]) -> None:
        report(errors, SchemaError("type", path, schema, data, type_param))

    def coerce(data: Any, path: str, errors: list[SchemaError]) -> tuple[Any, Any]:
        """(value for the keywords, value for the parent), as Ajv's coerceData leaves them."""
        if len(data) == 1 if type(data) is list else False:
            data = data[0]  # coerceTypes "array": a one-element array is unwrapped first
            if unwrapped_matches(types, data):
                return data, data
        for kind in coerce_to:
            value = coerce_one(kind, data)
            if value is not UNSET:
                return value, value
        type_error(data, path, errors)
        return data, UNSET

    def check(data: Any, path: str, errors: list[SchemaError]) -> Any:
        stored = data
        if check_types and not type_ok(data):
            if coerce_to:
                data, value = coerce(data, path, errors)
                if value is not UNSET:
                    stored = value
            else:
                type_error(data, path, errors)
        for apply in untyped:
            replaced = apply(data, path, errors)
            if replaced is not data:  # an in-place clause coerced the value itself
                data = stored = replaced
        if number and finite(data):
            for step in number:
                step(data, path, errors)
        if string and type(data) is str:
            for step in string:
                step(data, path, errors)
        if items is not None and type(data) is list:
            for index, item in enumerate(data):
                data[index] = items(item, f"{path}/{index}", errors)
        if type(data) is dict:
            for step in obj:
                step(data, path, errors)
        elif object_type_error:
            type_error(data, path, errors)
        return stored

    if untyped or number or string or items is not None or obj or object_type_error:
        return check
    if not check_types:
        return check
    # A node with only a type: a value that already has it is returned as it is, at once.
    return lambda data, path, errors: data if type_ok(data) else check(data, path, errors)


def _untyped_step(keyword: str, schema: dict[str, Any], all_errors: bool) -> Check:
    """const / enum / not / anyOf / allOf / if: keywords Ajv applies whatever the data's type."""
    report = reporter(all_errors)
    value = schema[keyword]
    if keyword == "const":

        def const(data: Any, path: str, errors: list[SchemaError]) -> Any:
            if not deep_equal(data, value):
                report(errors, SchemaError("const", path, schema, data))
            return data

        return const
    if keyword == "enum":
        allowed = list(value)
        equal = [deep_equal if isinstance(v, dict | list) else strict_equal for v in allowed]
        strings = frozenset(allowed) if all(type(v) is str for v in allowed) else None

        def enum(data: Any, path: str, errors: list[SchemaError]) -> Any:
            if strings is not None:
                ok = type(data) is str and data in strings
            else:
                ok = any(eq(data, v) for eq, v in zip(equal, allowed, strict=True))
            if not ok:
                report(errors, SchemaError("enum", path, schema, data, allowed))
            return data

        return enum
    if keyword == "not":
        clause = compile_schema(value, all_errors=False)

        def negate(data: Any, path: str, errors: list[SchemaError]) -> Any:
            valid, data = run_silently(clause, data, path)
            if valid:
                report(errors, SchemaError("not", path, schema, data))
            return data

        return negate
    if keyword == "anyOf":
        branches = [compile_schema(sub, all_errors) for sub in value]

        def any_of(data: Any, path: str, errors: list[SchemaError]) -> Any:
            start = len(errors)
            for branch in branches:
                before = len(errors)
                with contextlib.suppress(Stop):
                    data = branch(data, path, errors)
                if len(errors) == before:
                    del errors[start:]  # one valid branch: the others' errors are dropped
                    return data
            report(errors, SchemaError("anyOf", path, schema, data))
            return data

        return any_of
    if keyword == "allOf":
        parts = [compile_schema(sub, all_errors) for sub in value]

        def all_of(data: Any, path: str, errors: list[SchemaError]) -> Any:
            for part in parts:
                data = part(data, path, errors)
            return data

        return all_of
    return _if_step(schema, all_errors)


def _if_step(schema: dict[str, Any], all_errors: bool) -> Check:
    """if/then/else. The `if` clause runs without reporting, but its coercions stay, as in Ajv."""
    report = reporter(all_errors)
    condition = compile_schema(schema["if"], all_errors=False)
    branches = {
        name: compile_schema(schema[name], all_errors) if _present(schema, name) else None for name in ("then", "else")
    }
    if branches["then"] is None and branches["else"] is None:
        return lambda data, path, errors: data

    def if_then(data: Any, path: str, errors: list[SchemaError]) -> Any:
        valid, data = run_silently(condition, data, path)
        name = "then" if valid else "else"
        branch = branches[name]
        if branch is None:
            return data
        before = len(errors)
        with contextlib.suppress(Stop):
            data = branch(data, path, errors)
        if len(errors) > before:
            report(errors, SchemaError("if", path, schema, data, name))
        return data

    return if_then


def property_checks(properties: dict[str, Any], all_errors: bool = True) -> list[tuple[str, str, Check]]:
    """(key, JSON pointer suffix, compiled check) per property, in the order Ajv validates them."""
    return [
        (key, "/" + key.replace("~", "~0").replace("/", "~1"), compile_schema(properties[key], all_errors))
        for key in js_key_order(list(properties))
        if key != "__proto__" and properties[key] is not True and properties[key] != {}
    ]


def _object_steps(schema: dict[str, Any], all_errors: bool, report: Report) -> list[Step]:
    steps: list[Step] = []
    required = list(schema.get("required") or [])
    properties: dict[str, Any] = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    if required:

        def require(data: dict[str, Any], path: str, errors: list[SchemaError]) -> None:
            for key in required:
                if key not in data:
                    report(errors, SchemaError("required", path, schema, data, key))

        steps.append(require)
    if extra is False:
        declared = frozenset(key for key in properties if key != "__proto__")

        def remove_additional(data: dict[str, Any], path: str, errors: list[SchemaError]) -> None:
            # removeAdditional: true deletes undeclared keys silently where additionalProperties is false.
            for key in [key for key in data if key not in declared]:
                del data[key]

        steps.append(remove_additional)
    elif extra not in (None, True) and extra != {}:
        raise FieldDefinitionError(f"additionalProperties must be a boolean, not {extra!r}")
    children = property_checks(properties, all_errors)
    if children:

        def validate_properties(data: dict[str, Any], path: str, errors: list[SchemaError]) -> None:
            for key, pointer, child in children:
                if key in data:
                    data[key] = child(data[key], path + pointer, errors)

        steps.append(validate_properties)
    return steps
