"""Journey entries in the worker: batched sends, doubt settled from SFMC's status endpoint, errored entries.

A journey entry (apiEvent) is the one request SFMC repeats when it is sent twice (the contact enters twice), so
the worker (worker.py) sends journey entries through here:

* Batched (`journey_batching: true`, api_event_batch.py): a claimed batch is marked as sending in one commit (the
  store notes when the send started, `sent_from`) once its request can go out, sent as one request of up to 100
  members, and SFMC's requestId and eventInstanceId are kept for each member it queued (store.entries.record).
  One at a time (Segment's default): each entry is marked just before its own request (worker.py).
* A lost answer (a timeout, a dropped connection, a member missing from the answer) does not make a dead letter at
  once any more: the entry goes back in doubt with its send's window (`sent_until`), to be asked about
  `delivery.in_doubt_settle` seconds later.
* An entry claimed in doubt (its answer was lost, or its worker stopped mid-send: then the send ended at the
  latest when its lease did) is settled with journey_doubt.resolve_in_doubt once that delay has passed:
  SFMC has it (its outcome is recorded), SFMC has not (it is sent again), or SFMC cannot tell (asked again later
  when that may help; otherwise `delivery.in_doubt` decides: hold makes it a dead letter saying so, resend sends
  it again). Single entries are asked with `batched=False`: the status endpoint is documented for batched entry
  only, so only a listed entry proves anything. An entry whose eventInstanceId the store kept was queued by
  SFMC: delivered without asking.
* Now and then (`errored_check_interval`) the batched entries delivered within `errored_lookback` are checked
  with journey_status.errored_entries: those SFMC could not process become dead letters with SFMC's error.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sfmc_actions.deliver.outcomes import (
    SENT_ANSWER_LOST,
    WORKER_STOPPED,
    Decision,
    Kind,
    decide,
    held_in_doubt,
    retry_later,
)
from sfmc_actions.errors import DeliveryError
from sfmc_actions.queue.jobs import EntryAnswer, EntrySend, Job, JobDead, JobDelivered
from sfmc_actions.sfmc.actions.api_event_batch import BatchedApiEvent
from sfmc_actions.sfmc.journey_doubt import CLOCK_MARGIN, Absent, Present, Resolution, Undecided, resolve_in_doubt
from sfmc_actions.sfmc.journey_status import errored_entries
from sfmc_actions.sfmc.outcomes import Delivered, Outcome, Retry

if TYPE_CHECKING:
    from sfmc_actions.deliver.batching import Batch, SendPlan, SendPlans
    from sfmc_actions.deliver.tenants import TenantLimiter
    from sfmc_actions.deliver.worker import WorkerOptions
    from sfmc_actions.observe.metrics import Metrics
    from sfmc_actions.queue.retry import RetryPolicy
    from sfmc_actions.queue.store import JobStore
    from sfmc_actions.sfmc.client import SfmcClient

log = logging.getLogger("sfmc_actions.deliver.worker")
STOPPED_ANSWER = "its worker stopped before recording SFMC's answer"
ERRORED = (
    "SFMC queued the journey entry of contact {contact!r} (eventInstanceId {instance}) but could not process it: "
    "{error}. The contact did not enter the journey; fix the cause, then replay it"
)
MARGIN = timedelta(seconds=CLOCK_MARGIN)


def entry_answer(job: Job, result: Outcome) -> EntryAnswer | None:
    """SFMC's requestId and eventInstanceId for a batched member it queued (api_event_batch.py's Delivered)."""
    body = result.response_body if isinstance(result, Delivered) else None
    if not isinstance(body, dict) or not body.get("eventInstanceId"):
        return None
    return EntryAnswer(job.id, str(body.get("requestId") or "") or None, str(body["eventInstanceId"]))


class JourneyDelivery:
    """Journey entries' sends and doubts, for `Worker` (worker.py), which holds the state used here."""

    store: JobStore
    client: SfmcClient
    plans: SendPlans
    tenant: str
    destination: str
    policy: RetryPolicy
    options: WorkerOptions
    limiter: TenantLimiter
    metrics: Metrics
    _clock: Callable[[], datetime]
    _stopping: asyncio.Event
    _notice: Callable[..., None]  # WorkerObservation._notice: a log line at most once per topic and period
    _apply: Callable[[str, Batch, Sequence[Decision]], Awaitable[None]]  # Worker._apply: record outcomes
    _send: Callable[[SendPlan, Sequence[Job], float], Awaitable[list[Outcome]]]  # Worker._send: through the action

    # -- sending ---------------------------------------------------------------------------------------------
    def entry_decision(self, job: Job, result: Outcome, finished: datetime) -> Decision:
        """A journey entry's outcome; a lost answer keeps it in doubt until SFMC's status endpoint is asked (not
        before `in_doubt_settle`), unless both retry limits have passed: then it is held as a dead letter."""
        if isinstance(result, Retry) and result.in_doubt:
            settle = self.options.in_doubt_settle
            retry = retry_later(job, result.error, self.policy, finished, retry_after=settle)
            if retry.kind is Kind.DEAD:
                return held_in_doubt(job, self._subject(job), SENT_ANSWER_LOST.format(error=result.error))
            return dataclasses.replace(retry, in_doubt=True, sent_until=finished)
        return decide(job, result, self.policy, finished)

    async def _send_entry_batch(self, owner: str, batch: Batch, plan: SendPlan, jobs: list[Job]) -> list[Decision]:
        """Mark the jobs as sending in one commit (once their request can go out), send them as batch members,
        keep SFMC's answer for each queued member, and record every outcome."""
        if not jobs:
            return []
        if self._stopping.is_set() or batch.budget <= 0:
            await self.store.release(owner, [job.id for job in jobs])  # not sent: given back unattempted
            return []
        async with self.limiter.request(shared=True):  # the slot its request will use
            marked = await self.store.mark_sending(owner, [job.id for job in jobs])
            sending = [job for job in jobs if job.id in marked]
            results = await self._send(plan, sending, batch.budget) if sending else []
        if len(sending) < len(jobs):  # the lease ran out (a stalled process): another worker may have them
            log.warning("lost the lease of %d job(s) before sending them", len(jobs) - len(sending))
        finished = self._clock()
        answers = [a for job, r in zip(sending, results, strict=True) if (a := entry_answer(job, r)) is not None]
        decisions = [self.entry_decision(job, r, finished) for job, r in zip(sending, results, strict=True)]
        await self.store.entries.record(owner, answers)  # before the outcomes: a job in doubt with one was queued
        await self._apply(owner, batch, decisions)
        return decisions

    # -- doubt -----------------------------------------------------------------------------------------------
    async def _settle_doubt(
        self, owner: str, batch: Batch, plan: SendPlan, jobs: list[Job]
    ) -> tuple[list[Job], list[Decision]]:
        """The claim's jobs to send now, and the (recorded) decisions for those in doubt that are settled."""
        doubtful = [job for job in jobs if job.in_doubt]
        if not doubtful:
            return jobs, []
        sends = await self.store.entries.sends([job.id for job in doubtful])
        now = self._clock()
        settle = timedelta(seconds=self.options.in_doubt_settle)
        lease = timedelta(seconds=plan.lease)
        send_now = [job for job in jobs if not job.in_doubt]
        decisions: list[Decision] = []
        answers: list[EntryAnswer] = []
        later: dict[int, datetime] = {}
        windows: dict[tuple[datetime, datetime], list[Job]] = {}
        for job in doubtful:
            sent = sends.get(job.id, EntrySend())
            if sent.event_instance_id:  # SFMC queued it; its worker stopped before recording that
                decisions.append(self._settled(job, Decision(job.id, Kind.DELIVERED, JobDelivered()), sent))
            elif sent.sent_from is None:  # marked before the store kept send windows: nothing to ask about
                decisions += self._undecided(job, sent, "the time of its send is not known", send_now)
            else:
                until = sent.sent_until or sent.sent_from + lease  # a send cut off by a stop ended with its lease
                if now < until + settle:
                    later[job.id] = until + settle  # too soon to believe SFMC's answer
                else:
                    windows.setdefault((sent.sent_from, until), []).append(job)
        for (start, end), group in windows.items():
            resolutions = await self._resolve(batch, plan, group, start, end, now)
            for job, resolution in zip(group, resolutions, strict=True):
                sent = sends[job.id]
                if isinstance(resolution, Present):
                    decision = self._present(job, resolution, answers)
                    decisions.append(self._settled(job, decision, sent))
                elif isinstance(resolution, Absent):
                    self._count_settled(job, "resent", sent)
                    send_now.append(dataclasses.replace(job, in_doubt=False))  # SFMC has not got it: send it
                elif resolution.ask_again:
                    decisions += self._ask_again(job, resolution, sent, end, now, send_now)
                else:
                    decisions += self._undecided(job, sent, resolution.reason, send_now)
        await self.store.entries.record(owner, answers)
        await self.store.row_order.postpone(owner, later)  # given back unattempted until they can be asked about
        await self._apply(owner, batch, decisions)
        send_now.sort(key=lambda job: job.id)
        return send_now, decisions

    async def _resolve(
        self, batch: Batch, plan: SendPlan, jobs: list[Job], start: datetime, end: datetime, now: datetime
    ) -> list[Resolution]:
        key = str(jobs[0].payload.get("eventDefinitionKey") or "")
        contacts = [str(job.payload.get("contactKey") or "") for job in jobs]
        try:
            async with asyncio.timeout(max(batch.budget, 0.001)):
                window = (start - MARGIN - timedelta(seconds=plan.lease), end + MARGIN)
                known = await self.store.entries.instance_ids(batch.key, *window)  # other jobs' entries
                return await resolve_in_doubt(
                    self.client,
                    key,
                    contacts,
                    start,
                    end,
                    batched=isinstance(plan.action, BatchedApiEvent),
                    now=now,
                    settle=self.options.in_doubt_settle,
                    known_instance_ids=known,
                )
        except TimeoutError:
            return [Undecided("asking SFMC's status endpoint took too long", ask_again=True)] * len(jobs)

    def _present(self, job: Job, found: Present, answers: list[EntryAnswer]) -> Decision:
        outcome = found.outcome
        if isinstance(outcome, Delivered):
            if found.entry.event_instance_id:
                answers.append(EntryAnswer(job.id, found.entry.request_id, found.entry.event_instance_id))
            return Decision(job.id, Kind.DELIVERED, JobDelivered())
        return Decision(job.id, Kind.DEAD, JobDead(outcome.error, job.payload))

    def _ask_again(
        self, job: Job, undecided: Undecided, sent: EntrySend, end: datetime, now: datetime, send_now: list[Job]
    ) -> list[Decision]:
        """The status endpoint could not answer now: asked again at the retry policy's time, still in doubt."""
        self._notice("doubt", logging.WARNING, "journey entries in doubt stay in doubt for now: %s", undecided.reason)
        error = job.last_error if sent.sent_until is not None and job.last_error else STOPPED_ANSWER
        decision = retry_later(job, error, self.policy, now)
        if decision.kind is Kind.DEAD:  # both retry limits passed without an answer: what the policy says
            return self._undecided(job, sent, undecided.reason, send_now)
        return [dataclasses.replace(decision, in_doubt=sent.sent_until is None, sent_until=end)]

    def _undecided(self, job: Job, sent: EntrySend, reason: str, send_now: list[Job]) -> list[Decision]:
        """SFMC's status endpoint cannot tell: `delivery.in_doubt` decides (hold: a dead letter; resend: sent
        again now, added to `send_now`, at least once)."""
        if self.options.in_doubt == "resend":
            self._count_settled(job, "resent", sent)
            send_now.append(dataclasses.replace(job, in_doubt=False))
            return []
        what = WORKER_STOPPED if sent.sent_until is None else SENT_ANSWER_LOST.format(error=job.last_error)
        subject = self._subject(job)
        held = held_in_doubt(job, subject, f"{what}, and SFMC's status endpoint cannot tell whether it did ({reason})")
        return [self._settled(job, held, sent, "held")]

    def _settled(self, job: Job, decision: Decision, sent: EntrySend, how: str | None = None) -> Decision:
        self._count_settled(job, how or decision.kind.value, sent)
        return dataclasses.replace(decision, in_doubt=sent.sent_until is None)  # a stopped worker's: counted now

    def _count_settled(self, job: Job, how: str, sent: EntrySend) -> None:
        labels = (job.destination or "", job.subscription or "", job.action)
        self.metrics.jobs_doubt_settled.labels(*labels, how).inc()
        if how == "resent" and sent.sent_until is None:
            self.metrics.jobs_in_doubt.labels(*labels).inc()

    def _subject(self, job: Job) -> str:
        plan = self.plans.get(job.subscription)
        return plan.action.describe(job.payload) if plan is not None else f"job {job.id}"

    # -- entries SFMC could not process ----------------------------------------------------------------------
    def _batches_journeys(self) -> bool:
        return any(isinstance(plan.action, BatchedApiEvent) for plan in self.plans)

    async def _watch_errored(self) -> None:
        """Every `errored_check_interval`: dead-letter the batched entries SFMC reported errored."""
        if not self._batches_journeys():
            return
        while True:
            await asyncio.sleep(self.options.errored_check_interval)
            try:
                await self.check_errored()
            except Exception as exc:  # the store or SFMC: try again next time
                log.warning("checking journey entries for errors failed: %s", exc)

    async def check_errored(self) -> int:
        """Ask SFMC which batched entries delivered within `errored_lookback` ended errored; make them dead
        letters with SFMC's error. Returns how many jobs were made dead."""
        now = self._clock()
        since = now - timedelta(seconds=self.options.errored_lookback)
        dead = 0
        for key in await self.store.entries.recent_keys(self.tenant, since):
            sample = await self.store.get_job(key.job_id)
            payload: Any = sample.payload if sample is not None else None
            definition = payload.get("eventDefinitionKey") if isinstance(payload, dict) else None
            if sample is None or not definition:
                continue
            try:
                errored = await errored_entries(self.client, str(definition), max(key.first_sent, since) - MARGIN, now)
            except DeliveryError as error:
                self._notice("errored", logging.WARNING, "cannot ask SFMC which journey entries errored: %s", error)
                continue
            reasons = [
                (
                    e.event_instance_id,
                    ERRORED.format(contact=e.contact_key, instance=e.event_instance_id, error=e.error),
                )
                for e in errored
                if e.event_instance_id
            ]
            made_dead = await self.store.entries.dead_letter(reasons)
            if made_dead:
                where = (self.destination, sample.subscription or "")
                self.metrics.journey_entries_errored.labels(*where).inc(len(made_dead))
                log.warning(
                    "%d journey entr%s of %s ended errored in SFMC after it queued them: dead letters now; first: %s",
                    len(made_dead),
                    "y" if len(made_dead) == 1 else "ies",
                    definition,
                    reasons[0][1],
                )
            dead += len(made_dead)
        return dead
