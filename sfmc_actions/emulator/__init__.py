"""A local Salesforce Marketing Cloud: the parts of the SFMC API that sfmc-actions uses.

An independent implementation of the documented API (shared/spec/sfmc-rest-api.md): it imports
nothing from `sfmc_actions.sfmc`, so tests against it check the client against the API.

In process (tests)::

    app = create_app(seed=None, faults=None)     # seed/faults: YAML path or dict; None = demo tenant
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as c: ...

On a real socket, in the running event loop (how `sfmc-actions serve` embeds it)::

    async with run_emulator(app, host="127.0.0.1", port=0) as base_url:   # port 0 = a free port
        ...

In a background thread (sync tests)::

    server = EmulatorServer(app, port=0).start(); server.base_url; server.stop()
    with EmulatorServer(app) as base_url: ...

Auth (`/v2/token`), REST and SOAP (`/Service.asmx`) share one port; the tenant comes from the token.
The inspection API lives under `/__emulator/` (see `inspect.py`); fault rules are described in
`faults.py`; the seed format in `examples/emulator-seed.yaml`. The demo tenant's fixed values are
DEMO_SUBDOMAIN, DEMO_ACCOUNT_ID, DEMO_CLIENT_ID and DEMO_CLIENT_SECRET (published, not secrets).
"""

from __future__ import annotations

from sfmc_actions.emulator.app import create_app
from sfmc_actions.emulator.faults import FAULTS, FaultConfigError
from sfmc_actions.emulator.model import Clock, Options
from sfmc_actions.emulator.persist import StateFileError
from sfmc_actions.emulator.seed import (
    DEMO_ACCOUNT_ID,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_SUBDOMAIN,
    SeedError,
)
from sfmc_actions.emulator.server import EmulatorServer, run_emulator

__all__ = [
    "DEMO_ACCOUNT_ID",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_SUBDOMAIN",
    "FAULTS",
    "Clock",
    "EmulatorServer",
    "FaultConfigError",
    "Options",
    "SeedError",
    "StateFileError",
    "create_app",
    "run_emulator",
]
