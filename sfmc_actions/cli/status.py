"""`sfmc-actions status`: queue depth per subscription and state, the oldest waiting job, the last errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Group
from rich.table import Table

from sfmc_actions.cli.options import DEFAULT_DATABASE, DatabaseOption, JsonOption
from sfmc_actions.cli.output import console, duration, print_json, shorten
from sfmc_actions.cli.resources import with_store

if TYPE_CHECKING:
    from sfmc_actions.queue.jobs import QueueStats

STATES = ("pending", "claimed", "delivered", "dead", "rejected")  # JobState's values, in the table's order
REJECTED_ROW = "(rejected at ingest)"


def status(
    database: DatabaseOption = DEFAULT_DATABASE,
    errors: Annotated[int, typer.Option("--errors", help="how many recent errors to show")] = 10,
    destination: Annotated[
        str | None, typer.Option("--destination", "-d", help="only this destination (config `destinations:` name)")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Queue depth per destination, subscription and state, the oldest waiting job, and the last errors."""
    from sfmc_actions.queue import redact_url

    stats = with_store(database, lambda store: store.stats(last_errors=errors))
    report = status_report(stats, redact_url(database), destination=destination)
    if json:
        print_json(report)
    else:
        console.print(status_tables(report))


def status_report(
    stats: QueueStats, database: str, now: datetime | None = None, destination: str | None = None
) -> dict[str, Any]:
    """The status as plain data (the --json output; the table is drawn from it). Rows are per destination and
    subscription (two destinations may each have an 'orders'); `destination` keeps one destination's (and
    leaves out rejected events, which reach none)."""
    from sfmc_actions.queue.jobs import JobState, QueueStats

    now = now or datetime.now(UTC)
    if destination is not None:
        stats = QueueStats(
            tuple(c for c in stats.counts if c.destination == destination),
            tuple(e for e in stats.last_errors if e.destination == destination),
        )
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for count in stats.counts:
        name = count.subscription if count.subscription is not None else REJECTED_ROW
        where = count.destination if count.subscription is not None else None
        row = rows.setdefault(
            (where or "", name),
            {"destination": where, "subscription": name, **dict.fromkeys(STATES, 0), "oldest_waiting_seconds": None},
        )
        row[count.state.value] += count.count
        if count.state in (JobState.PENDING, JobState.CLAIMED):
            waited = (now - count.oldest_created_at).total_seconds()
            row["oldest_waiting_seconds"] = max(row["oldest_waiting_seconds"] or 0.0, waited)
    oldest = stats.oldest_pending_at
    ordered = sorted(rows.items(), key=lambda item: (item[1]["subscription"] == REJECTED_ROW, item[0]))
    return {
        "database": database,
        "subscriptions": [row for _, row in ordered],
        "totals": {state: stats.total(JobState(state)) for state in STATES},
        "oldest_waiting_seconds": None if oldest is None else (now - oldest).total_seconds(),
        "last_errors": [
            {
                "job_id": e.job_id,
                "destination": e.destination,
                "subscription": e.subscription,
                "state": e.state.value,
                "at": e.at.isoformat(),
                "error": e.error,
            }
            for e in stats.last_errors
        ],
    }


def status_tables(report: dict[str, Any]) -> Group:
    from sfmc_actions.config import DEFAULT_DESTINATION

    table = Table(
        title=f"Queue: {report['database']}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    # The destination column only when there is another than the top-level form's one.
    several = any(row["destination"] not in (None, DEFAULT_DESTINATION) for row in report["subscriptions"])
    if several:
        table.add_column("destination", no_wrap=True)
    width = max([len(row["subscription"]) for row in report["subscriptions"]] + [len("subscription")])
    table.add_column("subscription", no_wrap=True, min_width=min(width, 40))
    for state in STATES:
        table.add_column(state, justify="right", min_width=len(state))
    table.add_column("waiting", justify="right", min_width=len("waiting"))  # how long the oldest pending job has waited
    for row in report["subscriptions"]:
        cells = [_count(row[state], state) for state in STATES]
        where = [row["destination"] or "-"] if several else []
        table.add_row(*where, row["subscription"], *cells, duration(row["oldest_waiting_seconds"]))
    totals = report["totals"]
    table.add_section()
    table.add_row(
        *([""] if several else []),
        "total",
        *[_count(totals[state], state) for state in STATES],
        duration(report["oldest_waiting_seconds"]),
        style="bold",
    )
    parts: list[Any] = [table]
    if report["last_errors"]:
        errors = Table(title="Last errors", title_justify="left")
        for name in ("job", "subscription", "state", "when", "error"):
            errors.add_column(name, overflow="fold")
        now = datetime.now(UTC)
        for e in report["last_errors"]:
            ago = duration((now - datetime.fromisoformat(e["at"])).total_seconds()) + " ago"
            subscription = e["subscription"] or "-"
            if e["destination"] not in (None, DEFAULT_DESTINATION):
                subscription = f"{e['destination']}/{subscription}"
            errors.add_row(str(e["job_id"]), subscription, e["state"], ago, shorten(e["error"], 300))
        parts.append(errors)
    return Group(*parts)


def _count(value: int, state: str) -> str:
    if not value:
        return "[dim]0[/]"
    style = {"dead": "red", "rejected": "yellow", "delivered": "green"}.get(state)
    return f"[{style}]{value}[/]" if style else str(value)
