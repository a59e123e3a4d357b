"""Wiring for the long-running commands: `serve` (ingest API + workers, one process) and `worker` (workers only).

    serve:  config -> store (SQLite file by default; a write must commit, or it refuses to start)
            -> [built-in emulator on loopback when the config has no credentials]
            -> SFMC client (observed transport, tenant limiter, token shared through the store)
            -> Worker tasks + the ingest API on uvicorn (bounded connections) + /metrics on --metrics-port
    worker: the same minus the ingest API (and minus the emulator: it lives in the serve process)

SIGTERM or SIGINT stops gracefully, in this order: stop accepting (uvicorn closes the listener and finishes
requests in flight, whose events are committed before they are answered); then stop the workers (sends in
flight finish within the grace period, every other claim is released); then the emulator; then the store.
A second signal cuts the waiting short. Exit code 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import socket
from collections.abc import AsyncIterator, Callable, Generator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from sfmc_actions.config import DEFAULT_DESTINATION, SfmcSettings
from sfmc_actions.deliver import (
    SendPlans,
    StoreTokenCache,
    TenantLimiter,
    Worker,
    WorkerOptions,
    Workers,
    WorkerSetup,
    observed_http_client,
    policy_for,
)
from sfmc_actions.errors import BatchSizeError, StoreError
from sfmc_actions.observe.logging import redact, register_secret
from sfmc_actions.observe.metrics import METRICS, Metrics
from sfmc_actions.observe.urls import url_secrets
from sfmc_actions.queue import JobStore, RetryPolicy, open_store, redact_url
from sfmc_actions.service.connections import ConnectionLimits, connection_limits, protocol_options
from sfmc_actions.service.housekeeping import Housekeeping
from sfmc_actions.service.http import StartError, bind, http_app, http_server, metrics_app, url_of
from sfmc_actions.service.load import Loaded, load, tenant_of
from sfmc_actions.sfmc.client import SfmcClient

__all__ = [
    "ServiceOptions",
    "StartError",
    "Started",
    "Stopper",
    "deliveries",
    "delivery",
    "emulator_settings",
    "run_service",
]

log = logging.getLogger("sfmc_actions.service")

# The built-in emulator's seed when none is given: this file beside the config (the quick start keeps its
# data extensions there), else the emulator's demo tenant.
EMULATOR_SEED_NAME = "emulator-seed.yaml"


# The built-in emulator hands out tokens for published demo credentials and has unauthenticated /__emulator/
# routes (reset, faults, deletes): it listens on loopback whatever --host says, unless --emulator-host is given.
EMULATOR_HOST = "127.0.0.1"
STARTUP_WRITE_TIMEOUT = 10.0  # the store must commit a write this soon at start-up, or serve refuses to start
METRICS_CONNECTIONS = 32  # the metrics port serves scrapers, a few at a time
WAITING = ("pending", "claimed")  # job states not yet delivered nor dead
CONSOLE_CONNECTIONS = 64  # the console port serves people and their scripts


@dataclass
class ServiceOptions:
    config: Path
    database: str  # a store URL (queue.open_store)
    host: str = "127.0.0.1"  # serve: the ingest API's interface
    port: int = 8088
    emulator_seed: Path | None = None
    emulator_port: int = 8787
    emulator_host: str | None = None  # None: loopback (EMULATOR_HOST)
    emulator_url: str | None = None  # worker: deliver to the emulator of a running serve
    metrics_port: int | None = None  # serve /metrics and /healthz on this port (0: a free one)
    metrics_host: str = "127.0.0.1"
    console: bool = True  # serve: the web console on the config's console.port (unless that is null)
    console_port: int | None = None  # overrides console.port (0: a free one)
    worker: dict[str, Any] = field(default_factory=dict)  # WorkerOptions overrides (tests, the soak test)


@dataclass
class Started:
    """What a running service tells whoever started it (the CLI's banner, tests)."""

    loaded: Loaded
    database: str
    url: str | None = None  # the ingest API
    emulator_url: str | None = None
    worker: Worker | None = None  # the first destination's (the only one's in the top-level form)
    workers: Workers | None = None  # one per destination
    # Where each destination delivers: its settings (the emulator's package for one without credentials).
    targets: dict[str, SfmcSettings] = field(default_factory=dict)
    metrics_url: str | None = None  # where /metrics is served (the metrics port, or the ingest port when public)
    max_connections: int | None = None  # the ingest API's connection cap
    console_url: str | None = None  # the web console
    housekeeping: Housekeeping | None = None  # history flushes and purge rounds


# -- building blocks -------------------------------------------------------------------------------------------
def emulator_settings(base_url: str, app: Starlette | None = None, index: int = 0) -> SfmcSettings:
    """Credentials of the emulator's installed package number `index` (in seed order, counting from the first
    again past the last): the demo tenant unless the seed says otherwise. The built-in emulator gives the n-th
    destination without credentials the n-th package, so each its own tenant or business unit when the seed
    declares enough of them."""
    from sfmc_actions.emulator import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SUBDOMAIN

    values = {
        "subdomain": DEMO_SUBDOMAIN,
        "account_id": str(DEMO_ACCOUNT_ID),
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "api_base_url": base_url,
    }
    tenants = list(app.state.emulator.state.tenants.values()) if app is not None else []
    packages = [(tenant, package) for tenant in tenants for package in tenant.packages.values()]
    if packages:
        tenant, package = packages[index % len(packages)]
        values |= {
            "subdomain": tenant.subdomain,
            "account_id": str(package.mid),
            "client_id": package.client_id,
            "client_secret": package.client_secret,
        }
    return SfmcSettings.model_validate(values)


@asynccontextmanager
async def delivery(
    loaded: Loaded,
    store: JobStore,
    settings: SfmcSettings,
    metrics: Metrics = METRICS,
    policy: RetryPolicy | None = None,
    http_timeout: float | None = None,
    *,
    destination: str | None = None,
    **overrides: Any,
) -> AsyncIterator[Worker]:
    """A Worker for one destination's subscriptions (`destination`, or the config's only one), delivering with
    `settings`: its own SFMC client and OAuth token, tenant limiter (429 window) and `tenant_concurrency` tasks.
    Its HTTP client closes on exit.

    `policy` replaces the retry policy built from `delivery`, `http_timeout` the client's timeouts (tests);
    `overrides` set WorkerOptions fields.
    """
    config = loaded.config
    target = config.single_destination() if destination is None else loaded.destination(destination)
    tenant = tenant_of(target)
    options = WorkerOptions.from_delivery(config.delivery, **overrides)
    gauge = metrics.tenant_concurrency.labels(tenant, target.name)
    limiter = TenantLimiter(tenant, config.delivery.tenant_concurrency, on_change=gauge.set)
    batch_sizes = {s.name: s.batch_size for s in target.subscriptions}
    try:
        plans = SendPlans.build(loaded.subscriptions_of(target.name), batch_sizes, options.lease_seconds)
    except BatchSizeError as exc:
        raise StartError(f"{config.path}: a subscription's batch_size does not suit its action: {exc}") from None
    # SFMC and token requests go to the history too (the destination's own row: they belong to the tenant)
    tally = functools.partial(store.history.count, target.name, "")
    http = observed_http_client(limiter, metrics, timeout=http_timeout, tally=tally)
    try:
        client = SfmcClient(settings, http=http, token_cache=StoreTokenCache(store, target.name))
        policy = policy or policy_for(config.delivery)
        setup = WorkerSetup(tenant, policy, options, limiter, metrics, destination=target.name)
        yield Worker(store, client, plans, setup)
    finally:
        await http.aclose()


@asynccontextmanager
async def deliveries(
    loaded: Loaded,
    store: JobStore,
    settings: Mapping[str, SfmcSettings],
    metrics: Metrics = METRICS,
    **overrides: Any,
) -> AsyncIterator[Workers]:
    """One Worker per destination of the config (`settings` by destination name), as a group (workers.py)."""
    async with AsyncExitStack() as stack:
        workers = [
            await stack.enter_async_context(
                delivery(loaded, store, settings[d.name], metrics, destination=d.name, **overrides)
            )
            for d in loaded.config.destinations
        ]
        yield Workers(workers)


# -- the commands ----------------------------------------------------------------------------------------------
class Stopper:
    """SIGTERM/SIGINT handling: the first signal starts a graceful stop, the second cuts it short."""

    def __init__(self) -> None:
        self.requested = asyncio.Event()
        self.signals = 0
        self.on_force: list[Callable[[], None]] = []

    def __call__(self, signum: int = signal.SIGTERM) -> None:
        self.signals += 1
        if self.signals == 1:
            log.info("received %s: stopping gracefully (send it again to stop now)", signal.Signals(signum).name)
            self.requested.set()
        else:
            log.warning("received %s again: stopping now", signal.Signals(signum).name)
            for force in self.on_force:
                force()

    @contextlib.contextmanager
    def installed(self) -> Generator[None, None, None]:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self, signum)
        try:
            yield
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)


