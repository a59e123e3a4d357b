"""The console's Starlette app: pages (pages.py), the JSON admin API (api.py), static assets and /openapi.json.

Every handler goes through `guarded`, which decides who may do what (auth.py says why); answers are rendered
through `html` and `json`, which mask every registered secret on the way out as a last line of defence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from sfmc_actions.console.auth import COOKIE, SESSION_SECONDS, Session, Sessions, csrf_matches, loopback_host
from sfmc_actions.console.context import ConsoleContext
from sfmc_actions.observe.logging import redact

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))


def age(seconds: float | None) -> str:
    """A duration for people: 42 s, 17 min, 5 h, 90 d."""
    if seconds is None:
        return "none"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


TEMPLATES.env.filters["age"] = age
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Handler = Callable[[Request], Awaitable[Response]]


def ctx_of(request: Request) -> ConsoleContext:
    context: ConsoleContext = request.app.state.console
    return context


def sessions_of(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


def json(data: Any, status: int = 200) -> Response:
    body = orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    return Response(redact(body), status, media_type="application/json")


def html(request: Request, template: str, status: int = 200, **values: Any) -> Response:
    session: Session | None = getattr(request.state, "session", None)
    values |= {
        "request": request,
        "csrf": session.csrf if session else "",
        "ctx": ctx_of(request),
        "token_set": ctx_of(request).token is not None,
    }
    text = TEMPLATES.get_template(template).render(values)
    return HTMLResponse(redact(text), status)


def guarded(kind: str) -> Callable[[Handler], Handler]:
    """`page`: a session (logged in when a token is set), redirected to /login otherwise. `api`: the Bearer
    token, or a logged-in session. State-changing requests with a session must carry its CSRF token."""

    def wrap(handler: Handler) -> Handler:
        async def guard(request: Request) -> Response:
            ctx, sessions = ctx_of(request), sessions_of(request)
            if ctx.token is None and not loopback_host(request.headers.get("host")):
                return _refuse(kind, 403, "without console.token the console answers on loopback addresses only")
            if kind == "api" and sessions.bearer_matches(request.headers.get("authorization")):
                return await handler(request)
            key = request.cookies.get(COOKIE)
            session = sessions.get(key)
            fresh = None
            if session is None and ctx.token is None:  # loopback without a token: everyone on the machine
                key, session = sessions.create()
                session.authenticated = True
                fresh = key
            if session is None or not session.authenticated:
                if kind == "api":
                    return _refuse(kind, 401, "log in, or send Authorization: Bearer <console.token>")
                return RedirectResponse(f"/login?next={request.url.path}", 303)
            scripted = kind == "api" and ctx.token is None  # no token: any process on this machine may script it
            if request.method in STATE_CHANGING and not await _may_change(request, session, scripted):
                return _refuse(kind, 403, "missing or wrong CSRF token (reload the page and try again)")
            request.state.session = session
            response = await handler(request)
            if fresh is not None:
                set_cookie(response, fresh)
            return response

        return guard

    return wrap


async def _may_change(request: Request, session: Session, scripted: bool) -> bool:
    """The session's CSRF token, or, for a script on this machine (no token set), a JSON body: a web page cannot
    send `Content-Type: application/json` to another origin without a CORS preflight, which is never answered."""
    if scripted and request.headers.get("content-type", "").startswith("application/json"):
        return True
    return await _csrf_ok(request, session)


async def _csrf_ok(request: Request, session: Session) -> bool:
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf")
        given = value if isinstance(value, str) else None
    return csrf_matches(session, given)


def _refuse(kind: str, status: int, message: str) -> Response:
    if kind == "api":
        return json({"error": message}, status)
    return HTMLResponse(f"<!doctype html><title>Refused</title><p>{message}</p>", status)


def set_cookie(response: Response, key: str) -> None:
    response.set_cookie(COOKIE, key, max_age=SESSION_SECONDS, httponly=True, samesite="strict", path="/")


def create_console_app(ctx: ConsoleContext) -> Starlette:
    from sfmc_actions.console.api import api_routes
    from sfmc_actions.console.openapi import openapi_route
    from sfmc_actions.console.pages import page_routes

    routes: list[BaseRoute] = [
        *page_routes(),
        *api_routes(),
        openapi_route(),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.console = ctx
    app.state.sessions = Sessions(ctx.token)
    return app
