"""Parser: tokens → AST, exactly as Segment's `parseFql` (`@segment/destination-subscriptions` 3.37).

Segment's parser is not a grammar-driven one: it walks the tokens of one parenthesised level left to
right (segment-runtime.md §2.2). The methods below are its rules, one each:

    level      := item*                    one `and`/`or` per level: the LAST one seen (default and)
    item       := condition | function | negation | group | conjunction | (anything else: skipped)
    condition  := field OPERATOR VALUE     the next two tokens, whatever they are
    function   := ("contains" | "match") "(" field "," value ")"   read by position, not checked
    negation   := "!" function             `!` before anything else is ignored
    group      := "(" tokens up to the FIRST ")" ")"   so nested parentheses never parse

The parser records what Segment silently ignores or reads surprisingly as `Note`s; `quirks.py`
turns them into warnings.
"""

from __future__ import annotations

from collections import deque
from typing import Final

from sfmc_actions.errors import FqlSyntaxError
from sfmc_actions.js.values import from_utf16_units, js_to_string, to_utf16_units
from sfmc_actions.route.fql import ast
from sfmc_actions.route.fql.ast import Condition, Group, Node
from sfmc_actions.route.fql.quirks import Note
from sfmc_actions.route.fql.tokens import (
    CONDITIONAL,
    EOS,
    IDENT,
    NUMBER,
    OPERATOR,
    PAREN_LEFT,
    PAREN_RIGHT,
    Lexer,
    Token,
    join_dotted,
    token_value,
)

FUNCTIONS: Final = ("contains", "match")
# Segment looks the first dot-segment up in a plain JS object, so Object.prototype's members are
# "found" too: the word then swallows the next two tokens and yields no condition.
OBJECT_PROTOTYPE: Final = frozenset(
    "constructor __defineGetter__ __defineSetter__ hasOwnProperty __lookupGetter__ __lookupSetter__ "  # noqa: SIM905 (a word list reads better)
    "isPrototypeOf propertyIsEnumerable toString valueOf __proto__ toLocaleString".split()
)


class _Tokens(deque[Token]):
    def shift(self) -> Token | None:
        """JavaScript `Array.prototype.shift`: the first token, or None (undefined) when empty."""
        return self.popleft() if self else None


