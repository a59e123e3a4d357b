"""AST → FQL text that Segment's parser reads back as the same AST.

Every AST `parse()` returns can be written back; the text is canonical (one space around operators,
double-quoted strings, function forms where Segment's parser allows them). Writing respects
Segment's quirks: a `contains(...)`/`match(...)` call inside parentheses must be the group's last
item (its `)` ends the group), the `=`/`!=` forms that Segment turns into exists/is_true/
number_equals are used only for those, and values Segment cannot read from a double-quoted string
(they contain `"`) are written as escaped identifiers.
"""

from __future__ import annotations

import math
import re
from typing import Final

from sfmc_actions.js.number import decimal_literal
from sfmc_actions.js.values import from_utf16_units, js_to_string, to_utf16_units
from sfmc_actions.route.fql import ast
from sfmc_actions.route.fql.ast import Condition, Group, Node, Value

# How Segment spells the operators it creates from `=`/`!=`, by the value it compares with.
_SPECIAL: Final = {"exists": "!= null", "not_exists": "= null", "is_true": "= true", "is_false": "= false"}
_SPECIAL_TYPES: Final = {
    "exists": (ast.NAME, ast.USER_ID, *ast.PATH_TYPES),
    "not_exists": (ast.NAME, ast.USER_ID, *ast.PATH_TYPES),
    "is_true": (ast.USER_ID, *ast.PATH_TYPES),
    "is_false": (ast.USER_ID, *ast.PATH_TYPES),
}
_SYMBOLS: Final = frozenset({"=", "!=", "<", "<=", ">", ">="})
_IDENT_SAFE: Final = re.compile(r"[A-Za-z0-9_-]")
_FUNCTION_OPS: Final = {"contains": "contains", "not_contains": "!contains"}
_KEYWORDS: Final = frozenset({"and", "or", "null"})


def generate(node: Node) -> str:
    """FQL text for `node`. Raises ValueError for an AST no FQL text can produce (for example
    groups nested two deep, an empty group, or `type = null`, which Segment reads as text)."""
    if isinstance(node, Condition):
        return _condition(node, last_in_group=True)
    return _level(node, top=True)


def _level(group: Group, top: bool) -> str:
    if group.operator not in ("and", "or"):
        raise ValueError(f"a group's operator is and or or, not {group.operator!r}")
    if not group.children or (top and group.children == (None,)):
        raise ValueError("a group without conditions cannot be written in FQL")
    parts = []
    for index, child in enumerate(group.children):
        last = index == len(group.children) - 1
        if child is None:
            if not top:
                raise ValueError("an empty slot ( ) can only appear at the top level")
            parts.append("()")
        elif isinstance(child, Group):
            if not top:
                raise ValueError("Segment's FQL supports only one level of parentheses")
            parts.append("(" + _level(child, top=False) + ")")
        else:
            # Inside parentheses a function call's ')' would end the group early, unless it is last.
            parts.append(_condition(child, last_in_group=top or last))
    return f" {group.operator} ".join(parts)


def _field(cond: Condition) -> str:
    if cond.type in ast.PATH_TYPES:
        root, name = ast.TYPE_FIELDS[cond.type], cond.name or ""
        segments = name.split(".")
        if all(segments):  # properties.a.b: Segment joins identifier-dot-identifier runs
            return ".".join([root, *(escape_word(s, escape_first=s in _KEYWORDS) for s in segments)])
        return escape_word(f"{root}.{name}")  # empty segments: one identifier with escaped dots
    if cond.type not in ast.TYPE_FIELDS:
        raise ValueError(f"unknown condition type {cond.type!r}")
    return ast.TYPE_FIELDS[cond.type]


def _condition(cond: Condition, last_in_group: bool) -> str:
    field = _field(cond)
    op, value = cond.operator, cond.value
    if value is None:
        if op not in _SPECIAL or cond.type not in _SPECIAL_TYPES[op]:
            raise ValueError(f"a {cond.type} condition with operator {op!r} needs a value")
        return f"{field} {_SPECIAL[op]}"
    paths = cond.type in ast.PATH_TYPES
    if op in ("number_equals", "number_not_equals") and paths and isinstance(value, float):
        return f"{field} {'=' if op == 'number_equals' else '!='} {decimal_literal(value)}"
    if not paths and not isinstance(value, str):
        raise ValueError(f"a {cond.type} condition compares with text, not {value!r}")
    if last_in_group and isinstance(value, str) and cond.type != ast.EVENT_TYPE:
        call = _function_call(op, field, value)
        if call is not None:
            return call
    if op in ("=", "!=") and (isinstance(value, float) or (op == "=" and isinstance(value, bool))):
        raise ValueError(f"{op} with {value!r} is read by Segment as another operator")
    return f"{field} {_operator_token(op)} {_value_token(value)}"


def _function_call(op: str, field: str, value: str) -> str | None:
    if op in _FUNCTION_OPS and '"' not in value:
        return f'{_FUNCTION_OPS[op]}({field}, "{value}")'
    bang = "!" if op.startswith("not_") else ""
    if op.removeprefix("not_") == "starts_with" and '"' not in value:
        return f'{bang}match({field}, "{value}*")'
    if op.removeprefix("not_") == "ends_with" and '"' not in value and value and not value.endswith("*"):
        # match() drops the pattern's first UTF-16 unit; '*' is that unit, unless the value begins
        # with the second half of a surrogate pair, which then needs its first half.
        units = to_utf16_units(value)
        lead = "\ud800" if units[:1] and "\udc00" <= units[0] <= "\udfff" else "*"
        return f'{bang}match({field}, "{from_utf16_units(lead + units)}")'
    return None


def _operator_token(op: str) -> str:
    if op in _SYMBOLS:
        return op
    if re.fullmatch(r'"[^"]*"|\'[^\']*\'', op):
        return op  # a string token used as the operator keeps its quotes
    return escape_word(op)


def _value_token(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return decimal_literal(value)
    if '"' not in value:
        return f'"{value}"'  # only double quotes are removed, so this is exactly `value`
    if re.fullmatch(r"'[^']*'", value):
        return value  # a single-quoted string keeps its quotes: its text is exactly `value`
    return escape_word(value, escape_first=True)


def escape_word(text: str, escape_first: bool = False) -> str:
    """`text` as one FQL identifier: a backslash before every character an identifier cannot hold.
    Escaping the first character also keeps `and`/`or`/`null` from being read as keywords."""
    if not text:
        raise ValueError("an identifier cannot be empty")
    out = []
    # Segment's lexer reads UTF-16 code units and a backslash escapes one unit: an astral character is
    # written as its two escaped surrogates (so the text holds lone surrogates, as the trigger itself did).
    for index, char in enumerate(to_utf16_units(text)):
        plain = _IDENT_SAFE.fullmatch(char) is not None and (index > 0 or char.isalpha() or char == "_")
        out.append(char if plain and not (index == 0 and escape_first) else "\\" + char)
    return "".join(out)


def describe_value(value: Value) -> str:
    """A value as a reader would write it in a warning: strings quoted, numbers the JS way."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return js_to_string(value)
