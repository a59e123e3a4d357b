"""The console's pages: server-rendered from the same functions that answer /admin/api/ (reports.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sfmc_actions.console import reports
from sfmc_actions.console.app import ctx_of, guarded, html, sessions_of, set_cookie
from sfmc_actions.console.auth import COOKIE, csrf_matches
from sfmc_actions.console.reports import BadRequest, NotFound
from sfmc_actions.js.values import json_text

page = guarded("page")


def pretty(value: Any) -> str:
    """JSON for people: indented, keys in the order the event has them."""
    if isinstance(value, str):
        return value
    return json_text(value, indent=True) if value is not None else ""


# -- login -----------------------------------------------------------------------------------------------------
async def login_form(request: Request) -> Response:
    sessions = sessions_of(request)
    if ctx_of(request).token is None:
        return RedirectResponse("/", 303)
    key, session = sessions.create()
    request.state.session = session
    response = html(request, "login.html", next=_next(request), error=None)
    set_cookie(response, key)
    return response


async def login(request: Request) -> Response:
    sessions = sessions_of(request)
    session = sessions.get(request.cookies.get(COOKIE))
    form = await request.form()
    csrf, token = form.get("csrf"), form.get("token")
    if session is None or not csrf_matches(session, csrf if isinstance(csrf, str) else None):
        return RedirectResponse("/login", 303)  # a form from elsewhere, or an expired one: a fresh form
    client = request.client.host if request.client else "?"
    if not await sessions.login(token if isinstance(token, str) else "", client):
        request.state.session = session
        return html(request, "login.html", 401, next=_next(request), error="That is not the console token.")
    sessions.end(request.cookies.get(COOKIE))  # a new session id once logged in (no fixation)
    key, fresh = sessions.create()
    fresh.authenticated = True
    response = RedirectResponse(_next(request), 303)
    set_cookie(response, key)
    return response


@page
async def logout(request: Request) -> Response:
    sessions_of(request).end(request.cookies.get(COOKIE))
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _next(request: Request) -> str:
    target = request.query_params.get("next", "/")
    return target if target.startswith("/") and not target.startswith("//") else "/"


# -- pages -----------------------------------------------------------------------------------------------------
@page
async def overview(request: Request) -> Response:
    try:
        data = await reports.overview(ctx_of(request), request.query_params.get("since"))
    except BadRequest as exc:
        return html(request, "message.html", 400, title="Overview", message=str(exc))
    view = "percent" if request.query_params.get("view") == "percent" else "counts"
    return html(request, "overview.html", data=data, view=view, windows=list(reports.WINDOWS))


@page
async def overview_charts(request: Request) -> Response:
    """The overview's charts, loaded after the page (htmx): the page itself answers without waiting for them."""
    try:
        charts = reports.charts(await reports.series(ctx_of(request), request.query_params.get("since")))
    except BadRequest as exc:
        return html(request, "message.html", 400, title="Charts", message=str(exc))
    return html(request, "charts.html", charts=charts)


@page
async def errors(request: Request) -> Response:
    try:
        data = await reports.errors(ctx_of(request), request.query_params.get("since", "24h"))
    except BadRequest as exc:
        return html(request, "message.html", 400, title="Errors", message=str(exc))
    return html(request, "errors.html", data=data, windows=list(reports.WINDOWS), pretty=pretty)


@page
async def dead_letters(request: Request) -> Response:
    q = request.query_params
    names = ("destination", "subscription", "reason", "message_id", "user_id", "since", "group")
    filters = {k: q.get(k, "") for k in names}
    try:
        since = reports.window(filters["since"])[1] if filters["since"] else None
        jobs = await reports.find_dead_letters(
            ctx_of(request),
            subscription=filters["subscription"],
            reason=filters["reason"],
            message_id=filters["message_id"],
            user_id=filters["user_id"],
            since=since,
            include_rejected=q.get("include_rejected") == "1",
            group=filters["group"],
            destination=filters["destination"],
        )
    except BadRequest as exc:
        return html(request, "message.html", 400, title="Dead letters", message=str(exc))
    rows = [reports.dead_letter(job) for job in jobs]
    return html(request, "dead_letters.html", rows=rows, filters=filters, windows=list(reports.WINDOWS))


