"""`create_app`: the Starlette app, its SFMC route table, and the per-call pipeline.

Every SFMC call goes through the same steps, in SFMC's order: due async jobs finish, the call is
journaled (secrets replaced), fault rules fire, the bearer token and scope are checked (before the
resource is resolved, §2 T6), then the route handler runs and changes are persisted.

Auth, REST and SOAP paths share one port; the tenant comes from the token (§10). Paths match
case-insensitively, as SFMC's do (T6 calls `/data/v1/customObjects`; FuelSDK `service.asmx`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from sfmc_actions.emulator import (
    async_rows,
    auth,
    contacts,
    customobjects,
    inspect,
    journey_status,
    journeys,
    rows,
    soap,
)
from sfmc_actions.emulator.context import Call
from sfmc_actions.emulator.faults import FaultEngine, FaultRule, load_faults
from sfmc_actions.emulator.journal import Journal
from sfmc_actions.emulator.model import Clock, Options
from sfmc_actions.emulator.persist import SqliteStore
from sfmc_actions.emulator.responses import DOC_URL, error, internal_error, json_response, not_authorized, not_found
from sfmc_actions.emulator.seed import build_tenants, read_seed, seed_options
from sfmc_actions.emulator.state import EmulatorState
from sfmc_actions.emulator.transport import DropConnection, Hang

Handler = Callable[[Call], Awaitable[Response]]
READ, WRITE = "data_extensions_read", "data_extensions_write"

# (path, methods, route name for faults and the journal, handler, scope, area). Scopes per S16 DOC
# where listed, INF otherwise (§2 "Relevant scopes").
SFMC_ROUTES: list[tuple[str, list[str], str, Handler, str | None, str]] = [
    ("/v2/token", ["POST"], "token", auth.token, None, "auth"),
    ("/hub/v1/dataevents/{ref}/rowset", ["POST"], "rowset", rows.rowset, WRITE, "hub"),
    ("/hub/v1/dataevents/{ref}/rows/{keys:path}", ["PUT"], "row", rows.row, WRITE, "hub"),
    ("/data/v1/async/dataextensions/{ref}/rows", ["POST", "PUT"], "async_rows", async_rows.submit, WRITE, "data"),
    ("/data/v1/async/{request_id}/status", ["GET"], "async_status", async_rows.status, READ, "data"),
    ("/data/v1/async/{request_id}/results", ["GET"], "async_results", async_rows.results, READ, "data"),
    ("/interaction/v1/events", ["POST"], "events", journeys.fire_event, "journeys_execute", "rest"),
    ("/interaction/v1/async/events", ["POST"], "async_events", journeys.fire_batch, "journeys_execute", "rest"),
    (
        "/interaction/v1/async/events/status",
        ["GET"],
        "async_events_status",
        journey_status.status,
        "journeys_read",
        "rest",
    ),
    (
        "/interaction/v1/eventDefinitions",
        ["POST"],
        "event_definitions",
        journeys.create_definition,
        "journeys_write",
        "rest",
    ),
    (
        "/interaction/v1/eventDefinitions",
        ["GET"],
        "event_definitions",
        journeys.list_definitions,
        "journeys_read",
        "rest",
    ),
    (
        "/interaction/v1/eventDefinitions/{ref}",
        ["GET"],
        "event_definitions",
        journeys.get_definition,
        "journeys_read",
        "rest",
    ),
    ("/contacts/v1/contacts", ["POST"], "contacts", contacts.create_contact, "list_and_subscribers_write", "rest"),
    ("/data/v1/customobjects", ["GET"], "customobjects", customobjects.search, READ, "data"),
    ("/data/v1/customobjects", ["POST"], "customobjects", customobjects.create, WRITE, "data"),
    ("/data/v1/customobjects/category/{category}", ["GET"], "customobjects", customobjects.by_category, READ, "data"),
    ("/data/v1/customobjects/{id}", ["GET"], "customobjects", customobjects.get_one, READ, "data"),
    ("/data/v1/customobjects/{id}/fields", ["GET"], "customobjects", customobjects.get_fields, READ, "data"),
    ("/data/v1/customobjectdata/key/{key}/rowset", ["GET"], "customobjectdata", customobjects.rowset, READ, "data"),
    ("/Service.asmx", ["POST"], "soap", soap.service, None, "soap"),
]


class Emulator:
    """The emulator behind one app: state, faults, journal, optional SQLite store."""

    def __init__(
        self,
        seed: Mapping[str, Any],
        faults: Mapping[str, Any] | None,
        options: Options,
        clock: Clock,
        state_file: str | Path | None,
    ) -> None:
        self.seed, self.faults_config, self.options, self.clock = seed, faults, options, clock
        self.state = self._fresh_state()
        self.faults = FaultEngine(faults)
        self.journal = Journal(options.journal_size)
        self.soap_pages: dict[str, tuple[list[str], int]] = {}
        self.closing = asyncio.Event()
        self.store = SqliteStore(Path(state_file)) if state_file else None
        if self.store is not None:
            self.store.load(self.state)
            self.state.track_changes = True

    def _fresh_state(self) -> EmulatorState:
        state = EmulatorState(build_tenants(self.seed), self.options, self.clock)
        for tenant in state.tenants.values():
            for de in tenant.data_extensions.values():
                de.case_sensitive = self.options.case_sensitive_names
                de.reindex()
        state.job_runner = async_rows.run_job
        return state

    def reset(self) -> None:
        """Back to the seed: no rows, contacts, events, jobs, tokens, journal; the start-up faults."""
        track = self.state.track_changes
        self.state = self._fresh_state()
        self.state.track_changes = track
        self.faults = FaultEngine(self.faults_config)
        self.journal.clear()
        self.soap_pages.clear()
        if self.store is not None:
            self.store.clear()

    def flush(self) -> None:
        if self.store is not None and self.state.dirty:
            self.store.write(self.state, self.state.take_dirty())

    async def apply_faults(self, call: Call, route: str) -> Response | None:
        for rule in self.faults.pick(route, call.request.method, call.request.url.path):
            kind = rule.fault
            if kind == "latency":
                await asyncio.sleep(rule.seconds if rule.seconds is not None else 1.0)
            elif kind == "expire_tokens":
                self.state.expire_tokens()
            elif kind in ("reject_row", "deadlock", "transient_10006", "errored_member"):
                call.row_faults.append(rule)
            elif kind in ("timeout", "drop"):
                seconds = rule.seconds if rule.seconds is not None else 3600.0
                lost = Hang(seconds, self.closing) if kind == "timeout" else DropConnection()
                if not rule.after:
                    return lost
                call.lost_answer = call.lost_answer or lost  # processed first: the answer is lost
            else:
                return fault_response(rule, route)
        return None


def fault_response(rule: FaultRule, route: str) -> Response:
    if route == "soap":  # §9 S4: SOAP throttling and errors are HTTP 500 faults
        return soap.soap_fault("Server", f"Server was unable to process request. ({rule.fault})")
    if rule.fault == "rate_limit":  # §9 S3, body key order as documented
        body = {
            "message": "Rate limit exceeded",
            "errorcode": 50100,
            "retryAfter": rule.retry_after,
            "documentation": DOC_URL,
        }
        return json_response(body, 429, headers={"Retry-After": str(rule.retry_after)})
    if rule.fault == "blocked":
        return error(429, 50200, "Your requests are temporarily blocked.")
    if rule.fault == "unavailable":
        response = error(503, 50300, "Service Unavailable")
        response.headers["Retry-After"] = str(rule.retry_after)
        return response
    if rule.fault == "unauthorized":
        return not_authorized()
    return internal_error()


def _endpoint(name: str, handler: Handler, scope: str | None, area: str) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        emulator: Emulator = request.app.state.emulator
        state = emulator.state
        state.run_due_jobs()
        body = await request.body()
        entry = emulator.journal.record(
            state, request.method, request.url.path, request.url.query, request.scope["headers"], body, name
        )
        call = Call(request, state, body, journal_entry=entry)
        response = await emulator.apply_faults(call, name)
        if response is None and area not in ("auth", "soap"):
            response = auth.authorize(call, scope, area)
        if response is None:
            response = await handler(call)
        entry["status"] = response.status_code  # what SFMC did, even when the answer is then lost
        emulator.flush()
        if call.lost_answer is not None:
            entry["answer"] = "lost"
            return call.lost_answer
        return response

    return run


async def _unmatched(request: Request, exc: Exception) -> Response:
    """Unknown path: SFMC's 404 (§1 T14). Known path, wrong verb: 400 30001 Invalid Operation (§9 S2, INF)."""
    emulator: Emulator = request.app.state.emulator
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    route = "unknown" if status == 404 else "wrong_method"
    entry = emulator.journal.record(
        emulator.state,
        request.method,
        request.url.path,
        request.url.query,
        request.scope["headers"],
        await request.body(),
        route,
    )
    response = (
        not_found()
        if status == 404
        else error(400, 30001, f"Invalid operation: {request.method} is not supported on {request.url.path}.")
    )
    entry["status"] = response.status_code
    return response


