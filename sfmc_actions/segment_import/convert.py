"""Segment's SFMC (Actions) destinations, as the Public API returns them, turned into our config document.

What carries over, and how (segment-runtime.md §7, §8.1):
- each destination instance becomes an entry of `destinations:`, named after its Segment name;
- its `subdomain`, `account_id` and `client_id` are copied; `client_secret` becomes `${ENV_VAR}`;
- each subscription keeps its name, `enabled`, trigger and mapping (the subscription's `settings`, hook
  outputs such as V2's `onMappingSave` included) unchanged; `actionSlug` is the action key (Segment's
  partnerAction key: `contact`, `dataExtensionV2`, ...);
- with `GET /sources`: the sources the destinations receive from, each write key as `${ENV_VAR}`.

What does not, each listed with the reason while the rest is written: Reverse ETL subscriptions (`modelId`:
they read a warehouse model, not events) and action slugs that are not SFMC actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sfmc_actions.config_yaml import escape_env
from sfmc_actions.segment_import.exports import Destination, Source, SubscriptionsAnswer
from sfmc_actions.sfmc.actions import ACTIONS

# The catalog slug of Segment's "Salesforce Marketing Cloud (Actions)" (segment-runtime.md §7).
SFMC_ACTIONS_SLUG = "actions-salesforce-marketing-cloud"


@dataclass(frozen=True)
class Skipped:
    """A subscription (or source) that was not converted, and why."""

    what: str  # "subscription 'Sync users' (id sub_1) of destination 'emea'"
    reason: str


@dataclass(frozen=True)
class EnvVar:
    """An environment variable the written config reads: set it before `serve`."""

    name: str
    holds: str  # what to put in it, for people


@dataclass
class Conversion:
    """The config document and everything to tell the user about it."""

    document: dict[str, Any] = field(default_factory=dict)
    env_vars: list[EnvVar] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    subscriptions: int = 0  # converted ones

    def env_var(self, wanted: str, holds: str) -> str:
        """A `${NAME}` placeholder with a name not used yet in this config."""
        name, n = wanted, 1
        while any(v.name == name for v in self.env_vars):
            n += 1
            name = f"{wanted}_{n}"
        self.env_vars.append(EnvVar(name, holds))
        return f"${{{name}}}"


def convert(destinations: list[tuple[Destination, SubscriptionsAnswer]], sources: list[Source] | None) -> Conversion:
    """The config document for these destinations (in order) and, when given, their sources."""
    result = Conversion()
    entries: list[dict[str, Any]] = []
    names: set[str] = set()
    for destination, answer in destinations:
        name = _unique(slug(destination.name or "") or "destination-" + slug(destination.id), names)
        names.add(name)
        entries.append(_destination(name, destination, answer, result))
    if sources is not None:
        result.document["sources"] = _sources([d for d, _ in destinations], sources, result)
    result.document["destinations"] = entries
    return result


def _destination(
    name: str, destination: Destination, answer: SubscriptionsAnswer, result: Conversion
) -> dict[str, Any]:
    settings = destination.settings
    base = env_name(name)
    secret = result.env_var(
        f"{base if base.startswith('SFMC') else 'SFMC_' + base}_CLIENT_SECRET",
        f"client_secret of destination '{name}' (SFMC: Setup > Apps > Installed Packages > API Integration)",
    )
    slug_seen = destination.metadata.slug if destination.metadata else None
    if slug_seen and slug_seen != SFMC_ACTIONS_SLUG:
        result.notes.append(
            f"destination '{name}' is a '{slug_seen}' destination, not '{SFMC_ACTIONS_SLUG}': check that its "
            "subscriptions are SFMC (Actions) ones"
        )
    pagination = answer.data.pagination
    if pagination is not None and pagination.next:
        result.notes.append(
            f"the subscriptions of destination '{name}' are one page of several (pagination.next is set): only "
            "these were imported; export them again with ?pagination.count=200"
        )
    if not destination.enabled:
        enabled = [s.name for s in answer.data.subscriptions if s.enabled]
        result.notes.append(
            f"destination '{name}' is disabled in Segment, so it delivers nothing there: its subscriptions are "
            "written with enabled: false"
            + (f" (enabled in Segment: {', '.join(repr(n) for n in enabled)})" if enabled else "")
        )
    return {
        "name": name,
        "settings": {
            "subdomain": escape_env(settings.subdomain),
            "account_id": escape_env(str(settings.account_id)),
            "client_id": escape_env(settings.client_id),
            "client_secret": secret,
        },
        "subscriptions": _subscriptions(name, destination, answer, result),
    }


def _subscriptions(
    name: str, destination: Destination, answer: SubscriptionsAnswer, result: Conversion
) -> list[dict[str, Any]]:
    written: list[dict[str, Any]] = []
    seen: set[str] = set()
    for sub in answer.data.subscriptions:
        what = f"subscription '{sub.name}' (id {sub.id}) of destination '{name}'"
        if sub.modelId:
            result.skipped.append(
                Skipped(
                    what,
                    f"Reverse ETL (modelId {sub.modelId}): it syncs rows of a warehouse model, which sfmc-actions "
                    "does not read; only event subscriptions are imported",
                )
            )
            continue
        if sub.actionSlug not in ACTIONS:
            result.skipped.append(
                Skipped(what, f"action '{sub.actionSlug}' is not one of the SFMC actions ({', '.join(ACTIONS)})")
            )
            continue
        sub_name = sub.name.strip() or sub.id
        if sub_name in seen:  # names are unique within a destination here; Segment allows repeats
            result.notes.append(f"{what}: the name is taken in this destination, written as '{sub_name} ({sub.id})'")
            sub_name = f"{sub_name} ({sub.id})"
        seen.add(sub_name)
        written.append(
            {
                "name": escape_env(sub_name),
                "action": sub.actionSlug,
                "enabled": sub.enabled and destination.enabled,
                "trigger": escape_env(sub.trigger),
                "mapping": _escaped(sub.settings),
            }
        )
        result.subscriptions += 1
    return written


def _sources(destinations: list[Destination], sources: list[Source], result: Conversion) -> list[dict[str, Any]]:
    """The sources the imported destinations receive from, one entry per write key (the SDKs send with any)."""
    wanted = {d.sourceId for d in destinations if d.sourceId}
    written: list[dict[str, Any]] = []
    names: set[str] = set()
    for source in sources:
        label = f"source '{source.slug}' (id {source.id})"
        if source.id not in wanted:
            result.skipped.append(Skipped(label, "no imported destination receives from it"))
            continue
        if not source.enabled:
            result.skipped.append(Skipped(label, "disabled in Segment: it accepts no events there"))
            continue
        keys = source.writeKeys or [""]  # empty: the token lacked 'source admin'; the user sets the key
        if not source.writeKeys:
            result.notes.append(
                f"{label}: the export holds no write key (the token lacks the 'source admin' permission); set the "
                "variable to the write key shown in Segment > Sources > Settings > API Keys"
            )
        for _ in keys:
            name = _unique(slug(source.slug) or slug(source.id), names)
            names.add(name)
            placeholder = result.env_var(f"SEGMENT_WRITE_KEY_{env_name(name)}", f"a write key of {label}")
            written.append({"name": name, "write_key": placeholder})
    found = {s.id for s in sources}
    for destination in destinations:
        if destination.sourceId and destination.sourceId not in found:
            result.notes.append(
                f"the source {destination.sourceId} of destination {destination.id} is not in the sources file: add "
                "its write key to sources: by hand"
            )
    return written


def _escaped(value: Any) -> Any:
    """`value` with every "${" in its text kept literal through the config's ${ENV_VAR} interpolation."""
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}  # keys are not interpolated
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return escape_env(value) if isinstance(value, str) else value


def slug(text: str) -> str:
    """A config name from a Segment name: lower case letters, digits and single hyphens, at most 64."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64].rstrip("-")


def env_name(name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name[:60]}-{n}"
    return candidate
