"""Fault injection: a rule engine evaluated per route and per call, deterministic for a given seed.

Format (the `--faults` YAML file, or JSON at `PUT /__emulator/faults`):

    seed: 42                   # optional; the same seed replays the same faults
    rules:
      - fault: rate_limit      # one of FAULTS below
        route: rowset          # one of ROUTES (default "*": every SFMC route)
        method: POST           # optional
        path: /hub/v1/*        # optional glob on the path
        nth: [2, 5]            # fire on these calls (1-based, counted per rule); or
        every: 3               # every 3rd call; or
        probability: 0.25      # with this probability per call (seeded)
        times: 1               # stop after firing this many times
        retry_after: 5         # seconds, for rate_limit and unavailable
        seconds: 1.5           # latency: delay; timeout: how long to hang before dropping
        after: true            # timeout / drop: process the request fully first, then hang or drop, so the
                               # client cannot tell whether SFMC did it (a lost answer, "in doubt")
        rows: [0, 3]           # reject_row / deadlock / errored_member: 0-based indices in the batch
        row_probability: 0.1   # deadlock / errored_member: chance for each row instead of `rows`
        message: "..."         # reject_row / errored_member: the error text (default: a generic one)

With none of nth / every / probability a rule fires on every matching call.
"""

from __future__ import annotations

import fnmatch
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FAULTS: dict[str, str] = {
    "rate_limit": "429 errorcode 50100 'Rate limit exceeded' with Retry-After and retryAfter (§9 S3)",
    "blocked": "429 errorcode 50200 'Your requests are temporarily blocked.' without Retry-After (§9 S3)",
    "unavailable": "503 errorcode 50300 Service Unavailable with Retry-After (§9 S2)",
    "server_error": "500 Internal Server Error (SOAP: HTTP 500 fault, as SOAP throttling, §9 S4)",
    "transient_10006": "400 10006 'Unable to save rows…' without additionalErrors (§3 T9, retryable at Segment)",
    "unauthorized": "401 Not Authorized although the token is valid (tests one refresh and resend)",
    "expire_tokens": "expire every token now; the request then meets the expired-token answer",
    "latency": "wait `seconds` (default 1), then answer normally",
    "timeout": "never answer: hang until the client gives up, or `seconds` (default 3600) then drop; with "
    "`after: true` the request is processed first (the answer is lost)",
    "drop": "close the connection without any answer; with `after: true` after processing the request",
    "reject_row": "rowset / single row: fail the rows at `rows` with a validation error (10006 aggregate); "
    "SOAP Delete: fail the objects at `rows` with StatusCode Error (a partial failure: OverallStatus Has Errors)",
    "errored_member": "async_events: accept the members at `rows` (or by `row_probability`), then let them end "
    "`errored` with `message` in the status endpoint (processed asynchronously: the contact does not enter)",
    "deadlock": "async rows: fail the rows at `rows` (or by `row_probability`) with '… Rerun the transaction.'",
}
ROUTES = (
    "*",
    "token",
    "rowset",
    "row",
    "async_rows",
    "async_status",
    "async_results",
    "events",
    "async_events",
    "async_events_status",
    "event_definitions",
    "contacts",
    "customobjects",
    "customobjectdata",
    "soap",
)
_KEYS = (
    "fault",
    "route",
    "method",
    "path",
    "nth",
    "every",
    "probability",
    "times",
    "retry_after",
    "seconds",
    "rows",
    "row_probability",
    "message",
    "after",
)
AFTER_FAULTS = ("timeout", "drop")  # the faults that can strike after the request was processed


class FaultConfigError(ValueError):
    """The fault rules cannot be used; the message names the rule and key."""


@dataclass
class FaultRule:
    fault: str
    route: str = "*"
    method: str | None = None
    path: str | None = None
    nth: list[int] | None = None
    every: int | None = None
    probability: float | None = None
    times: int | None = None
    retry_after: int = 5
    seconds: float | None = None
    rows: list[int] | None = None
    row_probability: float | None = None
    message: str | None = None
    after: bool | None = None  # timeout / drop: strike after processing the request (None: before)
    calls: int = 0
    fired: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def matches(self, route: str, method: str, path: str) -> bool:
        if self.route != "*" and self.route != route:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or fnmatch.fnmatchcase(path.lower(), self.path.lower())

    def fire(self) -> bool:
        """Count this call and decide whether the rule fires on it."""
        self.calls += 1
        if self.times is not None and self.fired >= self.times:
            return False
        if self.nth is not None:
            hit = self.calls in self.nth
        elif self.every is not None:
            hit = self.calls % self.every == 0
        elif self.probability is not None:
            hit = self.rng.random() < self.probability
        else:
            hit = True
        self.fired += hit
        return hit

    def row_hits(self, count: int) -> set[int]:
        """Which rows of a batch of `count` this (fired) rule fails."""
        if self.row_probability is not None:
            return {i for i in range(count) if self.rng.random() < self.row_probability}
        return {i for i in (self.rows if self.rows is not None else [0]) if 0 <= i < count}

    def describe(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in _KEYS if getattr(self, k) is not None}
        return {**data, "calls": self.calls, "fired": self.fired}


