"""Rich tables and panels for `status`, `dead-letters` and the serve banner (the data comes from admin.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sfmc_actions.admin import STATES, ReplayPlan, duration
from sfmc_actions.jsvalues import json_text
from sfmc_actions.queue.jobs import EnqueueResult, Job, NewJob

REASON_WIDTH = 100


def status_tables(report: dict[str, Any]) -> Group:
    table = Table(
        title=f"Queue: {report['database']}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    width = max([len(row["subscription"]) for row in report["subscriptions"]] + [len("subscription")])
    table.add_column("subscription", no_wrap=True, min_width=min(width, 40))
    for state in STATES:
        table.add_column(state.value, justify="right", min_width=len(state.value))
    table.add_column("waiting", justify="right", min_width=len("waiting"))  # how long the oldest pending job has waited
    for row in report["subscriptions"]:
        cells = [_count(row[s.value], s.value) for s in STATES]
        table.add_row(row["subscription"], *cells, duration(row["oldest_waiting_seconds"]))
    totals = report["totals"]
    table.add_section()
    table.add_row(
        "total",
        *[_count(totals[s.value], s.value) for s in STATES],
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
            errors.add_row(str(e["job_id"]), e["subscription"] or "-", e["state"], ago, _short(e["error"], 300))
        parts.append(errors)
    return Group(*parts)


def _count(value: int, state: str) -> str:
    if not value:
        return "[dim]0[/]"
    style = {"dead": "red", "rejected": "yellow", "delivered": "green"}.get(state)
    return f"[{style}]{value}[/]" if style else str(value)


def dead_letter_table(jobs: Sequence[Job]) -> Table:
    table = Table(title=f"{len(jobs)} dead letter(s), newest first", title_justify="left")
    for name, justify in (
        ("id", "right"),
        ("subscription", "left"),
        ("state", "left"),
        ("died", "right"),
        ("attempts", "right"),
        ("reason", "left"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    now = datetime.now(UTC)
    for job in jobs:
        died = duration((now - job.updated_at).total_seconds()) + " ago"
        reason = _short(job.dead_reason or job.last_error or "", REASON_WIDTH)
        table.add_row(str(job.id), job.subscription or "-", job.state.value, died, str(job.attempts), reason)
    return table


def dead_letter_panel(job: Job) -> Panel:
    lines = Text()
    for label, value in (
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
            lines.append(f"\n{name}\n", style="bold").append(json_text(data, indent=True))
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
            f"{_short(dead_again[0].dead_reason or '', 200)}",
            highlight=False,
        )
    if plan.skipped:
        console.print(f"  [yellow]{len(plan.skipped)} left in dead letters:[/]")
        for job_id, why in list(plan.skipped.items())[:20]:
            console.print(f"    {job_id}: {why}", highlight=False, soft_wrap=True)
        if len(plan.skipped) > 20:
            console.print(f"    ... and {len(plan.skipped) - 20} more")


def emulator_banner(config: str, url: str) -> Panel:
    text = Text.assemble(
        ("No SFMC credentials in ", ""),
        (config, "bold"),
        (": events are delivered to the ", ""),
        ("BUILT-IN SFMC EMULATOR", "bold yellow"),
        (", not to Salesforce.\n\n", ""),
        ("SFMC API          ", "bold"),
        (f"{url}\n", ""),
        ("inspection API    ", "bold"),
        (f"{url}/__emulator/\n", ""),
        ("rows of a DE      ", "bold"),
        (f"curl {url}/__emulator/data-extensions/Customers/rows\n", ""),
        ("journey entries   ", "bold"),
        (f"curl {url}/__emulator/journey-events\n\n", ""),
        ("To deliver to SFMC, add settings (subdomain, account_id, client_id, client_secret) to the config.", "dim"),
    )
    return Panel(text, title="[bold yellow]SFMC emulator[/]", title_align="left", border_style="yellow")


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
