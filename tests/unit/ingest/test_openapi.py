"""GET /openapi.json: a valid OpenAPI 3.1 document describing every ingest endpoint."""

from __future__ import annotations

from typing import Any

import httpx
from openapi_spec_validator import validate

from sfmc_actions.ingest.http_api import create_ingest_app
from tests.unit.ingest.fakes import FakeRouter, FakeStore, config


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs(value)]
    return []


async def test_the_served_document_is_valid_openapi_with_every_path() -> None:
    app = create_ingest_app(config(), FakeRouter(), FakeStore())  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://ingest") as http:
        document = (await http.get("/openapi.json")).json()
    validate(document)  # raises on anything that is not OpenAPI 3.1
    assert document["openapi"].startswith("3.")
    expected = {f"/v1/{call}" for call in ("identify", "track", "page", "screen", "group", "alias", "batch", "import")}
    assert expected | {"/v1/webhooks/segment", "/healthz", "/readyz"} <= set(document["paths"])
    schemas = document["components"]["schemas"]
    for ref in refs(document):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    track = schemas["TrackEvent"]
    assert "event" in track["required"] and "messageId" not in track["required"]  # generated when absent
    batch = document["paths"]["/v1/batch"]["post"]
    assert set(batch["responses"]) == {"200", "400", "401", "415", "429", "503"}
    assert (
        "Retry-After" in batch["responses"]["429"]["headers"] and "Retry-After" in batch["responses"]["503"]["headers"]
    )
    assert document["components"]["securitySchemes"]["writeKeyBasic"]["scheme"] == "basic"
