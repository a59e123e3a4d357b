"""`@replace`: literal search and replace with JavaScript `String.replace` semantics (spec §1.7).

Segment escapes the pattern and builds a RegExp, so the pattern is literal text; the replacement
still expands `$&`, `$$`, `` $` `` and `$'`. Case-insensitive matching follows the RegExp `i` flag
without `u`: characters compare by their single-character upper case (`Canonicalize`), which is not
Python's `re.IGNORECASE` (`ſ` does not match `s`, `ß` matches only itself). JavaScript strings are UTF-16
code units, so a pattern holding half of a surrogate pair matches that half inside an emoji: such patterns
are matched on the text's code units (`\ud83d` in "😀" leaves "\ude00").
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sfmc_actions.errors import MappingError
from sfmc_actions.js.operators import js_to_string, js_truthy
from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.js.values import from_utf16_units, has_surrogates, to_utf16_units, utf16_len
from sfmc_actions.route.mapping.registry import KEEP, Compiler, Mode, Resolver, constant, directive, raises
from sfmc_actions.route.mapping.validate import MAX_PATTERN_LENGTH, MAX_REPLACEMENT_LENGTH

_MATCH, _BEFORE, _AFTER = 1, 2, 3
Token = str | int


@lru_cache(maxsize=4096)
def _canonical_char(ch: str) -> str:
    if ord(ch) > 0xFFFF:
        return ch  # a surrogate pair: each half canonicalises to itself
    upper = ch.upper()
    if len(upper) != 1 or (ord(ch) >= 128 and ord(upper) < 128):
        return ch
    return upper


def canonicalize(text: str) -> str:
    """ECMAScript `Canonicalize` of every character (RegExp `i` flag, non-Unicode mode)."""
    if text.isascii():
        return text.upper()
    return "".join([_canonical_char(ch) for ch in text])


def _tokens(replacement: str) -> tuple[Token, ...]:
    # GetSubstitution with no capture groups: `$1` and `$<name>` stay literal.
    tokens: list[Token] = []
    literal: list[str] = []
    i = 0
    while i < len(replacement):
        ch = replacement[i]
        following = replacement[i + 1] if i + 1 < len(replacement) else ""
        if ch == "$" and following in ("$", "&", "`", "'"):
            if following == "$":
                literal.append("$")
            else:
                if literal:
                    tokens.append("".join(literal))
                    literal = []
                tokens.append({"&": _MATCH, "`": _BEFORE, "'": _AFTER}[following])
            i += 2
            continue
        literal.append(ch)
        i += 1
    if literal:
        tokens.append("".join(literal))
    return tuple(tokens)


class _Replacer:
    """Segment's `performReplace` for one fixed pattern/replacement pair."""

    def __init__(self, pattern: str, replacement: str, ignorecase: bool, is_global: bool) -> None:
        self.error: str | None = None
        if utf16_len(pattern) > MAX_PATTERN_LENGTH:
            self.error = f'@replace requires a "pattern" less than {MAX_PATTERN_LENGTH} characters'
        elif utf16_len(replacement) > MAX_REPLACEMENT_LENGTH:
            self.error = f'@replace requires a "replacement" less than {MAX_REPLACEMENT_LENGTH} characters'
        # A lone surrogate in the pattern can match half of a character: match on UTF-16 units then.
        self.units = has_surrogates(pattern)
        pattern = to_utf16_units(pattern) if self.units else pattern
        self.pattern = canonicalize(pattern) if ignorecase else pattern
        self.ignorecase = ignorecase
        self.is_global = is_global
        self.tokens = _tokens(replacement)
        self.plain = "".join(t for t in self.tokens if isinstance(t, str)) if "$" not in replacement else None

    def __call__(self, text: str) -> str:
        if self.error is not None:
            raise MappingError(self.error)
        if self.units:
            return from_utf16_units(self._replace(to_utf16_units(text)))
        return self._replace(text)

    def _replace(self, text: str) -> str:
        if self.plain is not None and not self.ignorecase:
            return text.replace(self.pattern, self.plain, -1 if self.is_global else 1)
        haystack = canonicalize(text) if self.ignorecase else text
        size = len(self.pattern)
        start = haystack.find(self.pattern)
        if start < 0:
            return text
        parts: list[str] = []
        position = 0
        while start >= 0:
            end = start + size
            parts.append(text[position:start])
            for token in self.tokens:
                if type(token) is str:
                    parts.append(token)
                elif token == _MATCH:
                    parts.append(text[start:end])
                elif token == _BEFORE:
                    parts.append(text[:start])
                else:
                    parts.append(text[end:])
            position = end
            if not self.is_global:
                break
            start = haystack.find(self.pattern, end)
        parts.append(text[position:])
        return "".join(parts)


def _or_default(value: Any, default: Any) -> Any:
    return default if value is None or value is UNDEFINED else value  # JS `value == null`


@directive("@replace")
def compile_replace(options: Any, mode: Mode, compile: Compiler) -> Resolver:
    if type(options) is not dict:
        return raises('@replace requires an object with a "pattern" key')
    pattern = options.get("pattern", UNDEFINED)
    if not js_truthy(pattern):
        return raises('@replace requires a "pattern" key')
    replacement = _or_default(options.get("replacement", UNDEFINED), "")
    pattern2 = options.get("pattern2", UNDEFINED)
    replacement2 = options.get("replacement2", UNDEFINED)
    if js_truthy(pattern2):
        replacement2 = _or_default(replacement2, "")
    ignorecase = _or_default(options.get("ignorecase", UNDEFINED), False)
    is_global = _or_default(options.get("global", UNDEFINED), True)
    if not js_truthy(options.get("value", UNDEFINED)):
        return constant(UNDEFINED)
    value_of = compile(options["value"], KEEP)

    options_ok = (
        type(pattern) is str and type(replacement) is str and type(ignorecase) is bool and type(is_global) is bool
    )
    first = _Replacer(pattern, replacement, ignorecase, is_global) if options_ok else None
    second = None
    if first is not None and type(pattern2) is str and pattern2 and type(replacement2) is str:
        second = _Replacer(pattern2, replacement2, ignorecase, is_global)

    def replace(payload: Any) -> Any:
        value = value_of(payload)
        kind = type(value)
        if kind is bool or kind is int or kind is float:
            value = js_to_string(value)
        elif kind is not str:
            return ""  # null, undefined, objects: Segment returns "", not UNDEFINED
        if first is None:
            return ""
        result = first(value)
        return second(result) if second is not None else result

    return replace
