"""Which SFMC tenant a command talks to, one client (so one token) per command, and SFMC errors as exit codes.

* `--config F` with credentials in `settings`: that tenant (or `settings.api_base_url`);
* no credentials (no `--config`, or a config without `settings`, as the quick start): the demo tenant of a
  running `sfmc-actions emulator`, at `--emulator-url` (default http://127.0.0.1:8787, the emulator's default
  port). This mirrors `serve`, which delivers to the emulator when the config has no credentials.

Giving `--emulator-url` with a config that has credentials is refused rather than guessed at: point
`settings.api_base_url` at the emulator to use those credentials there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sfmc_actions.cli.options import DEFAULT_EMULATOR_URL
from sfmc_actions.cli.output import fail, fail_config
from sfmc_actions.errors import AuthenticationError, ConfigError, DeliveryError, PermanentError

if TYPE_CHECKING:
    from sfmc_actions.config import SfmcSettings
    from sfmc_actions.sfmc.client import SfmcClient

T = TypeVar("T")


@dataclass(frozen=True)
class Connection:
    settings: SfmcSettings
    label: str  # for people: which tenant, never a secret
    emulator: bool  # the emulator's demo tenant, chosen because there are no credentials
    config: Path | None = None


def settings_from(config: Path | None) -> SfmcSettings | None:
    """The config file's SFMC settings (None without credentials); a broken file exits 2 listing its problems."""
    from sfmc_actions.config import load_config

    if config is None:
        return None
    try:
        return load_config(config).settings
    except ConfigError as error:
        fail_config(error, str(config))


def connect(settings: SfmcSettings | None, config: Path | None, emulator_url: str | None) -> Connection:
    if settings is not None:
        if emulator_url:
            fail(
                f"{config} has SFMC credentials, so --emulator-url does not apply. To use the emulator with "
                "these credentials, set settings.api_base_url in the config; to use the demo tenant, leave "
                "out --config."
            )
        at = f" at {settings.api_base_url}" if settings.api_base_url else ""
        return Connection(settings, f"SFMC tenant {settings.subdomain} (MID {settings.account_id}){at}", False, config)
    from pydantic import SecretStr, ValidationError

    from sfmc_actions.config import SfmcSettings
    from sfmc_actions.emulator import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SUBDOMAIN

    url = (emulator_url or DEFAULT_EMULATOR_URL).rstrip("/")
    try:
        demo = SfmcSettings(
            subdomain=DEMO_SUBDOMAIN,
            account_id=str(DEMO_ACCOUNT_ID),
            client_id=DEMO_CLIENT_ID,
            client_secret=SecretStr(DEMO_CLIENT_SECRET),
            api_base_url=url,
        )
    except ValidationError:
        fail(f"--emulator-url must be an http:// or https:// URL such as {DEFAULT_EMULATOR_URL}, not {url!r}")
    why = f"no SFMC credentials in {config}" if config else "no --config"
    return Connection(demo, f"the emulator at {url} (demo tenant; {why})", True, config)


def run(connection: Connection, work: Callable[[SfmcClient], Awaitable[T]]) -> T:
    """Run `work` with one client that fetches one token up front and reuses it for every call.

    (Segment's hooks and dynamic fields fetch a new token for every call; SFMC asks for one per 20 minutes.)
    """

    from sfmc_actions.sfmc.client import SfmcClient

    async def main() -> T:
        async with SfmcClient(connection.settings) as client:
            await client.authenticate()
            return await work(client)

    try:
        return asyncio.run(main())
    except DeliveryError as error:
        fail(explain(connection, error), 1)


def explain(connection: Connection, error: DeliveryError) -> str:
    """SFMC's message plus where to fix it. Built from the error text, which never holds a secret."""
    if connection.emulator:
        url = connection.settings.api_base_url
        if isinstance(error, AuthenticationError):
            return (
                f"the emulator at {url} refused the demo tenant's credentials ({error}). Start it without a "
                "--seed, or with one that keeps the demo tenant; or put your own credentials in a config's settings"
            )
        if not isinstance(error, PermanentError) and error.status is None:
            return (
                f"cannot reach the emulator at {url}: {error}. Start it with `sfmc-actions emulator` (or pass "
                "--emulator-url), or give --config with SFMC credentials"
            )
    where = f" (settings in {connection.config})" if connection.config else ""
    if isinstance(error, AuthenticationError):
        return f"{error}{where}"
    if isinstance(error, PermanentError):
        return f"SFMC refused the request: {error}"
    if error.status is None:
        return f"cannot reach SFMC: {error}{where}"
    return f"SFMC is unavailable, try again later: {error}"
