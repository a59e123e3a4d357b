"""Deliver: workers claim batches of jobs from the store, send them to SFMC and record each job's outcome.

plans = SendPlans.build(loaded.subscriptions, batch_sizes)
limiter = TenantLimiter(tenant, delivery.tenant_concurrency)
client = SfmcClient(settings, http=observed_http_client(limiter), token_cache=StoreTokenCache(store))
setup = WorkerSetup(tenant, policy_for(delivery), WorkerOptions.from_delivery(delivery), limiter)
worker = Worker(store, client, plans, setup)
await worker.run()   # until worker.stop()
"""

from __future__ import annotations

from sfmc_actions.deliver.batching import Batch, SendPlan, SendPlans, send_plan_for
from sfmc_actions.deliver.outcomes import Decision, Kind, decide
from sfmc_actions.deliver.tenants import TenantLimiter
from sfmc_actions.deliver.tokens import StoreTokenCache
from sfmc_actions.deliver.transport import ObservedTransport, observed_http_client, route_of
from sfmc_actions.deliver.worker import Worker, WorkerOptions, WorkerSetup, policy_for, process_name
from sfmc_actions.deliver.workers import Workers

__all__ = [
    "Batch",
    "Decision",
    "Kind",
    "ObservedTransport",
    "SendPlan",
    "SendPlans",
    "StoreTokenCache",
    "TenantLimiter",
    "Worker",
    "WorkerOptions",
    "WorkerSetup",
    "Workers",
    "decide",
    "observed_http_client",
    "policy_for",
    "process_name",
    "route_of",
    "send_plan_for",
]
