"""The JSON admin API under /admin/api/: the console's data and actions for scripts (Bearer token)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sfmc_actions.console import reports
from sfmc_actions.console.app import ctx_of, guarded, json
from sfmc_actions.console.reports import BadRequest, NotFound

PREFIX = "/admin/api"


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _int(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name)
    try:
        return default if text in (None, "") else int(text)
    except ValueError:
        raise BadRequest(f"{name}={text!r}: give a whole number") from None


def answered(handler: Any) -> Any:
    """BadRequest -> 400 and NotFound -> 404, each with the message saying what to send instead."""

    async def answer(request: Request) -> Response:
        try:
            result: Response = await handler(request)
        except BadRequest as exc:
            return json({"error": str(exc)}, 400)
        except NotFound as exc:
            return json({"error": str(exc)}, 404)
        return result

    return guarded("api")(answer)


@answered
async def overview(request: Request) -> Response:
    return json(await reports.overview(ctx_of(request), request.query_params.get("since")))


@answered
async def series(request: Request) -> Response:
    return json(await reports.series(ctx_of(request), request.query_params.get("since")))


@answered
async def errors(request: Request) -> Response:
    return json(await reports.errors(ctx_of(request), request.query_params.get("since", "24h")))


@answered
async def dead_letters(request: Request) -> Response:
    q = request.query_params
    since = reports.window(q["since"])[1] if q.get("since") else None
    jobs = await reports.find_dead_letters(
        ctx_of(request),
        subscription=q.get("subscription"),
        reason=q.get("reason"),
        message_id=q.get("message_id"),
        user_id=q.get("user_id"),
        since=since,
        limit=_int(request, "limit", 100),
        include_rejected=q.get("include_rejected") in ("1", "true"),
        group=q.get("group"),
        destination=q.get("destination"),
    )
    return json([reports.dead_letter(job) for job in jobs])


@answered
async def dead_letter(request: Request) -> Response:
    job = await ctx_of(request).store.get_job(int(request.path_params["id"]))
    if job is None:
        raise NotFound(f"no job {request.path_params['id']} in the store")
    return json(reports.dead_letter(job, full=True))


@answered
async def replay(request: Request) -> Response:
    body = await _body(request)
    ids = body.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise BadRequest('"ids" must be a list of dead letter ids, e.g. {"ids": [12, 13], "dry_run": true}')
    status, answer = await reports.replay(
        ctx_of(request), ids, bool(body.get("dry_run", True)), bool(body.get("confirm_journey", False))
    )
    return json(answer, status)


@answered
async def entered(request: Request) -> Response:
    ids = (await _body(request)).get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise BadRequest('"ids" must be a list of in-doubt dead letter ids, e.g. {"ids": [12]}')
    return json(await reports.mark_entered(ctx_of(request), ids))


@answered
async def subscriptions(request: Request) -> Response:
    return json(await reports.subscriptions(ctx_of(request)))


@answered
async def test_subscription(request: Request) -> Response:
    body = await _body(request)
    answer = await reports.test_subscription(
        ctx_of(request),
        request.path_params["name"],
        request.query_params.get("destination"),
        body.get("event"),
        bool(body.get("send", False)),
    )
    return json(answer)


@answered
async def live_events(request: Request) -> Response:
    return json(reports.live_events(ctx_of(request), _int(request, "after", 0)))


def api_routes() -> list[Route]:
    return [
        Route(f"{PREFIX}/overview", overview),
        Route(f"{PREFIX}/overview/series", series),
        Route(f"{PREFIX}/errors", errors),
        Route(f"{PREFIX}/dead-letters", dead_letters),
        Route(f"{PREFIX}/dead-letters/replay", replay, methods=["POST"]),
        Route(f"{PREFIX}/dead-letters/entered", entered, methods=["POST"]),
        Route(f"{PREFIX}/dead-letters/{{id:int}}", dead_letter),
        Route(f"{PREFIX}/subscriptions", subscriptions),
        Route(f"{PREFIX}/subscriptions/{{name}}/test", test_subscription, methods=["POST"]),
        Route(f"{PREFIX}/live-events", live_events),
    ]
