"""Lexer: FQL text → tokens, exactly as `@segment/fql-ts` 1.10.1 (the lexer Segment's trigger parser uses).

Its quirks are kept on purpose, because they decide which triggers parse (segment-runtime.md §2.1):

* whitespace is space, tab and `\\n` only; `\\r` is an invalid character;
* strings run to the next matching quote with no escapes, and keep their quotes;
* `and`, `or`, `null`, `!=`, `<=`, `>=` are recognised only when a terminator (whitespace, `,`, `]`,
  `)` or the end) follows, and a string's closing quote only counts when a terminator follows it
  (otherwise the quote starts a new string: `"a"and` fails);
* an identifier must be followed by a terminator, `.`, `(`, `=` or `!`: `price>99` fails;
* looking ahead for `and`/`null` at the very end of the input swallows what it read: `an` at the end
  lexes as `a` (recorded in `Lexer.dropped` so a warning can say so).

JavaScript strings are UTF-16, so the lexer runs over UTF-16 code units (`to_utf16_units`); token
values are joined back into normal text, and positions are reported as code-point columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sfmc_actions.errors import FqlSyntaxError
from sfmc_actions.js.number import NAN
from sfmc_actions.js.values import from_utf16_units, js_string_to_number, to_utf16_units

IDENT: Final = "ident"
DOT: Final = "dot"
OPERATOR: Final = "operator"
CONDITIONAL: Final = "conditional"
STRING: Final = "string"
NUMBER: Final = "number"
NULL: Final = "null"
BRACK_LEFT: Final = "brackleft"
BRACK_RIGHT: Final = "brackright"
PAREN_LEFT: Final = "parenleft"
PAREN_RIGHT: Final = "parenright"
COMMA: Final = "comma"
EOS: Final = "eos"

_END: Final = "<end>"  # what peek() returns at the end of input (fql-ts uses the 2-char string "-1")
_WHITESPACE: Final = frozenset(" \t\n")
_ALPHA: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS: Final = frozenset("0123456789")
_IDENT_CHARS: Final = _ALPHA | _DIGITS | frozenset("_-\\")
_TERMINATORS: Final = _WHITESPACE | frozenset({",", "]", ")", _END})
_AFTER_IDENT: Final = _TERMINATORS | frozenset(".(=!")
_PUNCTUATION: Final = {".": DOT, "[": BRACK_LEFT, "]": BRACK_RIGHT, ",": COMMA, "(": PAREN_LEFT, ")": PAREN_RIGHT}
_MAX_LENGTH: Final = 100_000  # fql-ts's "bug catcher" limit for strings, numbers and identifiers


@dataclass(frozen=True, slots=True)
class Token:
    type: str
    value: str  # the text fql-ts gives the token: strings keep their quotes, EOS is "eos"
    start: int  # 0-based column of the first character in the original FQL
    end: int  # column just after the token


class Lexer:
    """One pass over one FQL string. `lex()` returns the tokens, ending with an EOS token."""

    def __init__(self, fql: str) -> None:
        self.fql = fql
        self.src = to_utf16_units(fql)
        self.pos = 0
        self.dropped: list[tuple[int, str]] = []  # (column, text) swallowed by the end-of-input quirk
        self.glued: dict[int, str] = {}  # offset of a closing quote read as an opening one → what followed it
        if self.src is fql:
            self._columns: list[int] | None = None
        else:  # code-unit offset → code-point column, for error carets
            self._columns = [0] * (len(self.src) + 1)
            column = 0
            for offset, char in enumerate(self.src):
                self._columns[offset] = column
                if not "\ud800" <= char <= "\udbff":
                    column += 1
            self._columns[len(self.src)] = column

    # --- the reader: fql-ts's next/peek/backup/accept, including their end-of-input behaviour ---
    def _next(self) -> str:
        if self.pos >= len(self.src):
            return _END
        self.pos += 1
        return self.src[self.pos - 1]

    def _peek(self) -> str:
        return self.src[self.pos] if self.pos < len(self.src) else _END

    def _accept(self, expected: str) -> bool:
        """Consume `expected` if it comes next AND a terminator follows it; otherwise roll back,
        except at the end of input, where fql-ts returns without rolling back."""
        start = self.pos
        read = ""
        for _ in expected:
            char = self._next()
            if char is _END:
                if read:
                    self.dropped.append((self.column(start), from_utf16_units(read)))
                return False
            read += char
            if char in _TERMINATORS:
                break
        if read == expected and self._peek() in _TERMINATORS:
            return True
        self.pos -= len(read)
        return False

    def column(self, offset: int) -> int:
        return offset if self._columns is None else self._columns[min(offset, len(self.src))]

    def _error(self, message: str, offset: int) -> FqlSyntaxError:
        # A message may quote half of a surrogate pair: escape it so that it can be printed.
        printable = message.encode("utf-8", "backslashreplace").decode("utf-8")
        return FqlSyntaxError(printable, self.fql, self.column(offset))

    def _token(self, kind: str, value: str, start: int) -> Token:
        # Join surrogate pairs, also those written as two escaped halves (`\\<D83D>\\<DE00>`): JavaScript
        # holds one string of UTF-16 units, and Python's form of it has the pair as one character.
        return Token(kind, from_utf16_units(value), self.column(start), self.column(self.pos))

    # --- the rules ---
    def lex(self) -> list[Token]:
        tokens: list[Token] = []
        while True:
            start = self.pos
            char = self._next()
            if char is _END:
                tokens.append(Token(EOS, "eos", self.column(start), self.column(start)))
                return tokens
            if char in _WHITESPACE:
                continue
            if char == "!" and (self._peek() in _ALPHA or self._peek() == "("):
                tokens.append(self._token(OPERATOR, "!", start))
            elif char in _ALPHA or char in "!=<>\\_":
                tokens.append(self._operator_or_word(char, start))
            elif char in _DIGITS or char in "-+":
                tokens.append(self._number(char, start))
            elif char in "\"'":
                tokens.append(self._string(char, start))
            elif char in _PUNCTUATION:
                tokens.append(self._token(_PUNCTUATION[char], char, start))
            else:
                shown = "\\r (carriage return)" if char == "\r" else char
                raise self._error(
                    f"invalid character '{shown}': FQL allows letters, digits, quotes, spaces, tabs, "
                    "newlines and = != < <= > >= ! . , ( ) [ ]",
                    start,
                )

    def _string(self, quote: str, start: int) -> Token:
        text_start = self.pos
        while self._peek() != quote:
            if self._next() is _END:
                if start in self.glued:
                    raise self._error(
                        f"the closing {quote} at column {self.column(start) + 1} is followed by "
                        f"{_describe(self.glued[start])}: Segment counts a closing quote only before a space, ')', "
                        "',', ']' or the end, so it starts a new string here, which is never closed",
                        start,
                    )
                raise self._error(
                    f"unterminated string: expected a closing {quote} (FQL strings have no escapes)", start
                )
        text = self.src[text_start : self.pos]
        if len(text) >= _MAX_LENGTH:
            raise self._error("unreasonable string length: FQL strings must be under 100000 characters", start)
        if not self._accept(quote):  # the closing quote only counts when a terminator follows it
            self.glued[self.pos] = self.src[self.pos + 1]
        return self._token(STRING, quote + text + quote, start)

    def _number(self, first: str, start: int) -> Token:
        decimal = False
        while self._peek() in _DIGITS or self._peek() == ".":
            char = self._next()
            if char == ".":
                if self._peek() in _TERMINATORS:
                    raise self._error("unexpected terminator after decimal point: write 5 or 5.0, not 5.", self.pos - 1)
                if decimal:
                    raise self._error("multiple decimal points in one number", self.pos - 1)
                decimal = True
            if self.pos - start - 1 >= _MAX_LENGTH:
                raise self._error("unreasonable number length", start)
        return self._token(NUMBER, self.src[start : self.pos], start)

    def _operator_or_word(self, first: str, start: int) -> Token:
        if first == "=":
            return self._token(OPERATOR, "=", start)
        if first == "!":
            if self._accept("="):
                return self._token(OPERATOR, "!=", start)
            if self._peek() == "=":
                following = self.src[self.pos + 1]
                raise self._error(
                    f"'!=' must be followed by a space, ',', ')', ']' or the end, got {_describe(following)}: "
                    "write != with a space after it",
                    self.pos + 1,
                )
            raise self._error(
                f"expected '=' after '!', got {_describe(self._peek())}: write != (with a space after it), "
                "or !contains(...) / !match(...)",
                self.pos,
            )
        if first in "<>":
            return self._token(OPERATOR, first + "=" if self._accept("=") else first, start)
        keyword = {"a": ("nd", CONDITIONAL, "and"), "o": ("r", CONDITIONAL, "or"), "n": ("ull", NULL, "null")}.get(
            first
        )
        if keyword is not None and self._accept(keyword[0]):
            return self._token(keyword[1], keyword[2], start)
        return self._identifier(first, start)

    def _identifier(self, first: str, start: int) -> Token:
        text = ""
        char = first
        while True:
            if char == "\\":  # a backslash escapes any next character
                if self._peek() is _END:
                    raise self._error("expected a character after the escape character \\, got the end", self.pos - 1)
                char = self._next()
            text += char
            if len(text) >= _MAX_LENGTH:
                raise self._error("unreasonable identifier length", start)
            if self._peek() not in _IDENT_CHARS:
                break
            char = self._next()
        following = self._peek()
        if following not in _AFTER_IDENT:
            shown = from_utf16_units(text) if self._columns is not None else text
            raise self._error(
                f"expected a space, ')', ',', ']', '.', '(', '=' or '!' after '{shown}', got {_describe(following)}"
                + (": Segment needs a space between a field and its operator" if following in "<>" else ""),
                self.pos,
            )
        return self._token(IDENT, text, start)


def _describe(char: str) -> str:
    return "the end of the trigger" if char is _END else repr(char)


def lex(fql: str) -> list[Token]:
    """Tokens of `fql`, ending with an EOS token. Raises FqlSyntaxError (with the column) on a lexer error."""
    return Lexer(fql).lex()


def join_dotted(tokens: list[Token]) -> list[Token]:
    """Segment's `normalize`: an identifier, `.`, identifier run becomes one identifier (`properties.a.b`).
    Numbers and brackets are not joined, so `properties.items[0]` and `properties.a.0` stay apart."""
    joined: list[Token] = []
    index = 0
    while index < len(tokens):
        current = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if joined and joined[-1].type == IDENT and current.type == DOT and following and following.type == IDENT:
            previous = joined.pop()
            joined.append(Token(IDENT, previous.value + "." + following.value, previous.start, following.end))
            index += 2
        else:
            joined.append(current)
            index += 1
    return joined


def token_value(token: Token) -> str | float | bool:
    """Segment's `getTokenValue`: strings lose only DOUBLE quotes, numbers go through `Number()`,
    the bare words true/false become booleans, and any other token is its text."""
    if token.type == STRING:
        text = token.value[1:] if token.value.startswith('"') else token.value
        return text[:-1] if text.endswith('"') else text
    if token.type == NUMBER:
        number = js_string_to_number(token.value)
        return NAN if number != number else number
    if token.type == IDENT and token.value in ("true", "false"):
        return token.value == "true"
    return token.value
