"""`sfmc-actions dead-letters list|show|replay`: dead jobs (and rejected events) and their replay (admin.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sfmc_actions.cli.serve import (
    DEFAULT_DATABASE,
    DatabaseOption,
    JsonFlag,
    console,
    fail,
    print_json,
    report_config_problems,
    with_store,
)
from sfmc_actions.errors import ConfigError

if TYPE_CHECKING:
    from sfmc_actions.queue import JobStore
    from sfmc_actions.queue.jobs import EnqueueResult, Job

SINCE_HELP = "a duration back from now (30m, 2h, 7d) or an ISO 8601 time (2025-01-31T12:00:00Z)"
app = typer.Typer(
    name="dead-letters",
    help="Jobs SFMC refused or that ran out of retries, and events rejected at ingest: list, show, replay.",
    no_args_is_help=True,
)
SubscriptionOption = Annotated[str | None, typer.Option("--subscription", "-s", help="only this subscription")]
SinceOption = Annotated[str | None, typer.Option(help=f"died since: {SINCE_HELP}")]
ReasonOption = Annotated[str | None, typer.Option(help="reason contains this text (case-insensitive)")]
RejectedOption = Annotated[bool, typer.Option("--include-rejected", help="also events rejected at ingest")]


def _since(text: str | None) -> datetime | None:
    from sfmc_actions.cli.admin import parse_since

    if text is None:
        return None
    try:
        return parse_since(text)
    except ValueError as exc:
        fail(str(exc))


@app.command("list")
def list_dead(
    database: DatabaseOption = DEFAULT_DATABASE,
    subscription: SubscriptionOption = None,
    since: SinceOption = None,
    reason: ReasonOption = None,
    include_rejected: RejectedOption = False,
    include_replayed: Annotated[bool, typer.Option("--include-replayed", help="also those replayed already")] = False,
    limit: Annotated[int, typer.Option(help="at most this many, newest first")] = 50,
    json: JsonFlag = False,
) -> None:
    """List dead letters, newest first."""
    from sfmc_actions.cli.admin import job_dict
    from sfmc_actions.cli.views import dead_letter_table

    after = _since(since)
    jobs = with_store(
        database,
        lambda store: store.list_dead(
            subscription, after, reason, limit, include_rejected=include_rejected, include_replayed=include_replayed
        ),
    )
    if json:
        print_json([job_dict(job, full=False) for job in jobs])
    else:
        console.print(dead_letter_table(jobs))


@app.command()
def show(
    job_id: Annotated[int, typer.Argument(help="the dead letter's id (from `dead-letters list`)")],
    database: DatabaseOption = DEFAULT_DATABASE,
    json: JsonFlag = False,
) -> None:
    """Show one dead letter: reason, the row sent, the payload and the raw event."""
    from sfmc_actions.cli.admin import job_dict
    from sfmc_actions.cli.views import dead_letter_panel

    job = with_store(database, lambda store: store.get_job(job_id))
    if job is None:
        fail(f"there is no job {job_id} in the store")
    if json:
        print_json(job_dict(job))
    else:
        console.print(dead_letter_panel(job))


@app.command()
def replay(
    config: Annotated[Path, typer.Option("--config", "-c", help="the CURRENT config: events are re-routed by it")],
    job_ids: Annotated[
        list[int] | None, typer.Argument(help="dead letter ids; none: every one the filters select")
    ] = None,
    database: DatabaseOption = DEFAULT_DATABASE,
    subscription: SubscriptionOption = None,
    since: SinceOption = None,
    reason: ReasonOption = None,
    include_rejected: RejectedOption = False,
    limit: Annotated[int, typer.Option(help="at most this many dead letters per run")] = 10_000,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would be replayed; change nothing")] = False,
) -> None:
    """Re-route dead letters' raw events through the current config and queue them for delivery again."""
    from sfmc_actions.cli.admin import Replayer
    from sfmc_actions.cli.views import replay_summary
    from sfmc_actions.route.router import Router
    from sfmc_actions.service.load import load, tenant_key

    try:
        loaded = load(config)
    except ConfigError as exc:
        report_config_problems(exc, config)
    replayer = Replayer(Router(loaded.subscriptions, tenant_key(loaded.config.settings)))
    after = _since(since)

    async def run(store: JobStore) -> None:
        if job_ids:
            found = [await store.get_job(job_id) for job_id in job_ids]
            missing = [str(i) for i, job in zip(job_ids, found, strict=True) if job is None]
            if missing:
                fail(f"no job with id {', '.join(missing)} in the store")
            dead: list[Job] = [job for job in found if job is not None]
        else:
            dead = await store.list_dead(subscription, after, reason, limit, include_rejected=include_rejected)
        plan = replayer.plan(dead)
        result: EnqueueResult | None = None
        if plan.jobs and not dry_run:
            result = await store.replay(list(plan.jobs), replayer)
        replay_summary(plan, result, console)

    with_store(database, run)
