"""Load warnings about two destinations writing into one data extension of one business unit.

Several destinations in one config usually mean several SFMC business units (MIDs). Two destinations in the
same business unit that both write to the same data extension may be intended (two installed packages, say),
but more often one was copied from the other and not re-pointed: rows from both then land in one table. So
it is a warning, not an error.

Only what the mapping fixes before any event arrives can be compared: a V1 action's `key` or `id` written as
text (or `@literal`), and a V2 action's data extension id in `onMappingSave.outputs.id` (segment-runtime.md
§7.3). Keys and ids are compared without regard to case, as SFMC matches them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sfmc_actions.config import Config, Destination, SubscriptionConfig
from sfmc_actions.errors import PayloadValidationError
from sfmc_actions.sfmc.actions import ACTIONS
from sfmc_actions.sfmc.actions.base import HOOKS

# Without credentials a destination delivers to the built-in emulator's tenant: they all share it.
EMULATOR_BUSINESS_UNIT = "the built-in emulator"


def shared_data_extension_warnings(config: Config) -> list[str]:
    """One warning per data extension that enabled subscriptions of two or more destinations write to."""
    writers: dict[tuple[str, str], list[tuple[Destination, int, SubscriptionConfig]]] = defaultdict(list)
    for destination in config.destinations:
        unit = destination.settings.account_id if destination.settings else EMULATOR_BUSINESS_UNIT
        for index, sub in enumerate(destination.subscriptions):
            target = data_extension_of(sub) if sub.enabled else None
            if target is not None:
                writers[(unit, target.casefold())].append((destination, index, sub))
    warnings = []
    for (unit, _), subs in writers.items():
        if len({destination.name for destination, _, _ in subs}) < 2:
            continue
        destination, index, sub = subs[0]
        line = config.line_of((*destination.path, "subscriptions", index, "mapping"))
        named = ", ".join(f"'{s.name}' of destination '{d.name}'" for d, _, s in subs)
        warnings.append(
            f"{config.path}:{line}: subscriptions {named} all write to data extension "
            f"{data_extension_of(sub)} in business unit {unit}: rows from these destinations land in one table. "
            "If that is not intended, point one of them at another data extension (or another business unit)."
        )
    return warnings


def data_extension_of(sub: SubscriptionConfig) -> str | None:
    """'key:<external key>' or 'id:<id>' when the mapping names the data extension as a constant, else None."""
    action = ACTIONS.get(sub.action)
    if action is None:
        return None
    fixed = {name: value for name in ("key", "id") if (value := _constant_text(sub.mapping.get(name)))}
    hooks = {name: sub.mapping[name] for name in HOOKS if name in sub.mapping}
    try:
        target = action.target(fixed, hooks)  # the action's own rule: key before id, hook id for V2
    except PayloadValidationError:
        return None
    return target if target.startswith(("key:", "id:")) else None


def _constant_text(value: Any) -> str | None:
    if isinstance(value, Mapping) and set(value) == {"@literal"}:
        value = value["@literal"]
    return value if isinstance(value, str) and value else None
