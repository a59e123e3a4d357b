"""What a route handler receives: the request, its body, the state and what the checks found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from sfmc_actions.emulator.model import Token
from sfmc_actions.emulator.state import EmulatorState, Tenant

if TYPE_CHECKING:
    from sfmc_actions.emulator.faults import FaultRule


@dataclass
class Call:
    request: Request
    state: EmulatorState
    body: bytes
    token: Token | None = None  # set by the bearer check
    tenant: Tenant | None = None  # the token's tenant
    row_faults: list[FaultRule] = field(default_factory=list)  # fired reject_row / deadlock rules
    lost_answer: Response | None = None  # a timeout / drop fault with `after`: replaces the handler's answer
    journal_entry: dict[str, Any] | None = None  # this request's journal entry (the batch route adds members)

    @property
    def mid(self) -> int:
        assert self.token is not None, "mid is only known after the bearer check"
        return self.token.mid

    @property
    def scoped_tenant(self) -> Tenant:
        assert self.tenant is not None, "tenant is only known after the bearer check"
        return self.tenant