async def run_service(
    options: ServiceOptions,
    *,
    serve_http: bool,
    stopper: Stopper | None = None,
    on_started: Callable[[Started], None] | None = None,
    metrics: Metrics = METRICS,
) -> None:
    """Run `serve` (serve_http=True) or `worker` until stopped. Raises ConfigError, StoreError, StartError."""
    loaded = load(options.config)
    _register_secrets(loaded, options.database)
    bare = [d.name for d in loaded.config.destinations if d.settings is None]
    if bare and not serve_http and options.emulator_url is None:
        which = "" if bare == [DEFAULT_DESTINATION] else f" for destination(s) {', '.join(map(repr, bare))}"
        raise StartError(
            f"{options.config} has no SFMC credentials{which}, and the built-in emulator runs only inside "
            "`sfmc-actions serve`: pass --emulator-url with the emulator URL that serve printed, or add "
            "settings (subdomain, account_id, client_id, client_secret) to the config"
        )
    if stopper is None:  # the commands: this process's SIGTERM and SIGINT stop it
        stopper = Stopper()
        with stopper.installed():
            await _run(options, serve_http, stopper, on_started, metrics, loaded)
        return
    await _run(options, serve_http, stopper, on_started, metrics, loaded)


async def _run(
    options: ServiceOptions,
    serve_http: bool,
    stopper: Stopper,
    on_started: Callable[[Started], None] | None,
    metrics: Metrics,
    loaded: Loaded,
) -> None:
    started = Started(loaded, redact_url(options.database))
    async with AsyncExitStack() as stack:
        store = await _writable_store(options.database, loaded)
        stack.push_async_callback(store.close)
        await _warn_orphaned_destinations(store, loaded)
        bare = [d for d in loaded.config.destinations if d.settings is None]
        emulated: dict[str, SfmcSettings] = {}
        if bare:
            url, app = await _emulator_target(stack, options, serve_http)
            started.emulator_url = url
            # The n-th destination without credentials gets the emulator's n-th package (its own tenant or BU).
            emulated = {d.name: emulator_settings(url, app, index) for index, d in enumerate(bare)}
            _warn_shared_emulator_units(emulated)
        started.targets = {
            d.name: d.settings if d.settings is not None else emulated[d.name] for d in loaded.config.destinations
        }
        workers = await stack.enter_async_context(deliveries(loaded, store, started.targets, metrics, **options.worker))
        housekeeping = Housekeeping(store, loaded.config.retention, loaded.config.delivery, metrics)
        started.housekeeping = housekeeping
        housekeeping_task = asyncio.create_task(housekeeping.run(), name="sfmc-actions-housekeeping")
        worker = workers.workers[0]
        started.worker, started.workers = worker, workers
        worker_task = asyncio.create_task(workers.run(), name="sfmc-actions-worker")
        stopper.on_force.append(workers.stop)
        try:
            # The HTTP servers close first (stop accepting, finish the requests in flight), then the worker.
            async with AsyncExitStack() as front:
                servers: list[tuple[Starlette, str, int, ConnectionLimits]] = []
                ingest = loaded.config.ingest
                if serve_http:
                    limits = connection_limits(ingest.header_timeout, ingest.max_connections)
                    started.max_connections = limits.max_connections
                    servers.append((http_app(loaded, store, metrics), options.host, options.port, limits))
                if options.metrics_port is not None:
                    limits = connection_limits(ingest.header_timeout, METRICS_CONNECTIONS)
                    servers.append((metrics_app(store, metrics), options.metrics_host, options.metrics_port, limits))
                console_port = _console_port(options, loaded, serve_http)
                if console_port is not None:
                    from sfmc_actions.console import create_console_app
                    from sfmc_actions.service.console import console_context

                    context = console_context(loaded, store, options.database, started.targets, started.emulator_url)
                    limits = connection_limits(ingest.header_timeout, CONSOLE_CONNECTIONS)
                    console_host = loaded.config.console.host
                    servers.append((create_console_app(context), console_host, console_port, limits))
                for index, (app, host, port, limits) in enumerate(servers):
                    is_console = console_port is not None and index == len(servers) - 1
                    sock = _bind_console(host, port, options, loaded) if is_console else bind(host, port)
                    if index == 0 and serve_http:
                        started.url = url_of(sock)
                        if loaded.config.metrics.public:
                            started.metrics_url = f"{started.url}/metrics"
                    elif is_console:
                        started.console_url = url_of(sock)
                    else:
                        started.metrics_url = f"{url_of(sock)}/metrics"
                    server = await front.enter_async_context(
                        http_server(app, sock, **protocol_options(limits, metrics))
                    )
                    stopper.on_force.append(functools.partial(setattr, server, "force_exit", True))
                if on_started is not None:
                    on_started(started)
                stop = asyncio.create_task(stopper.requested.wait())
                await asyncio.wait([worker_task, stop], return_when=asyncio.FIRST_COMPLETED)
                stop.cancel()
        finally:
            workers.stop()
            try:
                await worker_task  # raises what ended a worker, if it ended on its own
            finally:
                housekeeping_task.cancel()  # after the workers: their last outcomes' counts are flushed
                await asyncio.gather(housekeeping_task, return_exceptions=True)


