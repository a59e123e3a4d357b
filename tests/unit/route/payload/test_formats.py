"""Formats, checked against what Node 20 with ajv-formats 2.1.1 / dayjs / V8 answered for the same strings.

The tables were produced by running the strings through the real libraries (differential fuzzing of
about 30,000 strings found no difference; these are a sample of it plus the edge cases).
"""

from __future__ import annotations

import pytest

from sfmc_actions.route.payload.formats import STRING_FORMATS, date_like, from_js, is_known
from sfmc_actions.route.payload.v8_date import js_date_parses

# `!isNaN(new Date(text))` in Node 20 (TZ=UTC).
NEW_DATE: dict[str, bool] = {
    "131000": True,
    ".531\n": True,
    "FEB2021-02-2912345": True,
    "january.Jun 5": True,
    "+010059ut+01": True,
    "\n1(x)": True,
    "foo-123456": True,
    "2020-02-30T10:00": True,
    "12DEC": True,
    "100,": True,
    "foo:0": True,
    "january2431": True,
    "Jan31sept": True,
    "0,FEBMar": True,
    "12345z": True,
    "00": True,
    "\u00e9+5pdt(Z\u00e9": True,
    "GMTDEC::2021": True,
    " \n.123456.pdt(x)": True,
    "+0100,\u0000": True,
    "00000001": True,
    "))+5999": True,
    "59  ": True,
    "(a(b)c)2021": True,
    "2021-02-29\t": True,
    "january-1234": True,
    "GMT+1MarFEB10:20:30": True,
    "Mar[DEC:999": True,
    "Jan1999": True,
    "T/99": True,
    ".5FEB/1999 january": True,
    "EST[+5-UTC.5": True,
    "-\t12": True,
    "(a(b)c)pdt+12345": True,
    ".5januaryJan": True,
    "amESTsept": False,
    "12345-08:009931(a(b)c)+002021": False,
    "1:(a(b)c).)": False,
    "T10:00T(x)31::": False,
    "24pdt +5\u00a01000": False,
    "PM.t:ut": False,
    "january:30).123456T10:00pdt": False,
    "GMT+1-08:00_\u65e5Mon,": False,
    "\u00e9~123456": False,
    ":30123456)Jan::Jan": False,
    "tomorrow:000000PM": False,
    "Mar Jan\u000012  ": False,
    "123456:30PM.50000002021-01-01": False,
    "999+T24:01UTC": False,
    "  FEB": False,
    "2021-02-29Mon,1234512345": False,
    "0.5-08:00Mon,foo12": False,
    "6000+010012020-02-30+": False,
    "ut999Mon,:": False,
    "\u00e9:30": False,
    "\u00e9+5T10:00(a(b)c)t": False,
    ",EST": False,
    "112345ZT24:0012345T10:00": False,
    "\u00e9tam-1234\tT": False,
    "2020-02-30\u65e51360123456": False,
    "2021-13-0101_2021-01-01\u65e51": False,
    "-123456:T24:01:[": False,
    ")(x)(": False,
    "_  ": False,
    "_1234567890": False,
    "+123451999": False,
    "99sept1000DECtomorrow:": False,
    ")31am2021-02-29(a(b)c)": False,
    "Mar10:20:302020-02-30T24:00\u00a0": False,
    ".DEC+0100-08:00.": False,
    "Jan 5": True,
    "5 1": True,
    "1 5 2020": True,
    "0000000159": True,
    "123456789": False,
    "2021-01-01T24:00": True,
    "2021-01-01T24:01": False,
    "+275760-09-13T00:00:00Z": True,
    "+275760-09-13T00:00:00.001Z": False,
    "-271821-04-20T00:00:00Z": True,
    "-271821-04-19T23:59:59Z": False,
    "12/31/1999 11:59 pm": True,
    "13:00 pm": False,
    "Thu Jan 01 1970 00:00:00 GMT+0100 (CET)": True,
    "2021-01-01 10:00 +0530": True,
    "2021-01-01 10:00 GMT+12345": False,
    "(comment) 2021-1-1": True,
    "2021-1-1)": False,
    "1 2 3 4": False,
    "\u00a02021\u00a0": True,
    "2021\u0000garbage": True,
}

