"""`sfmc-actions dead-letters list|show|replay`: dead jobs (and rejected events), and their replay.

Replay re-routes each dead letter's raw event through the CURRENT config (route/replay.py says how).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sfmc_actions.cli.options import DEFAULT_DATABASE, DatabaseOption, JsonOption
from sfmc_actions.cli.output import console, duration, fail, fail_config, json_text, print_json, shorten
from sfmc_actions.cli.resources import load_router, with_store

if TYPE_CHECKING:
    from sfmc_actions.queue import JobStore
    from sfmc_actions.queue.jobs import EnqueueResult, Job, NewJob
    from sfmc_actions.route.replay import ReplayPlan

SINCE_HELP = "a duration back from now (30m, 2h, 7d) or an ISO 8601 time (2025-01-31T12:00:00Z)"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.I)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
REASON_WIDTH = 100

app = typer.Typer(
    name="dead-letters",
    help="Jobs SFMC refused or that ran out of retries, and events rejected at ingest: list, show, replay.",
    no_args_is_help=True,
)
SubscriptionOption = Annotated[str | None, typer.Option("--subscription", "-s", help="only this subscription")]
SinceOption = Annotated[str | None, typer.Option(help=f"died since: {SINCE_HELP}")]
ReasonOption = Annotated[str | None, typer.Option(help="reason contains this text (case-insensitive)")]
RejectedOption = Annotated[bool, typer.Option("--include-rejected", help="also events rejected at ingest")]
DestinationOption = Annotated[
    str | None, typer.Option("--destination", "-d", help="only this destination's (config `destinations:` name)")
]


@app.command("list")
def list_dead(
    database: DatabaseOption = DEFAULT_DATABASE,
    subscription: SubscriptionOption = None,
    since: SinceOption = None,
    reason: ReasonOption = None,
    include_rejected: RejectedOption = False,
    include_replayed: Annotated[bool, typer.Option("--include-replayed", help="also those replayed already")] = False,
    limit: Annotated[int, typer.Option(help="at most this many, newest first")] = 50,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="config YAML file, for its retention (default: 30d)")
    ] = None,
    destination: DestinationOption = None,
    json: JsonOption = False,
) -> None:
    """List dead letters, newest first, with when each expires (retention.dead, or retention.rejected)."""
    after = _since(since)
    keep = _retention(config)
    jobs = with_store(
        database,
        lambda store: store.list_dead(
            subscription,
            after,
            reason,
            limit,
            include_rejected=include_rejected,
            include_replayed=include_replayed,
            destination=destination,
        ),
    )
    if json:
        print_json([job_dict(job, full=False) | {"expires_at": expires_at(job, keep).isoformat()} for job in jobs])
    else:
        console.print(dead_letter_table(jobs, keep))


@app.command()
def show(
    job_id: Annotated[int, typer.Argument(help="the dead letter's id (from `dead-letters list`)")],
    database: DatabaseOption = DEFAULT_DATABASE,
    destination: DestinationOption = None,
    json: JsonOption = False,
) -> None:
    """Show one dead letter: reason, the row sent, the payload and the raw event."""
    job = with_store(database, lambda store: store.get_job(job_id))
    if job is None:
        fail(f"there is no job {job_id} in the store")
    if destination is not None and job.destination != destination:
        fail(f"job {job_id} is of destination {job.destination!r}, not {destination!r}")
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
    destination: DestinationOption = None,
    limit: Annotated[int, typer.Option(help="at most this many dead letters per run")] = 10_000,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would be replayed; change nothing")] = False,
) -> None:
    """Re-route dead letters' raw events through the current config and queue them for delivery again."""
    from sfmc_actions.route.replay import Replayer

    loaded, router = load_router(config)
    if destination is not None and destination not in {d.name for d in loaded.config.destinations}:
        names = ", ".join(d.name for d in loaded.config.destinations)
        fail(f"--destination {destination!r}: {config} has no such destination (it has: {names})")
    replayer = Replayer(router)
    after = _since(since)

    async def run(store: JobStore) -> None:
        if job_ids:
            found = [await store.get_job(job_id) for job_id in job_ids]
            missing = [str(i) for i, job in zip(job_ids, found, strict=True) if job is None]
            if missing:
                fail(f"no job with id {', '.join(missing)} in the store")
            dead: list[Job] = [job for job in found if job is not None]
            if destination is not None:
                dead = [job for job in dead if job.destination == destination]
        else:
            dead = await store.list_dead(
                subscription, after, reason, limit, include_rejected=include_rejected, destination=destination
            )
        plan = replayer.plan(dead)
        result: EnqueueResult | None = None
        if plan.jobs and not dry_run:
            result = await store.replay(list(plan.jobs), replayer)
        replay_summary(plan, result, console)

    with_store(database, run)


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_since(text)
    except ValueError as exc:
        fail(str(exc))


