"""Warnings for triggers whose Segment meaning differs from how they read.

Segment's trigger parser accepts a lot silently (segment-runtime.md §2.2, each case checked with
Segment's own code in tests/conformance/fql_oracle_cases.jsonl). We match exactly what Segment
matches, and say so when that is surprising: each warning names the column, what Segment does,
what the trigger therefore means, and how to write what was probably meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from sfmc_actions.js.values import js_string_to_number, js_to_string
from sfmc_actions.route.fql import ast
from sfmc_actions.route.fql.ast import Condition, Group, Node
from sfmc_actions.route.fql.generate import describe_value, generate
from sfmc_actions.route.fql.tokens import (
    COMMA,
    DOT,
    EOS,
    IDENT,
    NULL,
    NUMBER,
    PAREN_LEFT,
    PAREN_RIGHT,
    STRING,
    Token,
    token_value,
)

KNOWN_OPERATORS: Final = frozenset(
    "= != < <= > >= number_equals number_not_equals contains not_contains starts_with not_starts_with "  # noqa: SIM905 (a word list reads better)
    "ends_with not_ends_with exists not_exists is_true is_false".split()
)
_FIELDS: Final = "type, event, name, userId, properties.<key>, traits.<key> and context.<key>"
_VALUE_TOKENS: Final = frozenset({STRING, NUMBER, IDENT, NULL, EOS})


@dataclass(frozen=True, slots=True)
class Note:
    """Something the parser read in a way worth telling the user about (see `warnings_for`)."""

    kind: str
    start: int
    end: int
    data: Any = None


def warnings_for(fql: str, tree: Group, notes: list[Note]) -> list[str]:
    out: list[str] = []
    means = generate(tree)
    if any(n.kind == "group_closed_early" for n in notes):
        # The early ')' also mixes and/or at the top level; that warning's advice would mislead.
        notes = [n for n in notes if not (n.kind == "mixed_conjunctions" and not n.data[0])]
    ignored: list[Note] = []
    for note in [*notes, Note("end", len(fql), len(fql))]:
        if note.kind == "ignored" and (not ignored or _adjacent(fql, ignored[-1], note)):
            ignored.append(note)
            continue
        if ignored:
            out.append(_ignored(fql, ignored, means))
            ignored = [note] if note.kind == "ignored" else []
        if note.kind == "no_conjunction" and any(
            n.kind == "ignored" and note.start <= n.start < note.end for n in notes
        ):
            continue  # the warning about the ignored word (e.g. `AND`) already explains the join
        handler = _HANDLERS.get(note.kind)
        if handler is not None:
            out.extend(handler(fql, note, means, tree))
    # JavaScript strings may hold lone surrogates (match() can split an emoji): keep warnings printable.
    return [w.encode("utf-8", "backslashreplace").decode("utf-8") for w in out]


def _at(note: Note | int) -> str:
    return f"column {(note if isinstance(note, int) else note.start) + 1}: "


def _adjacent(fql: str, before: Note, after: Note) -> bool:
    return not fql[before.end : after.start].strip(" \t\n") or fql[before.end : after.start].strip() in ("and", "or")


def _ignored(fql: str, run: list[Note], means: str) -> str:
    text = fql[run[0].start : run[-1].end]
    first = fql[run[0].start : run[0].end]
    if run[0].data == "word" and first.lower() in ("and", "or"):
        why = f"'{first}' is not a conjunction (Segment's keywords are lower-case and/or)"
    elif run[0].data == "word":
        why = f"'{first}' is not something Segment triggers can test (they test {_FIELDS})"
    elif run[0].data == "prototype":
        why = f"'{first.split()[0]}' is not a field (Segment mistakes it for one and skips the two tokens after it)"
    else:
        why = "these tokens are not part of any condition"
    return f"{_at(run[0])}Segment ignores `{text}`: {why}. This trigger means: {means}"


def _mixed(fql: str, note: Note, means: str, tree: Group) -> list[str]:
    in_group, operator, joins = note.data
    where = f" inside the parentheses at column {note.start + 1}" if in_group else ""
    text = (
        f"{_at(note) if in_group else ''}`and` and `or` are mixed{where} without parentheses: Segment has no "
        f"operator precedence and joins every condition of a level with the LAST and/or written there "
        f"(`{operator}`), so this trigger means: {means}."
    )
    if not in_group and all(isinstance(c, Condition) for c in tree.children):
        runs: list[list[Node | None]] = [[tree.children[0]]]
        for join, child in zip(joins, tree.children[1:], strict=True):
            if join == "or":
                runs.append([child])
            else:
                runs[-1].append(child)
        parts: list[Node | None] = [r[0] if len(r) == 1 else Group("and", tuple(r)) for r in runs]
        usual = parts[0] if len(parts) == 1 else Group("or", tuple(parts))
        assert usual is not None
        return [text + f" If you meant `{generate(usual)}`, write it that way."]
    return [text + " Use parentheses so that each level has only `and` or only `or` (Segment allows one level)."]


def _group_closed_early(fql: str, note: Note, means: str, tree: Group) -> list[str]:
    close, rest_start, rest_end = note.data
    return [
        f"{_at(note)}these parentheses are closed by the ')' at column {close + 1}, which ends a contains()/match() "
        f"call: Segment ends a group at the first ')', so `{fql[rest_start:rest_end].strip()}` is read outside "
        f"the parentheses. This trigger means: {means}. Put the contains()/match() call last inside the parentheses."
    ]


def _negation(fql: str, note: Note, means: str, tree: Group) -> list[str]:
    if note.data == PAREN_LEFT:
        what = "`!(...)` is NOT negated: it matches the same events as `(...)`"
    else:
        what = f"`!{fql[note.end :].split()[0] if fql[note.end :].split() else ''}` is read without the `!`"
    return [
        f"{_at(note)}Segment ignores `!` except in !contains(...) and !match(...), so {what}. This trigger means: "
        f"{means}. To negate, negate each condition (= to !=, contains( to !contains(, match( to !match() and swap "
        "and/or; note that != is also true when the field is missing."
    ]


def _empty_group(fql: str, note: Note, means: str, tree: Group) -> list[str]:
    return [
        f"{_at(note)}`{fql[note.start : note.end]}` holds no condition Segment can evaluate: Segment keeps an empty "
        "slot there, and its runtime fails (TypeError) on every event that reaches it, so those events never "
        "match. Remove it."
    ]


def _no_conjunction(fql: str, note: Note, means: str, tree: Group) -> list[str]:
    return [
        f"{_at(note)}no `and`/`or` after `{fql[note.start : note.end].strip()}`: Segment joins it to the next "
        f"condition with this level's operator, `{note.data}`."
    ]


def _dropped(fql: str, note: Note, means: str, tree: Group) -> list[str]:
    return [
        f"{_at(note)}Segment's lexer drops `{note.data}` at the end of the trigger (it was looking for `and`/"
        f"`null`). This trigger means: {means}. Quote the value to keep it whole."
    ]


def _condition(fql: str, note: Note, means: str, tree: Group) -> list[str]:
    field: Token
    op: Token
    value: Token
    field, kind, op, value = note.data
    text = fql[note.start : note.end]
    root = field.value.split(".")[0]
    out = []
    if kind not in ast.PATH_TYPES and "." in field.value:
        out.append(f"`{field.value}`: Segment tests `{root}` itself and ignores `{field.value[len(root) :]}`.")
    if kind in ast.PATH_TYPES:
        name = field.value[len(root) + 1 :] if field.value.startswith(root + ".") else field.value
        if field.value == root:
            out.append(f'`{root}` alone reads the key "{root}" inside {root}; write {root}.<key>.')
        elif not name:
            out.append(f"`{field.value}` names no key, so the value is always missing.")
        elif not re.findall(r"[^\[.\]]+", name):
            out.append(
                f"`{field.value}` names no key: Segment's runtime fails (TypeError) on every event that reaches "
                "this condition, so those events never match."
            )
    if value.type == STRING and value.value.startswith("'"):
        out.append(_single_quotes(text, value.value))
    if op.type == DOT and value.type == NUMBER:
        out.append(
            f"`{field.value}.{value.value}`: Segment joins only words after a dot, so `.{value.value}` is not part "
            f"of the field. To reach index {value.value}, escape it: {field.value}.\\{value.value}"
        )
    elif value.type == EOS:
        out.append(f'`{text.strip()}` has no value: Segment compares with the text "eos" (its end-of-input marker).')
    elif value.type not in _VALUE_TOKENS:
        out.append(
            f"`{text}`: Segment takes the two tokens after a field as its operator and value, so this compares "
            f'with the text "{value.value}". Write one operator (=, !=, <, <=, >, >=) followed by a space and a value.'
        )
    if op.value not in KNOWN_OPERATORS and not (op.type == DOT and value.type == NUMBER):
        out.append(
            f"`{op.value}` is not an operator Segment's trigger matcher knows, so `{text}` is always false. "
            'Use =, !=, <, <=, >, >=, contains(field, "text") or match(field, "text*").'
        )
    if kind in (ast.EVENT_TYPE, ast.EVENT) and value.type == NULL and op.value in ("=", "!="):
        out.append(
            f'Segment compares {root} with the text "null" here: `{text}` is '
            + ("never true for a missing or null value" if op.value == "=" else "true for any other value, or none")
            + f" ({root} cannot be tested for presence; only name, userId, properties, traits and context can)."
        )
    if kind not in ast.PATH_TYPES and value.type == NUMBER:
        shown = js_to_string(js_string_to_number(value.value))
        if shown != value.value:
            out.append(
                f'Segment reads {value.value} as the number {shown} and compares with the text "{shown}"; '
                f'write "{value.value}" to compare with that text.'
            )
    if (
        value.type == IDENT
        and value.value.lower() in ("true", "false", "null")
        and value.value not in ("true", "false", "null")
    ):
        out.append(
            f"`{value.value}` is not the keyword {value.value.lower()} (keywords are lower-case): Segment "
            f'compares with the text "{value.value}".'
        )
    return [_at(note) + line for line in out]


def _function(fql: str, note: Note, means: str, tree: Group) -> list[str]:
    name, (paren, field, comma, value, close), in_group, _, made = note.data
    text = fql[note.start : note.end]
    out = []
    shaped = (
        paren is not None
        and paren.type == PAREN_LEFT
        and comma is not None
        and comma.type == COMMA
        and close is not None
        and (close.type == PAREN_RIGHT or (close.type == EOS and in_group))
    )
    if not shaped:
        out.append(f'`{text}` is not written {name}(field, "text"): Segment reads the tokens after {name} by position.')
    if not made:
        out.append(
            f"`{text}` is ignored: {name}() works on event, name, userId, properties.<key>, traits.<key> and "
            f"context.<key>, not on `{field.value}`"
            + (f' (write {field.value} = "…" instead).' if field.value == "type" else ".")
        )
    if value.type == STRING and value.value.startswith("'") and name == "contains":
        out.append(_single_quotes(text, value.value))
    if name == "match" and made:
        pattern = js_to_string(token_value(value))
        usual = (
            value.type == STRING
            and value.value.startswith('"')
            and (
                (pattern.endswith("*") and "*" not in pattern[:-1])
                or (pattern.startswith("*") and "*" not in pattern[1:])
            )
        )
        if not usual:
            cond = made[0]
            assert isinstance(cond, Condition) and cond.value is not None
            verb = cond.operator.replace("not_", "does not ").replace("_with", " with").replace("_", " ")
            out.append(
                f"`{text}` means: {field.value} {verb} {describe_value(cond.value)}. Segment's match() only "
                'understands "text*" (starts with) and "*text" (ends with), in double quotes; any other pattern '
                "loses its first character and becomes an ends-with test."
            )
    return [_at(note) + line for line in out]


def _single_quotes(text: str, value: str) -> str:
    inner = value[1:-1]
    advice = f'Use double quotes: "{inner}".' if '"' not in inner else 'Double-quoted values cannot hold a ".'
    return (
        f"Segment keeps single quotes as part of the value: `{text}` compares with the {len(value)}-character "
        f"text {value}, quotes included, so it never matches {inner}. {advice}"
    )


def _glued_quote(fql: str, note: Note, means: str, tree: Group) -> list[str]:
    return [
        f"{_at(note)}this closing quote is followed by {note.data!r} without a space: Segment counts a closing "
        f"quote only before a space, ')', ',', ']' or the end, so it reads this quote as the start of a new "
        f"string. This trigger means: {means}"
    ]


_HANDLERS: Final = {
    "mixed_conjunctions": _mixed,
    "group_closed_early": _group_closed_early,
    "negation_ignored": _negation,
    "empty_group": _empty_group,
    "no_conjunction": _no_conjunction,
    "dropped": _dropped,
    "glued_quote": _glued_quote,
    "condition": _condition,
    "function": _function,
}