# ajv-formats fullFormats[name](text), and Segment's date-like check, in Node.
FORMATS: dict[str, list[tuple[str, bool]]] = {
    "date": [
        ("2080-02-29", True),
        ("1996-12-31", True),
        ("2020-02-27", True),
        ("2999-12-31", True),
        ("\u00a0021-01-01", False),
        ("271-01-06", False),
        ("20271%01-1", False),
        ("2021-0204", False),
    ],
    "time": [
        ("16:30:45.123Z", True),
        ("00:00:05", True),
        ("12:30:47.123Z", True),
        ("12:30:45-08", True),
        ("2354:60", False),
        ("007:00030", False),
        ("@:30:45z", False),
        ("102:30:45z", False),
    ],
    "date-time": [
        ("2021-01-01 00:04:00+01:00", True),
        ("2021-03-01T00:00:00", True),
        ("2061-01-01T00:00:00Z", True),
        ("2021-01-01t23:59:60.52", True),
        ("2021-01-01T00:00:0\n", False),
        ("2021-01-0aT00:00:K00", False),
        ("201-01-01T00:?0:00Z", False),
        ("2021-01-5z1Tz00:00:00", False),
    ],
    "duration": [
        ("P1Y2M3DT2H5M63S", True),
        ("P0Y2M3DT4H5M6S", True),
        ("PT5H", True),
        ("P1Y2M34DT4H5M6S", True),
        ("P1\tY", False),
        (":T9\nH", False),
        ("2P18", False),
        ("\u65e5+", False),
    ],
    "url": [
        ("http://\u65e5+@\u672c.jp", True),
        ("ftp://userpw@host.example.co:21/x", True),
        ("ftp://user:pw@hos.example.com:21/x", True),
        ("ftp://user:pw@hot.e4ample.com:21/x", True),
        ("http:/3192.3.45", False),
        ("http:/31.28.3.9", False),
        ("http://1.2.A3.4", False),
        ("ftp://user:pwhost.e7ample.com:21/x", False),
    ],
    "email": [
        ("a@b.co9", True),
        ("#@0.c8", True),
        ("%a@b.co", True),
        ("fir/.last+tag@sub.exmple.com", True),
        ("a@%.co", False),
        ("Ta@.c4o", False),
        ("Z", False),
        ("a@b.c\u65e5", False),
    ],
    "ipv4": [
        ("1.2.7.0", True),
        ("01.2.053.004", True),
        ("255.55.255.55", True),
        ("01.2.33.004", True),
        ("01.2.03.0-0", False),
        ("256.161.", False),
        ("01/02.3.004", False),
        ("\u017f0t1.02.+03.004", False),
    ],
    "ipv6": [
        ("::ff:1.2.3.4", True),
        ("4:2::4:5:6:7:8", True),
        ("19::1", True),
        ("::7", True),
        (": 1", False),
        ("1:2:3:4:5t6:9:", False),
        ("1:2:3:4:5:6:7:8-", False),
        ("2001:db8::-a2e:\u017f70:27334", False),
    ],
    "uuid": [
        ("123e4507-e89b-12d3-a456-426614174000", True),
        ("123e4567-e89b-12d3-a456-426614174004", True),
        ("123e4567-e89b-12d3-a456-426614174000", True),
        ("123e4567-e89b-42d3-a456-426614174000", True),
        ("123e4567-e89b-2d?3-a456-426614174000", False),
        ("\t23e4567-Ze89b:-12d3-a456-426614174000", False),
        ("123e4567-e89b-@2d3-a456-426614174000", False),
        ("123e4567-e\u00a089b-12d3-a456-426614174000", False),
    ],
    "date-like": [
        ("2021/14/1 10:00", True),
        ("1\t/31/19799 11:59 pm", True),
        ("2021/1/1 0:00", True),
        ("202101#1", True),
        ("2021 0-051", False),
        ("9e@", False),
        ("2021-001-01T0 0:00:00Z", False),
        ("16094592a07", False),
    ],
    "uri": [
        ("urn:itbn:12/3", True),
        ("urn:isbn:A23", True),
        ("http://a.b/c7d#e", True),
        ("filAe:///x", True),
        ("fil?://x", False),
        ("\u017file:///x", False),
        ("#ailto:a@b.c", False),
        ("mi-lt@:a@b.c", False),
    ],
    "hostname": [
        ("com1e3", True),
        ("96S", True),
        ("http1255", True),
        ("1609459200255", True),
        ("121e3[256\u017f ", False),
        ("\u65e5[::1]", False),
        ("5M#+ ", False),
        ("+01:00/%2012", False),
    ],
    "uri-template": [
        ("\u65e5%20", True),
        ("].123", True),
        ("+24:00:00", True),
        ("NaN1Y~_24:00:00", True),
        ("255<", False),
        ('"5MAbC=Z', False),
        ("\t", False),
        ("-5::ffff:1.2.3.4<", False),
    ],
    "json-pointer": [
        ("/3D.123\\d+24:00:00com", True),
        ("/2021-01-011Y2021-01-01~0", True),
        ("/0x10user:pw@192.168.0.1", True),
        ("/T4H", True),
        (">NaN [::1]co.uk", False),
        ("9#P", False),
        ('"\u017f1W://24:00:00/', False),
        ("24:00:00-\u00e9:", False),
    ],
    "json-pointer-uri-fragment": [
        ("[v1.x]6Sco.uk*", False),
        ("12%zz", False),
        ("KT4H", False),
        ("a\\12", False),
    ],
    "relative-json-pointer": [
        ("202112", True),
        ("256", True),
        ("1/", True),
        ("1609459200", True),
        ("fe80::1com\ud83d\ude00256zt", False),
        ("example://2MQQ==3D}", False),
        ("\ud83d\ude00~", False),
        ("24:00:00ftp::", False),
    ],
    "byte": [
        ("[v1.x]\n", True),
        ("QQ==", True),
        ("com1609459200000", True),
        ("\n\\12[::1]*2021", True),
        ('QQ==://$>"', False),
        ("::ffff:1.2.3.4^23:59:60t3D", False),
        ("+t24:00:00Z255{var}", False),
        ("?256", False),
    ],
    "uri-reference": [
        ("(https", True),
        ("1Y/16094592000000", True),
        ("K", True),
        ("https://.http", True),
        ("\u017f", False),
        ("/T4H\ud83d\ude00 +01:00 ", False),
        ("Z\ud83d\ude00", False),
        ("\\Z1.5", False),
    ],
}