def _retention(config: Path | None) -> dict[str, float]:
    """Seconds dead letters and rejected events are kept: the config's retention, or the defaults."""
    from sfmc_actions.config import Retention, load_config
    from sfmc_actions.errors import ConfigError

    try:
        retention = load_config(config).retention if config is not None else Retention()
    except ConfigError as exc:
        fail_config(exc, "config")
    return {"dead": retention.dead, "rejected": retention.rejected}


def expires_at(job: Job, keep: dict[str, float]) -> datetime:
    """When the purge removes this dead letter (or rejected event): retention counted from when it died."""
    return job.updated_at + timedelta(seconds=keep["rejected" if job.state.value == "rejected" else "dead"])


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`2h` -> two hours ago; an ISO 8601 time as is (UTC when it names no zone). ValueError otherwise."""
    now = now or datetime.now(UTC)
    match = _DURATION.match(text)
    if match:
        return now - timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"--since {text!r} is neither {SINCE_HELP}") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def job_dict(job: Job, full: bool = True) -> dict[str, Any]:
    from sfmc_actions.queue.jobs import dead_letter_record

    return dead_letter_record(job, full)


def dead_letter_table(jobs: Sequence[Job], keep: dict[str, float] | None = None) -> Table:
    table = Table(title=f"{len(jobs)} dead letter(s), newest first", title_justify="left")
    from sfmc_actions.config import DEFAULT_DESTINATION

    # The destination column only when there is another than the top-level form's one (rejected have none).
    several = any(job.destination not in (None, DEFAULT_DESTINATION) for job in jobs)
    for name, justify in (
        ("id", "right"),
        *([("destination", "left")] if several else []),
        ("subscription", "left"),
        ("state", "left"),
        ("died", "right"),
        ("attempts", "right"),
        ("expires", "right"),
        ("reason", "left"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    now = datetime.now(UTC)
    for job in jobs:
        died = duration((now - job.updated_at).total_seconds()) + " ago"
        reason = shorten(job.dead_reason or job.last_error or "", REASON_WIDTH)
        left = (expires_at(job, keep or {"dead": 30 * 86400, "rejected": 30 * 86400}) - now).total_seconds()
        expires = "in " + duration(max(left, 0))
        where = [job.destination or "-"] if several else []
        row = (str(job.id), *where, job.subscription or "-", job.state.value, died, str(job.attempts), expires, reason)
        table.add_row(*row)
    return table


def dead_letter_panel(job: Job) -> Panel:
    lines = Text()
    for label, value in (
        ("destination", job.destination),
        ("subscription", job.subscription),
        ("action", job.action or None),
        ("state", job.state.value),
        ("message id", job.message_id),
        ("attempts", job.attempts),
        ("created", job.created_at.isoformat()),
        ("died", job.updated_at.isoformat()),
        ("replayed", job.replayed_at.isoformat() if job.replayed_at else None),
        ("batch key", job.batch_key or None),
    ):
        if value is not None:
            lines.append(f"{label:<13}", style="bold").append(f"{value}\n")
    lines.append("reason\n", style="bold red").append((job.dead_reason or job.last_error or "-") + "\n")
    for name, data in (("sent row", job.sent_row), ("payload", job.payload), ("event", job.event)):
        if data not in (None, {}):
            lines.append(f"\n{name}\n", style="bold").append(json_text(data))
    if job.raw_body:
        lines.append("\nraw body\n", style="bold").append(job.raw_body)
    return Panel(lines, title=f"dead letter {job.id}", title_align="left")


def replay_summary(plan: ReplayPlan, result: EnqueueResult | None, console: Console) -> None:
    if not plan.jobs and not plan.skipped:
        console.print("no dead letters match: nothing to replay (see `sfmc-actions dead-letters list`)")
        return
    new_jobs: list[NewJob] = plan.new_jobs
    dead_again = [j for j in new_jobs if j.dead_reason]
    verb = "would replay" if result is None else "replayed"
    console.print(f"{verb} {len(plan.jobs)} dead letter(s) into {len(new_jobs)} job(s)", highlight=False)
    if result is not None and result.duplicates:
        console.print(f"  {result.duplicates} journey entr(y/ies) skipped: entered inside the de-duplication window")
    if dead_again:
        console.print(
            f"  [red]{len(dead_again)} fail again at routing[/] (stored dead): "
            f"{shorten(dead_again[0].dead_reason or '', 200)}",
            highlight=False,
        )
    if plan.skipped:
        console.print(f"  [yellow]{len(plan.skipped)} left in dead letters:[/]")
        for job_id, why in list(plan.skipped.items())[:20]:
            console.print(f"    {job_id}: {why}", highlight=False, soft_wrap=True)
        if len(plan.skipped) > 20:
            console.print(f"    ... and {len(plan.skipped) - 20} more")