async def _crashed(request: Request, exc: Exception) -> Response:
    return internal_error()


def _routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for path, methods, name, handler, scope, area in SFMC_ROUTES:
        route = Route(path, _endpoint(name, handler, scope, area), methods=methods)
        route.path_regex = re.compile(route.path_regex.pattern, re.IGNORECASE)
        routes.append(route)
    routes.append(Mount("/__emulator", routes=inspect.routes()))
    return routes


def create_app(
    seed: str | Path | Mapping[str, Any] | None = None,
    faults: str | Path | Mapping[str, Any] | None = None,
    *,
    options: Mapping[str, Any] | None = None,
    clock: Clock | None = None,
    state_file: str | Path | None = None,
) -> Starlette:
    """The emulator as an ASGI app. `seed` and `faults` are YAML paths or dicts (None: demo tenant, no faults).

    `options` overrides the seed's `options` (see `model.Options`); `clock` lets tests move time;
    `state_file` persists the state in SQLite. Raises `SeedError` / `FaultConfigError` on bad input.
    """
    seed_data = read_seed(seed)
    chosen = seed_options(seed_data)
    for key, value in (options or {}).items():
        if not hasattr(chosen, key):
            raise ValueError(f"unknown emulator option '{key}'; expected one of: {', '.join(vars(chosen))}")
        setattr(chosen, key, value)
    fault_config = load_faults(faults)
    emulator = Emulator(seed_data, fault_config, chosen, clock or Clock(), state_file)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        emulator.closing.set()
        emulator.flush()
        if emulator.store is not None:
            emulator.store.close()

    app = Starlette(
        routes=_routes(), exception_handlers={404: _unmatched, 405: _unmatched, 500: _crashed}, lifespan=lifespan
    )
    app.state.emulator = emulator
    return app
