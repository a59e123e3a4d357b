"""The one YAML config file: SFMC settings, sources (write keys) and subscriptions.

`load_config(path)` checks the file's structure, interpolates `${ENV_VAR}` / `${ENV_VAR:-default}` in string
values and validates the SFMC settings. It reports every problem at once, each with the file, YAML path, line
and how to fix it. Triggers and mappings are compiled by `route.subscriptions`, which uses `Config.line_of` to
point its own problems at the right line.

No message built here ever shows a settings value: pydantic's own messages echo inputs, so errors are
rendered from the error type and location only.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from sfmc_actions.errors import ConfigError, ConfigProblem

# Segment's testAuthentication message (segment-runtime.md §7.1). The subdomain goes into a host name, so
# anything but letters, digits and hyphens could send the client secret to another host.
SUBDOMAIN_RE = re.compile(r"^[a-zA-Z0-9-]+$")
SUBDOMAIN_MESSAGE = (
    "Invalid Salesforce Marketing Cloud subdomain. The subdomain may only contain letters, numbers and hyphens, "
    'and must not include the ".rest.marketingcloudapis.com" part of your subdomain URL.'
)
SUBDOMAIN_HINT = (
    "in SFMC open Setup > Apps > Installed Packages > your package > API Integration; the subdomain is the "
    "part before '.auth.marketingcloudapis.com' in the Authentication Base URI (28 characters starting 'mc')"
)
ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)


class SfmcSettings(_Strict):
    """Credentials of one SFMC installed package (API integration, server-to-server)."""

    subdomain: str = Field(min_length=1)
    account_id: str = Field(min_length=1, description="MID of the business unit")
    client_id: str = Field(min_length=1)
    client_secret: SecretStr = Field(min_length=1)
    api_base_url: str | None = Field(
        default=None, description="send auth, REST and SOAP calls to this one base URL (the emulator)"
    )

    @field_validator("subdomain")
    @classmethod
    def _subdomain_is_a_host_label(cls, value: str) -> str:
        if not SUBDOMAIN_RE.match(value):
            # A pasted URL such as https://mcabc.auth.marketingcloudapis.com/ holds the answer: say it.
            found = re.search(r"(?:^|//)([a-zA-Z0-9-]+)\.(?:auth|rest|soap)\.marketingcloudapis\.com", value)
            raise ValueError(SUBDOMAIN_MESSAGE + (f" Did you mean '{found.group(1)}'?" if found else ""))
        return value

    @field_validator("account_id", mode="before")
    @classmethod
    def _mid_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL such as http://127.0.0.1:8787")
        return value.rstrip("/") if value else value


class Source(_Strict):
    name: str = Field(min_length=1)
    write_key: str = Field(min_length=1)


class SubscriptionConfig(_Strict):
    name: str = Field(min_length=1)
    action: str = Field(min_length=1)
    trigger: str | None = None  # None: the action's default trigger
    mapping: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    batch_size: int | None = Field(default=None, ge=1, description="rows per SFMC request; the action's default")
    # apiEvent only: up to 100 journey entries per request through SFMC's batch endpoint (default: one per event).
    journey_batching: bool = False
    # Data extension actions only: on an Engage audience exit, `update` the row (Segment) or `delete` it.
    on_audience_exit: Literal["update", "delete"] = "update"


class Webhook(_Strict):
    """Events forwarded by a Segment workspace's Webhooks destination, signed with this shared secret."""

    shared_secret: SecretStr = Field(min_length=1)


class Delivery(_Strict):
    """How the workers deliver. Defaults follow Segment's pipeline where it has one."""

    flush_interval: float = Field(default=1.0, gt=0, le=60, description="seconds a partial batch may wait")
    max_attempts: int = Field(default=10, ge=1, description="dead only when attempts AND max_age are exceeded")
    max_age: float = Field(default=4 * 3600, gt=0, description="seconds; Segment retries for up to 4 hours")
    tenant_concurrency: int = Field(default=8, ge=1, le=64, description="SFMC requests in flight per tenant")
    dedupe_window: float = Field(default=24 * 3600, ge=0, description="seconds journey entries are de-duplicated")
    lease_seconds: float = Field(
        default=120, ge=5, le=3600, description="how long a claim lasts: a killed worker's jobs wait this long"
    )
    # A journey entry whose answer was lost (timeout, dropped connection, worker killed mid-send) may have
    # entered the contact. hold: dead letter saying so, for a person to check and replay; resend: at least once.
    in_doubt: Literal["hold", "resend"] = Field(
        default="hold", description="journey entries that SFMC may have processed: hold or resend"
    )


class _File(_Strict):
    settings: dict[str, Any] | None = None
    sources: list[Source] = Field(default_factory=list)
    webhook: Webhook | None = None
    delivery: Delivery = Field(default_factory=Delivery)
    subscriptions: list[SubscriptionConfig] = Field(default_factory=list)


