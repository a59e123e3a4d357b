"""String and number formats known to Segment's validator: ajv-formats 2.1.1 ("full" mode) plus
Segment's own `text` (always valid) and `date-like` (what dayjs / `new Date()` can read).

The ajv-formats patterns are JavaScript regular expressions; they are transcribed with JavaScript's
meaning kept: `$` is the end of input (Python's `$` also matches before a final newline, so every
pattern is used with `fullmatch`), `\\d` is ASCII, `\\s` is JavaScript's whitespace set, and `/i`
without `/u` folds ASCII letters only (re.ASCII | re.I).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from sfmc_actions.js.equality import is_number
from sfmc_actions.js.values import JS_WHITESPACE, js_number_to_string, js_string_to_number
from sfmc_actions.route.payload.format_patterns import JS_PATTERNS
from sfmc_actions.route.payload.v8_date import js_date_parses

_WS: Final = re.escape(JS_WHITESPACE)
_JS_DOT: Final = "[^\n\r\u2028\u2029]"  # JavaScript's `.` stops at every line terminator


def from_js(source: str, flags: str) -> re.Pattern[str]:
    """Compile a JavaScript regex source with its meaning kept. Use the result with `fullmatch`.

    The outer `^...$` anchors are dropped (fullmatch anchors), an inner `$` becomes `\\Z`, `\\d` is
    ASCII, `\\s` / `\\S` and `.` use JavaScript's character sets, `\\u{...}` is rewritten, and `/i`
    without `/u` folds ASCII letters only (re.ASCII), as JavaScript's non-Unicode mode does.
    """
    body = source[1:-1] if source.startswith("^") and source.endswith("$") else source
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            escape = body[i + 1]
            if escape == "d":
                out.append("0-9" if in_class else "[0-9]")
            elif escape == "s":
                out.append(_WS if in_class else f"[{_WS}]")
            elif escape == "S":
                out.append(f"[^{_WS}]")
            elif escape == "u" and body[i + 2] == "{":
                close = body.index("}", i)
                out.append(f"\\u{int(body[i + 3 : close], 16):04x}")
                i = close + 1
                continue
            else:
                out.append(body[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
        else:
            out.append({"$": "\\Z", ".": _JS_DOT}.get(char, char))
        i += 1
    options = 0
    if "i" in flags:
        options = re.IGNORECASE if "u" in flags else re.IGNORECASE | re.ASCII
    return re.compile("".join(out), options)


_PATTERNS: Final = {name: from_js(source, flags) for name, (source, flags) in JS_PATTERNS.items()}
_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_DATE_TIME_SEPARATOR = re.compile(f"[tT{_WS}]")
_JS_LINE_BREAK = re.compile("[\n\r\u2028\u2029]")
# dayjs's REGEX_PARSE (dayjs/esm/constant.js); a string it matches always makes a valid date.
_DAYJS = from_js(r"^(\d{4})[-/]?(\d{1,2})?[-/]?(\d{0,2})[Tt\s]*(\d{1,2})?:?(\d{1,2})?:?(\d{1,2})?[.:]?(\d+)?$", "")
_SIMPLE_NAMES = (
    "duration",
    "uri-reference",
    "uri-template",
    "url",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
    "json-pointer",
    "json-pointer-uri-fragment",
    "relative-json-pointer",
)


def _date(text: str) -> bool:
    match = _PATTERNS["date"].fullmatch(text)
    if not match:
        return False
    year, month, day = (int(part) for part in match.groups())
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 1 <= month <= 12 and 1 <= day <= (29 if month == 2 and leap else _DAYS[month])


def _time(text: str) -> bool:
    # ajv-formats 2.1.1 means to require a zone inside date-time, but compares an absent group
    # (undefined) with "", so a time without a zone passes there too; both uses behave alike.
    match = _PATTERNS["time"].fullmatch(text)
    if not match:
        return False
    hour, minute, second = int(match[1]), int(match[2]), int(match[3])
    return (hour <= 23 and minute <= 59 and second <= 59) or (hour, minute, second) == (23, 59, 60)


def _date_time(text: str) -> bool:
    parts = _DATE_TIME_SEPARATOR.split(text)
    return len(parts) == 2 and _date(parts[0]) and _time(parts[1])


def _uri(text: str) -> bool:
    return ("/" in text or ":" in text) and _PATTERNS["uri"].fullmatch(text) is not None


def _byte(text: str) -> bool:
    # The JavaScript pattern has the `m` flag: any one line that is valid base64 makes it pass.
    return any(_PATTERNS["byte"].fullmatch(line) for line in _JS_LINE_BREAK.split(text))


def _regex(text: str) -> bool:
    # Approximation: ajv-formats asks JavaScript's RegExp; Python's syntax is close but not equal.
    if re.search(r"[^\\]\\Z", text):
        return False
    try:
        re.compile(text)
    except (re.error, OverflowError, RecursionError):
        return False
    return True


def date_like(text: str) -> bool:
    """Segment's `date-like` format (schema-validation.ts): dayjs, numeric strings as Unix seconds."""
    number = js_string_to_number(text)
    if js_number_to_string(number) == text:
        # dayjs.unix(Number(text)): a Date of seconds * 1000 ms, valid when finite and within TimeClip.
        millis = number * 1000
        return millis == millis and abs(millis) <= 8.64e15
    if not text.endswith(("z", "Z")) and _DAYJS.fullmatch(text):
        return True  # dayjs builds the date from its own regex groups: always a valid date
    return js_date_parses(text)


def _matcher(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda text: pattern.fullmatch(text) is not None


STRING_FORMATS: Final[dict[str, Callable[[str], bool]]] = {
    "date": _date,
    "time": _time,
    "date-time": _date_time,
    "uri": _uri,
    "byte": _byte,
    "regex": _regex,
    "date-like": date_like,
    **{name: _matcher(_PATTERNS[name]) for name in _SIMPLE_NAMES},
}
ALWAYS_VALID: Final = frozenset({"text", "password", "binary"})


def _int32(value: object) -> bool:
    return is_number(value) and float(value).is_integer() and -(2**31) <= value <= 2**31 - 1  # type: ignore[operator, arg-type]


def _int64(value: object) -> bool:
    return is_number(value) and float(value).is_integer()  # type: ignore[arg-type]


NUMBER_FORMATS: Final[dict[str, Callable[[object], bool]]] = {
    "int32": _int32,
    "int64": _int64,
    "float": lambda _: True,
    "double": lambda _: True,
}

# ajv-human-errors' wording for the formats it knows; other formats are named as they are.
FORMAT_LABELS: Final = {
    "date-time": "date and time",
    "time": "time",
    "date": "date",
    "email": "email address",
    "hostname": "hostname",
    "ipv4": "IPv4 address",
    "ipv6": "IPv6 address",
    "uri": "URI",
    "uri-reference": "URI Reference",
    "uri-template": "URI-template",
    "json-pointer": "JSON Pointer",
    "relative-json-pointer": "relative JSON Pointer",
    "regex": "regular expression",
}


def is_known(name: str) -> bool:
    return name in STRING_FORMATS or name in NUMBER_FORMATS or name in ALWAYS_VALID