def _console_port(options: ServiceOptions, loaded: Loaded, serve_http: bool) -> int | None:
    """The console's port, or None when it is off (a worker, --no-console, console.port: null)."""
    if not serve_http or not options.console:
        return None
    port = options.console_port if options.console_port is not None else loaded.config.console.port
    if port is not None:
        from sfmc_actions.service.console import check_console_host

        check_console_host(loaded, loaded.config.console.host)
    return port


def _bind_console(host: str, port: int, options: ServiceOptions, loaded: Loaded) -> socket.socket:
    """The console's socket. The default port taken (another serve on this machine): a free one, said in the
    banner; a port asked for (--console-port, console.port) taken: StartError."""
    try:
        return bind(host, port)
    except StartError:
        if options.console_port is not None or "port" in loaded.config.console.model_fields_set:
            raise
        log.warning("the console's default port %s is taken: it listens on a free port instead", port)
        return bind(host, 0)


async def _emulator_target(stack: AsyncExitStack, options: ServiceOptions, serve_http: bool) -> tuple[str, Starlette]:
    """The emulator's URL, and its app (to read its packages from): serve starts it; a worker delivers to the one
    serve printed (--emulator-url), reading the packages from the same seed (not served)."""
    from sfmc_actions.emulator import SeedError, create_app, run_emulator

    seed = options.emulator_seed or default_emulator_seed(options.config)
    try:
        app = create_app(seed)
    except (SeedError, ValueError) as exc:
        raise StartError(f"the built-in emulator cannot start with the seed {seed}: {exc}") from None
    if not serve_http:
        assert options.emulator_url is not None
        return options.emulator_url.rstrip("/"), app
    log.info("built-in emulator seeded with %s", seed or "its demo tenant (no emulator-seed.yaml beside the config)")
    host = options.emulator_host or EMULATOR_HOST
    if options.emulator_host is not None:
        log.warning(
            "the built-in emulator listens on %s (--emulator-host): anyone who reaches it gets tokens for its "
            "published demo credentials and its unauthenticated /__emulator/ routes (reset, faults, deletes)",
            host,
        )
    try:
        url = await stack.enter_async_context(run_emulator(app, host, options.emulator_port))
    except OSError:  # the usual port is taken (another serve, a standalone emulator): any free one will do
        url = await stack.enter_async_context(run_emulator(app, host, 0))
    return url, app


