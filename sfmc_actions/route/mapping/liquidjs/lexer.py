"""LiquidJS 10.30's tokenizer: template text into HTML, `{% tag %}` and `{{ output }}` tokens, and the
expression reader (values, properties, ranges, operators, filters) that tags and outputs use.

The reading rules are LiquidJS's, because they decide what a template means: an expression is a run of
operands and operators with nothing required between them (`{{ a b }}` reads `a`), a filter list ends at
`,` or `)` (`{{ a, b }}` reads `a`), a trailing `|` is allowed, `[...]` skips to the next `]`, `-` and `?`
are word characters, a number must not touch a word character (`1e5` is a name), string literals take
JavaScript escapes, and whitespace control (`{%-`, `-}}`) trims every blank, newlines included.
Positions index the Python text; error columns are counted in UTF-16 units, as LiquidJS counts them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from sfmc_actions.js.values import utf16_len
from sfmc_actions.route.mapping.liquidjs.values import LITERALS, canonical

WORD: Final = 1
OPERATOR_CHAR: Final = 2
BLANK: Final = 4
QUOTE: Final = 8
INLINE_BLANK: Final = 16
NUMBER: Final = 32
SIGN: Final = 64
PUNCTUATION: Final = 128


def _ascii_types() -> list[int]:
    types = [0] * 128
    for ch in "\t\r ":
        types[ord(ch)] = BLANK | INLINE_BLANK
    for ch in "\n\v\f":
        types[ord(ch)] = BLANK
    for ch in "!<=>":
        types[ord(ch)] = OPERATOR_CHAR
    for ch in "\"'":
        types[ord(ch)] = QUOTE
    for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_?":
        types[ord(ch)] = WORD
    for ch in "0123456789":
        types[ord(ch)] = WORD | NUMBER
    types[ord("+")] = SIGN
    types[ord("-")] = WORD | SIGN
    return types


_TYPES: Final = _ascii_types()
# Beyond ASCII every character is a word character except these blanks and the curly double quotes.
_HIGH: Final = {
    **dict.fromkeys((0xA0, 0x1680, 0x180E, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000), BLANK),
    0x201C: PUNCTUATION,
    0x201D: PUNCTUATION,
}


def char_type(ch: str) -> int:
    if not ch:
        return 0
    code = ord(ch)
    return _TYPES[code] if code < 128 else _HIGH.get(code, 0)


def is_word(ch: str) -> bool:
    if not ch:
        return False
    code = ord(ch)
    return bool(_TYPES[code] & WORD) if code < 128 else code not in _HIGH


class LiquidError(Exception):
    """A LiquidJS error with the position it reports (`<message>, line:L, col:C`)."""

    def __init__(self, message: str, source: str, position: int) -> None:
        self.bare = message
        before = source[: max(position, 0)]
        line_start = before.rfind("\n") + 1
        line, column = before.count("\n") + 1, utf16_len(before[line_start:]) + 1
        super().__init__(f"{message}, line:{line}, col:{column}")


def _trie(words: list[str]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for index, ch in enumerate(word):
            node = node.setdefault(ch, {})
            if index == len(word) - 1 and is_word(ch):
                node["boundary"] = True
        node["end"] = word
    return root


OPERATORS: Final = ("==", "!=", ">", "<", ">=", "<=", "contains", "not", "and", "or")
PRECEDENCE: Final = {"==": 2, "!=": 2, ">": 2, "<": 2, ">=": 2, "<=": 2, "contains": 2, "not": 1, "and": 0, "or": 0}
_OPERATOR_TRIE: Final = _trie(list(OPERATORS))
_LITERAL_TRIE: Final = _trie(list(LITERALS))


# --- value tokens -------------------------------------------------------------------------------------
@dataclass(slots=True)
class Literal:
    """A number, quoted string or true/false/nil/null/empty/blank: `value` is what it evaluates to."""

    value: Any
    text: str


@dataclass(slots=True)
class Identifier:
    """A bare word inside a property path (`a` in `a.b`): its text is the key."""

    value: str
    position: int


@dataclass(slots=True)
class PropertyAccess:
    variable: Any  # a value token the path starts from, or None: the first prop names a variable
    props: list[Any]
    text: str


@dataclass(slots=True)
class Range:
    low: Any
    high: Any
    text: str


@dataclass(slots=True)
class Operator:
    op: str


@dataclass(slots=True)
class Filter:
    name: str
    args: list[Any]  # value tokens, or [name, value token or None] for `key: value` arguments


@dataclass(slots=True)
class FilteredValue:
    postfix: list[Any]  # operands and Operators in postfix order
    filters: list[Filter]
    text: str


# --- top-level tokens ---------------------------------------------------------------------------------
@dataclass(slots=True)
class HtmlToken:
    begin: int
    end: int
    trim_left: int = 0
    trim_right: int = 0


@dataclass(slots=True)
class DelimitedToken:
    """`{% ... %}` (is_tag) or `{{ ... }}`, or one line of `{% liquid %}`."""

    is_tag: bool
    begin: int
    end: int
    content: tuple[int, int]
    trim_left: bool
    trim_right: bool
    name: str = ""
    reader: Tokenizer | None = field(default=None, repr=False)
    static_args: str | None = None  # a {% tag %}'s arguments, read once; a liquid line's follow the reader

    @property
    def args(self) -> str:
        if self.static_args is not None:
            return self.static_args
        assert self.reader is not None
        return self.reader.input[self.reader.p : self.content[1]]


def _delimited(
    input: str, is_tag: bool, begin: int, end: int, content_begin: int, content_end: int, trim_left: bool = False
) -> DelimitedToken:
    left = input[content_begin : content_begin + 1] == "-"
    right = content_end >= 1 and input[content_end - 1 : content_end] == "-"
    lo = content_begin + 1 if left else content_begin
    hi = content_end - 1 if right else content_end
    while lo < hi and char_type(input[lo]) & BLANK:
        lo += 1
    while hi > lo and char_type(input[hi - 1]) & BLANK:
        hi -= 1
    return DelimitedToken(is_tag, begin, end, (lo, hi), left or trim_left, right)


class Tokenizer:
    """LiquidJS `Tokenizer` over `input[p:N]`."""

    def __init__(self, input: str, start: int = 0, stop: int | None = None) -> None:
        self.input = input
        self.p = start
        self.N = len(input) if stop is None else stop
        self.raw_begin = -1

    # --- characters ---
    def peek(self, n: int = 0) -> str:
        i = self.p + n
        return self.input[i] if 0 <= i < self.N else ""

    def peek_type(self, n: int = 0) -> int:
        i = self.p + n
        return char_type(self.input[i]) if 0 <= i < self.N else 0

    def at(self, i: int) -> str:
        return self.input[i] if 0 <= i < len(self.input) else ""

    def end(self) -> bool:
        return self.p >= self.N

    def read(self) -> str:
        ch = self.at(self.p)
        self.p += 1
        return ch

    def skip_blank(self) -> None:
        while self.peek_type() & BLANK:
            self.p += 1

    def match(self, word: str) -> bool:
        return all(self.at(self.p + i) == ch for i, ch in enumerate(word))

    def rmatch(self, word: str) -> bool:
        size = len(word)
        return all(self.at(self.p - 1 - i) == word[size - 1 - i] for i in range(size))

    def read_to(self, end: str) -> int:
        while self.p < self.N:
            self.p += 1
            if self.rmatch(end):
                return self.p
        return -1

    def error(self, message: str, position: int | None = None) -> LiquidError:
        return LiquidError(message, self.input, self.p if position is None else position)

    def check(self, condition: object, message: str, position: int | None = None) -> None:
        if not condition:
            raise self.error(message, position)

    def snapshot(self, begin: int | None = None) -> str:
        text = self.input[self.p if begin is None else begin : self.N]
        if utf16_len(text) > 32:
            text = text[:29] + "..."
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    def _match_trie(self, trie: dict[str, Any]) -> int:
        node, i, found = trie, self.p, -1
        boundary = False
        while i < self.N and self.input[i] in node:
            node = node[self.input[i]]
            i += 1
            if "end" in node:
                found, boundary = i, bool(node.get("boundary"))
        if found < 0:
            return -1
        if boundary and is_word(self.peek(found - self.p)):
            return -1
        return found

    # --- expressions ---
    def read_expression_tokens(self) -> Iterator[Any]:
        while self.p < self.N:
            operator = self.read_operator()
            if operator is not None:
                yield operator
                continue
            operand = self.read_value()
            if operand is not None:
                yield operand
                continue
            return

    def read_expression(self) -> list[Any]:
        """Operands and operators in postfix order (LiquidJS's precedence climbing: ties go right)."""
        postfix: list[Any] = []
        ops: list[Operator] = []
        for token in self.read_expression_tokens():
            if isinstance(token, Operator):
                while ops and PRECEDENCE[ops[-1].op] > PRECEDENCE[token.op]:
                    postfix.append(ops.pop())
                ops.append(token)
            else:
                postfix.append(token)
        postfix.extend(reversed(ops))
        return postfix

    def read_operator(self) -> Operator | None:
        self.skip_blank()
        end = self._match_trie(_OPERATOR_TRIE)
        if end < 0:
            return None
        op = self.input[self.p : end]
        self.p = end
        return Operator(op)

    def read_filtered_value(self) -> FilteredValue:
        begin = self.p
        postfix = self.read_expression()
        self.check(postfix, f"invalid value expression: {self.snapshot()}")
        filters = self.read_filters()
        return FilteredValue(postfix, filters, self.input[begin : self.p])

    def read_filters(self) -> list[Filter]:
        filters: list[Filter] = []
        while True:
            found = self.read_filter()
            if found is None:
                return filters
            filters.append(found)

    def read_filter(self) -> Filter | None:
        self.skip_blank()
        if self.end():
            return None
        if self.peek() in (")", ","):
            return None
        self.check(self.read() == "|", 'expected "|" before filter')
        name = self.read_identifier()
        if not name:
            self.check(self.end(), "expected filter name")
            return None
        args: list[Any] = []
        self.skip_blank()
        if self.peek() == ":":
            while True:
                self.p += 1
                arg = self.read_filter_arg()
                if arg is not None:
                    args.append(arg)
                self.skip_blank()
                if not (self.end() or self.peek() in (",", "|", ")")):
                    raise self.error(f"unexpected character {self.snapshot()}")
                if self.peek() != ",":
                    break
        elif not (self.peek() in ("|", ")", ",") or self.end()):
            raise self.error('expected ":" after filter name')
        return Filter(name, args)

    def read_filter_arg(self) -> Any:
        begin = self.p
        key = self.read_value()
        if key is None:
            return None
        key_text = self.input[self._token_start(begin) : self.p]  # the token's text: from its first character
        self.skip_blank()
        if self.peek() != ":":
            return key
        self.p += 1
        return [key_text, self.read_value()]

    def _token_start(self, begin: int) -> int:
        while begin < self.N and char_type(self.input[begin]) & BLANK:
            begin += 1
        return begin

    def read_identifier(self) -> str:
        self.skip_blank()
        begin = self.p
        while not self.end() and is_word(self.peek()):
            self.p += 1
        return self.input[begin : self.p]

    def read_tag_name(self) -> str:
        self.skip_blank()
        if self.at(self.p) == "#":
            self.p += 1
            return "#"
        return self.read_identifier()

    def read_value(self) -> Any:
        self.skip_blank()
        begin = self.p
        variable: Any = self.read_literal()
        if variable is None:
            variable = self.read_quoted()
        if variable is None:
            variable = self.read_number()
        if variable is None and self.peek() == "(":
            variable = self.read_range()
        props = self.read_properties(variable is None)
        if not props:
            return variable
        return PropertyAccess(variable, props, self.input[begin : self.p])

    def read_properties(self, is_begin: bool = True) -> list[Any]:
        props: list[Any] = []
        while True:
            if self.peek() == "[":
                self.p += 1
                prop = self.read_value()
                if prop is None:
                    prop = Identifier("", self.p)
                self.check(self.read_to("]") != -1, "[ not closed")
                props.append(prop)
                continue
            if is_begin and not props:
                start = self.p
                name = self.read_identifier()
                if name:
                    props.append(Identifier(name, start))
                    continue
            if self.peek() == "." and self.peek(1) != ".":
                self.p += 1
                name = self.read_identifier()
                if not name:
                    break
                props.append(Identifier(name, self.p))
                continue
            break
        return props

    def read_number(self) -> Literal | None:
        self.skip_blank()
        decimal = digit = False
        n = 1 if self.peek_type() & SIGN else 0
        while self.p + n <= self.N:
            if self.peek_type(n) & NUMBER:
                digit = True
                n += 1
            elif self.peek(n) == "." and self.peek(n + 1) != ".":
                if decimal or not digit:
                    return None
                decimal = True
                n += 1
            else:
                break
        if digit and not is_word(self.peek(n)):
            text = self.input[self.p : self.p + n]
            self.p += n
            return Literal(_number_literal(text), text)
        return None

    def read_literal(self) -> Literal | None:
        self.skip_blank()
        end = self._match_trie(_LITERAL_TRIE)
        if end < 0:
            return None
        text = self.input[self.p : end]
        self.p = end
        return Literal(LITERALS[text], text)

    def read_range(self) -> Range:
        self.skip_blank()
        begin = self.p
        self.p += 1
        low = self.read_value_or_throw()
        self.skip_blank()
        if self.peek() == "." and self.peek(1) == ".":
            self.p += 2
            high = self.read_value_or_throw()
            self.skip_blank()
            self.check(self.read() == ")", "invalid range syntax")
            return Range(low, high, self.input[begin : self.p])
        raise self.error("invalid range syntax")

    def read_value_or_throw(self) -> Any:
        value = self.read_value()
        self.check(value is not None, f"unexpected token {self.snapshot()}, value expected")
        return value

    def read_quoted(self) -> Literal | None:
        self.skip_blank()
        begin = self.p
        if not self.peek_type() & QUOTE:
            return None
        self.p += 1
        escaped = False
        quote = self.input[begin]
        while self.p < self.N:
            self.p += 1
            ch = self.input[self.p - 1]
            if ch == quote and not escaped:
                break
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
        text = self.input[begin : self.p]
        return Literal(parse_string_literal(text), text)

    # --- top level ---
    def read_top_level_tokens(self) -> list[HtmlToken | DelimitedToken]:
        tokens: list[HtmlToken | DelimitedToken] = []
        while self.p < self.N:
            tokens.append(self._read_top_level_token())
        _whitespace_control(self.input, tokens)
        return tokens

    def _read_top_level_token(self) -> HtmlToken | DelimitedToken:
        if self.raw_begin > -1:
            return self._read_endraw_or_raw_content()
        if self.match("{%"):
            return self._read_tag_token()
        if self.match("{{"):
            return self._read_output_token()
        begin = self.p
        while self.p < self.N and not (self.match("{%") or self.match("{{")):
            self.p += 1
        return HtmlToken(begin, self.p)

    def _read_to_delimiter(self, delimiter: str, respect_quoted: bool = False) -> int:
        self.skip_blank()
        while self.p < self.N:
            if respect_quoted and self.peek_type() & QUOTE:
                self.read_quoted()
                continue
            self.p += 1
            if self.rmatch(delimiter):
                return self.p
        return -1

    def _read_tag_token(self) -> DelimitedToken:
        begin = self.p
        if self._read_to_delimiter("%}") == -1:
            raise self.error(f"tag {self.snapshot(begin)} not closed", begin)
        token = tag_token(self.input, begin, self.p, begin + 2, self.p - 2)
        if token.name == "raw":
            self.raw_begin = begin
        return token

    def _read_output_token(self) -> DelimitedToken:
        begin = self.p
        if self._read_to_delimiter("}}", respect_quoted=True) == -1:
            raise self.error(f"output {self.snapshot(begin)} not closed", begin)
        return _delimited(self.input, False, begin, self.p, begin + 2, self.p - 2)

    def _read_endraw_or_raw_content(self) -> HtmlToken | DelimitedToken:
        begin = self.p
        left = self.read_to("{%") - 2
        while self.p < self.N:
            if self.read_identifier() != "endraw":
                left = self.read_to("{%") - 2
                continue
            while self.p <= self.N:
                if self.rmatch("%}"):
                    end = self.p
                    if begin == left:
                        self.raw_begin = -1
                        return tag_token(self.input, begin, end, begin + 2, end - 2)
                    self.p = left
                    return HtmlToken(begin, left)
                if self.rmatch("{%"):
                    break
                self.p += 1
        raise self.error(f"raw {self.snapshot(self.raw_begin)} not closed", begin)

    def read_liquid_tag_tokens(self) -> list[DelimitedToken]:
        tokens = []
        while self.p < self.N:
            self.skip_blank()
            if self.end():
                break
            begin = self.p
            self._read_to_delimiter("\n")
            tokens.append(liquid_line_token(self.input, begin, self.p))
        return tokens


def tag_token(input: str, begin: int, end: int, content_begin: int, content_end: int) -> DelimitedToken:
    """A `{% name args %}` token: its name read, its reader left at the arguments."""
    token = _delimited(input, True, begin, end, content_begin, content_end)
    reader = Tokenizer(input, token.content[0], token.content[1])
    token.name = reader.read_tag_name()
    reader.check(token.name, "illegal tag syntax, tag name expected")
    reader.skip_blank()
    token.reader = reader
    token.static_args = input[reader.p : token.content[1]]
    return token


def liquid_line_token(input: str, begin: int, end: int) -> DelimitedToken:
    """One line of `{% liquid %}`: a tag without delimiters."""
    token = _delimited(input, True, begin, end, begin, end)
    reader = Tokenizer(input, token.content[0], token.content[1])
    token.name = reader.read_tag_name()
    reader.check(token.name, "illegal liquid tag syntax")
    reader.skip_blank()
    token.reader = reader
    return token


def _whitespace_control(input: str, tokens: list[HtmlToken | DelimitedToken]) -> None:
    in_raw = False
    for index, token in enumerate(tokens):
        if not isinstance(token, DelimitedToken):
            continue
        if not in_raw and token.trim_left and index > 0:
            before = tokens[index - 1]
            if isinstance(before, HtmlToken):
                while char_type(_char(input, before.end - 1 - before.trim_right)) & BLANK:
                    before.trim_right += 1
        if token.is_tag:
            if token.name == "raw":
                in_raw = True
            elif token.name == "endraw":
                in_raw = False
        if not in_raw and token.trim_right and index + 1 < len(tokens):
            after = tokens[index + 1]
            if isinstance(after, HtmlToken):
                while char_type(_char(input, after.begin + after.trim_left)) & BLANK:
                    after.trim_left += 1
                if _char(input, after.begin + after.trim_left) == "\n":
                    after.trim_left += 1


def _char(input: str, i: int) -> str:
    return input[i] if 0 <= i < len(input) else ""


def _number_literal(text: str) -> int | float:
    # Number(text) for [+-]digits[.digits]: whole values stay ints (they print and index alike).
    value = float(text)
    if value.is_integer() and abs(value) <= 2**53 and not (value == 0 and text.startswith("-")):
        return int(value)
    return value


_ESCAPES: Final = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\x0b"}
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_OCTAL: Final = frozenset("01234567")


def parse_string_literal(text: str) -> str:
    """LiquidJS `parseStringLiteral`: the text between the first and the last character, with escapes."""
    out: list[str] = []
    i, last = 1, len(text) - 1
    while i < last:
        ch = text[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        following = text[i + 1] if i + 1 < len(text) else ""
        if following in _ESCAPES:
            out.append(_ESCAPES[following])
            i += 2
        elif following == "u":
            j, value = i + 2, 0
            while j <= i + 5 and (j >= len(text) or text[j] in _HEX):
                if j >= len(text):
                    # LiquidJS tests `str[j]` past the end: /[\da-fA-F]/ matches "undefined", then it fails.
                    raise TypeError("Cannot read properties of undefined (reading 'charCodeAt')")
                value = value * 16 + int(text[j], 16)
                j += 1
            out.append(chr(value))
            i = j
        elif following not in _OCTAL:
            out.append(following)
            i += 2
        else:
            j, value = i + 1, 0
            while j <= i + 3 and j < len(text) and text[j] in _OCTAL:
                value = value * 8 + int(text[j])
                j += 1
            out.append(chr(value))
            i = j
    return canonical("".join(out))
