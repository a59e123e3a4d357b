"""Whether JavaScript's `new Date(text)` gives a valid date, as V8 (Node 20) decides it.

Segment's `date-like` format (datetime fields) falls back to `new Date(text)` for anything dayjs does
not parse itself, so "Jan 1 2021" and "Mon, 01 Jan 2024 00:00:00 GMT" are valid and "tomorrow" is
not. This is a port of V8's DateParser (src/date/dateparser*.{h,cc}): first the ES5 ISO form, then the
permissive legacy parser, then the range checks of ParseDateTimeString (MakeDay/MakeTime, TimeClip).
Only validity is needed, so the local time zone is taken as UTC (it shifts the limit by hours only,
at the year ±275760).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sfmc_actions.route.payload.v8_date_scan import (
    AM_PM,
    END,
    INVALID,
    KEYWORD,
    MAX_DIGITS,
    MONTH,
    NONE,
    NUMBER,
    SPACE,
    TIME_SEP,
    ZONE,
    Scanner,
    Token,
)

_MAX_TIME_MS = 8.64e15


def _between(x: int, lo: int, hi: int) -> bool:
    return lo <= x <= hi


@dataclass
class _Day:
    comp: list[int] = field(default_factory=list)
    named_month: int = NONE
    iso: bool = False

    def add(self, n: int) -> bool:
        if len(self.comp) < 3:
            self.comp.append(n)
            return True
        return False

    def write(self) -> tuple[int, int, int] | None:
        if not self.comp:
            return None
        # V8 pads the components to three before choosing an order, so its "index_ == 1" and
        # "index_ == 3" tests always see 3: a lone number is a day or a year, never "MD".
        comp = self.comp + [1] * (3 - len(self.comp))
        if self.named_month == NONE:
            if self.iso or not _between(comp[0], 1, 31):
                year, month, day = comp
            else:
                month, day, year = comp
        else:
            month = self.named_month
            if not _between(comp[0], 1, 31):
                year, day = comp[0], comp[1]
            else:
                day, year = comp[0], comp[1]
        if not self.iso:
            if _between(year, 0, 49):
                year += 2000
            elif _between(year, 50, 99):
                year += 1900
        if not (_between(month, 1, 12) and _between(day, 1, 31)):
            return None
        return year, month - 1, day


@dataclass
class _Time:
    comp: list[int] = field(default_factory=list)
    hour_offset: int = NONE

    def add(self, n: int) -> bool:
        if len(self.comp) < 4:
            self.comp.append(n)
            return True
        return False

    def add_final(self, n: int) -> bool:
        if not self.add(n):
            return False
        self.comp += [0] * (4 - len(self.comp))
        return True

    def expecting(self, n: int) -> bool:
        index = len(self.comp)
        return (index in (1, 2) and _between(n, 0, 59)) or (index == 3 and _between(n, 0, 999))

    def write(self) -> int | None:
        hour, minute, second, milli = self.comp + [0] * (4 - len(self.comp))
        if self.hour_offset != NONE:
            if not _between(hour, 0, 12):
                return None
            hour = hour % 12 + self.hour_offset
        in_range = _between(hour, 0, 23) and _between(minute, 0, 59) and _between(second, 0, 59)
        if not (in_range and _between(milli, 0, 999)) and (hour, minute, second, milli) != (24, 0, 0, 0):
            return None
        return ((hour * 60 + minute) * 60 + second) * 1000 + milli


@dataclass
class _Zone:
    sign: int = NONE
    hour: int = NONE
    minute: int = NONE

    def set(self, offset_hours: int) -> None:
        self.sign = -1 if offset_hours < 0 else 1
        self.hour, self.minute = offset_hours * self.sign, 0

    def expecting(self, n: int) -> bool:
        return self.hour != NONE and self.minute == NONE and _between(n, 0, 59)

    def is_utc(self) -> bool:
        return self.hour == 0 and self.minute == 0

    def write(self) -> int | bool | None:
        """Offset in seconds, None when no zone was given, False when it overflows."""
        if self.sign == NONE:
            return None
        total = (0 if self.hour == NONE else self.hour) * 3600 + (0 if self.minute == NONE else self.minute) * 60
        if total > 2**30 - 1:  # Smi::kMaxValue (pointer compression)
            return False
        return -total if self.sign < 0 else total


def _milliseconds(token: Token) -> int:
    number, length = token.value, token.length
    if length == 1:
        return number * 100
    if length == 2:
        return number * 10
    if length > 3:
        return number // 10 ** (min(length, MAX_DIGITS) - 3)
    return number


def _es5(scanner: Scanner, day: _Day, time: _Time, zone: _Zone) -> Token:
    """ParseES5DateTime: returns the next token for the legacy parser, END when done, INVALID to fail."""
    if scanner.peek().is_sign():
        sign_token = scanner.next()
        if not scanner.peek().is_fixed_number(6):
            return sign_token
        sign = 44 - sign_token.value
        year = scanner.next().value
        if sign < 0 and year == 0:
            return sign_token
        day.add(sign * year)
    elif scanner.peek().is_fixed_number(4):
        day.add(scanner.next().value)
    else:
        return scanner.next()
    if scanner.skip_symbol("-"):
        if not scanner.peek().is_fixed_number(2) or not _between(scanner.peek().value, 1, 12):
            return scanner.next()
        day.add(scanner.next().value)
        if scanner.skip_symbol("-"):
            if not scanner.peek().is_fixed_number(2) or not _between(scanner.peek().value, 1, 31):
                return scanner.next()
            day.add(scanner.next().value)
    peek = scanner.peek()
    if not (peek.kind == KEYWORD and peek.keyword == TIME_SEP):
        if peek.kind != END:
            return scanner.next()
    else:
        scanner.next()
        if not scanner.peek().is_fixed_number(2) or not _between(scanner.peek().value, 0, 24):
            return Token(INVALID)
        hour_is_24 = scanner.peek().value == 24
        time.add(scanner.next().value)
        if not scanner.skip_symbol(":"):
            return Token(INVALID)
        peek = scanner.peek()
        if not peek.is_fixed_number(2) or not _between(peek.value, 0, 59) or (hour_is_24 and peek.value > 0):
            return Token(INVALID)
        time.add(scanner.next().value)
        if scanner.skip_symbol(":"):
            peek = scanner.peek()
            if not peek.is_fixed_number(2) or not _between(peek.value, 0, 59) or (hour_is_24 and peek.value > 0):
                return Token(INVALID)
            time.add(scanner.next().value)
            if scanner.skip_symbol("."):
                peek = scanner.peek()
                if peek.kind != NUMBER or (hour_is_24 and peek.value > 0):
                    return Token(INVALID)
                time.add(_milliseconds(scanner.next()))
        if scanner.peek().is_z():
            scanner.next()
            zone.set(0)
        elif scanner.peek().is_sign():
            zone.sign = 1 if scanner.next().value == 43 else -1
            if scanner.peek().is_fixed_number(4):
                hour, minute = divmod(scanner.next().value, 100)
                if not (_between(hour, 0, 23) and _between(minute, 0, 59)):
                    return Token(INVALID)
                zone.hour, zone.minute = hour, minute
            else:
                if not scanner.peek().is_fixed_number(2) or not _between(scanner.peek().value, 0, 23):
                    return Token(INVALID)
                zone.hour = scanner.next().value
                if not scanner.skip_symbol(":"):
                    return Token(INVALID)
                if not scanner.peek().is_fixed_number(2) or not _between(scanner.peek().value, 0, 59):
                    return Token(INVALID)
                zone.minute = scanner.next().value
        if scanner.peek().kind != END:
            return Token(INVALID)
    if zone.hour == NONE and not time.comp:
        zone.set(0)
    day.iso = True
    return Token(END)


def _legacy(scanner: Scanner, token: Token, day: _Day, time: _Time, zone: _Zone) -> bool:
    """The legacy loop of DateParser::Parse; False as soon as V8 gives up."""
    has_read_number = bool(day.comp)
    while token.kind != END:
        if token.kind == NUMBER:
            has_read_number = True
            n = token.value
            if scanner.skip_symbol(":"):
                if scanner.skip_symbol(":"):
                    if time.comp:
                        return False
                    time.add(n)
                    time.add(0)
                else:
                    if not time.add(n):
                        return False
                    if scanner.peek().is_symbol("."):
                        scanner.next()
            elif scanner.skip_symbol(".") and time.expecting(n):  # the '.' is consumed either way, as in V8
                time.add(n)
                if scanner.peek().kind != NUMBER:
                    return False
                time.add_final(_milliseconds(scanner.next()))
            elif zone.expecting(n):
                zone.minute = n
            elif time.expecting(n):
                time.add_final(n)
                peek = scanner.peek()
                if not (peek.kind in (END, SPACE) or peek.is_z() or peek.is_sign()):
                    return False
            else:
                if not day.add(n):
                    return False
                scanner.skip_symbol("-")
        elif token.kind == KEYWORD:
            if token.keyword == AM_PM and time.comp:
                time.hour_offset = token.value
            elif token.keyword == MONTH:
                day.named_month = token.value
                scanner.skip_symbol("-")
            elif token.keyword == ZONE and has_read_number:
                zone.set(token.value)
            elif has_read_number or scanner.peek().kind == NUMBER:
                return False  # garbage words are only allowed before the first number
        elif token.is_sign() and (zone.is_utc() or time.comp):
            zone.sign = 1 if token.value == 43 else -1
            number, length = 0, 0
            if scanner.peek().kind == NUMBER:
                following = scanner.next()
                number, length = following.value, following.length
            has_read_number = True
            if scanner.peek().is_symbol(":"):
                zone.hour, zone.minute = number, NONE
            elif length in (1, 2):
                zone.hour, zone.minute = number, 0
            elif length in (3, 4):
                zone.hour, zone.minute = divmod(number, 100)
            else:
                return False
        elif (token.is_sign() or token.is_symbol(")")) and has_read_number:
            return False
        token = scanner.next()
    return True


def _days_from_civil(year: int, month: int, day: int) -> int:
    year -= month <= 2
    era = year // 400  # floor division: the C++ "(y - 399) / 400" idiom is not needed in Python
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def js_date_parses(text: str) -> bool:
    """`!isNaN(new Date(text))` in Node 20 with the process time zone set to UTC."""
    return js_date_parse(text) is not None


def js_date_parse(text: str) -> int | None:
    """`new Date(text).getTime()` in Node 20 with the process time zone set to UTC; None for NaN."""
    scanner = Scanner(text)
    day, time, zone = _Day(), _Time(), _Zone()
    token = _es5(scanner, day, time, zone)
    if token.kind == INVALID or not _legacy(scanner, token, day, time, zone):
        return None
    ymd = day.write()
    millis = time.write()
    offset = zone.write()
    if ymd is None or millis is None or offset is False:
        return None
    year, month, dom = ymd
    if not -1_000_000 <= year <= 1_000_000:  # MakeDay's year range
        return None
    date = (_days_from_civil(year, month + 1, 1) + dom - 1) * 86_400_000 + millis
    if offset is not None:
        date -= offset * 1000
    return date if abs(date) <= _MAX_TIME_MS else None