@pytest.mark.parametrize(("text", "valid"), list(NEW_DATE.items()))
def test_new_date_validity_matches_v8(text: str, valid: bool) -> None:
    assert js_date_parses(text) is valid


@pytest.mark.parametrize(
    ("name", "text", "valid"), [(name, text, valid) for name, rows in FORMATS.items() for text, valid in rows]
)
def test_format_matches_ajv_formats(name: str, text: str, valid: bool) -> None:
    assert STRING_FORMATS[name](text) is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        # The spec's table (runtime spec 3.2), verified in Node.
        ("2021-01-01T00:00:00Z", True),
        ("2021", True),
        ("1", True),
        ("Jan 1 2021", True),
        ("2021-02-30", True),
        ("2021/01/01", True),
        ("Mon, 01 Jan 2024 00:00:00 GMT", True),
        ("1609459200000", True),
        ("", False),
        ("abc", False),
        ("12:00", False),
        ("tomorrow", False),
        ("true", False),
        # Numeric strings are Unix seconds: valid while seconds * 1000 fits in a Date.
        ("8640000000000", True),
        ("8640000000001", False),
        ("NaN", False),
        ("Infinity", False),
    ],
)
def test_date_like(text: str, valid: bool) -> None:
    assert date_like(text) is valid


def test_translated_patterns_keep_javascript_meaning() -> None:
    # `$` is the end of input in JavaScript; Python's `$` would also accept a final newline.
    assert from_js("^a$", "").fullmatch("a\n") is None
    # `\d` is ASCII only.
    assert from_js("^\\d$", "").fullmatch("\u0663") is None
    # `/i` without `/u` folds ASCII letters only: the long s does not match [a-z].
    assert from_js("^[a-z]$", "i").fullmatch("\u017f") is None
    assert from_js("^[a-z]$", "iu").fullmatch("\u017f") is not None
    # `\s` is JavaScript's whitespace: U+FEFF yes, U+001C no (Python's \s says the opposite).
    assert from_js("^\\s$", "").fullmatch("\ufeff") is not None
    assert from_js("^\\s$", "").fullmatch("\x1c") is None


def test_known_formats() -> None:
    assert all(is_known(name) for name in ("date-like", "text", "password", "binary", "int32", "email"))
    assert not is_known("not-a-format")
