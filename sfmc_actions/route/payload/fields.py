"""Action field definitions -> JSON Schema, as Segment's `fieldsToJsonSchema` builds it
(actions-core destination-kit/fields-to-jsonschema.ts; runtime spec section 3.1).

The quirks are kept on purpose, because they decide what Segment accepts:
* `minimum`/`maximum` only count for string (as minLength/maxLength) and number fields, and only when
  truthy (a bound of 0 is ignored);
* `allowNull` adds "null" to the type, but `multiple` then replaces the type by "array" whose items
  never accept null, and an object field with `properties` gets type "object" back;
* nested properties drop their plain `required` list when any sibling is conditionally required;
  the conditions are lifted to the parent with dotted keys (`parent.child`).
"""

from __future__ import annotations

from typing import Any

from sfmc_actions.errors import FieldDefinitionError
from sfmc_actions.js.equality import UNDEFINED

Schema = dict[str, Any]


def _truthy(value: object) -> bool:
    """JavaScript truthiness of a field-definition value (`{}` and `[]` are truthy)."""
    if value is None or value is False or value is UNDEFINED:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == value and value != 0
    return value != ""


def _json_type(field_type: object) -> object:
    if field_type in ("string", "text", "password"):
        return "string"
    if field_type == "datetime":
        return ["string", "number"]
    return field_type


def fields_to_json_schema(
    fields: dict[str, Any], additional_properties: object = False, omit_required: bool = False
) -> Schema:
    """The JSON Schema of an action's (or an object field's) `fields`."""
    required: list[str] = []
    properties: dict[str, Schema] = {}
    conditions: dict[str, Any] = {}
    for key, field in fields.items():
        field_type = field.get("type")
        schema_type = _json_type(field_type)
        schema: Schema = {"title": field.get("label"), "type": schema_type}
        if "format" in field:
            schema["format"] = field["format"]
        if field_type == "datetime":
            schema["format"] = "date-like"
        elif field_type in ("password", "text"):
            schema["format"] = field_type
        elif field_type in ("string", "number"):
            low, high = ("minLength", "maxLength") if field_type == "string" else ("minimum", "maximum")
            if _truthy(field.get("minimum")):
                schema[low] = field["minimum"]
            if _truthy(field.get("maximum")):
                schema[high] = field["maximum"]
        if _truthy(field.get("choices")):
            schema["enum"] = [c if isinstance(c, str) else c.get("value", UNDEFINED) for c in field["choices"]]
        if _truthy(field.get("allowNull")):
            schema["type"] = [*schema_type, "null"] if isinstance(schema_type, list) else [schema_type, "null"]
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
        multiple = _truthy(field.get("multiple"))
        if multiple:
            schema["items"] = {"type": schema_type}
            schema["type"] = "array"
            if "enum" in schema:
                schema["items"]["enum"] = schema.pop("enum")
        nested = field.get("properties")
        if schema_type == "object" and _truthy(nested):
            lifted = any(_is_condition(sub.get("required")) for sub in nested.values())
            extra = field.get("additionalProperties")
            nested_schema = fields_to_json_schema(nested, extra if _truthy(extra) else False, omit_required=lifted)
            if multiple:
                schema["items"] = nested_schema
            else:
                schema = {**schema, **nested_schema}
            for child, sub in nested.items():
                if _is_condition(sub.get("required")):
                    conditions[f"{key}.{child}"] = sub["required"]
        properties[key] = schema
        if field.get("required") is True:
            required.append(key)
        elif _is_condition(field.get("required")):
            conditions[key] = field["required"]
    result: Schema = {"type": "object", "additionalProperties": additional_properties, "properties": properties}
    if omit_required:
        return result
    result["required"] = required
    if conditions:
        result["allOf"] = [_field_conditions(key, spec) for key, spec in conditions.items()]
    return result


def _is_condition(required: object) -> bool:
    return isinstance(required, dict)


def _then(field_key: str) -> Schema:
    if "." in field_key:
        parent, child = field_key.split(".")[:2]
        return {"required": [parent], "properties": {parent: {"required": [child]}}}
    return {"required": [field_key]}


def _value_schema(operator: str, value: object) -> Schema:
    return {"const": value} if operator == "is" else {"not": {"const": value}}


def _check_operator(operator: object) -> str:
    if operator not in ("is", "is_not"):
        raise FieldDefinitionError(f"Unsupported conditionally required field operator: {operator}")
    return str(operator)


def _undefined_value(dependant: str, field_key: str, operator: str, multiple: bool) -> Schema:
    """A condition without `value`: `is` = the other field is missing or null, `is_not` = present."""
    operator = _check_operator(operator)
    inside: Schema = {"not": {"required": [dependant]}} if operator == "is" else {"required": [dependant]}
    if multiple:
        return inside
    is_null: Schema = {"properties": {dependant: {"type": "null"}}}
    if operator == "is":
        return {"if": {"anyOf": [inside, is_null]}, "then": _then(field_key)}
    return {"if": {"allOf": [inside, {"not": is_null}]}, "then": _then(field_key)}


def _simple(dependant: str, field_key: str, value: object, operator: str, multiple: bool) -> Schema:
    condition: Schema = {"required": [dependant], "properties": {dependant: _value_schema(operator, value)}}
    return condition if multiple else {"if": condition, "then": _then(field_key)}


def _nested(parent: str, child: str, field_key: str, value: object, operator: str, multiple: bool) -> Schema:
    condition: Schema = {
        "properties": {parent: {"properties": {child: _value_schema(operator, value)}, "required": [child]}},
        "required": [parent],
    }
    return condition if multiple else {"if": condition, "then": _then(field_key)}


def _field_conditions(field_key: str, spec: dict[str, Any]) -> Schema:
    """`singleFieldConditionsToJsonSchema`: one if/then block for one conditionally required field."""
    conditions = spec.get("conditions")
    if not isinstance(conditions, list):
        raise FieldDefinitionError(f"conditionally required field {field_key!r} needs a list of conditions")
    if len(conditions) == 1:
        return _single(conditions[0], field_key)
    parts: list[Schema] = []
    combine = "anyOf" if spec.get("match") == "any" else "allOf"
    for condition in conditions:
        dependant = condition["fieldKey"]
        operator = condition.get("operator")
        value = condition.get("value", UNDEFINED)
        if "." in dependant:
            parent, child = dependant.split(".")[:2]
            parts.append(_nested(parent, child, field_key, value, operator, multiple=True))
        elif value is UNDEFINED:
            parts.append(_undefined_value(dependant, field_key, operator, multiple=True))
        else:
            parts.append(_simple(dependant, field_key, value, operator, multiple=True))
    # With several conditions the `then` names the key as written, even a dotted one (Segment's quirk).
    return {"if": {combine: parts}, "then": {"required": [field_key]}}


def _single(condition: dict[str, Any], field_key: str) -> Schema:
    dependant = condition["fieldKey"]
    operator = _check_operator(condition.get("operator"))
    value = condition.get("value", UNDEFINED)
    if "." in dependant:
        parent, child = dependant.split(".")[:2]
        return _nested(parent, child, field_key, value, operator, multiple=False)
    if value is UNDEFINED:
        return _undefined_value(dependant, field_key, operator, multiple=False)
    return _simple(dependant, field_key, value, operator, multiple=False)
