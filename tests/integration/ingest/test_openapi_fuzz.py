"""A bounded fuzz run of the ingest API from its own /openapi.json (issue 11), in CI: schemathesis generates
requests for every operation, with a fixed seed and a small example budget, and sends them to a real server over
a real SQLite store. No answer may be a 5xx, nor break the document: an undocumented status code, content type,
header or body shape fails the run.

The checks are chosen: schemathesis's negative_data_rejection and positive_data_acceptance expect a 4xx for a
body outside the schema, but the Tracking API answers such events 200 and keeps them as rejected, as Segment's
does (http_api.py), so the document describes bodies, not what is refused.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sfmc_actions.ingest.openapi import openapi_document
from tests.integration.ingest.conftest import WRITE_KEY

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
SEEN: Counter[tuple[str, int]] = Counter()  # (operation, status): printed at the end with -s


# The document the server serves at /openapi.json (a test below checks they are the same).
schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    for (operation, status), count in sorted(SEEN.items()):
        print(f"fuzz {operation}: {status} x{count}")


def test_the_fuzzed_document_is_the_served_one(server: str) -> None:
    import httpx

    assert httpx.get(f"{server}/openapi.json", timeout=10).json() == openapi_document()


@pytest.mark.slow
@schema.parametrize()
@seed(20260511)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_5xx_and_no_answer_outside_the_document(server: str, case: schemathesis.Case) -> None:
    # The source's key on every request, so the generated bodies get past authentication to the parsing.
    response = case.call(base_url=server, headers=AUTH, timeout=30)
    SEEN[(case.operation.label, response.status_code)] += 1
    case.validate_response(response, checks=CHECKS)
