"""Fake actions and subscriptions for the worker's unit tests (the store is a real SQLite file)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sfmc_actions.queue.jobs import NewJob
from sfmc_actions.route.subscriptions import Subscription
from sfmc_actions.sfmc import outcomes as sfmc
from sfmc_actions.sfmc.actions.base import Action, HookOutputs, Payload, PerEventAction

Result = Callable[[Payload], sfmc.Outcome]


def delivered(payload: Payload) -> sfmc.Outcome:
    return sfmc.Delivered(dict(payload))


@dataclass(frozen=True, eq=False, repr=False)
class FakeRows(Action):
    """A batching action: records each send's payloads and answers with `result` per payload."""

    batch_size: int = 50
    result: Result = delivered
    delay: float = 0.0
    calls: list[list[dict[str, Any]]] = field(default_factory=list)
    hooks_seen: list[Any] = field(default_factory=list)

    def target(self, payload: Payload, hook_outputs: HookOutputs | None = None) -> str:
        return str(payload.get("target", "key:T"))

    async def send(
        self, client: Any, payloads: Sequence[Payload], hook_outputs: HookOutputs | None = None
    ) -> list[sfmc.Outcome]:
        self.calls.append([dict(p) for p in payloads])
        self.hooks_seen.append(hook_outputs)
        if self.delay:
            await asyncio.sleep(self.delay)
        return [self.result(p) for p in payloads]


@dataclass(frozen=True, eq=False, repr=False)
class FakePerEvent(PerEventAction):
    result: Result = delivered
    calls: list[dict[str, Any]] = field(default_factory=list)

    async def send_one(self, client: Any, payload: Payload) -> sfmc.Outcome:
        self.calls.append(dict(payload))
        return self.result(payload)


def rows_action(**kwargs: Any) -> FakeRows:
    return FakeRows(key="fakeRows", title="Fake rows", description="", fields={}, **kwargs)


def per_event_action(**kwargs: Any) -> FakePerEvent:
    return FakePerEvent(key="fakeEvent", title="Fake event", description="", fields={}, **kwargs)


def subscription(
    name: str, action: Action, hook_outputs: dict[str, Any] | None = None, enabled: bool = True
) -> Subscription:
    # Trigger, mapping and schema belong to routing; delivery never uses them.
    return Subscription(name, action, None, None, None, hook_outputs or {}, enabled)  # type: ignore[arg-type]


def new_job(sub: str, action: Action, n: int, target: str = "key:T", tenant: str = "t", **payload: Any) -> NewJob:
    body = {"target": target, "n": n, **payload}
    return NewJob(sub, action.key, f"{action.key}:{target}", tenant, f"m-{sub}-{n}", {"n": n}, body)
