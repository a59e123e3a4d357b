"""LiquidJS's date filters: `date`, `date_to_xmlschema`, `date_to_rfc822`, `date_to_string`,
`date_to_long_string`, with its LiquidDate and strftime, on JavaScript Date arithmetic.

Times are JavaScript time values (milliseconds, the full ±8.64e15 range, not Python's years 1-9999). The
process time zone is UTC, as on Segment's servers; a time zone argument (minutes west of UTC, or an IANA
name) shifts the displayed wall clock as LiquidJS does. Names and the `%c %x %X` layouts are Node's en-US
Intl output (proleptic Gregorian, BC years shown as era years). Input: numbers and digit strings are epoch
seconds, "now"/"today" the clock, other strings `new Date(text)` (V8's parser), anything else `new Date(v)`.
Unparsable input is returned unchanged.
"""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo, available_timezones

from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.js.values import js_number_to_string, utf16_len
from sfmc_actions.route.mapping.liquidjs import jsops
from sfmc_actions.route.mapping.liquidjs.render import FILTERS, Context, RenderFailure
from sfmc_actions.route.mapping.liquidjs.values import (
    is_nil,
    is_number,
    own_member,
    stringify,
    to_number,
    to_primitive,
    to_value,
)
from sfmc_actions.route.payload.v8_date import js_date_parse

_MS_PER_DAY: Final = 86_400_000
_MAX_TIME: Final = 8.64e15
_FORMAT: Final = re.compile("%([-_0^#:]+)?([0-9]+)?([EO])?([^\n\r\u2028\u2029])")
_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_PAD_WIDTH: Final = {"C": 2, "d": 2, "e": 2, "H": 2, "I": 2, "j": 3, "k": 2, "l": 2, "L": 3, "m": 2, "M": 2, "S": 2}
_PAD_WIDTH_MORE: Final = {"U": 2, "W": 2, "y": 2, "Y": 4}
_PAD_SPACE: Final = frozenset("aAbBceklpP")
DEFAULT_FORMAT: Final = "%A, %B %-e, %Y at %-l:%M %P %z"


def time_clip(ms: float) -> float:
    """TimeClip: NaN beyond ±8.64e15, else the integer part."""
    if not math.isfinite(ms) or abs(ms) > _MAX_TIME:
        return math.nan
    return float(math.trunc(ms))


