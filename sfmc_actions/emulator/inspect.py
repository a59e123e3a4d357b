"""The inspection API under `/__emulator/` (never an SFMC path): read state, journal, faults, reset.

No authentication: it is a local test and demo tool. No secret is ever returned: packages show
their client id only, tokens their label, the journal has Authorization values replaced.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sfmc_actions.emulator.customobjects import de_body
from sfmc_actions.emulator.faults import FaultConfigError, parse_rule
from sfmc_actions.emulator.model import DataExtension, Options
from sfmc_actions.emulator.responses import json_response
from sfmc_actions.emulator.state import Tenant

if TYPE_CHECKING:
    from sfmc_actions.emulator.app import Emulator


def _emulator(request: Request) -> Emulator:
    emulator: Emulator = request.app.state.emulator
    emulator.state.run_due_jobs()
    emulator.flush()
    return emulator


def _problem(message: str, status: int = 400) -> Response:
    return json_response({"error": message}, status)


def _tenants(request: Request) -> list[Tenant]:
    tenants = _emulator(request).state.tenants
    wanted = request.query_params.get("tenant")
    return [tenants[wanted]] if wanted in tenants else list(tenants.values()) if wanted is None else []


async def _body(request: Request) -> Any:
    raw = await request.body()
    return orjson.loads(raw) if raw.strip() else {}


async def index(request: Request) -> Response:
    listed = [
        f"{method} /__emulator{r.path}" for r in routes() for method in sorted(r.methods or []) if method != "HEAD"
    ]
    return json_response({"routes": listed, "tenants": await _tenant_list(request)})


async def _tenant_list(request: Request) -> list[dict[str, Any]]:
    return [
        {
            "subdomain": t.subdomain,
            "mids": t.mids,
            "packages": [
                {
                    "client_id": p.client_id,
                    "mid": p.mid,
                    "mids": sorted(p.mids),
                    "enabled": p.enabled,
                    "scopes": sorted(p.scopes),
                }
                for p in t.packages.values()
            ],
            "folders": [dataclasses.asdict(f) for f in t.folders],
            "data_extensions": len(t.data_extensions),
            "contacts": len(t.contacts),
            "fired_events": len(t.fired_events),
        }
        for t in _tenants(request)
    ]


async def tenants(request: Request) -> Response:
    return json_response(await _tenant_list(request))


def _de_summary(tenant: Tenant, de: DataExtension) -> dict[str, Any]:
    return {**de_body(de), "tenant": tenant.subdomain, "mid": de.mid, "fields": [f.to_api() for f in de.fields]}


def _find_de(request: Request) -> tuple[Tenant, DataExtension] | None:
    ref = request.path_params["ref"].lower()
    for tenant in _tenants(request):
        for de in tenant.data_extensions.values():
            if ref in (de.id, de.key.lower(), de.name.lower()):
                return tenant, de
    return None


async def data_extensions(request: Request) -> Response:
    return json_response([_de_summary(t, de) for t in _tenants(request) for de in t.data_extensions.values()])


async def data_extension(request: Request) -> Response:
    found = _find_de(request)
    if found is None:
        return _problem(f"no data extension with id, key or name '{request.path_params['ref']}'", 404)
    return json_response({**_de_summary(*found), "rows": list(found[1].rows.values())})


async def rows(request: Request) -> Response:
    found = _find_de(request)
    if found is None:
        return _problem(f"no data extension with id, key or name '{request.path_params['ref']}'", 404)
    if request.method == "DELETE":
        emulator = _emulator(request)
        for pk in list(found[1].rows):
            emulator.state.delete_row(found[1], pk)
        emulator.flush()
    return json_response(list(found[1].rows.values()))


async def contacts(request: Request) -> Response:
    return json_response(
        [{**dataclasses.asdict(c), "tenant": t.subdomain} for t in _tenants(request) for c in t.contacts.values()]
    )


async def journey_events(request: Request) -> Response:
    """Every entry event received; `status` is its state now (batched members: queued, processed or errored; an
    errored member never entered). `?eventDefinitionKey=` and `?status=` filter."""
    key, wanted = request.query_params.get("eventDefinitionKey"), request.query_params.get("status")
    now = _emulator(request).clock.now()
    events = [
        {**dataclasses.asdict(e), "status": e.status_at(now), "tenant": t.subdomain}
        for t in _tenants(request)
        for e in t.fired_events
        if key is None or e.event_definition_key.lower() == key.lower()
    ]
    return json_response([e for e in events if wanted is None or e["status"] == wanted])


async def event_definitions(request: Request) -> Response:
    return json_response(
        [
            {**dataclasses.asdict(d), "tenant": t.subdomain}
            for t in _tenants(request)
            for d in t.event_definitions.values()
        ]
    )


def _job(job: Any, now: float) -> dict[str, Any]:
    phase = (
        "not_visible"
        if now < job.visible_at
        else "Pending"
        if now < job.pickup_at
        else "Executing"
        if now < job.completed_at
        else "Complete"
    )
    data = dataclasses.asdict(job)
    data["deadlock_rows"] = sorted(job.deadlock_rows)
    return {**data, "phase": phase}


async def async_jobs(request: Request) -> Response:
    state = _emulator(request).state
    return json_response([_job(j, state.clock.now()) for j in state.jobs.values()])


async def async_job(request: Request) -> Response:
    state = _emulator(request).state
    job = state.jobs.get(request.path_params["id"].lower())
    return json_response(_job(job, state.clock.now())) if job else _problem("no such async job", 404)


async def journal(request: Request) -> Response:
    emulator = _emulator(request)
    if request.method == "DELETE":
        emulator.journal.clear()
        return json_response({"cleared": True})
    limit = request.query_params.get("limit", "")
    return json_response(
        emulator.journal.list(
            int(limit) if limit.isdigit() else None, request.query_params.get("route"), request.query_params.get("path")
        )
    )


async def tokens(request: Request) -> Response:
    state = _emulator(request).state
    now = state.clock.now()
    live = [
        {
            "label": t.label,
            "client_id": t.client_id,
            "tenant": t.subdomain,
            "mid": t.mid,
            "scopes": sorted(t.scopes),
            "expires_in": round(t.expires_at - now, 3),
        }
        for t in state.tokens.values()
        if t.expires_at > now
    ]
    return json_response({"requests": dict(state.token_requests), "live": live})


async def expire_tokens(request: Request) -> Response:
    return json_response({"expired": _emulator(request).state.expire_tokens()})


async def reset(request: Request) -> Response:
    _emulator(request).reset()
    return json_response({"reset": True})


async def faults(request: Request) -> Response:
    emulator = _emulator(request)
    try:
        if request.method == "PUT":
            emulator.faults.configure(await _body(request))
        elif request.method == "POST":
            emulator.faults.add(parse_rule(await _body(request)))
        elif request.method == "DELETE":
            emulator.faults.clear()
    except (FaultConfigError, orjson.JSONDecodeError) as exc:
        return _problem(str(exc))
    return json_response(emulator.faults.describe())


async def clock(request: Request) -> Response:
    emulator = _emulator(request)
    if request.method == "POST":
        body = await _body(request)
        seconds = body.get("advance") if isinstance(body, dict) else None
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            return _problem('send {"advance": SECONDS} with a number of seconds, 0 or more')
        emulator.clock.advance(float(seconds))
        emulator.state.run_due_jobs()
        emulator.flush()
    return json_response({"now": emulator.clock.now(), "offset": emulator.clock.offset})


async def options(request: Request) -> Response:
    emulator = _emulator(request)
    if request.method == "PATCH":
        body = await _body(request)
        if not isinstance(body, dict):
            return _problem("send an object of option names and values")
        known = {f.name: f for f in dataclasses.fields(Options)}
        for name, value in body.items():
            if name not in known:
                return _problem(f"unknown option '{name}'; expected one of: {', '.join(known)}")
            setattr(emulator.options, name, value)
        for tenant in emulator.state.tenants.values():  # name matching may have been switched
            for de in tenant.data_extensions.values():
                de.case_sensitive = emulator.options.case_sensitive_names
                de.reindex()
    return json_response(dataclasses.asdict(emulator.options))


def routes() -> list[Route]:
    return [
        Route("/", index, methods=["GET"]),
        Route("/tenants", tenants, methods=["GET"]),
        Route("/data-extensions", data_extensions, methods=["GET"]),
        Route("/data-extensions/{ref}", data_extension, methods=["GET"]),
        Route("/data-extensions/{ref}/rows", rows, methods=["GET", "DELETE"]),
        Route("/contacts", contacts, methods=["GET"]),
        Route("/journey-events", journey_events, methods=["GET"]),
        Route("/event-definitions", event_definitions, methods=["GET"]),
        Route("/async-jobs", async_jobs, methods=["GET"]),
        Route("/async-jobs/{id}", async_job, methods=["GET"]),
        Route("/journal", journal, methods=["GET", "DELETE"]),
        Route("/tokens", tokens, methods=["GET"]),
        Route("/tokens/expire", expire_tokens, methods=["POST"]),
        Route("/reset", reset, methods=["POST"]),
        Route("/faults", faults, methods=["GET", "PUT", "POST", "DELETE"]),
        Route("/clock", clock, methods=["GET", "POST"]),
        Route("/options", options, methods=["GET", "PATCH"]),
    ]
