"""Unit-test stand-ins for the router and the job store (integration tests use the real ones)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from sfmc_actions.config import Config, Source, Webhook
from sfmc_actions.queue.history import SourceCount
from sfmc_actions.queue.jobs import EnqueueResult, Job, NewJob, RejectedEvent

WRITE_KEY = "unit-write-key"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
SECRET = "unit-webhook-secret"


@dataclass(frozen=True)
class Routed:
    jobs: list[NewJob]
    unmatched: bool


class FakeRouter:
    """identify -> one job; everything else matches nothing."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def route(self, event: dict[str, Any]) -> Routed:
        self.seen.append(event)
        if event["type"] != "identify":
            return Routed([], True)
        job = NewJob(
            "contacts",
            "contact",
            "contact:contact",
            "emulator",
            event["messageId"],
            event,
            {"contactKey": event.get("userId")},
        )
        return Routed([job], False)


@dataclass
class FakeStore:
    calls: list[tuple[list[NewJob], list[RejectedEvent]]] = field(default_factory=list)
    fail: bool = False

    timeouts: list[float | None] = field(default_factory=list)
    sources: list[SourceCount | None] = field(default_factory=list)  # what each enqueue counted in the history

    async def enqueue(
        self,
        jobs: Sequence[NewJob],
        rejected: Sequence[RejectedEvent] = (),
        *,
        timeout: float | None = None,
        source: SourceCount | None = None,
    ) -> EnqueueResult:
        if self.fail:
            raise OSError("disk full")
        self.timeouts.append(timeout)
        self.sources.append(source)
        self.calls.append((list(jobs), list(rejected)))
        return EnqueueResult(accepted=len(jobs), duplicates=0, rejected=len(rejected))

    async def check_writable(self, timeout: float) -> None:
        if self.fail:
            raise OSError("attempt to write a readonly database")

    async def get_job(self, job_id: int) -> Job | None:
        return None

    @property
    def rejected(self) -> list[RejectedEvent]:
        return [event for _, rejected in self.calls for event in rejected]

    @property
    def jobs(self) -> list[NewJob]:
        return [job for jobs, _ in self.calls for job in jobs]


def config(webhook: bool = True) -> Config:
    return Config(
        path="unit.yaml",
        settings=None,
        sources=[Source(name="website", write_key=WRITE_KEY)],
        subscriptions=[],
        webhook=Webhook(shared_secret=SecretStr(SECRET)) if webhook else None,
    )