class FaultEngine:
    """The active rules. `pick` is called once per SFMC request with the route's name."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.seed: int = 0
        self.rules: list[FaultRule] = []
        if config:
            self.configure(config)

    def configure(self, config: Mapping[str, Any]) -> None:
        """Replace every rule (and the seed) with `config`; on error nothing changes."""
        if not isinstance(config, Mapping):
            raise FaultConfigError("faults: expected a mapping with 'rules' (and an optional 'seed')")
        unknown = set(map(str, config)) - {"seed", "rules"}
        if unknown:
            raise FaultConfigError(f"faults: unknown key '{sorted(unknown)[0]}'; expected 'seed' and 'rules'")
        seed = config.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise FaultConfigError("faults.seed: expected a whole number")
        raw_rules = config.get("rules") or []
        if not isinstance(raw_rules, list):
            raise FaultConfigError("faults.rules: expected a list of rules")
        rules = [parse_rule(raw, f"faults.rules[{i}]") for i, raw in enumerate(raw_rules)]
        self.seed, self.rules = seed, []
        for rule in rules:
            self.add(rule)

    def add(self, rule: FaultRule) -> None:
        rule.rng = random.Random(f"{self.seed}:{len(self.rules)}")  # per-rule stream: rules stay independent
        self.rules.append(rule)

    def clear(self) -> None:
        self.rules = []

    def pick(self, route: str, method: str, path: str) -> list[FaultRule]:
        if not self.rules:
            return []
        return [rule for rule in self.rules if rule.matches(route, method, path) and rule.fire()]

    def describe(self) -> dict[str, Any]:
        return {"seed": self.seed, "rules": [rule.describe() for rule in self.rules], "faults": FAULTS}


def parse_rule(raw: Any, where: str = "rule") -> FaultRule:
    if not isinstance(raw, Mapping):
        raise FaultConfigError(f"{where}: expected a mapping such as {{fault: rate_limit, route: rowset, nth: 2}}")
    unknown = sorted(set(map(str, raw)) - set(_KEYS))
    if unknown:
        raise FaultConfigError(f"{where}: unknown key '{unknown[0]}'; expected one of: {', '.join(_KEYS)}")
    fault = raw.get("fault")
    if fault not in FAULTS:
        raise FaultConfigError(f"{where}.fault: '{fault}' is not a fault; use one of: {', '.join(FAULTS)}")
    route = raw.get("route", "*")
    if route not in ROUTES:
        raise FaultConfigError(f"{where}.route: '{route}' is not a route; use one of: {', '.join(ROUTES)}")
    nth = raw.get("nth")
    if isinstance(nth, int) and not isinstance(nth, bool):
        nth = [nth]
    if nth is not None and not (isinstance(nth, list) and all(_positive_int(n) for n in nth)):
        raise FaultConfigError(f"{where}.nth: expected a call number (1-based) or a list of them")
    for key in ("every", "times", "retry_after"):
        if key in raw and not _positive_int(raw[key]):
            raise FaultConfigError(f"{where}.{key}: expected a whole number of at least 1")
    for key in ("probability", "row_probability"):
        value = raw.get(key)
        if value is not None and not (isinstance(value, (int, float)) and 0 <= value <= 1):
            raise FaultConfigError(f"{where}.{key}: expected a number between 0 and 1")
    rows = raw.get("rows")
    if rows is not None and not (isinstance(rows, list) and all(isinstance(r, int) and r >= 0 for r in rows)):
        raise FaultConfigError(f"{where}.rows: expected a list of 0-based row indices")
    seconds = raw.get("seconds")
    if seconds is not None and not (isinstance(seconds, (int, float)) and seconds >= 0):
        raise FaultConfigError(f"{where}.seconds: expected a number of seconds, 0 or more")
    after = raw.get("after")
    if after is not None and not isinstance(after, bool):
        raise FaultConfigError(f"{where}.after: expected true or false")
    if after and fault not in AFTER_FAULTS:
        raise FaultConfigError(
            f"{where}.after: only the timeout and drop faults can strike after processing, not {fault}"
        )
    return FaultRule(
        fault=fault,
        route=route,
        method=raw.get("method"),
        path=raw.get("path"),
        nth=nth,
        every=raw.get("every"),
        probability=raw.get("probability"),
        times=raw.get("times"),
        retry_after=raw.get("retry_after", 5),
        seconds=seconds,
        rows=rows,
        row_probability=raw.get("row_probability"),
        message=raw.get("message"),
        after=after,
    )


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def load_faults(source: str | Path | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Fault config from a YAML file path or a dict (validated by `FaultEngine.configure`)."""
    if source is None or isinstance(source, Mapping):
        return dict(source) if source is not None else None
    path = Path(source)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FaultConfigError(f"cannot read the fault rules {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise FaultConfigError(f"the fault rules {path} are not valid YAML: {exc}") from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise FaultConfigError(f"the fault rules {path} must be a mapping with 'rules' (and an optional 'seed')")
    return data
