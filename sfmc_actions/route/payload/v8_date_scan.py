"""V8's date tokenizer (DateStringTokenizer over InputReader, src/date/dateparser*.h), for v8_date.py.

Tokens: numbers (leading zeros skipped, at most 9 significant digits kept), the symbols : - + . ),
words of characters >= "A" (so also [ \\ ] ^ _ ` { | } ~ and non-ASCII letters) matched on their first
three letters against month, AM/PM, zone and "T" keywords, JavaScript whitespace, and parenthesised
comments. A NUL character ends the input, as in V8.
"""

from __future__ import annotations

from dataclasses import dataclass

from sfmc_actions.js.values import JS_WHITESPACE

NONE = 2**31 - 1  # kNone
MAX_DIGITS = 9  # kMaxSignificantDigits

# Token kinds (DateToken tags).
INVALID, UNKNOWN, SPACE, NUMBER, SYMBOL, END, KEYWORD = range(7)
# Keyword types.
MONTH, ZONE, TIME_SEP, AM_PM, BAD_WORD = range(5)

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
KEYWORDS: list[tuple[str, int, int]] = [
    *((name, MONTH, i + 1) for i, name in enumerate(MONTHS)),
    ("am", AM_PM, 0),
    ("pm", AM_PM, 12),
    ("ut", ZONE, 0),
    ("utc", ZONE, 0),
    ("z", ZONE, 0),
    ("gmt", ZONE, 0),
    ("cdt", ZONE, -5),
    ("cst", ZONE, -6),
    ("edt", ZONE, -4),
    ("est", ZONE, -5),
    ("mdt", ZONE, -6),
    ("mst", ZONE, -7),
    ("pdt", ZONE, -7),
    ("pst", ZONE, -8),
    ("t", TIME_SEP, 0),
]


@dataclass
class Token:
    kind: int
    length: int = 0
    value: int = -1  # number value, symbol code, or keyword value
    keyword: int = BAD_WORD

    def is_symbol(self, char: str) -> bool:
        return self.kind == SYMBOL and self.value == ord(char)

    def is_sign(self) -> bool:
        return self.kind == SYMBOL and self.value in (43, 45)

    def is_fixed_number(self, length: int) -> bool:
        return self.kind == NUMBER and self.length == length

    def is_z(self) -> bool:
        return self.kind == KEYWORD and self.keyword == ZONE and self.length == 1 and self.value == 0


def lookup(prefix: str, length: int) -> tuple[int, int]:
    for name, kind, value in KEYWORDS:
        if prefix == name and (length <= 3 or kind == MONTH):
            return kind, value
    return BAD_WORD, 0


class Scanner:
    """DateStringTokenizer over InputReader. A NUL character ends the input, as in V8."""

    def __init__(self, text: str) -> None:
        end = text.find("\0")
        self.text = text if end < 0 else text[:end]
        self.pos = 0
        self.next_token = self._scan()

    def _ch(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _scan(self) -> Token:
        text, start = self.text, self.pos
        if start >= len(text):
            return Token(END)
        char = text[start]
        if "0" <= char <= "9":
            number, pos = 0, start
            while pos < len(text) and text[pos] == "0":  # leading zeros do not count as significant
                pos += 1
            first = pos
            while pos < len(text) and "0" <= text[pos] <= "9":
                if pos - first < MAX_DIGITS:
                    number = number * 10 + ord(text[pos]) - 48
                pos += 1
            self.pos = pos
            return Token(NUMBER, pos - start, number)
        if char in ":-+.)":
            self.pos += 1
            return Token(SYMBOL, 1, ord(char))
        if char >= "A" and char not in JS_WHITESPACE:  # a "word": [ \ ] ^ _ ` { | } ~ and non-ASCII count
            pos = start
            while pos < len(text) and text[pos] >= "A" and text[pos] not in JS_WHITESPACE:
                pos += 1
            self.pos = pos
            prefix = "".join(chr(ord(c) | 0x20) for c in text[start : min(pos, start + 3)])
            kind, value = lookup(prefix, pos - start)
            return Token(KEYWORD, pos - start, value, kind)
        if char in JS_WHITESPACE:
            self.pos += 1
            return Token(SPACE, 1)
        if char == "(":
            balance = 0
            while True:
                current = self._ch()
                if current == ")":
                    balance -= 1
                elif current == "(":
                    balance += 1
                self.pos += 1
                if not (balance > 0 and self._ch()):
                    break
            return Token(UNKNOWN, 1)
        self.pos += 1
        return Token(UNKNOWN, 1)

    def next(self) -> Token:
        token = self.next_token
        self.next_token = self._scan()
        return token

    def peek(self) -> Token:
        return self.next_token

    def skip_symbol(self, char: str) -> bool:
        if self.next_token.is_symbol(char):
            self.next_token = self._scan()
            return True
        return False
