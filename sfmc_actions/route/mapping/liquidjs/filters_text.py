"""LiquidJS's string, HTML, URL, base64 and hash filters, with JavaScript string semantics.

Each filter takes the render context, the input value and the arguments as written (UNDEFINED stands for an
argument left out, which gets the JavaScript default). Inputs go through `stringify` as LiquidJS's do, and
each charges the render's memory limit as LiquidJS charges it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from typing import Any, Final

from sfmc_actions.js.undefined import UNDEFINED
from sfmc_actions.js.values import to_utf16_units, utf16_len
from sfmc_actions.route.mapping.liquidjs import jsops
from sfmc_actions.route.mapping.liquidjs.render import FILTERS, Context, RenderFailure
from sfmc_actions.route.mapping.liquidjs.values import (
    JS_SPACE_CLASS,
    canonical,
    compare,
    is_number,
    js_truthy,
    stringify,
    to_number,
    to_value,
)

_ESCAPES: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"}
_ESCAPE: Final = re.compile("[&<>\"']")
_UNESCAPES: Final = {v: k for k, v in _ESCAPES.items()}
_UNESCAPE: Final = re.compile("&(amp|lt|gt|#34|#39);")
_NEWLINES: Final = re.compile("\r?\n")


def _text(ctx: Context, value: Any) -> str:
    text = stringify(value)
    ctx.memory.use(utf16_len(text))
    return text


def escape(ctx: Context, value: Any, *args: Any) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES[m[0]], _text(ctx, value))


def _unescape(ctx: Context, value: Any) -> str:
    return _UNESCAPE.sub(lambda m: _UNESCAPES[m[0]], _text(ctx, value))


def escape_once(ctx: Context, value: Any, *args: Any) -> str:
    return escape(ctx, _unescape(ctx, value))


_BLOCKS: Final = (("<script", "</script>"), ("<style", "</style>"), ("<!--", "-->"), ("<", ">"))


def strip_html(ctx: Context, value: Any, *args: Any) -> str:
    text = _text(ctx, value)
    openers = list(_BLOCKS)
    out: list[str] = []
    i = 0
    while i < len(text):
        lt = text.find("<", i)
        if lt < 0:
            return canonical("".join(out) + text[i:])
        out.append(text[i:lt])
        for opener, closer in list(openers):
            if not text.startswith(opener, lt):
                continue
            end = text.find(closer, lt + len(opener))
            if end >= 0:
                i = end + len(closer)
                break
            openers.remove((opener, closer))
        if i <= lt:
            return canonical("".join(out) + text[lt:])
    return canonical("".join(out))


# --- strings ---
def _exactly_one(name: str, args: tuple[Any, ...]) -> None:
    if len(args) != 1:
        raise RenderFailure(f"{name} expect 2 arguments")


def append(ctx: Context, value: Any, *args: Any) -> str:
    _exactly_one("append", args)
    left, right = stringify(value), stringify(args[0])
    ctx.memory.use(utf16_len(left) + utf16_len(right))
    return canonical(left + right)


def prepend(ctx: Context, value: Any, *args: Any) -> str:
    _exactly_one("prepend", args)
    left, right = stringify(value), stringify(args[0])
    ctx.memory.use(utf16_len(left) + utf16_len(right))
    return canonical(right + left)


def _char_set(ctx: Context, chars: Any) -> set[str]:
    text = stringify(chars)
    ctx.memory.use(utf16_len(text))
    return set(text)  # a Set of a string holds its code points


def _trim_start_of(text: str, chars: set[str]) -> int:
    start = 0
    while start < len(text) and text[start] in chars:
        start += 1
    return start


def _trim_end_of(text: str, chars: set[str], start: int = 0) -> int:
    end = len(text)
    while end > start and text[end - 1] in chars:
        end -= 1
    return end


def lstrip(ctx: Context, value: Any, chars: Any = UNDEFINED, *args: Any) -> str:
    text = _text(ctx, value)
    if js_truthy(chars):
        return text[_trim_start_of(text, _char_set(ctx, chars)) :]
    return jsops.trim_start(text)


def rstrip(ctx: Context, value: Any, chars: Any = UNDEFINED, *args: Any) -> str:
    text = _text(ctx, value)
    if js_truthy(chars):
        return text[: _trim_end_of(text, _char_set(ctx, chars))]
    return jsops.trim_end(text)


def strip(ctx: Context, value: Any, chars: Any = UNDEFINED, *args: Any) -> str:
    text = _text(ctx, value)
    if js_truthy(chars):
        found = set(stringify(chars))
        ctx.memory.use(len(found))
        start = _trim_start_of(text, found)
        return text[start : _trim_end_of(text, found, start)]
    return jsops.trim(text)


def downcase(ctx: Context, value: Any, *args: Any) -> str:
    return _text(ctx, value).lower()


def upcase(ctx: Context, value: Any, *args: Any) -> str:
    return _text(ctx, value).upper()


def capitalize(ctx: Context, value: Any, *args: Any) -> str:
    units = to_utf16_units(_text(ctx, value))
    head = units[:1]
    if head and not "\ud800" <= head <= "\udfff":
        head = head.upper()
    return canonical(head + canonical(units[1:]).lower())


def remove(ctx: Context, value: Any, pattern: Any = UNDEFINED, *args: Any) -> str:
    text, pattern_text = stringify(value), stringify(pattern)
    ctx.memory.use(utf16_len(text) + utf16_len(pattern_text))
    return jsops.replace_all(text, pattern_text, "")


def remove_first(ctx: Context, value: Any, pattern: Any = UNDEFINED, *args: Any) -> str:
    text, pattern_text = stringify(value), stringify(pattern)
    ctx.memory.use(utf16_len(text) + utf16_len(pattern_text))
    return jsops.replace_first(text, pattern_text, "")


def remove_last(ctx: Context, value: Any, pattern: Any = UNDEFINED, *args: Any) -> str:
    text, pattern_text = stringify(value), stringify(pattern)
    ctx.memory.use(utf16_len(text) + utf16_len(pattern_text))
    return jsops.replace_last(text, pattern_text, "")


def replace(ctx: Context, value: Any, pattern: Any = UNDEFINED, replacement: Any = UNDEFINED, *args: Any) -> str:
    text, old, new = stringify(value), stringify(pattern), stringify(replacement)
    parts = len(jsops.split(text, old))
    ctx.memory.use(utf16_len(text) + (parts - 1) * (utf16_len(new) - utf16_len(old)))
    return jsops.replace_all(text, old, new)


def replace_first(ctx: Context, value: Any, pattern: Any = UNDEFINED, replacement: Any = UNDEFINED, *args: Any) -> str:
    text, old, new = stringify(value), stringify(pattern), stringify(replacement)
    ctx.memory.use(utf16_len(text) + utf16_len(old) + utf16_len(new))
    return jsops.replace_first(text, old, new)


def replace_last(ctx: Context, value: Any, pattern: Any = UNDEFINED, replacement: Any = UNDEFINED, *args: Any) -> str:
    text, old, new = stringify(value), stringify(pattern), stringify(replacement)
    ctx.memory.use(utf16_len(text) + utf16_len(old) + utf16_len(new))
    return jsops.replace_last(text, old, new)


def split(ctx: Context, value: Any, separator: Any = UNDEFINED, *args: Any) -> list[str]:
    parts = jsops.split(_text(ctx, value), stringify(separator))
    while parts and parts[-1] == "":
        parts.pop()  # Ruby's split, as Shopify's Liquid
    return parts


def strip_newlines(ctx: Context, value: Any, *args: Any) -> str:
    return _NEWLINES.sub("", _text(ctx, value))


def squish(ctx: Context, value: Any, *args: Any) -> str:
    return jsops.trim(jsops.JS_SPACES.sub(" ", _text(ctx, value)))


def normalize_whitespace(ctx: Context, value: Any, *args: Any) -> str:
    return jsops.JS_SPACES.sub(" ", _text(ctx, value))


def truncate(ctx: Context, value: Any, length: Any = UNDEFINED, ellipsis: Any = UNDEFINED, *args: Any) -> Any:
    text = stringify(value)
    length = 50 if length is UNDEFINED else length
    tail = stringify("..." if ellipsis is UNDEFINED else ellipsis)
    ctx.memory.use(utf16_len(text) + utf16_len(tail))
    units = to_utf16_units(text)
    fits = compare(len(units), to_value(length))
    if (fits is not None and fits <= 0) or jsops.advance_code_points(units, 0, length) >= len(units):
        return value  # short enough: the input itself, not its text
    keep = to_number(length) - jsops.code_point_length(to_utf16_units(tail))
    keep = max(keep, 0) if keep == keep else keep
    return canonical(canonical(units[: jsops.advance_code_points(units, 0, keep)]) + tail)


def truncatewords(ctx: Context, value: Any, words: Any = UNDEFINED, ellipsis: Any = UNDEFINED, *args: Any) -> str:
    text = stringify(value)
    tail = stringify("..." if ellipsis is UNDEFINED else ellipsis)
    ctx.memory.use(utf16_len(text) + utf16_len(tail))
    parts = jsops.JS_SPACES.split(jsops.trim_start(text))
    count: Any = 15 if words is UNDEFINED else words
    positive = compare(to_value(count), 0)
    if positive is not None and positive <= 0:
        count = 1
    kept = jsops.array_slice(parts, 0, count)
    out = " ".join(kept)
    enough = compare(len(parts), to_value(count))
    if enough is not None and enough >= 0:
        out += tail
    return canonical(out)


_CJK: Final = "\u4e00-\u9fff\uf900-\ufaff\u3400-\u4dbf\u3040-\u309f\u30a0-\u30ff\uac00-\ud7af"
_CJK_CHAR: Final = re.compile(f"[{_CJK}]")
_NON_CJK_WORD: Final = re.compile(f"[^{_CJK}{JS_SPACE_CLASS}]+")


def number_of_words(ctx: Context, value: Any, mode: Any = UNDEFINED, *args: Any) -> int:
    text = jsops.trim(_text(ctx, value))
    if not text:
        return 0
    if mode == "cjk" and type(mode) is str:
        return len(_CJK_CHAR.findall(text)) + len(_NON_CJK_WORD.findall(text))
    if mode == "auto" and type(mode) is str and _CJK_CHAR.search(text):
        return len(_CJK_CHAR.findall(text)) + len(_NON_CJK_WORD.findall(text))
    return len(jsops.JS_SPACES.split(text))


# --- URLs ---
def url_decode(ctx: Context, value: Any, *args: Any) -> str:
    return jsops.decode_uri_component(stringify(value).replace("+", " "))


def url_encode(ctx: Context, value: Any, *args: Any) -> str:
    return jsops.encode_uri(stringify(value), jsops.URI_COMPONENT_SAFE).replace("%20", "+")


def cgi_escape(ctx: Context, value: Any, *args: Any) -> str:
    encoded = jsops.encode_uri(stringify(value), jsops.URI_COMPONENT_SAFE).replace("%20", "+")
    return re.sub("[!'()*]", lambda m: f"%{ord(m[0]):X}", encoded)


def uri_escape(ctx: Context, value: Any, *args: Any) -> str:
    return jsops.encode_uri(stringify(value), jsops.URI_SAFE).replace("%5B", "[").replace("%5D", "]")


def _slug_keep(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "ML" or unicodedata.category(ch) == "Nd"


def _slug_default(text: str) -> str:
    return _runs_replaced(text, _slug_keep)


def _slug_pretty(text: str) -> str:
    return _runs_replaced(text, lambda ch: _slug_keep(ch) or ch in "._~!$&'()+,;=@")


def _slug_ascii(text: str) -> str:
    return re.sub("[^A-Za-z0-9]+", "-", text)


def _slug_raw(text: str) -> str:
    return jsops.JS_SPACES.sub("-", text)


def _runs_replaced(text: str, keep: Any) -> str:
    out: list[str] = []
    in_run = False
    for ch in text:
        if keep(ch):
            out.append(ch)
            in_run = False
        elif not in_run:
            out.append("-")
            in_run = True
    return "".join(out)


_ACCENTS: Final = (
    ("àáâãäå", "a"),
    ("æ", "ae"),
    ("ç", "c"),
    ("èéêë", "e"),
    ("ìíîï", "i"),
    ("ð", "d"),
    ("ñ", "n"),
    ("òóôõöø", "o"),
    ("ùúûü", "u"),
    ("ýÿ", "y"),
    ("ß", "ss"),
    ("œ", "oe"),
    ("þ", "th"),
    ("ẞ", "SS"),
    ("Œ", "OE"),
    ("Þ", "TH"),
)
_SLUG_MODES: Final = {
    "raw": _slug_raw,
    "default": _slug_default,
    "pretty": _slug_pretty,
    "ascii": _slug_ascii,
    "latin": _slug_default,
    "none": None,
}


def slugify(ctx: Context, value: Any, mode: Any = UNDEFINED, cased: Any = UNDEFINED, *args: Any) -> str:
    text = stringify(value)
    name = (
        "default" if mode is UNDEFINED else mode if type(mode) is str else stringify(mode) if is_number(mode) else None
    )
    replace_runs = _SLUG_MODES.get(name) if name is not None else None
    if replace_runs is not None:
        if name == "latin":
            for accented, plain in _ACCENTS:
                text = re.sub(f"[{accented}]", plain, text)
        text = re.sub("^-|-$", "", replace_runs(text))
    return text if js_truthy(cased) else text.lower()


# --- base64 and hashes ---
_BASE64_SPACE: Final = re.compile("[\t\n\f\r ]")
_BASE64_BODY: Final = re.compile("[A-Za-z0-9+/]*")


def base64_encode(ctx: Context, value: Any, *args: Any) -> str:
    return base64.b64encode(jsops.utf8(_text(ctx, value))).decode("ascii")


def base64_decode(ctx: Context, value: Any, *args: Any) -> str:
    text = _text(ctx, value)
    body = _BASE64_SPACE.sub("", text)
    if len(body) % 4 == 0:
        body = re.sub("==?$", "", body, count=1)
    if not (len(body) % 4 != 1 and _BASE64_BODY.fullmatch(body)):
        raise RenderFailure("invalid base64 provided to base64_decode")
    padded = body + "=" * (-len(body) % 4)
    data = base64.b64decode(padded) if body else b""
    return data.decode("utf-8", "replace")


def sha256(ctx: Context, value: Any, *args: Any) -> str:
    return hashlib.sha256(jsops.utf8(_text(ctx, value))).hexdigest()


def hmac_sha256(ctx: Context, value: Any, key: Any = UNDEFINED, *args: Any) -> str:
    text, secret = stringify(value), stringify(key)
    ctx.memory.use(utf16_len(text) + utf16_len(secret))
    return hmac.new(jsops.utf8(secret), jsops.utf8(text), hashlib.sha256).hexdigest()


FILTERS.update(
    {
        "escape": escape,
        "xml_escape": escape,
        "escape_once": escape_once,
        "strip_html": strip_html,
        "append": append,
        "prepend": prepend,
        "lstrip": lstrip,
        "rstrip": rstrip,
        "strip": strip,
        "downcase": downcase,
        "upcase": upcase,
        "capitalize": capitalize,
        "remove": remove,
        "remove_first": remove_first,
        "remove_last": remove_last,
        "replace": replace,
        "replace_first": replace_first,
        "replace_last": replace_last,
        "split": split,
        "strip_newlines": strip_newlines,
        "squish": squish,
        "normalize_whitespace": normalize_whitespace,
        "truncate": truncate,
        "truncatewords": truncatewords,
        "number_of_words": number_of_words,
        "url_decode": url_decode,
        "url_encode": url_encode,
        "cgi_escape": cgi_escape,
        "uri_escape": uri_escape,
        "slugify": slugify,
        "base64_encode": base64_encode,
        "base64_decode": base64_decode,
        "sha256": sha256,
        "hmac_sha256": hmac_sha256,
    }
)
