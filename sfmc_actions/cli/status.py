"""`sfmc-actions status`: per destination and subscription over a window, from the delivery history; the live
queue, the oldest waiting job, the store's size, the last errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Group
from rich.table import Table

from sfmc_actions.cli.options import DEFAULT_DATABASE, DatabaseOption, JsonOption
from sfmc_actions.cli.output import console, duration, fail, fail_config, print_json, shorten
from sfmc_actions.cli.resources import with_store

SinceWindow = Annotated[str, typer.Option("--since", help="the window the counts cover: 90s, 15m, 2h, 7d")]
ConfigFile = Annotated[
    Path | None, typer.Option("--config", "-c", help="config YAML file (for its retention; default: the defaults)")
]


def status(
    database: DatabaseOption = DEFAULT_DATABASE,
    since: SinceWindow = "24h",
    config: ConfigFile = None,
    errors: Annotated[int, typer.Option("--errors", help="how many recent errors to show")] = 10,
    destination: Annotated[
        str | None, typer.Option("--destination", "-d", help="only this destination (config `destinations:` name)")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Per subscription over a window (--since): delivered, dead, retried... and latency p50/p95/p99 from the
    delivery history (right after a purge too); the live queue; the store's size; the last errors."""
    from sfmc_actions.config import Retention, load_config, parse_duration
    from sfmc_actions.errors import ConfigError
    from sfmc_actions.queue import redact_url
    from sfmc_actions.queue.status_report import build_status

    try:
        window = timedelta(seconds=parse_duration(since))
    except ValueError:
        fail(f"--since {since!r} is not a duration: write a number and a unit, like 90s, 15m, 2h or 7d")
    try:
        retention = load_config(config).retention if config is not None else Retention()
    except ConfigError as exc:
        fail_config(exc, "config")
    report = with_store(
        database,
        lambda store: build_status(
            store, redact_url(database), window, retention.model_dump(), last_errors=errors, destination=destination
        ),
    )
    if json:
        print_json(report)
    else:
        console.print(status_tables(report))


def status_tables(report: dict[str, Any]) -> Group:
    window = duration(
        (datetime.fromisoformat(report["until"]) - datetime.fromisoformat(report["since"])).total_seconds()
    )
    history = Table(
        title=f"Since {window} ago: {report['database']} ({_bytes(report['store_bytes'])})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    counted = ("delivered", "dead", "invalid", "retried", "throttled", "in_doubt", "waiting")
    several = _several_destinations(report)
    if several:
        history.add_column("destination", no_wrap=True)
    history.add_column("subscription", no_wrap=True)
    for name in counted:
        history.add_column(name.replace("_", " "), justify="right")
    for name in ("p50", "p95", "p99"):
        history.add_column(name, justify="right")
    for row in report["subscriptions"]:
        if not row["subscription"]:
            continue  # the destination's own row (requests) is shown below
        cells = [_count(row[name], name) for name in counted]
        where = [row["destination"]] if several else []
        history.add_row(*where, row["subscription"], *cells, *(_ms(row[f"{q}_ms"]) for q in ("p50", "p95", "p99")))
    totals = report["totals"]
    history.add_section()
    history.add_row(
        *([""] if several else []),
        "total",
        *[_count(totals.get(name, 0), name) for name in counted[:-1]],
        str(totals["pending"] + totals["claimed"]),
        style="bold",
    )
    parts: list[Any] = [history]
    requests = [r for r in report["subscriptions"] if not r["subscription"]]
    if requests or report["sources"]:
        lines = [
            f"{r['destination']}: SFMC requests {r['sfmc_requests']}, token requests {r['token_requests']}"
            for r in requests
        ]
        lines += [
            f"source {s['source']}: {s['accepted']} accepted, {s['rejected']} rejected, {s['unmatched']} unmatched"
            for s in report["sources"]
        ]
        parts.append("\n".join(lines))
    parts.append(queue_table(report))
    if report["last_errors"]:
        errors = Table(title="Last errors", title_justify="left")
        for name in ("job", *(["destination"] if several else []), "subscription", "state", "when", "error"):
            errors.add_column(name, overflow="fold")
        now = datetime.now(UTC)
        for e in report["last_errors"]:
            ago = duration((now - datetime.fromisoformat(e["at"])).total_seconds()) + " ago"
            where = [e["destination"] or "-"] if several else []
            error = shorten(e["error"], 300)
            errors.add_row(str(e["job_id"]), *where, e["subscription"] or "-", e["state"], ago, error)
        parts.append(errors)
    return Group(*parts)


def queue_table(report: dict[str, Any]) -> Table:
    """Jobs stored now (what retention has not purged yet), per subscription and state."""
    from sfmc_actions.queue.status_report import STATES

    table = Table(title="Stored now", title_justify="left", box=box.SIMPLE_HEAD, collapse_padding=True, pad_edge=False)
    several = _several_destinations(report)
    if several:
        table.add_column("destination", no_wrap=True)
    table.add_column("subscription", no_wrap=True)
    for state in STATES:
        table.add_column(state, justify="right", min_width=len(state))
    table.add_column("waiting", justify="right", min_width=len("waiting"))  # how long the oldest pending job has waited
    for row in report["queue"]:
        where = [row["destination"] or "-"] if several else []
        cells = [_count(row[s], s) for s in STATES]
        table.add_row(*where, row["subscription"], *cells, duration(row["oldest_waiting_seconds"]))
    table.add_section()
    blank = [""] * (len(STATES) + several)
    table.add_row("oldest waiting", *blank, duration(report["oldest_waiting_seconds"]), style="bold")
    return table


def _several_destinations(report: dict[str, Any]) -> bool:
    """A destination column only when there is another than the top-level form's one (rejected events have none)."""
    from sfmc_actions.config import DEFAULT_DESTINATION

    rows = [*report["subscriptions"], *report["queue"]]
    return any(row["destination"] not in (None, DEFAULT_DESTINATION) for row in rows)


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1000:
        return f"{value:.0f}ms"
    # short enough for an 80-column terminal: 2.4s rather than 2375ms
    return f"{value / 1000:.1f}s" if value < 10_000 else duration(value / 1000)


def _bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _count(value: int, state: str) -> str:
    if not value:
        return "[dim]0[/]"
    style = {"dead": "red", "rejected": "yellow", "delivered": "green"}.get(state)
    return f"[{style}]{value}[/]" if style else str(value)
