"""URLs with their credentials masked, wherever a URL is shown: status, the start-up banner, errors, logs.

A credential can sit in the user-info (`postgresql://user:PASSWORD@host/db`) or in the query string: libpq
and asyncpg read `?password=` and `?sslpassword=`, and API URLs carry `?token=`, `?api_key=`, `?sig=`. Every
such value is replaced by `***`; the rest of the URL is shown as written, so the operator still sees which
database or host it is.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

MASK = "***"
# Query parameter names that carry a credential (matched anywhere in the name, any case).
CREDENTIAL_PARAM = re.compile(r"(?i)pass|pwd|secret|token|key|auth|sig|credential")
_USERINFO_PASSWORD = re.compile(r"(?i)(://[^:/@\s?#]*:)[^@/\s?#]*(?=@)")


def redact_url(url: str) -> str:
    """`url` with the user-info password and every credential-named query value replaced by ***."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # not a URL urlsplit can read (a bad port, an unclosed [): mask by shape
        return _mask_query(_USERINFO_PASSWORD.sub(lambda m: m.group(1) + MASK, url))
    shown = url  # edited in place, so a URL with nothing to mask comes back exactly as written
    if password is not None:
        user, _, host = parts.netloc.rpartition("@")
        shown = shown.replace(f"//{parts.netloc}", f"//{user.partition(':')[0]}:{MASK}@{host}", 1)
    masked = _mask_query(parts.query)
    if masked != parts.query:
        shown = shown.replace(f"?{parts.query}", f"?{masked}", 1)
    return shown


def _mask_query(text: str) -> str:
    head, mark, query = text.partition("?") if "://" in text else ("", "", text)
    fragment = ""
    if "#" in query:
        query, fragment = query.split("#", 1)
        fragment = "#" + fragment
    pairs = []
    for pair in query.split("&") if query else []:
        name, equals, _ = pair.partition("=")
        pairs.append(f"{name}={MASK}" if equals and CREDENTIAL_PARAM.search(unquote(name)) else pair)
    return head + mark + "&".join(pairs) + fragment


def url_secrets(url: str) -> list[str]:
    """The credential values in `url` (to register with observe.logging, so logs mask them too)."""
    found: list[str] = []
    try:
        parts = urlsplit(url)
        if parts.password:
            found.append(unquote(parts.password))
    except ValueError:
        return found
    for pair in parts.query.split("&") if parts.query else []:
        name, equals, value = pair.partition("=")
        if equals and value and CREDENTIAL_PARAM.search(unquote(name)):
            found.append(unquote(value))
    return found