class Parser:
    def __init__(self, fql: str) -> None:
        self.fql = fql
        lexer = Lexer(fql)
        self.tokens = join_dotted(lexer.lex())
        self.notes: list[Note] = [Note("dropped", column, column + len(text), text) for column, text in lexer.dropped]
        self.notes += [
            Note("glued_quote", lexer.column(offset), lexer.column(offset) + 1, following)
            for offset, following in lexer.glued.items()
        ]

    def error(self, message: str, column: int) -> FqlSyntaxError:
        return FqlSyntaxError(message, self.fql, column)

    def parse(self) -> Group:
        node = self.level(_Tokens(self.tokens), opened=None)
        if node is None:
            raise self._nothing_to_evaluate()
        return node if isinstance(node, Group) else Group("and", (node,))

    # --- rules ---
    def level(self, tokens: _Tokens, opened: Token | None) -> Node | None:
        nodes: list[Node | None] = []
        starts: list[int] = []
        operator = "and"
        conjunctions: list[tuple[Token, int]] = []  # each and/or, with how many items preceded it
        token = tokens.shift()
        previous: Token | None = None
        while token is not None and token.type != EOS:
            count = len(nodes)
            if token.type == IDENT:
                self.identifier(token, tokens, nodes, opened)
            elif token.type == OPERATOR and token.value == "!":
                self.negation(token, tokens, nodes, opened)
            elif token.type == PAREN_LEFT:
                called = previous if previous and previous.type == IDENT and previous.end == token.start else None
                self.group(token, tokens, nodes, opened, called)
            elif token.type == CONDITIONAL:
                operator = token.value
                conjunctions.append((token, count))
            elif token.type != PAREN_RIGHT:  # a stray ')' is skipped too, but never changes the meaning
                self.notes.append(Note("ignored", token.start, token.end))
            starts.extend([token.start] * (len(nodes) - count))
            previous, token = token, tokens.shift()
        self._note_conjunctions(nodes, starts, conjunctions, operator, opened)
        if len(nodes) > 1:
            return Group(operator, tuple(nodes))
        return nodes[0] if nodes else None

    def identifier(self, token: Token, tokens: _Tokens, nodes: list[Node | None], opened: Token | None) -> None:
        root = token.value.split(".")[0]
        if root in ast.FIELD_TYPES:
            nodes.append(self.condition(token, ast.FIELD_TYPES[root], tokens))
        elif root in OBJECT_PROTOTYPE:
            _, value = self._operator_and_value(token, tokens)
            self.notes.append(Note("ignored", token.start, value.end, "prototype"))
        elif token.value in FUNCTIONS:
            self.function(token, token.value, tokens, nodes, opened, negate=False)
        else:
            self.notes.append(Note("ignored", token.start, token.end, "word"))

    def condition(self, field: Token, kind: str, tokens: _Tokens) -> Condition:
        op_token, value_token = self._operator_and_value(field, tokens)
        op, raw = op_token.value, value_token.value
        self._note_condition(field, kind, op_token, value_token)
        if kind in (ast.EVENT_TYPE, ast.EVENT):
            return Condition(kind, op, value=js_to_string(token_value(value_token)))
        if op == "!=" and raw == "null":
            special: str | None = "exists"
        elif op == "=" and raw == "null":
            special = "not_exists"
        elif op == "=" and raw in ("true", "false") and kind != ast.NAME:
            special = "is_true" if raw == "true" else "is_false"
        else:
            special = None
        if kind in (ast.NAME, ast.USER_ID):
            if special is not None:
                return Condition(kind, special)
            return Condition(kind, op, value=js_to_string(token_value(value_token)))
        root = field.value.split(".")[0]
        name = field.value[len(root) + 1 :] if field.value.startswith(root + ".") else field.value
        if special is not None:
            return Condition(kind, special, name)
        if value_token.type == NUMBER and op in ("=", "!="):
            return Condition(
                kind, "number_equals" if op == "=" else "number_not_equals", name, token_value(value_token)
            )
        return Condition(kind, op, name, token_value(value_token))

    def function(
        self, token: Token, name: str, tokens: _Tokens, nodes: list[Node | None], opened: Token | None, negate: bool
    ) -> None:
        paren = tokens.shift()
        field = tokens.shift()
        if field is None:
            raise self.error(f'{name}() is missing a 1st argument: expected {name}(field, "text")', len(self.fql))
        comma = tokens.shift()
        value_token = tokens.shift()
        if value_token is None:
            raise self.error(f'{name}() is missing a 2nd argument: expected {name}(field, "text")', len(self.fql))
        close = tokens.shift()
        text = js_to_string(token_value(value_token))
        if name == "contains":
            op = "not_contains" if negate else "contains"
        elif value_token.value.endswith('*"'):  # the RAW token: only a double-quoted "text*" is a prefix
            op, text = ("not_starts_with" if negate else "starts_with"), _utf16_slice(text, 0, -1)
        else:  # anything else drops its first character and becomes a suffix test
            op, text = ("not_ends_with" if negate else "ends_with"), _utf16_slice(text, 1, None)
        before = len(nodes)
        target = field.value
        if target in (ast.EVENT, ast.NAME, ast.USER_ID):
            nodes.append(Condition(target, op, value=text))
        for root, kind in (("properties", ast.PROPERTY), ("traits", ast.TRAIT), ("context", ast.CONTEXT)):
            if target.startswith(root):  # Segment tests the prefix with no dot: /^(properties)/
                path = target[len(root) + 1 :] if target.startswith(root + ".") else target
                nodes.append(Condition(kind, op, path, text))
        end = close.end if close is not None else value_token.end
        self._note_function(token, name, (paren, field, comma, value_token, close), opened, op, nodes[before:], end)

    def negation(self, bang: Token, tokens: _Tokens, nodes: list[Node | None], opened: Token | None) -> None:
        following = tokens[0] if tokens else None
        if following is None:  # cannot happen: the lexer only makes `!` before a letter or `(`
            raise self.error("'!' must be followed by contains(...) or match(...)", bang.end)
        if following.type == IDENT and following.value in FUNCTIONS:
            tokens.shift()
            self.function(bang, following.value, tokens, nodes, opened, negate=True)
        else:
            self.notes.append(Note("negation_ignored", bang.start, bang.end, following.type))

    def group(
        self, paren: Token, tokens: _Tokens, nodes: list[Node | None], opened: Token | None, called: Token | None
    ) -> None:
        if opened is not None:
            # The enclosing group's tokens stop at its first ')', so this '(' can never be closed.
            raise self.error(
                f"nested parentheses: Segment's trigger parser supports one level of ( ), and this '(' is inside "
                f"the group opened at column {opened.start + 1}",
                paren.start,
            )
        inner: list[Token] = []
        token = tokens.shift()
        while token is None or token.type != PAREN_RIGHT:
            if token is None:
                raise self.error("this '(' is never closed: expected ')'", paren.start)
            inner.append(token)
            token = tokens.shift()
        inner.append(Token(EOS, "eos", token.start, token.start))
        try:
            child = self.level(_Tokens(inner), opened=paren)
        except FqlSyntaxError as exc:
            if called is None:
                raise
            raise self.error(
                f"{called.value}() is not a function Segment triggers support (only contains() and match()): "
                f"Segment reads '(' as a group here and fails with: {exc.reason}",
                called.start,
            ) from exc
        if child is None:
            self.notes.append(Note("empty_group", paren.start, token.end))
        calls = [t for i, t in enumerate(inner[1:], 1) if t.type == PAREN_LEFT and inner[i - 1].value in FUNCTIONS]
        following = tokens[0] if tokens else None
        if calls and following is not None and following.type not in (PAREN_RIGHT, EOS):
            rest_end = next((t.start for t in tokens if t.type in (PAREN_RIGHT, EOS)), len(self.fql))
            self.notes.append(
                Note("group_closed_early", paren.start, token.end, (token.start, following.start, rest_end))
            )
        nodes.append(child)

    # --- helpers ---
    def _operator_and_value(self, field: Token, tokens: _Tokens) -> tuple[Token, Token]:
        op_token = tokens.shift()
        if op_token is None:
            raise self.error(f"Operator token is missing: expected an operator after '{field.value}'", field.end)
        value_token = tokens.shift()
        if value_token is None:
            raise self.error(
                f"Value token is missing: expected an operator and a value after '{field.value}', "
                f'e.g. {field.value} = "value"',
                op_token.start,
            )
        return op_token, value_token

    def _nothing_to_evaluate(self) -> FqlSyntaxError:
        if not self.fql.strip(" \t\n"):
            return self.error('the trigger is empty: write a condition such as type = "track"', 0)
        empty = next((n for n in self.notes if n.kind == "empty_group"), None)
        if empty is not None:
            return self.error("this group contains no condition Segment can evaluate", empty.start)
        call = next((n for n in self.notes if n.kind == "function" and not n.data[4]), None)
        if call is not None:
            name, field = call.data[0], call.data[1][1].value
            return self.error(
                f"{name}() does not work on '{field}': it works on event, name, userId, properties.<key>, "
                "traits.<key> and context.<key>" + (f' (write {field} = "…" instead)' if field == "type" else ""),
                call.start,
            )
        first = next((n for n in self.notes if n.kind == "ignored"), None)
        column = first.start if first is not None else 0
        word = self.fql[first.start : first.end].split()[0] if first is not None else ""
        if first is not None and first.data == "word":
            what = f"'{word}' is not a field Segment triggers can test"
        elif first is not None and first.data == "prototype":
            what = f"'{word}' is not a field (Segment mistakes it for one and skips the two tokens after it)"
        else:
            what = "no condition Segment can evaluate"
        return self.error(
            f"{what}: conditions test type, event, name, userId, properties.<key>, traits.<key> or "
            'context.<key> (e.g. type = "track"), or use contains(field, "text") / match(field, "text*")',
            column,
        )

    def _note_condition(self, field: Token, kind: str, op_token: Token, value_token: Token) -> None:
        self.notes.append(Note("condition", field.start, value_token.end, (field, kind, op_token, value_token)))

    def _note_function(
        self,
        token: Token,
        name: str,
        parts: tuple[Token | None, ...],
        opened: Token | None,
        op: str,
        made: list[Node | None],
        end: int,
    ) -> None:
        self.notes.append(Note("function", token.start, end, (name, parts, opened is not None, op, made)))

    def _note_conjunctions(
        self,
        nodes: list[Node | None],
        starts: list[int],
        conjunctions: list[tuple[Token, int]],
        operator: str,
        opened: Token | None,
    ) -> None:
        if len(nodes) < 2:
            return
        between = {count: token.value for token, count in conjunctions if 0 < count < len(nodes)}
        written = set(between.values())
        start = opened.start if opened is not None else 0
        if written | {operator} == {"and", "or"}:
            joins = tuple(between.get(i, "and") for i in range(1, len(nodes)))
            self.notes.append(Note("mixed_conjunctions", start, start, (opened is not None, operator, joins)))
        for i in range(1, len(nodes)):
            if i not in between:
                self.notes.append(Note("no_conjunction", starts[i - 1], starts[i], operator))


def _utf16_slice(text: str, start: int, stop: int | None) -> str:
    """JavaScript `text.slice(start, stop)`, which counts UTF-16 code units (it can split an emoji)."""
    if text.isascii():
        return text[start:stop]
    return from_utf16_units(to_utf16_units(text)[start:stop])


def parse_with_notes(fql: str) -> tuple[Group, list[Note]]:
    parser = Parser(fql)
    return parser.parse(), parser.notes


def parse(fql: str) -> Group:
    """The AST Segment's `parseFql(fql)` returns. Raises FqlSyntaxError where Segment returns `{error}`."""
    if not isinstance(fql, str):
        raise FqlSyntaxError(f"a trigger must be a string, got {type(fql).__name__}", repr(fql), 0)
    return Parser(fql).parse()
