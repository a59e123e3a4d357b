"""X-Signature: hex HMAC-SHA1 of the body keyed with the shared secret (Segment's Webhooks destinations)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from sfmc_actions.ingest.request_body import BodyError
from sfmc_actions.ingest.webhook import WebhookVerifier, webhook_events

# RFC 2202-style known vector: HMAC-SHA1(key="key", "The quick brown fox jumps over the lazy dog").
KNOWN = "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
BODY = b"The quick brown fox jumps over the lazy dog"


def test_signature_is_hex_hmac_sha1_of_the_body() -> None:
    assert WebhookVerifier(SecretStr("key")).signature(BODY) == KNOWN


@pytest.mark.parametrize("header", [KNOWN, KNOWN.upper(), f"  {KNOWN} "])
def test_a_matching_signature_passes(header: str) -> None:
    assert WebhookVerifier(SecretStr("key")).problem(BODY, header) is None


@pytest.mark.parametrize(
    ("body", "header", "expected"),
    [
        (BODY, None, "header is missing"),
        (BODY, "   ", "header is missing"),
        (BODY + b" ", KNOWN, "does not match the body"),  # one byte more
        (BODY, KNOWN[:-1] + "0", "does not match the body"),
        (BODY, "sha1=" + KNOWN, "does not match the body"),  # Segment sends the bare hex digest
    ],
)
def test_a_missing_or_wrong_signature_says_why(body: bytes, header: str | None, expected: str) -> None:
    problem = WebhookVerifier(SecretStr("key")).problem(body, header)
    assert problem is not None and expected in problem


def test_a_wrong_secret_does_not_verify() -> None:
    assert WebhookVerifier(SecretStr("other")).problem(BODY, KNOWN) is not None


def test_the_secret_never_shows() -> None:
    verifier = WebhookVerifier(SecretStr("s3cr3t-value"))
    problem = verifier.problem(b"{}", "00")
    assert "s3cr3t-value" not in repr(verifier) and problem is not None and "s3cr3t-value" not in problem
    assert not WebhookVerifier(None).configured and verifier.configured


def test_body_shapes() -> None:
    event = {"type": "track", "event": "A", "userId": "u"}
    assert webhook_events(event) == [event]
    assert webhook_events([event, event]) == [event, event]
    assert webhook_events({"batch": [event]}) == [event]
    with pytest.raises(BodyError, match="must be a JSON object"):
        webhook_events("text")
