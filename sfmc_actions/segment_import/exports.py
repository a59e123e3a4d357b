"""The Segment Public API answers that `import segment` reads, in their documented shapes.

Shapes as documented by Segment's Public API (https://docs.segmentapis.com; the same OpenAPI description
generates segmentio/public-api-sdk-go, whose models are quoted by name below). Every answer is wrapped in
`{"data": ...}`:

- `GET /destinations/{destinationId}` -> `data.destination`: DestinationV1 `{id, name?, enabled, metadata,
  sourceId, settings}`; `metadata` is DestinationMetadataV1 (`slug` among many fields); `settings` is a free
  object, here the SFMC destination's `subdomain`, `account_id`, `client_id`, `client_secret`.
- `GET /destinations/{destinationId}/subscriptions` (alpha: `Accept: application/vnd.segment.v1alpha+json`;
  `?pagination.count=N`) -> `data.subscriptions[]` + `data.pagination`:
  DestinationSubscription `{id, name, actionId, actionSlug, destinationId, enabled, trigger, settings,
  modelId?, reverseETLSchedule?}`. `settings` is the mapping as Segment stores it (hook outputs included);
  `modelId` links a Reverse ETL model (event-stream subscriptions have none, or "").
- `GET /sources` -> `data.sources[]` + `data.pagination`: SourceV1 `{id, slug, name?, metadata, workspaceId,
  enabled, writeKeys[], settings?, labels[]}`. `writeKeys` is empty when the token lacks 'source admin'.

Fields this importer does not use are not checked (extra="ignore"), so a newer API version with more fields
still imports. Fields it uses are required with their documented types, except `client_secret`, which is
never read (it becomes a placeholder) and which the API may withhold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sfmc_actions.errors import SegmentExportError

M = TypeVar("M", bound=BaseModel)


class _Answer(BaseModel):
    # strict: "true" is not a boolean and 5 is not a string, as in the documented types.
    model_config = ConfigDict(extra="ignore", strict=True, hide_input_in_errors=True)


class Pagination(_Answer):
    current: str | None = None
    next: str | None = None  # set when there are more pages (camelCase names below are the API's)
    totalEntries: int | None = None


class DestinationSettings(_Answer):
    subdomain: str
    account_id: str | int
    client_id: str


class DestinationMetadata(_Answer):
    slug: str | None = None
    name: str | None = None


class Destination(_Answer):
    id: str = Field(min_length=1)
    name: str | None = None
    enabled: bool
    sourceId: str | None = None
    metadata: DestinationMetadata | None = None
    settings: DestinationSettings


class Subscription(_Answer):
    id: str = Field(min_length=1)
    name: str
    actionSlug: str
    destinationId: str | None = None
    enabled: bool
    trigger: str
    settings: dict[str, Any]
    modelId: str | None = None


class Source(_Answer):
    id: str = Field(min_length=1)
    slug: str = Field(min_length=1)
    name: str | None = None
    enabled: bool
    writeKeys: list[str]


class _DestinationData(_Answer):
    destination: Destination


class DestinationAnswer(_Answer):
    data: _DestinationData


class _SubscriptionsData(_Answer):
    subscriptions: list[Subscription]
    pagination: Pagination | None = None


class SubscriptionsAnswer(_Answer):
    data: _SubscriptionsData


class _SourcesData(_Answer):
    sources: list[Source]
    pagination: Pagination | None = None


class SourcesAnswer(_Answer):
    data: _SourcesData


def read_answer(path: Path, model: type[M], endpoint: str) -> M:
    """The file's JSON as `model`; SegmentExportError naming the file and every bad JSON path otherwise."""
    file = str(path)
    hint = f"save the whole JSON answer of `GET {endpoint}` to this file (see README, Moving from Segment)"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SegmentExportError(file, [("", f"cannot read the file: {exc.strerror}")]) from None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SegmentExportError(file, [("", f"not valid JSON: {exc}")], hint) from None
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        problems = [(json_path(err["loc"]), _message(err)) for err in exc.errors()]
        raise SegmentExportError(file, problems, hint) from None


def json_path(loc: tuple[str | int, ...]) -> str:
    """JSONPath of a location, as `$.data.subscriptions[2].trigger`."""
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


def _message(err: Any) -> str:
    # Our own words for the common cases; pydantic's messages never include the input (hide_input_in_errors).
    if err["type"] == "missing":
        return "this field is required"
    if err["type"] == "model_type":
        return "should be a JSON object"
    return str(err["msg"])