async def _warn_orphaned_destinations(store: JobStore, loaded: Loaded) -> None:
    """Workers claim only their destination's jobs, so the jobs of a destination the config no longer has (removed
    or renamed) wait in the store, untouched, until it is back: say so at start-up rather than let them sit
    unseen. (`status` lists them by destination.)"""
    known = {d.name for d in loaded.config.destinations}
    waiting: dict[str, int] = {}
    for count in (await store.stats(last_errors=0)).counts:
        if count.destination is not None and count.destination not in known and count.state.value in WAITING:
            waiting[count.destination] = waiting.get(count.destination, 0) + count.count
    for name, jobs in sorted(waiting.items()):
        log.warning(
            "%d job(s) of destination %r wait in the store: %s has no destination of that name (removed or "
            "renamed?), so no worker delivers them; put it back in the config to deliver them",
            jobs,
            name,
            loaded.config.path,
        )


def _warn_shared_emulator_units(emulated: Mapping[str, SfmcSettings]) -> None:
    by_unit: dict[tuple[str, str, str], list[str]] = {}
    for name, settings in emulated.items():
        by_unit.setdefault((settings.subdomain, settings.account_id, settings.client_id), []).append(name)
    for (subdomain, mid, _), names in by_unit.items():
        if len(names) > 1:
            log.warning(
                "destinations %s have no credentials and share the built-in emulator's tenant %s (MID %s): its seed "
                "has fewer installed packages than destinations; add tenants or packages to the emulator seed to "
                "give each its own",
                ", ".join(names),
                subdomain,
                mid,
            )