@dataclass
class Config:
    path: str
    settings: SfmcSettings | None  # None: no credentials, deliver to the built-in emulator
    sources: list[Source]
    subscriptions: list[SubscriptionConfig]
    webhook: Webhook | None = None
    delivery: Delivery = field(default_factory=Delivery)
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict, repr=False)

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """1-based line of the deepest node of `path` found in the file."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def problem(self, path: tuple[str | int, ...], message: str, hint: str | None = None) -> ConfigProblem:
        return ConfigProblem(self.path, format_path(path), message, self.line_of(path), hint)


def format_path(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_config(path: str | Path, environ: dict[str, str] | None = None) -> Config:
    """Read and check a config file. Raises `ConfigError` listing every problem found."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem(file, "", f"cannot read the file: {exc.strerror}")]) from None
    try:
        raw = yaml.safe_load(text)
        lines = _line_map(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigProblem(file, "", f"not valid YAML: {reason}", line)]) from None
    config = Config(file, None, [], [], lines=lines)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError([config.problem((), "the file must hold a mapping with settings/sources/subscriptions")])

    problems: list[ConfigProblem] = []
    raw = _interpolate(raw, (), environ if environ is not None else dict(os.environ), config, problems)
    try:
        parsed = _File.model_validate(raw)
    except ValidationError as exc:
        problems += [_problem_from_pydantic(config, (), err) for err in exc.errors()]
        settings = raw.get("settings")
        _settings(settings if isinstance(settings, dict) else None, config, problems)  # report those too
        raise ConfigError(_first_per_path(problems)) from None
    config.sources, config.subscriptions = parsed.sources, parsed.subscriptions
    config.webhook, config.delivery = parsed.webhook, parsed.delivery
    config.settings = _settings(parsed.settings, config, problems)
    problems += _duplicates(config)
    if problems:
        raise ConfigError(_first_per_path(problems))
    return config


def _first_per_path(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    """One problem per YAML path: an unset ${VAR} leaves "" behind, which is not a second mistake."""
    first: dict[str, ConfigProblem] = {}
    for problem in problems:
        first.setdefault(problem.path, problem)
    return list(first.values())


def _settings(raw: dict[str, Any] | None, config: Config, problems: list[ConfigProblem]) -> SfmcSettings | None:
    credentials = ("subdomain", "account_id", "client_id", "client_secret")
    if not raw or not any(raw.get(k) not in (None, "") for k in credentials):
        return None  # no credentials at all: the emulator stands in
    try:
        return SfmcSettings.model_validate(raw)
    except ValidationError as exc:
        problems += [_problem_from_pydantic(config, ("settings",), err) for err in exc.errors()]
        return None


def _duplicates(config: Config) -> list[ConfigProblem]:
    problems = []
    for kind, items, attr in (
        ("subscription name", config.subscriptions, "name"),
        ("source name", config.sources, "name"),
        ("write_key", config.sources, "write_key"),
    ):
        seen: set[str] = set()
        section = "subscriptions" if kind.startswith("subscription") else "sources"
        for i, item in enumerate(items):
            value = getattr(item, attr)
            if value in seen:
                shown = f" '{value}'" if attr == "name" else ""  # write keys are credentials: not echoed
                problems.append(
                    config.problem((section, i, attr), f"duplicate {kind}{shown}", f"give each {kind} once")
                )
            seen.add(value)
    return problems


def _problem_from_pydantic(config: Config, prefix: tuple[str | int, ...], err: Any) -> ConfigProblem:
    loc = prefix + tuple(err["loc"])
    kind, message, hint = err["type"], err["msg"], None
    if kind == "missing":
        message = "this key is required"
        hint = f"add '{loc[-1]}'"
    elif kind == "extra_forbidden":
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        message = f"unknown key '{loc[-1]}'"
        hint = f"did you mean '{close[0]}'?" if close else f"known keys here: {', '.join(known)}"
    elif kind == "literal_error" and "ctx" in err:
        hint = f"use one of: {err['ctx'].get('expected', '')}"
    elif kind == "string_type" and err.get("input") is not None:
        hint = "put the value in quotes: YAML reads yes/no/on/off/true/false, numbers and dates as non-text"
    elif kind == "value_error":
        message = str(err["ctx"]["error"]) if "ctx" in err else message.removeprefix("Value error, ")
        if loc[-1] == "subdomain":
            hint = SUBDOMAIN_HINT
    return config.problem(loc, message, hint)


def _known_keys(loc: tuple[str | int, ...]) -> list[str]:
    names = [p for p in loc if isinstance(p, str)]
    models: dict[tuple[str, ...], type[BaseModel]] = {
        (): _File,
        ("settings",): SfmcSettings,
        ("sources",): Source,
        ("subscriptions",): SubscriptionConfig,
        ("webhook",): Webhook,
        ("delivery",): Delivery,
    }
    model = models.get(tuple(names), _File)
    return list(model.model_fields)


def _interpolate(
    value: Any, path: tuple[str | int, ...], env: dict[str, str], config: Config, problems: list[ConfigProblem]
) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, (*path, k), env, config, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*path, i), env, config, problems) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        problems.append(
            config.problem(
                path,
                f"environment variable {name} is not set",
                f"export {name}=... before starting, or write ${{{name}:-default}} to give a default",
            )
        )
        return ""

    return ENV_RE.sub(substitute, value)


def _line_map(node: yaml.Node | None) -> dict[tuple[str | int, ...], int]:
    lines: dict[tuple[str | int, ...], int] = {}

    def walk(n: yaml.Node, path: tuple[str | int, ...]) -> None:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for key, child in n.value:
                name = key.value
                lines[(*path, name)] = key.start_mark.line + 1
                walk(child, (*path, name))
                lines[(*path, name)] = key.start_mark.line + 1  # the key's line, not the value's
        elif isinstance(n, yaml.SequenceNode):
            for i, child in enumerate(n.value):
                walk(child, (*path, i))

    if node is not None:
        walk(node, ())
    return lines