def _civil(days: int) -> tuple[int, int, int]:
    """Proleptic Gregorian (year, month 1-12, day) of a day count from 1970-01-01."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


class Fields:
    """The wall-clock fields of a valid time value (UTC getters: the process zone is UTC)."""

    __slots__ = ("date", "day", "hours", "millis", "minutes", "month", "seconds", "year")

    def __init__(self, ms: float) -> None:
        whole = int(ms)
        days, in_day = divmod(whole, _MS_PER_DAY)
        self.year, month, self.date = _civil(days)
        self.month = month - 1
        self.day = (days + 4) % 7  # 1970-01-01 was a Thursday
        self.hours, rest = divmod(in_day, 3_600_000)
        self.minutes, rest = divmod(rest, 60_000)
        self.seconds, self.millis = divmod(rest, 1000)


class LiquidDate:
    """LiquidJS `LiquidDate`: a time value and the zone it is displayed in."""

    def __init__(self, ms: float, zone: Any = UNDEFINED) -> None:
        self.ms = time_clip(ms)
        self.fixed = zone is not UNDEFINED
        if zone is UNDEFINED:
            offset: float = 0.0
            self.zone_name = ""
        elif type(zone) is str:
            offset = _zone_offset(zone, self.ms)
            self.zone_name = zone
        else:
            offset = to_number(to_value(zone))
            self.zone_name = ""
        self.offset = offset
        self.display = time_clip(self.ms + (0 - offset) * 60_000)

    def valid(self) -> bool:
        return self.display == self.display

    def fields(self) -> Fields:
        return Fields(self.display)

    def zone_text(self) -> str:
        if self.fixed:
            return self.zone_name
        return "UTC"  # Intl.DateTimeFormat().resolvedOptions().timeZone with TZ=UTC


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    canonical_name = _zone_names().get(name.lower())
    if canonical_name is None:
        raise RenderFailure(f"Invalid time zone specified: {name}")
    return ZoneInfo(canonical_name)


def _zone_offset(name: str, ms: float) -> float:
    """LiquidJS `getTimezoneOffset(name, date)`: it prints the instant with `toLocaleString('en-US')` in the
    zone and in UTC, reads both texts back with `new Date(text)` and subtracts. Done the same way here, so
    that its quirks stay: seconds of old local mean times count, and BC years (printed as era years) and
    years below 50 (read back as 20xx) give offsets of years."""
    if ms != ms:
        return math.nan  # an invalid date prints "Invalid Date" before the zone name is looked at
    zone = _zone(name)
    # zoneinfo works within years 1-9999 (a day inside, so that the zone's wall clock fits too). Later dates
    # follow the zone's last rule, which repeats with the Gregorian calendar every 400 years; earlier ones
    # are in the zone's first (local mean) time.
    seconds = max(ms / 1000, _FIRST_SECOND)
    if seconds > _LAST_SECOND:
        seconds -= math.ceil((seconds - _LAST_SECOND) / _CYCLE_SECONDS) * _CYCLE_SECONDS
    delta = datetime.fromtimestamp(seconds, UTC).astimezone(zone).utcoffset()
    offset_ms = int(delta.total_seconds()) * 1000 if delta else 0
    local = _parse_text(_locale_text(Fields(ms + offset_ms)))
    utc = _parse_text(_locale_text(Fields(ms)))
    return (utc - local) / 60_000


_FIRST_SECOND: Final = -62135596800.0 + 86400  # 0001-01-02
_LAST_SECOND: Final = 253402300799.0 - 86400  # 9999-12-30
_CYCLE_SECONDS: Final = 146097 * 86400  # 400 Gregorian years


def _locale_text(f: Fields) -> str:
    return f"{_locale_date(f)}, {_locale_time(f)}"


def parse_date(value: Any, zone: Any = UNDEFINED) -> LiquidDate | None:
    """LiquidJS `parseDate`."""
    value = to_value(value)
    if is_nil(value):
        return None
    if type(value) is str and value in ("now", "today"):
        date = LiquidDate(time.time() * 1000, zone)
    elif is_number(value):
        date = LiquidDate(to_number(value) * 1000, zone)
    elif type(value) is str:
        if value.isascii() and value.isdigit():
            date = LiquidDate(to_number(value) * 1000, zone)
        else:
            date = LiquidDate(_parse_text(value), zone)
    else:
        primitive = to_primitive(value)  # new Date(v): ToPrimitive, then parse text or read a number
        ms = _parse_text(primitive) if type(primitive) is str else to_number(primitive)
        date = LiquidDate(ms, zone)
    return date if date.valid() else None


def _parse_text(text: str) -> float:
    parsed = js_date_parse(text)
    return math.nan if parsed is None else float(parsed)


# --- strftime ---
def _is_leap(year: int) -> bool:
    # LiquidJS: (year & 3) === 0 && (year % 100 || (year % 400 === 0 && year)); JS `%` keeps the sign.
    remainder = int(math.fmod(year, 100))
    return (year & 3) == 0 and bool(remainder or (math.fmod(year, 400) == 0 and year))


def _day_of_year(f: Fields) -> int:
    months = [31, 29 if _is_leap(f.year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return sum(months[: f.month]) + f.date


def _week_of_year(f: Fields, start: int) -> str:
    since_start = (f.day - start + 7) % 7
    return str((_day_of_year(f) - 1 - since_start + 7) // 7)


def _hour12(f: Fields) -> str:
    return str(f.hours % 12 or 12)


def _ordinal(day: int) -> str:
    if day in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _era_year(year: int) -> int:
    return year if year > 0 else 1 - year  # Intl shows BC years as era years, without the era


def _locale_date(f: Fields) -> str:
    return f"{f.month + 1}/{f.date}/{_era_year(f.year)}"


def _locale_time(f: Fields) -> str:
    return f"{_hour12(f)}:{f.minutes:02d}:{f.seconds:02d} {'AM' if f.hours < 12 else 'PM'}"


def _offset_text(date: LiquidDate, colon: bool) -> str:
    offset = date.offset
    size = abs(offset)
    hours, minutes = math.floor(size / 60), math.fmod(size, 60)
    sign = "-" if offset > 0 else "+"
    return (
        sign
        + js_number_to_string(hours).rjust(2, "0")
        + (":" if colon else "")
        + js_number_to_string(minutes).rjust(2, "0")
    )


def _nanos(f: Fields, width: str | None, ctx: Context | None) -> str:
    size = to_number(width) if width else 9
    size = 9 if size != size or size == 0 else int(size)
    text = f"{f.millis:03d}"[:size]
    if ctx is not None:
        ctx.memory.use(size - len(text))
    return text.ljust(size, "0")


def _code(
    date: LiquidDate, f: Fields, code: str, flags: dict[str, bool], width: str | None, ctx: Context | None
) -> Any:
    if code == "a":
        return _DAYS[f.day][:3]
    if code == "A":
        return _DAYS[f.day]
    if code in "bh":
        return _MONTHS[f.month][:3]
    if code == "B":
        return _MONTHS[f.month]
    if code == "c":
        return f"{_locale_date(f)}, {_locale_time(f)}"
    if code == "C":
        return math.floor(f.year / 100)
    if code in "de":
        return f.date
    if code in "Hk":
        return f.hours
    if code in "Il":
        return _hour12(f)
    if code == "j":
        return _day_of_year(f)
    if code == "L":
        return f.millis
    if code == "m":
        return f.month + 1
    if code == "M":
        return f.minutes
    if code == "N":
        return _nanos(f, width, ctx)
    if code == "p":
        return "AM" if f.hours < 12 else "PM"
    if code == "P":
        return "am" if f.hours < 12 else "pm"
    if code == "q":
        return _ordinal(f.date)
    if code == "s":
        return math.floor(date.ms / 1000)
    if code == "S":
        return f.seconds
    if code == "u":
        return f.day or 7
    if code == "U":
        return _week_of_year(f, 0)
    if code == "w":
        return f.day
    if code == "W":
        return _week_of_year(f, 1)
    if code == "x":
        return _locale_date(f)
    if code == "X":
        return _locale_time(f)
    if code == "y":
        return (f.year % 100 + 100) % 100
    if code == "Y":
        return f.year
    if code == "z":
        return _offset_text(date, flags.get(":", False))
    if code == "Z":
        return date.zone_text() or _offset_text(date, flags.get(":", False))
    return {"t": "\t", "n": "\n", "%": "%"}[code]


_CODES: Final = frozenset("aAbhBcCdeHkIljLmMNpPqsSuUwWxXyYzZtn%")


def strftime(date: LiquidDate, pattern: str, ctx: Context | None) -> str:
    f = date.fields()

    def convert(match: re.Match[str]) -> str:
        flag_text, width, _modifier, code = match.groups()
        if code not in _CODES:
            return match[0]
        flags = dict.fromkeys(flag_text or "", True)
        text = _js_text(_code(date, f, code, flags, width, ctx))
        pad_char = " " if code in _PAD_SPACE else "0"
        pad_width = int(width) if width and int(width) else _PAD_WIDTH.get(code, _PAD_WIDTH_MORE.get(code, 0))
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
        if ctx is not None:
            ctx.memory.use(pad_width - utf16_len(text))
        if pad_char == "0" and text[:1] == "-":
            return "-" + _pad(text[1:], pad_width - 1, pad_char)
        return _pad(text, pad_width, pad_char)

    return _FORMAT.sub(convert, pattern)


def _js_text(value: Any) -> str:
    return value if type(value) is str else js_number_to_string(value)


def _pad(text: str, width: int, char: str) -> str:
    missing = width - utf16_len(text)
    return char * missing + text if missing > 0 else text


# --- the filters ---
def date(ctx: Context, value: Any, fmt: Any = UNDEFINED, zone: Any = UNDEFINED, *args: Any) -> Any:
    ctx.memory.use(jsops.js_add(_length(value), _length(zone)))
    parsed = parse_date(value, UNDEFINED if zone is UNDEFINED or zone is None else zone)
    if parsed is None:
        return value
    fmt = to_value(fmt)
    pattern = DEFAULT_FORMAT if is_nil(fmt) else stringify(fmt)
    ctx.memory.use(utf16_len(pattern))
    return strftime(parsed, pattern, ctx)


def _length(value: Any) -> Any:
    # `v?.length ?? 0`
    if value is UNDEFINED or value is None:
        return 0
    length = own_member(value, "length")
    return 0 if length is UNDEFINED or length is None else length


def date_to_xmlschema(ctx: Context, value: Any, *args: Any) -> Any:
    return date(ctx, value, "%Y-%m-%dT%H:%M:%S%:z")


def date_to_rfc822(ctx: Context, value: Any, *args: Any) -> Any:
    parsed = parse_date(value)
    if parsed is None:
        return value
    return strftime(parsed, "%a, %d %b %Y %H:%M:%S %z", ctx)


def _stringify_date(ctx: Context, value: Any, month: str, kind: Any, style: Any) -> Any:
    parsed = parse_date(value)
    if parsed is None:
        return value
    if type(kind) is str and kind == "ordinal":
        day = parsed.fields().date
        if type(style) is str and style == "US":
            return strftime(parsed, f"{month} {day}%q, %Y", ctx)
        return strftime(parsed, f"{day}%q {month} %Y", ctx)
    return strftime(parsed, f"%d {month} %Y", ctx)


def date_to_string(ctx: Context, value: Any, kind: Any = UNDEFINED, style: Any = UNDEFINED, *args: Any) -> Any:
    return _stringify_date(ctx, value, "%b", kind, style)


def date_to_long_string(ctx: Context, value: Any, kind: Any = UNDEFINED, style: Any = UNDEFINED, *args: Any) -> Any:
    return _stringify_date(ctx, value, "%B", kind, style)


FILTERS.update(
    {
        "date": date,
        "date_to_xmlschema": date_to_xmlschema,
        "date_to_rfc822": date_to_rfc822,
        "date_to_string": date_to_string,
        "date_to_long_string": date_to_long_string,
    }
)
