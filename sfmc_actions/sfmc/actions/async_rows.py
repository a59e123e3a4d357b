"""Waiting for an async rows job and turning its results into one outcome per row.

`PUT /data/v1/async/dataextensions/{id}/rows` answers 202 with a requestId before any row is checked; the rows'
fate shows later (sfmc-rest-api.md §4):

* `GET /data/v1/async/{id}/status` answers without a `status` object (AsyncRequestStatusNotFound) until SFMC
  makes the job visible, then Pending / Executing / Complete. `Error` is not reliably final: Segment saw jobs in
  Error turn Complete/OK moments later, so it is polled on like Pending.
* Complete with resultStatus OK: every row is in, no results call needed.
* Complete with errors: `GET .../results` lists one item per row in submission order, paged.

Polling backs off exponentially up to `max_delay`, honours Retry-After, and gives up after `timeout` seconds
with Retry outcomes: the rows may still land, and resending an upsert is safe.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sfmc_actions.errors import AuthenticationError, DeliveryError, RetryableError
from sfmc_actions.sfmc.classify import classify_async_row
from sfmc_actions.sfmc.outcomes import Delivered, Outcome, Retry, outcome_for

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class PollPolicy:
    first_delay: float = 1.0  # jobs usually complete 0.5-2 s after the call (sfmc-rest-api.md §4 Status)
    max_delay: float = 30.0
    factor: float = 2.0
    timeout: float = 900.0  # the docs' own example waited 7.5 minutes for pickup
    results_page_size: int = 2500
    max_result_pages: int = 1000


class JobWatcher:
    """Polls one job until it completes or the policy's timeout passes."""

    def __init__(
        self,
        client: SfmcClient,
        request_id: str,
        sent: Sequence[dict[str, Any]],
        policy: PollPolicy,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self._client = client
        self._id = request_id
        self._sent = sent
        self._policy = policy
        self._sleep = sleep
        self._clock = clock
        self._deadline = clock() + policy.timeout
        self._delay = policy.first_delay
        self._last = "SFMC does not show the request yet (AsyncRequestStatusNotFound)"

    async def outcomes(self) -> list[Outcome]:
        while True:
            if not await self._wait():
                return self._all(Retry(self._timeout_message()))
            try:
                body = await self._client.async_status(self._id)
            except AuthenticationError as error:
                return self._all(outcome_for(error, None))
            except RetryableError as error:
                self._last = str(error)
                self._delay = max(self._delay, error.retry_after or 0.0)
                continue
            except DeliveryError as error:
                return self._all(Retry(f"cannot read the status of async request {self._id}: {error}"))
            status = body.get("status")
            if not isinstance(status, dict):
                continue  # not visible yet (or unknown): keep polling until the timeout
            state = status.get("requestStatus")
            if state == "Complete":
                if status.get("resultStatus") == "OK" and not status.get("hasErrors"):
                    return self._all(Delivered({"requestId": self._id, "status": "OK"}))
                return await self._results()
            self._last = f"requestStatus {state}"

    async def _wait(self) -> bool:
        """Sleep before the next call; False when that would pass the deadline."""
        if self._clock() + self._delay > self._deadline:
            return False
        await self._sleep(self._delay)
        self._delay = min(self._delay * self._policy.factor, self._policy.max_delay)
        return True

    async def _results(self) -> list[Outcome]:
        items: list[Any] = []
        page = 1
        while page <= self._policy.max_result_pages and len(items) < len(self._sent):
            try:
                body = await self._client.async_results(self._id, page=page, page_size=self._policy.results_page_size)
            except RetryableError as error:
                self._last = f"reading results: {error}"
                self._delay = max(self._delay, error.retry_after or 0.0)
                if not await self._wait():
                    return self._all(Retry(self._timeout_message()))
                continue
            except DeliveryError as error:
                return self._all(
                    outcome_for(error, None)
                    if isinstance(error, AuthenticationError)
                    else Retry(f"cannot read the results of async request {self._id}: {error}")
                )
            found = body.get("items")
            found = found if isinstance(found, list) else []
            items += found
            count = body.get("count")
            if not found or (isinstance(count, int) and len(items) >= count):
                break
            page += 1
        if not items:
            # Segment saw "Has Errors" jobs whose results were empty: no row can be judged, so try them again.
            return self._all(Retry(f"SFMC reported errors for async request {self._id} but listed no results"))
        return [self._row(k, items[k] if k < len(items) else None) for k in range(len(self._sent))]

    def _row(self, index: int, item: Any) -> Outcome:
        if not isinstance(item, dict):
            return Retry(f"SFMC's results for async request {self._id} have no entry for this row")
        error = classify_async_row(item)
        return Delivered(item) if error is None else outcome_for(error, self._sent[index])

    def _all(self, outcome: Outcome) -> list[Outcome]:
        return [outcome] * len(self._sent)

    def _timeout_message(self) -> str:
        return (
            f"async request {self._id} did not complete within {self._policy.timeout:.0f} s ({self._last}); "
            "its rows may still land, and sending them again is safe (upserts)"
        )
