"""The answers of the ingest endpoints, shaped for Segment's SDKs.

Errors carry `code` and `message`: analytics-python reads exactly those into its APIError and logs them
(segment/analytics/request.py), so a 400 or 401 shows its reason in the sender's log.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import orjson
from starlette.responses import Response

from sfmc_actions.errors import StoreBusyError
from sfmc_actions.ingest.service import Ingest, IngestBatch, IngestResult
from sfmc_actions.observe.metrics import METRICS

log = logging.getLogger("sfmc_actions.ingest")


def json_response(content: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), status, headers, media_type="application/json")


def error_response(status: int, code: str, message: str, retry_after: float | None = None) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="sfmc-actions"'} if status == 401 else {}
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return json_response({"success": False, "code": code, "message": message}, status, headers or None)


def result_body(result: IngestResult) -> dict[str, Any]:
    body: dict[str, Any] = {
        "success": True,
        "accepted": result.accepted,
        "rejected": result.rejected,
        "jobs": result.jobs,
        "unmatched": result.unmatched,
    }
    if result.duplicates:
        body["duplicates"] = result.duplicates
    if result.unstored:
        body["rejected_not_stored"] = result.unstored
    if result.problems:
        body["errors"] = [problem.to_dict() for problem in result.problems]
    return body


async def commit(ingest: Ingest, batch: IngestBatch, source: str) -> Response:
    try:
        result = await ingest.commit(batch, source)
    except StoreBusyError as exc:  # rolled back: nothing was committed, so the client must send again
        METRICS.ingest_store_busy.inc()
        log.warning("could not store %d event(s) in time: %s", batch.events, exc)
        return error_response(
            503, "store_busy", f"{exc}; send the events again later", retry_after=ingest.store_timeout or 1
        )
    except Exception as exc:  # any store failure: nothing was committed, so the client must send again
        log.error("could not store %d event(s): %s", batch.events, type(exc).__name__, exc_info=True)
        return error_response(
            503,
            "store_unavailable",
            f"the events could not be stored ({type(exc).__name__}): nothing was accepted; send them again later",
        )
    if result.rejected:
        kept = result.rejected - result.unstored
        log.info("rejected %d of %d event(s) (Segment Spec); %d kept as rejected", result.rejected, result.events, kept)
    return json_response(result_body(result))
