"""The one YAML config file: destinations (SFMC settings + subscriptions), sources (write keys), delivery.

Two forms: a `destinations:` list, each entry with its `name`, `settings` and `subscriptions` (one per SFMC
business unit or tenant); or top-level `settings` + `subscriptions`, which is one destination named
`default`. `Config.destinations` holds them either way.

`load_config(path)` checks the file's structure, interpolates `${ENV_VAR}` / `${ENV_VAR:-default}` in string
values (`$${` is a literal `${`) and validates the SFMC settings. It reports every problem at once, each with
the file, YAML path, line and how to fix it. Triggers and mappings are compiled by `route.subscriptions`,
which uses `Config.line_of` to point its own problems at the right line.

No message built here ever shows a settings value: pydantic's own messages echo inputs, so errors are
rendered from the error type and location only.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from sfmc_actions.config_yaml import format_path, interpolate, line_map
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
# SFMC's own API hosts (sfmc-rest-api.md §10: {subdomain}.auth|rest|soap.marketingcloudapis.com). The client
# secret goes to api_base_url's host: any other host must be asked for by name, and plain http only stays on
# this machine.
SFMC_DOMAIN = ".marketingcloudapis.com"
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
# The top-level form's one destination.
DEFAULT_DESTINATION = "default"
# A destination's name appears in commands, metrics and environment variable names: keep it plain.
DESTINATION_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


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
    allow_custom_api_host: bool = Field(
        default=False, description="let api_base_url name a host outside SFMC's domain (the secret goes there)"
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


class RateLimit(_Strict):
    """A token bucket per source: `events_per_second` refill, up to `burst` events at once (default: one second's)."""

    events_per_second: float = Field(gt=0, description="sustained events per second this source may send")
    burst: int | None = Field(default=None, ge=1, description="events it may send at once; default one second's")

    @property
    def capacity(self) -> int:
        return self.burst if self.burst is not None else max(1, round(self.events_per_second))


class Source(_Strict):
    name: str = Field(min_length=1)
    write_key: str = Field(min_length=1)
    rate_limit: RateLimit | None = Field(default=None, description="off by default: answered 429 over it")


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
    # Before `in_doubt` applies, a journey entry in doubt is looked up in SFMC's status endpoint this long after its
    # send: how soon SFMC lists an entry is not documented, and asking too early would take one it is still
    # queueing for missing, and enter the contact twice.
    in_doubt_settle: float = Field(
        default=60, ge=0, le=3600, description="seconds after a send before SFMC's status endpoint is asked"
    )


class Ingest(_Strict):
    """Bounds of the ingest API, so a slow store or a slow client costs a bounded wait."""

    store_timeout: float = Field(
        default=5.0, gt=0, le=60, description="seconds a request may wait to commit; then 503 with Retry-After"
    )
    header_timeout: float = Field(
        default=15.0, gt=0, le=300, description="seconds a connection has to send a complete request"
    )
    max_connections: int | None = Field(
        default=None, ge=1, description="open connections at most; default: below the file-descriptor limit"
    )


DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION_HINT = "write a number and a unit: 90s, 15m, 2h or 7d"


def parse_duration(value: object) -> float:
    """Seconds of a duration written `90s`, `15m`, `2h` or `7d` (a bare number is seconds)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    match = DURATION_RE.match(value) if isinstance(value, str) else None
    if match is None or float(match.group(1)) <= 0:
        raise ValueError("not a positive duration")
    return float(match.group(1)) * DURATION_UNITS[match.group(2)]


class Retention(_Strict):
    """How long the store keeps what it no longer needs (queue/purge.py): delivered jobs (from when they were
    accepted), dead letters (from when they died), events rejected at ingest, and the delivery history."""

    delivered: float = Field(default=7 * 86400, description="delivered jobs are kept this long")
    dead: float = Field(default=30 * 86400, description="dead letters, from when they died")
    rejected: float = Field(default=30 * 86400, description="events rejected at ingest")
    history: float = Field(default=90 * 86400, description="counters and error groups")
    purge_every: float = Field(default=60, description="how often serve and the workers run a purge round")

    @field_validator("delivered", "dead", "rejected", "history", "purge_every", mode="before")
    @classmethod
    def _duration(cls, value: object) -> float:
        return parse_duration(value)


class MetricsExposure(_Strict):
    """Where /metrics is served: by default only on `--metrics-port` (loopback); `public` adds the ingest port."""

    public: bool = Field(default=False, description="also serve /metrics on the public ingest port")


class ConsoleSettings(_Strict):
    """The web console and admin API (console/): its own port, loopback-only unless a token is set."""

    port: int | None = Field(default=8089, ge=0, le=65535, description="its port (0: a free one; null: off)")
    host: str = Field(default="127.0.0.1", description="its interface; another than loopback needs a token")
    token: SecretStr | None = Field(default=None, description="login and Bearer token; unset: loopback only")

    @field_validator("token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `token: ${SFMC_ACTIONS_CONSOLE_TOKEN:-}` with the variable unset means "no token", not an empty one.
        return None if value in ("", None) else value


class DestinationConfig(_Strict):
    """One entry of `destinations:`: an SFMC business unit (or tenant) and the subscriptions delivered to it."""

    name: str
    settings: dict[str, Any] | None = None
    subscriptions: list[SubscriptionConfig] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not DESTINATION_NAME_RE.match(value):
            raise ValueError(
                "a destination name is 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit "
                "(it names the destination in commands, metrics and logs)"
            )
        return value


class _File(_Strict):
    settings: dict[str, Any] | None = None
    sources: list[Source] = Field(default_factory=list)
    webhook: Webhook | None = None
    delivery: Delivery = Field(default_factory=Delivery)
    subscriptions: list[SubscriptionConfig] = Field(default_factory=list)
    destinations: list[DestinationConfig] | None = Field(default=None, min_length=1)
    ingest: Ingest = Field(default_factory=Ingest)
    metrics: MetricsExposure = Field(default_factory=MetricsExposure)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    retention: Retention = Field(default_factory=Retention)


@dataclass
class Destination:
    """Where one set of subscriptions is delivered: a name, SFMC credentials and the subscriptions."""

    name: str
    settings: SfmcSettings | None  # None: no credentials, deliver to the built-in emulator
    subscriptions: list[SubscriptionConfig] = field(default_factory=list)
    path: tuple[str | int, ...] = ()  # where it is in the file: () for the top-level form, else ("destinations", i)


class Config:
    """A checked config file. `destinations` holds one entry per destination (the top-level form: one)."""

    def __init__(
        self,
        path: str,
        settings: SfmcSettings | None = None,
        sources: list[Source] | None = None,
        subscriptions: list[SubscriptionConfig] | None = None,
        webhook: Webhook | None = None,
        delivery: Delivery | None = None,
        lines: dict[tuple[str | int, ...], int] | None = None,
        destinations: list[Destination] | None = None,
        ingest: Ingest | None = None,
        metrics: MetricsExposure | None = None,
        console: ConsoleSettings | None = None,
        retention: Retention | None = None,
    ) -> None:
        if destinations is not None and (settings is not None or subscriptions):
            raise ValueError("give either destinations or settings + subscriptions")
        self.path = path
        self.sources = sources or []
        self.webhook = webhook
        self.delivery = delivery or Delivery()
        self.ingest = ingest or Ingest()
        self.metrics = metrics or MetricsExposure()
        self.console = console or ConsoleSettings()
        self.retention = retention or Retention()
        self.lines = lines or {}
        self.destinations = (
            destinations
            if destinations is not None
            else [Destination(DEFAULT_DESTINATION, settings, subscriptions or [])]
        )

        self.warnings: list[str] = []  # what loads but deserves a word (a custom API host)

    def __repr__(self) -> str:
        return f"<Config {self.path!r} destinations={[d.name for d in self.destinations]}>"

    # Shorthands for code that works on one destination (the top-level form): with several they refuse
    # (ConfigError, which every command reports) rather than pick one and silently ignore the others.
    # Code that serves every destination iterates `destinations`.
    @property
    def settings(self) -> SfmcSettings | None:
        return self.single_destination().settings

    @property
    def subscriptions(self) -> list[SubscriptionConfig]:
        return self.single_destination().subscriptions

    def single_destination(self) -> Destination:
        """The one destination; ConfigError when the file declares several."""
        if len(self.destinations) == 1:
            return self.destinations[0]
        names = ", ".join(f"'{d.name}'" for d in self.destinations)
        raise ConfigError(
            [
                self.problem(
                    ("destinations",),
                    f"{len(self.destinations)} destinations ({names}): this needs one of them",
                    "name the destination (--destination NAME)",
                )
            ]
        )

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """1-based line of the deepest node of `path` found in the file."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def problem(self, path: tuple[str | int, ...], message: str, hint: str | None = None) -> ConfigProblem:
        return ConfigProblem(self.path, format_path(path), message, self.line_of(path), hint)


def load_config(path: str | Path, environ: dict[str, str] | None = None, text: str | None = None) -> Config:
    """Read and check a config file (or `text`, named `path` in messages). Raises `ConfigError` listing all problems."""
    file = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError([ConfigProblem(file, "", f"cannot read the file: {exc.strerror}")]) from None
    try:
        raw = yaml.safe_load(text)
        lines = line_map(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigProblem(file, "", f"not valid YAML: {reason}", line)]) from None
    config = Config(file, lines=lines)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            [config.problem((), "the file must hold a mapping with destinations (or settings/subscriptions), sources")]
        )

    problems: list[ConfigProblem] = []
    raw = interpolate(raw, (), environ if environ is not None else dict(os.environ), config.problem, problems)
    try:
        parsed = _File.model_validate(raw)
    except ValidationError as exc:
        problems += [_problem_from_pydantic(config, (), err) for err in exc.errors()]
        for where, raw_settings in _raw_settings(raw):
            _settings(raw_settings, where, config, problems)  # report those too
        raise ConfigError(_first_per_path(problems)) from None
    config.sources, config.webhook, config.delivery = parsed.sources, parsed.webhook, parsed.delivery
    config.ingest, config.metrics = parsed.ingest, parsed.metrics
    config.console, config.retention = parsed.console, parsed.retention
    if parsed.destinations is None:
        settings = _settings(parsed.settings, ("settings",), config, problems)
        config.destinations = [Destination(DEFAULT_DESTINATION, settings, parsed.subscriptions)]
    else:
        problems += _mixed_forms(raw, config)
        config.destinations = [
            Destination(
                d.name,
                _settings(d.settings, ("destinations", i, "settings"), config, problems),
                d.subscriptions,
                ("destinations", i),
            )
            for i, d in enumerate(parsed.destinations)
        ]
    problems += _duplicates(config)
    if problems:
        raise ConfigError(_first_per_path(problems))
    return config


