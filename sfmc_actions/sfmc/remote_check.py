"""`check-config --remote`: every mismatch between the subscriptions and what they target in SFMC. Read-only.

    problems = await remote_problems(config, client)    # [] when everything fits; only GET calls are made
    problems = await remote_problems(config, client, destination)   # one destination of a `destinations:` file

For each subscription whose target is written in the mapping (a literal `key` / `id`, the V2 hook's id, an
apiEvent's literal `eventDefinitionKey`):

* the data extension or event definition does not exist;
* the mapping's `keys` are not exactly the primary key columns;
* a `values` column does not exist (SFMC matches names case-insensitively, §8; it ignores unknown columns, and
  refuses a row none of whose columns exist);
* a column that cannot be null and has no default is never mapped (SFMC refuses every new row without it);
* a literal value cannot be stored in its column (schema.check_value: SFMC's documented rules only);
* an apiEvent `data` field is not a column of the event's data extension (S11: a validation error).

Each problem names the subscription, its YAML path and line (ConfigProblem) and the fix. Targets computed from
the event (`@path`, `@template`, ...) cannot be known before an event arrives and are not checked.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sfmc_actions.config import Config, Destination, SubscriptionConfig
from sfmc_actions.errors import ConfigProblem, DeliveryError, PermanentError
from sfmc_actions.sfmc.actions import ACTIONS
from sfmc_actions.sfmc.actions.api_event import SendApiEvent
from sfmc_actions.sfmc.actions.base import HOOKS, Action
from sfmc_actions.sfmc.actions.row_delete import DeletesRows
from sfmc_actions.sfmc.data_extensions import PRIVILEGES_HINT
from sfmc_actions.sfmc.field_cache import fetch_schema
from sfmc_actions.sfmc.schema import NULL_PROBLEM, DataExtensionSchema, check_value, value_message

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient

Path = tuple[str | int, ...]
_MISSING = object()


async def remote_problems(
    config: Config, client: SfmcClient, destination: Destination | None = None
) -> list[ConfigProblem]:
    """`destination`: the one whose tenant `client` talks to (default: the file's only destination)."""
    destination = destination or config.single_destination()
    problems: list[ConfigProblem] = []
    for index, sub in enumerate(destination.subscriptions):
        action = ACTIONS.get(sub.action)
        if action is None:
            continue  # the local check reports an unknown action
        check = _Check(config, client, sub, (*destination.path, "subscriptions", index))
        try:
            if isinstance(action, DeletesRows):
                await check.data_extension(action)
            elif isinstance(action, SendApiEvent):
                await check.event_definition()
        except DeliveryError as error:
            check.add((), f"cannot read it from SFMC: {error}", PRIVILEGES_HINT + "; Journeys Read for events")
        problems += check.problems
    return problems


def _literal(value: Any) -> Any:
    """A mapping value written as-is (or with @literal); _MISSING for a directive computed from the event."""
    if isinstance(value, Mapping):
        if set(value) == {"@literal"}:
            return value["@literal"]
        if any(str(k).startswith("@") for k in value):
            return _MISSING
    return value


class _Check:
    def __init__(self, config: Config, client: SfmcClient, sub: SubscriptionConfig, where: Path) -> None:
        self.config, self.client, self.sub, self.where = config, client, sub, where
        self.mapping = sub.mapping
        self.problems: list[ConfigProblem] = []

    def add(self, path: Path, message: str, hint: str) -> None:
        self.problems.append(
            self.config.problem((*self.where, *path), f"subscription '{self.sub.name}': {message}", hint)
        )

    # -- data extensions -------------------------------------------------------------------------------
    def _target(self, action: Action) -> tuple[str, Path] | None:
        if action.hooks:
            for hook in HOOKS:
                outputs = (
                    self.mapping.get(hook, {}).get("outputs") if isinstance(self.mapping.get(hook), Mapping) else None
                )
                if isinstance(outputs, Mapping) and outputs.get("id"):
                    return f"id:{outputs['id']}", ("mapping", hook, "outputs", "id")
            return None
        for name, kind in (("key", "key"), ("id", "id")):
            value = _literal(self.mapping.get(name))
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                return f"{kind}:{value}", ("mapping", name)
        return None

    async def data_extension(self, action: Action) -> None:
        found = self._target(action)
        if found is None:
            return
        target, path = found
        schema = await fetch_schema(self.client, target)
        if schema is None:
            kind, _, value = target.partition(":")
            self.add(
                path,
                f"no data extension with {'external key' if kind == 'key' else 'id'} '{value}' in this business unit",
                "check the key in SFMC (Email Studio > Subscribers > Data Extensions > Properties), or find it with "
                "`sfmc-actions data-extensions list`",
            )
            return
        keys, values = _literal(self.mapping.get("keys")), _literal(self.mapping.get("values"))
        if isinstance(keys, Mapping):
            self._keys(schema, keys)
        if isinstance(values, Mapping):
            self._columns(schema, values, ("mapping", "values"))
        if isinstance(keys, Mapping) and isinstance(values, Mapping):
            self._unmapped(schema, {**values, **keys})

    def _keys(self, schema: DataExtensionSchema, keys: Mapping[str, Any]) -> None:
        given = {str(k).lower() for k in keys}
        primary = [c.name for c in schema.primary_keys]
        if given != {p.lower() for p in primary}:
            self.add(
                ("mapping", "keys"),
                f"keys name {', '.join(map(str, keys)) or 'nothing'}, but the primary key of data extension "
                f"{schema.label} is {', '.join(primary) or '(none)'}",
                f"make keys name exactly the primary key columns: {', '.join(primary)}",
            )
        for name, value in keys.items():
            column = schema.column(name)
            if column is not None:
                self._literal_fits(schema, name, column, value, ("mapping", "keys", name))

    def _columns(self, schema: DataExtensionSchema, values: Mapping[str, Any], path: Path) -> None:
        names = [c.name for c in schema.columns]
        for name, value in values.items():
            column = schema.column(name)
            if column is None:
                close = difflib.get_close_matches(str(name), names, n=1)
                self.add(
                    (*path, name),
                    f"column '{name}' does not exist in data extension {schema.label} (SFMC ignores it; a row with no "
                    "existing column is refused)",
                    f"did you mean '{close[0]}'?" if close else f"remove it, or use one of: {', '.join(names)}",
                )
                continue
            self._literal_fits(schema, name, column, value, (*path, name))

    def _literal_fits(self, schema: DataExtensionSchema, name: str, column: Any, value: Any, path: Path) -> None:
        literal = _literal(value)
        if literal is _MISSING or isinstance(literal, Mapping | list):
            return
        problem = NULL_PROBLEM if literal is None and not column.is_nullable else check_value(column, literal)
        if problem is not None:
            self.add(
                path,
                f"the literal value {literal!r} cannot be stored in column {column.name} ({column.type}"
                f"{f', length {column.length}' if column.length else ''}): {value_message(column.name, problem)}",
                f"change the value to one that fits a {column.type} column, or map it from the event",
            )

    def _unmapped(self, schema: DataExtensionSchema, mapped: Mapping[str, Any]) -> None:
        given = {str(k).lower() for k in mapped}
        for column in schema.columns:
            if column.is_nullable or column.is_primary_key or column.default_value is not None:
                continue
            if column.name.lower() not in given:
                self.add(
                    ("mapping", "values"),
                    f"column {column.name} of data extension {schema.label} cannot be null and has no default, but "
                    "the mapping never sets it: SFMC refuses every new row without it",
                    f"map {column.name} in values, or give the column a default value in SFMC",
                )

    # -- journey events ----------------------------------------------------------------------------------
    async def event_definition(self) -> None:
        key = _literal(self.mapping.get("eventDefinitionKey"))
        if not isinstance(key, str) or not key:
            return
        try:
            definition = await self.client.get_event_definition(key)
        except PermanentError as error:
            if error.status != 404:
                raise
            self.add(
                ("mapping", "eventDefinitionKey"),
                f"no journey event definition with key '{key}' in this business unit",
                "copy the key from Journey Builder > Event Administration (API Event entry source)",
            )
            return
        data = _literal(self.mapping.get("data"))
        de_id = definition.get("dataExtensionId")
        if not isinstance(data, Mapping) or not de_id:
            return
        schema = await fetch_schema(self.client, f"id:{de_id}")
        if schema is not None:
            self._columns(schema, data, ("mapping", "data"))
