"""Which source a request comes from: its write key, as Segment's Tracking API reads it.

Segment's HTTP API takes the write key as the HTTP Basic user name with an empty password, or as `writeKey`
in the JSON body (segment.com/docs/connections/sources/catalog/libraries/server/http-api, "Authentication").
analytics-python 2.x sends both (Basic header and body field, segment/analytics/request.py); with its OAuth
option the header carries a Bearer token and only the body field names the source. analytics.js sends only
the body field, with `Content-Type: text/plain` so browsers skip the CORS preflight.

Keys are compared in constant time against every source, and never appear in a log line, message or repr.

Authentication comes before decoding the body: a Basic user is checked before the body is read, and a body
without a header is searched for a `"writeKey": "..."` that names a source (a byte search, no JSON decoding);
only then is it decoded, and the key that counts is the body's top-level `writeKey`, as before. A request with
no valid key is 401 whatever its body, and costs no JSON decoding.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from sfmc_actions.config import Source
from sfmc_actions.errors import SfmcActionsError

HOW_TO_SEND = (
    "send the source's write key as the HTTP Basic user name with an empty password (\"Authorization: Basic "
    'base64(KEY:)") or as "writeKey" in the JSON body'
)


# A "writeKey" member anywhere in the body; its string may hold escapes (decoded on their own, a few bytes).
_BODY_KEY = re.compile(rb'"writeKey"\s*:\s*"((?:[^"\\]|\\.)*)"')
_MAX_BODY_KEYS = 16  # distinct candidates compared per request: bounded work whatever the body


class WriteKeyError(SfmcActionsError):
    """The request names no source: answered 401. The message never contains the key."""


@dataclass(frozen=True)
class _Key:
    secret: bytes
    source: str


class WriteKeys:
    """Write key -> source name, from the config's `sources`."""

    def __init__(self, sources: Iterable[Source]) -> None:
        self._keys = [_Key(source.write_key.encode(), source.name) for source in sources]

    def __repr__(self) -> str:
        return f"WriteKeys({len(self._keys)} source(s))"

    def __len__(self) -> int:
        return len(self._keys)

    def source_for(self, key: str) -> str | None:
        """The source whose write key is `key`, or None. Every key is compared, so timing tells nothing."""
        wanted = key.encode()
        found: str | None = None
        for candidate in self._keys:
            if hmac.compare_digest(candidate.secret, wanted):
                found = candidate.source
        return found

    def authenticate(self, authorization: str | None, body_key: object) -> str:
        """The source of a request from its Authorization header and body `writeKey`; raises WriteKeyError."""
        if not self._keys:
            raise WriteKeyError(
                "no sources are configured: add a source with a write_key under `sources:` in the "
                "config file and restart"
            )
        key = basic_user(authorization)
        if key is None:
            if isinstance(body_key, str) and body_key:
                key = body_key
            else:
                raise WriteKeyError(f"no write key: {HOW_TO_SEND}")
        source = self.source_for(key)
        if source is None:
            raise WriteKeyError(
                "unknown write key: it matches no source in the config file; use the write_key of one of the "
                "config's `sources`"
            )
        return source

    def header_source(self, authorization: str | None) -> str | None:
        """The source of a request whose Authorization header carries a Basic user (WriteKeyError when it is
        unknown); None when the key must come from the body."""
        if not self._keys:
            self.authenticate(authorization, None)  # raises: no sources configured
        if basic_user(authorization) is None:
            return None
        return self.authenticate(authorization, None)

    def check_raw_body(self, raw: bytes) -> None:
        """WriteKeyError unless some `"writeKey": "..."` in the undecoded body names a source."""
        found = False
        seen: set[bytes] = set()
        for match in _BODY_KEY.finditer(raw):
            candidate = match.group(1)
            if candidate in seen:
                continue
            seen.add(candidate)
            found = True
            key = _string(candidate)
            if key and self.source_for(key) is not None:
                return
            if len(seen) >= _MAX_BODY_KEYS:
                break
        if not found:
            raise WriteKeyError(f"no write key: {HOW_TO_SEND}")
        raise WriteKeyError(
            "unknown write key: it matches no source in the config file; use the write_key of one of the "
            "config's `sources`"
        )


def _string(escaped: bytes) -> str | None:
    if b"\\" not in escaped:
        try:
            return escaped.decode()
        except UnicodeDecodeError:
            return None
    try:
        value = orjson.loads(b'"' + escaped + b'"')
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, str) else None


def basic_user(authorization: str | None) -> str | None:
    """The user name of an `Authorization: Basic ...` header; None for no header, Bearer or an empty user."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user = decoded.partition(":")[0]
    return user or None
