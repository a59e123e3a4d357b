"""The SFMC API client: one `httpx.AsyncClient`, the OAuth flow, and one method per call the actions use.

Every method raises what `classify` decides (RetryableError, PermanentError, AuthenticationError) and returns
SFMC's parsed answer otherwise. Request bodies are encoded as Segment's JavaScript encodes them (`js/json_body.py`), so
the same payload gives the same bytes on the wire (tests/conformance/test_oracle_requests.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from sfmc_actions._version import __version__
from sfmc_actions.errors import AuthenticationError, DeliveryError, PermanentError, RetryableError
from sfmc_actions.js.json_body import encode_json
from sfmc_actions.sfmc.auth import DEFAULT_MARGIN, NO_AUTH, SfmcAuth, TokenCache
from sfmc_actions.sfmc.classify import classify, response_body
from sfmc_actions.sfmc.field_cache import FieldCache
from sfmc_actions.sfmc.settings import Endpoints, SfmcSettingsLike
from sfmc_actions.sfmc.soap import (
    DataFolder,
    RetrievePage,
    SoapAnswerError,
    SoapFault,
    parse_retrieve,
    retrieve_envelope,
)
from sfmc_actions.sfmc.soap_delete import DeleteAnswer, delete_envelope, parse_delete

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_AGENT = f"sfmc-actions/{__version__}"
# Segment's request client waits 10 s; SFMC's synchronous rowsets are slower than that in practice (Segment
# cut its batches to 10 rows over timeouts, sfmc-rest-api.md §3 Limits), so reads get 30 s.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_SOAP_PAGES = 100
_PATH_SAFE = "!$&'()*+,;=:@-._~"  # RFC 3986 pchar: a key with '/', '?', '#' or '%' cannot change the URL


def target_path(target: str) -> str:
    """`key:Orders` -> `key:Orders`, `id:<guid>` -> `<guid>`: the data extension part of a rows URL."""
    kind, _, value = target.partition(":")
    if kind == "key":
        return "key:" + quote(value, safe=_PATH_SAFE)
    if kind == "id":
        return quote(value, safe=_PATH_SAFE)
    raise ValueError(f"a data extension target is 'key:<external key>' or 'id:<id>', not {target!r}")


class SfmcClient:
    """Talks to one SFMC tenant (or the emulator, via `settings.api_base_url`). Use as an async context manager."""

    def __init__(
        self,
        settings: SfmcSettingsLike,
        *,
        http: httpx.AsyncClient | None = None,
        token_cache: TokenCache | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        token_margin: float = DEFAULT_MARGIN,
        clock: Callable[[], datetime] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        check_schema: bool = True,
    ) -> None:
        """`transport` (ignored with `http`) sees every request as sent: test-mapping previews and records them.

        `check_schema`: the data extension actions check rows against the target's fields (sfmc/schema.py) and
        send only those SFMC would take; `schemas` caches the fields (one or two metadata calls per target every
        10 minutes)."""
        self.endpoints = Endpoints.for_settings(settings)
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=32),
            transport=transport,
        )
        if not self._owns_http:
            self._http.headers["User-Agent"] = USER_AGENT
        self.auth = SfmcAuth(
            settings, self._http, endpoints=self.endpoints, cache=token_cache, margin=token_margin, clock=clock
        )
        self.requests_sent = 0  # API requests (not token requests), resends after a 401 included
        self.schemas = FieldCache() if check_schema else None

    def __repr__(self) -> str:
        return f"SfmcClient(rest={self.endpoints.rest_base!r}, {self.auth!r})"

    async def __aenter__(self) -> SfmcClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def authenticate(self) -> None:
        """Get a token now (a command does this once, then reuses it); raises AuthenticationError if refused."""
        await self.auth.access_token()

    # -- transport ---------------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: object = None,
        params: Mapping[str, str | int] | None = None,
    ) -> httpx.Response:
        """Send an authenticated REST call (`path` below the REST base) and classify the answer."""
        url = self.endpoints.rest_base + path
        content = None if json is None else encode_json(json)
        headers = {"Content-Type": "application/json"} if content is not None else None
        started = time.perf_counter()
        self.requests_sent += 1
        try:
            response = await self._http.request(
                method, url, content=content, headers=headers, params=params, auth=self.auth
            )
        except httpx.TransportError as exc:
            log.info("SFMC %s %s failed: %s", method, path, type(exc).__name__)
            raise self._checked(classify(exc)) from exc
        if len(response.history) > 0:
            self.requests_sent += len(response.history)  # the 401 that was refreshed and resent
        elapsed_ms = 1000 * (time.perf_counter() - started)
        log.debug("SFMC %s %s -> %s in %.0f ms", method, path, response.status_code, elapsed_ms)
        error = classify(response)
        if error is not None:
            raise error
        return response

    async def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.request(method, path, **kwargs)
        return response_body(response) if response.content else None

    @staticmethod
    def _checked(error: DeliveryError | None) -> DeliveryError:
        return error if error is not None else RetryableError("no answer from SFMC")

    # -- data extension rows -----------------------------------------------------------------------------

    async def upsert_rowset(self, target: str, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """`POST /hub/v1/dataevents/{key:K|id}/rowset` with `[{keys, values}]`; SFMC echoes the rows."""
        body = await self.request_json("POST", f"/hub/v1/dataevents/{target_path(target)}/rowset", json=list(rows))
        return body if isinstance(body, list) else []

    async def put_async_rows(self, target: str, items: Sequence[Mapping[str, Any]]) -> str:
        """`PUT /data/v1/async/dataextensions/{id|key:K}/rows` (upsert); returns SFMC's requestId."""
        path = f"/data/v1/async/dataextensions/{target_path(target)}/rows"
        body = await self.request_json("PUT", path, json={"items": list(items)})
        if not isinstance(body, dict) or not body.get("requestId"):
            raise RetryableError(f"SFMC accepted the async rows but returned no requestId: {body!r:.200}")
        return str(body["requestId"])

    async def async_status(self, request_id: str) -> dict[str, Any]:
        """`GET /data/v1/async/{id}/status`. Without a `status` key SFMC has not made the job visible yet."""
        body = await self.request_json("GET", f"/data/v1/async/{quote(request_id, safe='')}/status")
        return body if isinstance(body, dict) else {}

    async def async_results(self, request_id: str, *, page: int = 1, page_size: int = 2500) -> dict[str, Any]:
        """`GET /data/v1/async/{id}/results`: one page of per-row results, in submission order."""
        path = f"/data/v1/async/{quote(request_id, safe='')}/results"
        body = await self.request_json("GET", path, params={"$page": page, "$pageSize": page_size})
        return body if isinstance(body, dict) else {}

    # -- contacts and journeys ---------------------------------------------------------------------------

    async def upsert_contact(self, contact_key: str, attribute_sets: list[Any] | None = None) -> dict[str, Any]:
        """`POST /contacts/v1/contacts` with `{contactKey, attributeSets}` (Segment sends `[]`)."""
        body = {"contactKey": contact_key, "attributeSets": attribute_sets if attribute_sets is not None else []}
        answer = await self.request_json("POST", "/contacts/v1/contacts", json=body)
        return answer if isinstance(answer, dict) else {}

    async def fire_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /interaction/v1/events`: a Journey Builder entry event; SFMC answers `{eventInstanceId}`."""
        answer = await self.request_json("POST", "/interaction/v1/events", json=dict(event))
        return answer if isinstance(answer, dict) else {}

    async def fire_events_batch(
        self, event_definition_key: str, members: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """`POST /interaction/v1/async/events` with `{eventDefinitionKey, members: [{contactKey, data}]}` (up to 100).

        SFMC answers per member in request order: `eventInstanceId`, or `errorcode` and `message`; plus
        `requestId`, `count` and `notQueuedCount` (enterContactsIntoJourneyInBatches, DOC).
        """
        body = {"eventDefinitionKey": event_definition_key, "members": [dict(m) for m in members]}
        answer = await self.request_json("POST", "/interaction/v1/async/events", json=body)
        return answer if isinstance(answer, dict) else {}

    async def journey_entry_status(self, params: Mapping[str, str | int]) -> dict[str, Any]:
        """`GET /interaction/v1/async/events/status`: one page of batched entries (`{page, pageSize, count, items}`)."""
        answer = await self.request_json("GET", "/interaction/v1/async/events/status", params=params)
        return answer if isinstance(answer, dict) else {}

    async def get_event_definition(self, key: str) -> dict[str, Any]:
        """`GET /interaction/v1/eventDefinitions/key:{key}`: the definition (with its `dataExtensionId`)."""
        answer = await self.request_json("GET", f"/interaction/v1/eventDefinitions/key:{quote(key, safe=_PATH_SAFE)}")
        return answer if isinstance(answer, dict) else {}

    # -- data extension metadata (the CLI's data-extensions commands) ------------------------------------

    async def search_data_extensions(self, search: str = "_", page: int = 1) -> dict[str, Any]:
        """`GET /data/v1/customobjects?$search=`: SFMC requires a search term; Segment sends `_` for "all".

        The answer is one page: `{count, page, pageSize, items}`.
        """
        params = {"$search": search or "_"} | ({"$page": str(page)} if page > 1 else {})  # page 1: as Segment
        answer = await self.request_json("GET", "/data/v1/customobjects", params=params)
        return answer if isinstance(answer, dict) else {}

    async def get_data_extension(self, de_id: str) -> dict[str, Any]:
        answer = await self.request_json("GET", f"/data/v1/customobjects/{quote(de_id, safe='')}")
        return answer if isinstance(answer, dict) else {}

    async def get_data_extension_fields(self, de_id: str) -> dict[str, Any]:
        answer = await self.request_json("GET", f"/data/v1/customobjects/{quote(de_id, safe='')}/fields")
        return answer if isinstance(answer, dict) else {}

    async def create_data_extension(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /data/v1/customobjects`; SFMC answers 201 with the new data extension (id, key, ...)."""
        answer = await self.request_json("POST", "/data/v1/customobjects", json=dict(body))
        return answer if isinstance(answer, dict) else {}

    async def retrieve_data_folders(self, content_type: str = "dataextension") -> list[DataFolder]:
        """SOAP Retrieve of DataFolder, every page."""
        folders: list[DataFolder] = []
        continue_id: str | None = None
        for _ in range(MAX_SOAP_PAGES):
            page = await self._soap_retrieve(content_type, continue_id)
            folders += page.folders
            if not page.more or not page.request_id:
                return folders
            continue_id = page.request_id
        raise PermanentError(f"SFMC kept answering MoreDataAvailable after {MAX_SOAP_PAGES} pages of folders")

    async def _soap_retrieve(self, content_type: str, continue_id: str | None) -> RetrievePage:
        page = await self._soap(
            "Retrieve",
            lambda token: retrieve_envelope(token, content_type=content_type, continue_id=continue_id),
            parse_retrieve,
        )
        if page.overall_status.startswith("Error"):
            raise PermanentError(f"SFMC SOAP Retrieve failed: {page.overall_status}")
        return page

    async def delete_data_extension_rows(self, customer_key: str, rows: Sequence[Mapping[str, Any]]) -> DeleteAnswer:
        """SOAP Delete of DataExtensionObject rows (`rows`: each row's primary key columns and values); SFMC
        answers one result per row (soap_delete.py). Deleting is idempotent: a lost answer is simply resent."""
        return await self._soap("Delete", lambda token: delete_envelope(token, customer_key, rows), parse_delete)

    async def _soap(self, action: str, envelope_for: Callable[[SecretStr], str], parse: Callable[[str], T]) -> T:
        """POST a SOAP envelope to `Service.asmx`; an expired token (a `Security` fault) is refreshed once."""
        token = await self.auth.access_token()
        for attempt in (1, 2):
            self.requests_sent += 1
            try:
                response = await self._http.post(
                    self.endpoints.soap_url,
                    content=envelope_for(token).encode(),
                    headers={"Content-Type": "text/xml", "SOAPAction": action},
                    auth=NO_AUTH,  # SOAP carries the token in <fueloauth>, not in a header
                )
            except httpx.TransportError as exc:
                raise self._checked(classify(exc)) from exc
            try:
                return parse(response.text)
            except SoapFault as fault:
                if fault.security and attempt == 1:
                    token = await self.auth.access_token(stale=token)  # expired: refresh once, like a REST 401
                    continue
                if fault.security:
                    raise AuthenticationError(f"SFMC's SOAP API refused a fresh token: {fault}") from None
                # SOAP throttling and server trouble arrive as HTTP 500 faults (sfmc-rest-api.md §9).
                raise RetryableError(f"SFMC SOAP fault: {fault}", response.status_code) from None
            except SoapAnswerError as exc:
                error = classify(response) or PermanentError(str(exc), response.status_code)
                raise error from None
        raise AssertionError("unreachable")

    @property
    def token_requests(self) -> int:
        return self.auth.token_requests
