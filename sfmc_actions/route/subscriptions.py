"""Compile the config's subscriptions: trigger (FQL) + mapping + the action's payload schema.

Everything is checked and compiled once, at load; every problem is reported with its YAML line. Routing an
event later only calls the compiled pieces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sfmc_actions.config import DEFAULT_DESTINATION, Config, Destination, SubscriptionConfig
from sfmc_actions.errors import ConfigError, ConfigProblem, FqlSyntaxError, MappingError
from sfmc_actions.route.fql import Trigger, compile_trigger
from sfmc_actions.route.mapping import CompiledMapping, compile_mapping
from sfmc_actions.route.payload import PayloadSchema
from sfmc_actions.route.shared_targets import shared_data_extension_warnings
from sfmc_actions.sfmc.actions import ACTIONS, Action
from sfmc_actions.sfmc.actions.api_event import SendApiEvent
from sfmc_actions.sfmc.actions.api_event_batch import MAX_MEMBERS, batched
from sfmc_actions.sfmc.actions.audience_exit import OnAudienceExit
from sfmc_actions.sfmc.actions.row_delete import DeletesRows

# Mapping keys that are not action fields but that Segment stores in the mapping (segment-runtime.md §8).
HOOK_KEYS = ("onMappingSave", "retlOnMappingSave")


@dataclass(frozen=True)
class Subscription:
    name: str
    action: Action
    trigger: Trigger
    mapping: CompiledMapping
    schema: PayloadSchema
    hook_outputs: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    destination: str = DEFAULT_DESTINATION  # the name of the destination (config `destinations:`) it belongs to
    on_audience_exit: OnAudienceExit = "update"  # "delete": Engage exits delete the row (sfmc/actions/audience_exit.py)


def compile_subscriptions(config: Config) -> tuple[list[Subscription], list[str]]:
    """Every destination's compiled subscriptions (enabled or not), in file order, each naming its destination,
    and load warnings; raises ConfigError with every problem."""
    compiled: list[Subscription] = []
    problems: list[ConfigProblem] = []
    warnings: list[str] = []
    for destination in config.destinations:
        for index, sub in enumerate(destination.subscriptions):
            result = _compile_one(config, destination, index, sub, problems, warnings)
            if result is not None:
                compiled.append(result)
    if problems:
        raise ConfigError(problems)
    return compiled, warnings + shared_data_extension_warnings(config)


def _compile_one(
    config: Config,
    destination: Destination,
    index: int,
    sub: SubscriptionConfig,
    problems: list[ConfigProblem],
    warnings: list[str],
) -> Subscription | None:
    where = (*destination.path, "subscriptions", index)
    action = ACTIONS.get(sub.action)
    if action is None:
        problems.append(
            config.problem(
                (*where, "action"),
                f"unknown action '{sub.action}'",
                "use one of: " + ", ".join(sorted(ACTIONS)),
            )
        )
        return None
    fql = sub.trigger if sub.trigger is not None else action.default_trigger
    trigger = mapping = None
    if fql is None:
        problems.append(
            config.problem(
                where,
                f"a trigger is required: action '{action.key}' has no default trigger",
                'add e.g. trigger: type = "track" and event = "Order Completed"',
            )
        )
    else:
        try:
            trigger = compile_trigger(fql)
            of = f" of destination '{destination.name}'" if destination.path else ""
            location = f"{config.path}:{config.line_of((*where, 'trigger'))}: subscription '{sub.name}'{of}"
            warnings.extend(f"{location}: {w}" for w in trigger.warnings)
        except FqlSyntaxError as exc:
            problems.append(
                config.problem(
                    (*where, "trigger"),
                    f"invalid trigger: {exc.reason} at column {exc.column + 1}\n    {fql}\n    {exc.caret}",
                    'write the trigger in Segment\'s FQL, e.g. type = "track" and event = "Order Completed"',
                )
            )
    try:
        mapping = compile_mapping(sub.mapping)
    except MappingError as exc:
        for message in exc.errors:
            # Most messages start with a JSON pointer ("/values/x/@path should ..."); a few root ones do not.
            pointer, _, text = message.partition(" ") if message.startswith("/") else ("", "", message)
            path = tuple(part for part in pointer.split("/") if part)
            problems.append(
                config.problem((*where, "mapping", *path), f"invalid mapping: {message}", _mapping_hint(text))
            )
    for message in action.mapping_problems(sub.mapping):
        problems.append(config.problem((*where, "mapping"), message))
    option_problems = _option_problems(config, where, sub, action)
    problems += option_problems
    if trigger is None or mapping is None or option_problems:
        return None
    if sub.journey_batching and isinstance(action, SendApiEvent):
        action = batched(action)
    hooks = {k: sub.mapping[k] for k in HOOK_KEYS if k in sub.mapping}
    schema = PayloadSchema.from_fields(dict(action.fields))
    return Subscription(
        sub.name,
        action,
        trigger,
        mapping,
        schema,
        hooks,
        sub.enabled,
        destination=destination.name,
        on_audience_exit=sub.on_audience_exit,
    )


def _option_problems(
    config: Config, where: tuple[str | int, ...], sub: SubscriptionConfig, action: Action
) -> list[ConfigProblem]:
    """`journey_batching` is for apiEvent (with batch_size at most 100); `on_audience_exit` for data extensions."""
    problems = []
    if sub.journey_batching and not isinstance(action, SendApiEvent):
        problems.append(
            config.problem(
                (*where, "journey_batching"),
                f"journey_batching is for action apiEvent (SFMC's batch journey entry), not {action.key}",
                "remove journey_batching from this subscription",
            )
        )
    elif sub.journey_batching and sub.batch_size is not None and sub.batch_size > MAX_MEMBERS:
        problems.append(
            config.problem(
                (*where, "batch_size"),
                f"with journey_batching SFMC takes at most {MAX_MEMBERS} contacts per request, not {sub.batch_size}",
                f"set batch_size to {MAX_MEMBERS} or less (or leave it out: {MAX_MEMBERS})",
            )
        )
    if sub.on_audience_exit == "delete" and not isinstance(action, DeletesRows):
        problems.append(
            config.problem(
                (*where, "on_audience_exit"),
                f"on_audience_exit: delete deletes data extension rows; action {action.key} writes none",
                "remove on_audience_exit, or use a data extension action (contactDataExtension, dataExtension, "
                "their V2 variants or asyncDataExtension)",
            )
        )
    return problems


def _mapping_hint(message: str) -> str:
    if "invalid directive" in message:
        return (
            "directives are @path, @template, @if, @literal, @arrayPath, @case, @replace, @json, @flatten, "
            "@merge, @transform, @excludeWhenNull, @liquid"
        )
    return "see Segment's mapping language: https://segment.com/docs/connections/destinations/actions/"
