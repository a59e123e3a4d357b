"""Liquid's `date` filter as LiquidJS 10 implements it (its own strftime, JavaScript date parsing).

python-liquid's `date` keeps a timestamp's own UTC offset and uses Python's strftime; LiquidJS
converts to the server's time zone (UTC for Segment) and has its own codes: `%L` milliseconds,
`%N` fractional digits, `%q` ordinal suffix, flags `- _ 0 ^ # :`, and it leaves unknown codes
such as `%F` untouched. Input: "now"/"today", numbers and digit strings (epoch seconds), and the
date strings JavaScript's `new Date()` reads (ISO 8601, RFC 2822, a few common US forms). Anything
else is returned unchanged, as LiquidJS does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from liquid.undefined import Undefined

_FORMAT = re.compile(r"%([-_0^#:]+)?(\d+)?([EO])?(.)")
_ISO = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?"
)
_US_FORMATS = (
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S",
    "%b %d %Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%d %b %Y",
    "%B %d %Y",
)
_PAD_WIDTH = {
    "C": 2,
    "d": 2,
    "e": 2,
    "H": 2,
    "I": 2,
    "j": 3,
    "k": 2,
    "l": 2,
    "L": 3,
    "m": 2,
    "M": 2,
    "S": 2,
    "U": 2,
    "W": 2,
    "y": 2,
    "Y": 4,
}
_PAD_SPACE = set("aAbBceklpP")


class _Moment:
    """A point in time and the zone it is displayed in (LiquidJS `LiquidDate`)."""

    def __init__(self, instant: datetime, zone: tzinfo, zone_name: str) -> None:
        self.instant = instant
        self.local = instant.astimezone(zone)
        self.zone_name = zone_name


def _parse_string(text: str) -> datetime | None:
    match = _ISO.fullmatch(text)
    if match:
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        try:
            moment = datetime(
                int(year),
                int(month or 1),
                int(day or 1),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int((fraction or "0")[:3].ljust(3, "0")) * 1000,
            )
        except ValueError:
            return None
        if offset in (None, "Z"):
            return moment.replace(tzinfo=UTC)  # no offset: the server's local time, which is UTC
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        return moment.replace(tzinfo=timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))))
    try:
        parsed = parsedate_to_datetime(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError):
        pass
    for pattern in _US_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _instant(value: Any) -> datetime | None:
    if value is None or isinstance(value, Undefined):
        return None
    if value in ("now", "today"):
        return datetime.now(UTC)
    if isinstance(value, bool):  # new Date(true): 1 ms after the epoch
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(value))
    is_number = isinstance(value, (int, float))
    if not is_number and not (isinstance(value, str) and value.isascii() and value.isdigit()):
        return _parse_string(value) if isinstance(value, str) else None
    seconds = float(value)  # epoch seconds, as LiquidJS reads numbers and digit strings
    if not math.isfinite(seconds):
        return None
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    except OverflowError:
        return None


def _zone(offset: Any) -> tuple[tzinfo, str]:
    if isinstance(offset, (int, float)) and not isinstance(offset, bool):
        return timezone(-timedelta(minutes=float(offset))), ""  # JS getTimezoneOffset sign
    if isinstance(offset, str) and offset:
        try:
            return ZoneInfo(offset), offset
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC, "UTC"


def _offset_text(moment: _Moment, colon: bool) -> str:
    delta = moment.local.utcoffset() or timedelta(0)
    minutes = int(abs(delta.total_seconds()) // 60)
    sign = "-" if delta < timedelta(0) else "+"
    return f"{sign}{minutes // 60:02d}{':' if colon else ''}{minutes % 60:02d}"


def _week(local: datetime, start: int) -> str:
    js_day = (local.weekday() + 1) % 7
    since_start = (js_day - start + 7) % 7
    return str((local.timetuple().tm_yday - 1 - since_start + 7) // 7)


def _hour12(local: datetime) -> str:
    return str(local.hour % 12 or 12)


def _ordinal(day: int) -> str:
    if day in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _locale_date(local: datetime) -> str:
    return f"{local.month}/{local.day}/{local.year}"


def _locale_time(local: datetime) -> str:
    return f"{_hour12(local)}:{local.minute:02d}:{local.second:02d} {'AM' if local.hour < 12 else 'PM'}"


_CODES: dict[str, Callable[[_Moment, dict[str, bool], str | None], object]] = {
    "a": lambda m, f, w: m.local.strftime("%a"),
    "A": lambda m, f, w: m.local.strftime("%A"),
    "b": lambda m, f, w: m.local.strftime("%b"),
    "h": lambda m, f, w: m.local.strftime("%b"),
    "B": lambda m, f, w: m.local.strftime("%B"),
    "c": lambda m, f, w: f"{_locale_date(m.local)}, {_locale_time(m.local)}",
    "C": lambda m, f, w: m.local.year // 100,
    "d": lambda m, f, w: m.local.day,
    "e": lambda m, f, w: m.local.day,
    "H": lambda m, f, w: m.local.hour,
    "I": lambda m, f, w: _hour12(m.local),
    "j": lambda m, f, w: m.local.timetuple().tm_yday,
    "k": lambda m, f, w: m.local.hour,
    "l": lambda m, f, w: _hour12(m.local),
    "L": lambda m, f, w: m.local.microsecond // 1000,
    "m": lambda m, f, w: m.local.month,
    "M": lambda m, f, w: m.local.minute,
    "N": lambda m, f, w: f"{m.local.microsecond // 1000:03d}"[: int(w or 9)].ljust(int(w or 9), "0"),
    "p": lambda m, f, w: "AM" if m.local.hour < 12 else "PM",
    "P": lambda m, f, w: "am" if m.local.hour < 12 else "pm",
    "q": lambda m, f, w: _ordinal(m.local.day),
    "s": lambda m, f, w: math.floor(m.instant.timestamp()),
    "S": lambda m, f, w: m.local.second,
    "u": lambda m, f, w: m.local.isoweekday(),
    "U": lambda m, f, w: _week(m.local, 0),
    "w": lambda m, f, w: (m.local.weekday() + 1) % 7,
    "W": lambda m, f, w: _week(m.local, 1),
    "x": lambda m, f, w: _locale_date(m.local),
    "X": lambda m, f, w: _locale_time(m.local),
    "y": lambda m, f, w: m.local.year % 100,
    "Y": lambda m, f, w: m.local.year,
    "z": lambda m, f, w: _offset_text(m, f.get(":", False)),
    "Z": lambda m, f, w: m.zone_name or _offset_text(m, f.get(":", False)),
    "t": lambda m, f, w: "\t",
    "n": lambda m, f, w: "\n",
    "%": lambda m, f, w: "%",
}


def _convert(moment: _Moment, match: re.Match[str]) -> str:
    flag_text, width, _modifier, code = match.groups()
    convert = _CODES.get(code)
    if convert is None:
        return match.group(0)  # LiquidJS leaves unknown codes (%F, %T, ...) as written
    flags = dict.fromkeys(flag_text or "", True)
    text = str(convert(moment, flags, width))
    pad_char = " " if code in _PAD_SPACE else "0"
    pad_width = int(width) if width and int(width) else _PAD_WIDTH.get(code, 0)
    if flags.get("^"):
        text = text.upper()
    elif flags.get("#"):
        text = text.upper() if any("a" <= ch <= "z" for ch in text) else text.lower()
    if flags.get("_"):
        pad_char = " "
    elif flags.get("0"):
        pad_char = "0"
    if flags.get("-"):
        pad_width = 0
    if pad_char == "0" and text.startswith("-"):
        return "-" + text[1:].rjust(pad_width - 1, pad_char)
    return text.rjust(pad_width, pad_char)


def date(value: Any, fmt: Any = None, zone: Any = None) -> Any:
    """LiquidJS `date(value, format, timezoneOffset)`."""
    instant = _instant(value)
    if instant is None:
        return value
    display_zone, zone_name = _zone(zone)
    moment = _Moment(instant, display_zone, zone_name)
    pattern = "%A, %B %-e, %Y at %-l:%M %P %z" if fmt is None or isinstance(fmt, Undefined) else str(fmt)
    return _FORMAT.sub(lambda match: _convert(moment, match), pattern)


def date_to_xmlschema(value: Any) -> Any:
    return date(value, "%Y-%m-%dT%H:%M:%S%:z")


def date_to_rfc822(value: Any) -> Any:
    return date(value, "%a, %d %b %Y %H:%M:%S %z")
