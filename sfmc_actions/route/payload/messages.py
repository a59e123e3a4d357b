"""Validation errors and their human wording: a port of `@segment/ajv-human-errors` 2.16
(`AggregateAjvError` with `fieldLabels: "title"`), which writes the message Segment returns.

Each error names its subject by the label (`title`) of the schema node where it happened, else "the
root value", else "the value at <JSON pointer>"; messages are capitalised, end with ".", and several
are joined with one space, in the order the validator found them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfmc_actions.js.equality import UNDEFINED, type_name
from sfmc_actions.js.values import js_to_string, json_stringify, utf16_len
from sfmc_actions.route.payload.formats import FORMAT_LABELS


@dataclass(slots=True)
class SchemaError:
    """One Ajv error object: which keyword failed, where in the data, on which schema node."""

    keyword: str
    path: str  # Ajv's instancePath: a JSON pointer, "" for the root
    schema: dict[str, Any]  # Ajv's parentSchema (the node holding the keyword)
    data: Any = None
    param: Any = None  # the one Ajv param the message needs (type list, limit, format, property, ...)


# Ajv's own messages for keywords ajv-human-errors has no template for.
_AJV_MESSAGES = {
    "const": "must be equal to constant",
    "not": "must NOT be valid",
    "anyOf": "must match a schema in anyOf",
    "false schema": "boolean schema is false",
}


def _humanize_list(items: list[str], conjunction: str) -> str:
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} {conjunction} {items[1]}"
    return f"{', '.join(items[:-1])}, {conjunction} {items[-1]}"


def _stringify(value: Any) -> str:
    # `${JSON.stringify(value)}`: JSON.stringify(undefined) is undefined, which the template prints as is.
    return "undefined" if value is UNDEFINED else json_stringify(value, UNDEFINED)


def _article(word: str) -> str:
    return "an" if word[:1] in ("a", "e", "i", "o", "u") else "a"


def _characters(count: int) -> str:
    return "character" if count == 1 else "characters"


def _preamble(error: SchemaError) -> str:
    title = error.schema.get("title")
    if title:  # JavaScript truthiness: an empty label falls back to the path
        return str(title)
    return "the root value" if error.path == "" else f"the value at {error.path}"


def message(error: SchemaError) -> str:
    """The sentence ajv-human-errors writes for one error (capitalised, with the final period)."""
    subject = _preamble(error)
    keyword, param, data = error.keyword, error.param, error.data
    if keyword == "enum":
        text = f"{subject} must be one of: {_humanize_list([_stringify(v) for v in param], 'or')}"
    elif keyword == "type":
        expected = _humanize_list(list(param), "or")
        text = f"{subject} must be {_article(expected)} {expected} but it was {type_name(data)}"
    elif keyword in ("minLength", "maxLength"):
        actual = utf16_len(data)
        more = "more" if keyword == "minLength" else "fewer"
        limit = js_to_string(param)
        text = f"{subject} must be {limit} {_characters(param)} or {more} but it was {actual} {_characters(actual)}"
    elif keyword == "format":
        text = f"{subject} must be a valid {FORMAT_LABELS.get(param, param)} string but it was not"
    elif keyword in ("minimum", "maximum"):
        relation = "greater" if keyword == "minimum" else "less"
        text = f"{subject} must be equal to or {relation} than {js_to_string(param)}"
    elif keyword in ("exclusiveMinimum", "exclusiveMaximum"):
        relation = "greater" if keyword == "exclusiveMinimum" else "less"
        text = f"{subject} must be {relation} than {js_to_string(param)}"
    elif keyword == "required":
        text = f"{subject} is missing the required field '{param}'"
    elif keyword == "if":
        text = f'{subject} must match "{param}" schema'
    else:
        text = f"{subject} {_AJV_MESSAGES.get(keyword, 'is invalid')}"
    return _capitalize(text) + "."


def _capitalize(text: str) -> str:
    # JavaScript's charAt(0).toUpperCase() works on one UTF-16 unit: astral letters stay as they are.
    first = text[:1]
    if not first or ord(first) > 0xFFFF:
        return text
    return first.upper() + text[1:]


def aggregate_message(errors: list[SchemaError]) -> str:
    """`AggregateAjvError.message`: every error's sentence, joined by one space."""
    return " ".join(message(error) for error in errors)