async def _writable_store(database: str, loaded: Loaded) -> JobStore:
    """The store, opened, migrated, and able to commit a write: else StartError saying why (a read-only file
    or directory, a full disk, a lock held by another process), rather than a ready service storing nothing."""
    shown = redact_url(database)
    try:
        store = await open_store(database, dedupe_window=loaded.config.delivery.dedupe_window)
    except StoreError:
        raise
    except Exception as exc:  # the driver's own error (sqlite3.OperationalError: a read-only file...)
        raise StartError(f"cannot open the job store {shown}: {redact(str(exc))}{_WRITE_HINT}") from None
    try:
        await store.check_writable(STARTUP_WRITE_TIMEOUT)
    except Exception as exc:
        await store.close()
        raise StartError(f"the job store {shown} cannot commit a write: {redact(str(exc))}{_WRITE_HINT}") from None
    return store


_WRITE_HINT = (
    ". Nothing could be stored, so serve and worker do not start: make the database file and its directory "
    "writable (or the PostgreSQL user able to write), free disk space, or stop whatever holds the lock"
)


def default_emulator_seed(config: Path) -> Path | None:
    beside = config.parent / EMULATOR_SEED_NAME
    return beside if beside.is_file() else None


def _register_secrets(loaded: Loaded, database: str) -> None:
    config = loaded.config
    for destination in config.destinations:
        if destination.settings is not None:
            register_secret(destination.settings.client_secret)
    for source in config.sources:
        register_secret(source.write_key)
    if config.webhook is not None:
        register_secret(config.webhook.shared_secret)
    register_secret(config.console.token)
    for secret in url_secrets(database):
        register_secret(secret)
