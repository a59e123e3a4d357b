"""What commands open: the config file (fully checked) and the job store, with their failures as exit code 2."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sfmc_actions.cli.output import fail, fail_config
from sfmc_actions.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from sfmc_actions.queue import JobStore
    from sfmc_actions.route.router import Router
    from sfmc_actions.service.load import Loaded

T = TypeVar("T")


def load_or_exit(config: Path) -> Loaded:
    """The config, fully checked; exit 2 listing every problem otherwise."""
    from sfmc_actions.service.load import load

    try:
        return load(config)
    except ConfigError as exc:
        fail_config(exc, str(config), f"fix them (see `sfmc-actions check-config {config}`)")


def load_router(config: Path) -> tuple[Loaded, Router]:
    """The config, fully checked, and a router over every destination's subscriptions."""
    loaded = load_or_exit(config)
    return loaded, loaded.router()


def with_store(database: str, action: Callable[[JobStore], Awaitable[T]]) -> T:
    """Run `action` on the store at `database` and close it; exit 2 when the store cannot be used."""
    from sfmc_actions.queue import open_store, redact_url

    async def run() -> T:
        store = await open_store(database)
        try:
            return await action(store)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except StoreError as exc:
        fail(f"{exc} (database {redact_url(database)})")
