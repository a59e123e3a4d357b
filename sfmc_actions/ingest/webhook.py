"""`POST /v1/webhooks/segment`: events forwarded by a Segment workspace's Webhooks destination.

Both of Segment's webhook destinations sign with the shared secret set in their settings: the `X-Signature`
header holds the hex-encoded HMAC-SHA1 of the request body keyed with that secret. Sources: Segment's
Webhooks (Actions) docs (twilio.com/docs/segment/connections/destinations/catalog/actions-webhook, "If you
provide a shared secret, Segment will sign requests with an HMAC in the X-Signature request header ... a
hex-encoded SHA1 hash generated using this shared secret and the request body"), and its code
(segmentio/action-destinations, destinations/webhook/index.ts: createHmac('sha1', sharedSecret)
.update(JSON.stringify(payload.data)).digest('hex'); the body it sends is that same JSON text).

Accepted bodies: one event (the destinations' default: the whole event), a JSON array of events (Webhooks
(Actions) with batching on), or {"batch": [...]}. Caveat: with batching on, Segment signs only the first
event of the batch, not the body (a Twilio support article, "How Segment Computes x-signature for Batched
Webhooks"); such a signature cannot vouch for the rest of the batch, so it is refused: turn batching off.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response

from sfmc_actions.ingest.request_batch import prepare_events
from sfmc_actions.ingest.request_body import BATCH_LIMIT, BodyError, check_item_count, decode_body, read_body
from sfmc_actions.ingest.responses import commit, error_response
from sfmc_actions.ingest.service import Ingest

SIGNATURE_HEADER = "X-Signature"
WEBHOOK_SOURCE = "webhook"  # the source name in metrics
NOT_CONFIGURED = (
    "the Segment webhook is not configured: add `webhook: {shared_secret: ${SEGMENT_WEBHOOK_SECRET}}` to the "
    "config file (the same secret as the Shared Secret of the Webhooks destination in Segment) and restart"
)
WEBHOOK_HINT = "lower the batch size of the Webhooks destination"


class WebhookVerifier:
    """Checks X-Signature against the configured shared secret. The secret never leaves this object."""

    def __init__(self, secret: SecretStr | None) -> None:
        self._key = secret.get_secret_value().encode() if secret is not None else None

    def __repr__(self) -> str:
        return f"WebhookVerifier(configured={self.configured})"

    @property
    def configured(self) -> bool:
        return self._key is not None

    def signature(self, body: bytes) -> str:
        """The X-Signature Segment would send for `body`."""
        if self._key is None:
            raise RuntimeError("no webhook shared secret is configured")
        return hmac.new(self._key, body, hashlib.sha1).hexdigest()

    def problem(self, body: bytes, header: str | None) -> str | None:
        """Why the signature does not vouch for `body`, or None when it does."""
        if not header or not header.strip():
            return (
                f"the {SIGNATURE_HEADER} header is missing: set the Shared Secret in the Segment Webhooks "
                "destination's settings to the config's webhook.shared_secret"
            )
        if not hmac.compare_digest(self.signature(body).encode(), header.strip().lower().encode()):
            return (
                f"the {SIGNATURE_HEADER} header does not match the body (HMAC-SHA1 with the shared secret): "
                "check that Segment's Shared Secret equals the config's webhook.shared_secret, and that "
                "batching is off in the Webhooks (Actions) destination (Segment then signs only the first "
                "event)"
            )
        return None


def webhook_events(body: Any) -> list[Any]:
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get("batch"), list):
        return list(body["batch"])
    if isinstance(body, dict):
        return [body]
    raise BodyError(
        400, "invalid_body", 'the webhook body must be a JSON object (one event), a list of events, or {"batch": [...]}'
    )


def webhook_endpoint(ingest: Ingest, verifier: WebhookVerifier) -> Any:
    async def webhook(request: Request) -> Response:
        if not verifier.configured:
            return error_response(404, "webhook_not_configured", NOT_CONFIGURED)
        try:
            raw = await read_body(request, BATCH_LIMIT, "the webhook request", WEBHOOK_HINT)
            problem = verifier.problem(raw, request.headers.get(SIGNATURE_HEADER))
            if problem is not None:
                return error_response(401, "invalid_signature", problem)
            events = webhook_events(await decode_body(raw))
            check_item_count(events, "the webhook request", WEBHOOK_HINT)
        except BodyError as exc:
            return error_response(exc.status, exc.code, exc.message)
        return await commit(ingest, prepare_events(ingest, events, len(raw), stamp=False), WEBHOOK_SOURCE)

    return webhook
