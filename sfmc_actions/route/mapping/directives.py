"""The value directives: `@path`, `@template`, `@literal`, `@if`, `@case`, `@json`, `@excludeWhenNull`.

Each compiler mirrors the order of checks in Segment's mapping-kit `index.ts`, because the first
failing check decides the error message (spec §1.3–§1.8). Checks on options "as written" (JS
truthiness of `exists`, `else`, `value`, `mode`, ...) are settled at compile time.
"""

from __future__ import annotations

from typing import Any

from sfmc_actions.errors import MappingError
from sfmc_actions.js.json import js_json_parse, js_json_stringify
from sfmc_actions.js.operators import clean_missing, js_truthy, loosely_equals_empty_string, real_type_of
from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.route.mapping.registry import KEEP, Compiler, Mode, Resolver, constant, directive, raises
from sfmc_actions.route.mapping.resolve import compile_getter, get, strip_dollar_dot
from sfmc_actions.route.mapping.template import compile_template, render


def _string_option(name: str, options: Any, compile: Compiler) -> Resolver:
    """Segment's `registerStringDirective`: the options resolve to the string argument."""
    option = compile(options, KEEP)

    def string_argument(payload: Any) -> str:
        value = option(payload)
        if type(value) is not str:
            raise MappingError(f"{name}: expected string, got {real_type_of(value)}")
        return value

    return string_argument


@directive("@path")
def compile_path(options: Any, mode: Mode, compile: Compiler) -> Resolver:
    needs_cleaning = mode.clean and not mode.payload_clean
    if type(options) is str:
        getter = compile_getter(strip_dollar_dot(options))
        if needs_cleaning:
            return lambda payload: clean_missing(getter(payload))
        return getter
    argument = _string_option("@path", options, compile)

    def path_from_directive(payload: Any) -> Any:
        value = get(payload, strip_dollar_dot(argument(payload)))
        return clean_missing(value) if needs_cleaning else value

    return path_from_directive


@directive("@template")
def compile_template_directive(options: Any, mode: Mode, compile: Compiler) -> Resolver:
    if type(options) is str:
        return compile_template(options)
    argument = _string_option("@template", options, compile)
    return lambda payload: render(argument(payload), payload)


@directive("@literal")
def compile_literal(options: Any, mode: Mode, compile: Compiler) -> Resolver:
    return compile(options, mode)


@directive("@if")
def compile_if(options: Any, mode: Mode, compile: Compiler) -> Resolver:
    if type(options) is not dict:
        return raises('@if requires an object with an "exists" key')
    if not js_truthy(options.get("exists", UNDEFINED)) and not js_truthy(options.get("blank", UNDEFINED)):
        return raises('@if requires an "exists" key or a "blank" key')
    then = compile(options["then"], mode) if "then" in options else constant(UNDEFINED)
    # A JS-falsy `else` as written (0, false, "", null) is never used: the result is UNDEFINED.
    otherwise = compile(options["else"], mode) if js_truthy(options.get("else", UNDEFINED)) else constant(UNDEFINED)

    if "exists" in options:
        exists = compile(options["exists"], KEEP)
        if _same_event_path(options["exists"], options.get("then", UNDEFINED), mode):
            # The UI's "coalesce" shape: `then` repeats the `exists` path, so reuse its value.

            def if_exists_then_it(payload: Any) -> Any:
                value = exists(payload)
                if value is not None and value is not UNDEFINED:
                    return value
                return otherwise(payload)

            return if_exists_then_it

        def if_exists(payload: Any) -> Any:
            value = exists(payload)
            if value is not None and value is not UNDEFINED:
                return then(payload)
            return otherwise(payload)

        return if_exists

    blank = compile(options["blank"], KEEP)

    def if_blank(payload: Any) -> Any:
        value = blank(payload)
        if value is not None and value is not UNDEFINED and not loosely_equals_empty_string(value):
            return then(payload)
        return otherwise(payload)

    return if_blank


def _same_event_path(condition: Any, then: Any, mode: Mode) -> bool:
    # Resolving the same literal @path twice gives the same value; it needs no cleaning when the
    # payload is the (UNDEFINED-free) event or when the caller keeps JavaScript form anyway.
    return (
        type(condition) is dict
        and len(condition) == 1
        and type(condition.get("@path")) is str
        and condition == then
        and (mode.payload_clean or not mode.clean)
    )


@directive("@case")
def compile_case(options: Any, mode: Mode, compile: Compiler) -> Resolver:
    if type(options) is not dict:
        return raises('@case requires an object with a "operator" key')
    operator = options.get("operator", UNDEFINED)
    if not js_truthy(operator):
        return raises('@case requires a "operator" key')
    if not js_truthy(options.get("value", UNDEFINED)):
        return constant(UNDEFINED)
    value = compile(options["value"], mode)

    def case(payload: Any) -> Any:
        result = value(payload)
        if type(result) is not str:
            return result  # non-strings pass through and the operator is not even checked
        if operator == "lower":
            return result.lower()
        if operator == "upper":
            return result.upper()
        raise MappingError('operator key should have a value of "lower" or "upper"')

    return case


@directive("@json")
def compile_json(options: Any, mode: Mode, compile: Compiler) -> Resolver:
    if type(options) is not dict:
        return raises('@json requires an object with a "value" key')
    json_mode = options.get("mode", UNDEFINED)
    if not js_truthy(json_mode):
        return raises('@json requires a "mode" key')
    if not js_truthy(options.get("value", UNDEFINED)):
        return raises('@json requires a "value" key')

    if json_mode == "encode":
        encoded = compile(options["value"], KEEP)
        return lambda payload: js_json_stringify(encoded(payload))

    if json_mode == "decode":
        decoded = compile(options["value"], mode)

        def decode(payload: Any) -> Any:
            value = decoded(payload)
            if type(value) is not str:
                return value
            try:
                return js_json_parse(value)
            except ValueError:
                return value  # Segment returns the original string when JSON.parse fails

        return decode

    # The validator accepts "ENCODE"/"DECODE", the runtime compares exactly: the field is dropped.
    ignored = compile(options["value"], KEEP)

    def unknown_mode(payload: Any) -> Any:
        ignored(payload)
        return UNDEFINED

    return unknown_mode


def _clean_nulls(value: dict[str, Any], drop: bool) -> dict[str, Any]:
    # Segment's cleanNulls sets null members to undefined, through nested objects only.
    cleaned: dict[str, Any] = {}
    for key, item in value.items():
        if item is None:
            if not drop:
                cleaned[key] = UNDEFINED
        elif type(item) is dict:
            cleaned[key] = _clean_nulls(item, drop)
        else:
            cleaned[key] = item
    return cleaned


@directive("@excludeWhenNull")
def compile_exclude_when_null(options: Any, mode: Mode, compile: Compiler) -> Resolver:
    value = compile(options, mode)

    def exclude_when_null(payload: Any) -> Any:
        result = value(payload)
        if result is None:
            return UNDEFINED
        if type(result) is dict:
            return _clean_nulls(result, drop=mode.clean)
        return result

    return exclude_when_null
