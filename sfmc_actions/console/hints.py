"""What an error means and what to do about it: one row per known SFMC errorcode or validation reason.

Matched against an error group's text (the reason a job died or was rejected), first match wins. The patterns
follow the wording SFMC's REST API and Segment's payload validation use (spec/sfmc-rest-api.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Hint:
    pattern: re.Pattern[str]
    meaning: str
    fix: str


def _hint(pattern: str, meaning: str, fix: str) -> Hint:
    return Hint(re.compile(pattern, re.IGNORECASE), meaning, fix)


HINTS: tuple[Hint, ...] = (
    _hint(
        r"primary key|\bkey column|10000\b.*key|must include.*key",
        "The row lacks a primary key column of the data extension, or names it differently.",
        "Map every primary key field of the data extension under `keys` (names as in SFMC, case included).",
    ),
    _hint(
        r"too long|exceeds.*length|maxlength|max length|longer than",
        "A value is longer than its data extension field allows.",
        "Shorten it in the mapping (e.g. a `@template` or `@replace`), or widen the field in SFMC.",
    ),
    _hint(
        r"e-?mail",
        "An email address SFMC does not accept (an EmailAddress field checks the format).",
        "Map a valid address, or leave the field out when the event has none (`@if` exists).",
    ),
    _hint(
        r"\b429\b|rate limit|too many requests",
        "SFMC throttled the requests (HTTP 429): they are retried, honouring Retry-After.",
        "Nothing, unless it keeps happening: lower delivery.tenant_concurrency or spread sends over time.",
    ),
    _hint(
        r"\b401\b|invalid_client|unauthori[sz]ed|token.*(refused|invalid)|authentication",
        "SFMC refused the credentials or the token (HTTP 401 / invalid_client).",
        "Check client_id, client_secret, subdomain and account_id; the installed package needs the API scopes.",
    ),
    _hint(
        r"event ?definition|eventdefinitionkey|apiEvent",
        "The journey's entry event definition is unknown to SFMC, or the journey is not running.",
        "Use the event definition key shown in Journey Builder's entry source, and activate the journey.",
    ),
    _hint(
        r"\b403\b|forbidden|insufficient privileges|scope",
        "The installed package lacks a permission the call needs.",
        "Grant the scope in Setup > Apps > Installed Packages (data extensions: read and write).",
    ),
    _hint(
        r"data extension.*(not found|does not exist|unknown)|\b404\b",
        "The data extension (or contact) does not exist in that business unit.",
        "Check the external key in the mapping, and that the account_id (MID) is that business unit's.",
    ),
    _hint(
        r"required|must have required|missing",
        "Segment's payload validation: a required field of the action is missing from the mapped payload.",
        "Map the field (test the mapping on the Subscriptions page), or trigger only on events that have it.",
    ),
    _hint(
        r"spec|invalid event|timestamp|userId or anonymousId",
        "The event broke the Segment Spec and was rejected at ingest.",
        "Fix the sender; once fixed, replay rejected events from Dead letters (include rejected).",
    ),
    _hint(
        r"\b5\d\d\b|timed? ?out|connect",
        "SFMC did not answer in time or answered with a server error: retried until the limits pass.",
        "Usually nothing; check SFMC's status page if it lasts.",
    ),
)


def hint_for(text: str) -> Hint | None:
    return next((hint for hint in HINTS if hint.pattern.search(text)), None)
