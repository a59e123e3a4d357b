"""Ingest: events come in (Segment's Tracking API, a Segment webhook, NDJSON files), are checked against the
Segment Spec, routed, and committed to the job store before anyone is told they were accepted.

    create_ingest_app(config, router, store) -> Starlette     the HTTP API (http_api.py, webhook.py)
    Ingest(router, store)                                     parse -> route -> enqueue (service.py)
    send_lines(ingest, numbered_lines(stream))                NDJSON files in chunks (files.py)
"""

from __future__ import annotations

from sfmc_actions.ingest.files import SendTotals, numbered_lines, send_lines
from sfmc_actions.ingest.http_api import create_ingest_app
from sfmc_actions.ingest.service import EventProblem, EventRouter, Ingest, IngestBatch, IngestResult
from sfmc_actions.ingest.webhook import WebhookVerifier
from sfmc_actions.ingest.write_keys import WriteKeys

__all__ = [
    "EventProblem",
    "EventRouter",
    "Ingest",
    "IngestBatch",
    "IngestResult",
    "SendTotals",
    "WebhookVerifier",
    "WriteKeys",
    "create_ingest_app",
    "numbered_lines",
    "send_lines",
]
