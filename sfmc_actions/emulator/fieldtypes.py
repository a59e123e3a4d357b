"""Data extension field types: checking one value against a field, and checking field definitions.

Value messages follow the one verbatim pattern known (§3 T8 OBS):
`"<Column>: The value for column [<Column>] <problem>"`. Only the email and phone problems are
verbatim; the others are built on the same pattern (INF, §3 "Messages with no verbatim example").
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sfmc_actions.emulator.model import FIELD_TYPES, Field

EMAIL_PROBLEM = "is not a valid email address. Parse error [InvalidEmailAddress]"  # T8 OBS
PHONE_PROBLEM = "is not a valid phone number. Parse error [ExactTarget.Core.Validation.ValidationResult[]]"  # T8
NULL_PROBLEM = "does not allow null value."  # wording of the async row error (§4 T1 OBS)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")  # §8 INF: a conservative local@domain.tld check
_PHONE = re.compile(r"^\+?[0-9 ()\-.]+$")  # §8 INF: digits with optional +, spaces, dashes, parentheses
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_LOCALE = re.compile(r"^[A-Za-z]{2}(-[A-Za-z]{2})?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$")
_BOOL_TEXT = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False, "y": True, "n": False}
INT32 = (-(2**31), 2**31 - 1)  # §8 INF: Number is probably a 32-bit int
TEXT_MAX = 4000  # §8 S14
DECIMAL_MAX_PRECISION = 29  # §8 S14


def value_message(column: str, problem: str) -> str:
    return f"{column}: The value for column [{column}] {problem}"


def check_value(column: Field, value: Any, strict_nulls: bool = False) -> str | None:
    """The problem with `value` for `column` (to put in `value_message`), or None when it fits."""
    if isinstance(value, str) and value == "" and column.type != "Text":
        value = None  # an empty string in a typed column means no value (INF)
    if value is None:
        return NULL_PROBLEM if (strict_nulls or not column.is_nullable) else None
    if isinstance(value, (dict, list)):
        return "is not a valid value: objects and arrays cannot be stored in a column."
    checker = _CHECKERS.get(column.type, _check_text)
    return checker(column, value)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"  # .NET renders booleans this way (§8 T11)
    return str(value)


def _check_text(column: Field, value: Any) -> str | None:
    limit = column.length or (TEXT_MAX if column.type == "Text" else 254)
    text = _as_text(value)
    if len(text) > limit:
        return f"is too long. The maximum length is {limit} characters but the value has {len(text)}."
    return None


def _check_number(column: Field, value: Any) -> str | None:
    if isinstance(value, bool):
        return "is not a valid number."
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        return "is not a valid number."
    if not INT32[0] <= value <= INT32[1]:
        return f"is out of range. A Number must be between {INT32[0]} and {INT32[1]}."
    return None


def _check_decimal(column: Field, value: Any) -> str | None:
    if isinstance(value, bool):
        return "is not a valid decimal number."
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return "is not a valid decimal number."
    if not number.is_finite():
        return "is not a valid decimal number."
    precision, scale = column.length or 18, column.scale or 0
    whole_digits = len(str(abs(int(number)))) if abs(number) >= 1 else 0
    if whole_digits > precision - scale:
        return f"is out of range for a decimal with precision {precision} and scale {scale}."
    return None


def parse_date(text: str) -> datetime | None:
    """ISO 8601 (the docs' examples, S6) or the US form `M/D/YYYY [h:mm[:ss] [AM|PM]]` (§8)."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    match = _US_DATE.match(text)
    if not match:
        return None
    month, day, year, hour, minute, second, half = match.groups()
    hours = int(hour or 0)
    if half:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if half.lower() == "pm" else 0)
    try:
        return datetime(int(year), int(month), int(day), hours, int(minute or 0), int(second or 0))
    except ValueError:
        return None


def _check_date(column: Field, value: Any) -> str | None:
    if not isinstance(value, str) or parse_date(value) is None:
        return "is not a valid date. Use ISO 8601 (2013-05-23T14:32:00Z) or M/D/YYYY h:mm:ss AM."
    return None


def parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return _BOOL_TEXT.get(value.strip().lower())
    return None


def _check_boolean(column: Field, value: Any) -> str | None:
    return None if parse_bool(value) is not None else "is not a valid boolean. Use true or false."


def _check_email(column: Field, value: Any) -> str | None:
    if not isinstance(value, str) or not _EMAIL.match(value):
        return EMAIL_PROBLEM
    return _check_text(column, value)


def _check_phone(column: Field, value: Any) -> str | None:
    text = _as_text(value)
    if isinstance(value, bool) or not _PHONE.match(text) or sum(c.isdigit() for c in text) < 7:
        return PHONE_PROBLEM
    return _check_text(column, text)


def _check_locale(column: Field, value: Any) -> str | None:
    return None if isinstance(value, str) and _LOCALE.match(value) else "is not a valid locale such as en-US."


_CHECKERS = {
    "Text": _check_text,
    "Number": _check_number,
    "Decimal": _check_decimal,
    "Date": _check_date,
    "Boolean": _check_boolean,
    "EmailAddress": _check_email,
    "Phone": _check_phone,
    "Locale": _check_locale,
}


def check_definitions(fields: list[Field], rest_create: bool) -> list[str]:
    """Problems with a DE's field list (§7 T10/T11 live quirks, §8 S14 limits), each naming the field.

    `rest_create` applies the stricter REST-create rules (EmailAddress needs an explicit length);
    seeds get the documented defaults instead.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for f in fields:
        if not f.name:
            problems.append(f"Field at ordinal {f.ordinal} has no name.")
            continue
        if f.name.lower() in seen:
            problems.append(f"Field name {f.name} is used more than once.")
        seen.add(f.name.lower())
        if f.type not in FIELD_TYPES:
            problems.append(f"fieldType is invalid for field {f.name}: use one of {', '.join(FIELD_TYPES)}.")
            continue
        if f.is_primary_key and f.is_nullable:
            problems.append(f"Primary Key field {f.name} cannot be nullable: set isNullable to false.")
        if f.type == "Text":
            if f.length is None and f.is_primary_key:
                problems.append("A text field with no length specified cannot be used as a primary key")  # T10
            elif f.length is not None and not 1 <= f.length <= TEXT_MAX:
                problems.append(f"Length is invalid for field {f.name}: a Text length must be 1 to {TEXT_MAX}.")
        if f.type == "EmailAddress" and f.length is None and rest_create:
            # T10 OBS: the misleading message SFMC gives when EmailAddress has no explicit length.
            problems.append(f"Length is invalid for field {f.name} because it does not have a data type of Text")
        if f.type == "Decimal":
            precision = f.length if f.length is not None else 18
            if not 1 <= precision <= DECIMAL_MAX_PRECISION:
                problems.append(f"Length (precision) of Decimal field {f.name} must be 1 to {DECIMAL_MAX_PRECISION}.")
            elif f.scale is not None and not 0 <= f.scale <= precision:
                problems.append(f"Scale of Decimal field {f.name} must be between 0 and its precision {precision}.")
    return problems


def apply_defaults(f: Field) -> Field:
    """Fill the documented default lengths (Text 50, EmailAddress 254, Decimal 18,0; §8)."""
    if f.length is None:
        f.length = {"Text": 50, "EmailAddress": 254, "Decimal": 18, "Phone": 50, "Locale": 5}.get(f.type)
    if f.type == "Decimal" and f.scale is None:
        f.scale = 0
    return f