def _raw_settings(raw: dict[str, Any]) -> list[tuple[tuple[str | int, ...], dict[str, Any] | None]]:
    """Every settings block of an unparsed file, with its path."""
    found: list[tuple[tuple[str | int, ...], dict[str, Any] | None]] = []
    if isinstance(raw.get("settings"), dict):
        found.append((("settings",), raw["settings"]))
    destinations = raw.get("destinations")
    for i, destination in enumerate(destinations if isinstance(destinations, list) else []):
        if isinstance(destination, dict) and isinstance(destination.get("settings"), dict):
            found.append((("destinations", i, "settings"), destination["settings"]))
    return found


def _mixed_forms(raw: dict[str, Any], config: Config) -> list[ConfigProblem]:
    return [
        config.problem(
            (key,),
            f"top-level '{key}' cannot be used together with 'destinations'",
            f"move '{key}' into an entry of destinations (each destination has its own settings and subscriptions)",
        )
        for key in ("settings", "subscriptions")
        if key in raw
    ]


def _first_per_path(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    """One problem per YAML path: an unset ${VAR} leaves "" behind, which is not a second mistake."""
    first: dict[str, ConfigProblem] = {}
    for problem in problems:
        first.setdefault(problem.path, problem)
    return list(first.values())


def _settings(
    raw: dict[str, Any] | None, where: tuple[str | int, ...], config: Config, problems: list[ConfigProblem]
) -> SfmcSettings | None:
    credentials = ("subdomain", "account_id", "client_id", "client_secret")
    if not raw or not any(raw.get(k) not in (None, "") for k in credentials):
        return None  # no credentials at all: the emulator stands in
    try:
        settings = SfmcSettings.model_validate(raw)
    except ValidationError as exc:
        problems += [_problem_from_pydantic(config, where, err) for err in exc.errors()]
        return None
    problems += _api_host_problems(settings, where, config)
    return settings


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower().rstrip(".") in LOOPBACK_NAMES


def is_sfmc_host(host: str) -> bool:
    return host.lower().rstrip(".").endswith(SFMC_DOMAIN)


def _api_host_problems(settings: SfmcSettings, where: tuple[str | int, ...], config: Config) -> list[ConfigProblem]:
    """The client secret goes to api_base_url: https unless on loopback, SFMC's domain unless asked for by name."""
    if settings.api_base_url is None:
        return []
    path = (*where, "api_base_url")
    parts = urlsplit(settings.api_base_url)
    host = parts.hostname or ""
    if parts.username is not None or parts.password is not None:
        return [config.problem(path, "must not hold a user name or password", "remove the part before '@'")]
    if parts.scheme == "http" and not is_loopback(host):
        return [
            config.problem(
                path,
                f"plain http to {host} would send the client secret and every event unencrypted",
                "use https://, or http:// only for a loopback address (127.0.0.1, ::1, localhost)",
            )
        ]
    if is_sfmc_host(host):
        return []
    if not settings.allow_custom_api_host:
        return [
            config.problem(
                path,
                f"{host} is not an SFMC host (*{SFMC_DOMAIN}): the client secret would be sent there",
                "to send to it on purpose (the emulator, a proxy you run), add `allow_custom_api_host: true` to "
                "these settings; to deliver to SFMC, remove api_base_url",
            )
        ]
    config.warnings.append(
        f"{config.path}: {format_path(path)}: the client secret and the events go to {host}, not to SFMC "
        "(allow_custom_api_host: true)"
    )
    return []


def _duplicates(config: Config) -> list[ConfigProblem]:
    checks: list[tuple[str, tuple[str | int, ...], list[Any], str]] = [
        ("source name", ("sources",), config.sources, "name"),
        ("write_key", ("sources",), config.sources, "write_key"),
        ("destination name", ("destinations",), config.destinations, "name"),
    ]
    # Subscription names are unique within a destination; two destinations may each have an 'orders'.
    checks += [("subscription name", (*d.path, "subscriptions"), d.subscriptions, "name") for d in config.destinations]
    problems = []
    for kind, section, items, attr in checks:
        seen: set[str] = set()
        for i, item in enumerate(items):
            value = getattr(item, attr)
            if value in seen:
                shown = f" '{value}'" if attr == "name" else ""  # write keys are credentials: not echoed
                problems.append(
                    config.problem((*section, i, attr), f"duplicate {kind}{shown}", f"give each {kind} once")
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
        elif loc[0] == "retention":
            hint = DURATION_HINT
    return config.problem(loc, message, hint)


def _known_keys(loc: tuple[str | int, ...]) -> list[str]:
    names = [p for p in loc if isinstance(p, str)]
    models: dict[tuple[str, ...], type[BaseModel]] = {
        (): _File,
        ("settings",): SfmcSettings,
        ("sources",): Source,
        ("subscriptions",): SubscriptionConfig,
        ("destinations",): DestinationConfig,
        ("destinations", "settings"): SfmcSettings,
        ("destinations", "subscriptions"): SubscriptionConfig,
        ("webhook",): Webhook,
        ("delivery",): Delivery,
        ("sources", "rate_limit"): RateLimit,
        ("ingest",): Ingest,
        ("metrics",): MetricsExposure,
        ("console",): ConsoleSettings,
        ("retention",): Retention,
    }
    model = models.get(tuple(names), _File)
    return list(model.model_fields)