@page
async def dead_letter(request: Request) -> Response:
    job = await ctx_of(request).store.get_job(int(request.path_params["id"]))
    if job is None:
        return html(request, "message.html", 404, title="Dead letter", message="There is no such job in the store.")
    return html(request, "dead_letter.html", job=reports.dead_letter(job, full=True), pretty=pretty)


@page
async def replay(request: Request) -> Response:
    form = await request.form()
    try:
        ids = [int(str(value)) for value in form.getlist("ids")]
    except ValueError:
        ids = []
    if not ids:
        return html(request, "message.html", 400, title="Replay", message="Select at least one dead letter.")
    dry_run = form.get("do") != "replay"
    try:
        status, answer = await reports.replay(ctx_of(request), ids, dry_run, form.get("confirm_journey") == "1")
    except BadRequest as exc:
        return html(request, "message.html", 400, title="Replay", message=str(exc))
    return html(request, "replay.html", status, answer=answer, ids=ids)


@page
async def entered(request: Request) -> Response:
    job_id = request.path_params["id"]
    answer = await reports.mark_entered(ctx_of(request), [job_id])
    if not answer["entered"]:
        message = "Only a journey entry in doubt, not replayed, can be marked entered."
        return html(request, "message.html", 409, title="Mark entered", message=message)
    return RedirectResponse(f"/dead-letters/{job_id}", 303)


@page
async def subscriptions(request: Request) -> Response:
    rows = await reports.subscriptions(ctx_of(request))
    return html(request, "subscriptions.html", rows=rows, pretty=pretty)


@page
async def subscription(request: Request) -> Response:
    ctx = ctx_of(request)
    name, destination = request.path_params["name"], request.path_params["destination"]
    try:
        sub = reports.find_subscription(ctx, name, destination)
    except (BadRequest, NotFound) as exc:
        return html(request, "message.html", 404, title="Subscription", message=str(exc))
    row = next(r for r in await reports.subscriptions(ctx) if r["name"] == name and r["destination"] == destination)
    event_text, report, error = "", None, None
    if request.method == "POST":
        form = await request.form()
        event_text = str(form.get("event", ""))
        try:
            event = orjson.loads(event_text)
            report = await reports.test_subscription(ctx, sub.name, sub.destination, event, form.get("send") == "1")
        except orjson.JSONDecodeError as exc:
            error = f"The event is not JSON: {exc}"
        except BadRequest as exc:
            error = str(exc)
    elif request.query_params.get("live"):
        picked = ctx.live.find(int(request.query_params["live"]) if request.query_params["live"].isdigit() else 0)
        event_text = pretty(picked.event) if picked is not None else ""
    recent = reports.live_events(ctx)[:20]
    return html(
        request,
        "subscription.html",
        sub=row,
        event_text=event_text,
        report=report,
        error=error,
        recent=recent,
        pretty=pretty,
    )


@page
async def pick(request: Request) -> Response:
    """From Live events: open the event in the chosen subscription's mapping tester."""
    to = request.query_params.get("to", "")
    destination, _, name = to.partition("/")
    return RedirectResponse(
        f"/subscriptions/{quote(destination)}/{quote(name)}?live={request.query_params.get('live', '')}", 303
    )


@page
async def live(request: Request) -> Response:
    return html(request, "live.html", rows=reports.live_events(ctx_of(request)), paused=False)


@page
async def live_rows(request: Request) -> Response:
    return html(request, "live_rows.html", rows=reports.live_events(ctx_of(request)))


def page_routes() -> list[Route]:
    return [
        Route("/login", login_form),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", overview),
        Route("/overview/charts", overview_charts),
        Route("/errors", errors),
        Route("/dead-letters", dead_letters),
        Route("/dead-letters/replay", replay, methods=["POST"]),
        Route("/dead-letters/{id:int}", dead_letter),
        Route("/dead-letters/{id:int}/entered", entered, methods=["POST"]),
        Route("/subscriptions", subscriptions),
        Route("/subscriptions/pick", pick),
        Route("/subscriptions/{destination}/{name}", subscription, methods=["GET", "POST"]),
        Route("/live", live),
        Route("/live/rows", live_rows),
    ]
