"""The pure parts of the delivery history: percentiles from buckets, error normalization, buffered counts, the
per-subscription report, purge cut-offs."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from sfmc_actions.queue.history import (
    HistoryBuffer,
    SubscriptionTotals,
    bucket_bound,
    group_id,
    newest_per_group,
    normalize_error,
    percentile,
    subscription_report,
)
from sfmc_actions.queue.purge import PurgeCutoffs


def test_percentile_interpolates_inside_the_bucket_holding_the_rank() -> None:
    buckets = {100.0: 50, 250.0: 40, 1000.0: 10}
    assert percentile(buckets, 0.5) == 100.0  # the 50th of 100 is the last of the first bucket
    assert percentile(buckets, 0.7) == pytest.approx(100 + 150 * 20 / 40)
    assert percentile(buckets, 0.99) == pytest.approx(250 + 750 * 9 / 10)
    assert percentile(buckets, 1.0) == 1000.0


def test_percentile_edges() -> None:
    assert percentile({}, 0.5) is None
    assert percentile({100.0: 0}, 0.5) is None
    assert percentile({50.0: 1, math.inf: 1}, 0.99) == 50.0  # +Inf answers the bound below it
    assert percentile({math.inf: 3}, 0.5) == 0.0
    with pytest.raises(ValueError, match="percentile q"):
        percentile({100.0: 1}, 0)
    assert bucket_bound(1_000_000_000_000) == math.inf and bucket_bound(250) == 250.0


@pytest.mark.parametrize(
    ("error", "normalized"),
    [
        (
            'SFMC 400 errorcode 10006: Unable to save rows for data extension "Orders": '
            "Currency 'NOT-A-CODE' is 19 characters long (max 3)",
            "SFMC 400 errorcode 10006: Unable to save rows for data extension \"…\": Currency '…' is <n> characters "
            "long (max <n>)",
        ),
        ("InvalidEmailAddress: ada@example.com", "InvalidEmailAddress: <email>"),
        (
            "SFMC answered 400 Bad Request: Event definition with key 'APIEvent-x' was not found. (errorcode 30000)",
            "SFMC answered 400 Bad Request: Event definition with key '…' was not found. (errorcode 30000)",
        ),
        ("HTTP 503 after 3 attempts", "HTTP 503 after <n> attempts"),
        ("contact 3f2b8c1e-0d4a-4b7e-9c7e-2a1b3c4d5e6f not found", "contact <uuid> not found"),
        ("request 0123456789abcdef0123 failed", "request <id> failed"),
        ("mapping: email is missing", "mapping: email is missing"),
    ],
)
def test_normalize_error(error: str, normalized: str) -> None:
    assert normalize_error(error) == normalized


def test_one_cause_is_one_group_and_long_errors_are_cut() -> None:
    a = normalize_error('errorcode 10006: bad value "x1" in row 17')
    b = normalize_error('errorcode 10006: bad value "y22" in row 4018')
    assert a == b and group_id("default", "orders", a) == group_id("default", "orders", b)
    assert group_id("default", "orders", a) != group_id("default", "other", a)
    assert len(normalize_error("word " * 500)) == 300


def test_buffer_takes_once_and_takes_back_what_failed() -> None:
    buffer = HistoryBuffer()
    buffer.add(60, "default", "orders", "throttled", 2)
    buffer.add(60, "default", "orders", "throttled")
    buffer.add(60, "default", "", "sfmc_requests", 0)  # nothing to count
    rows = buffer.take()
    assert rows == [(60, "default", "orders", "throttled", 3)]
    assert buffer.take() == []
    buffer.put_back(rows)
    assert buffer.take() == rows
    with pytest.raises(ValueError, match="not 'delivered'"):
        buffer.add(60, "default", "orders", "delivered")


def test_subscription_report() -> None:
    orders = SubscriptionTotals("default", "orders", delivered=10, dead=1, latency_buckets={100.0: 10})
    requests = SubscriptionTotals("default", "", sfmc_requests=4, token_requests=1)
    rows = subscription_report([orders, requests], {("default", "orders"): 2, ("default", "idle"): 5, ("us", "x"): 0})
    assert [r["subscription"] for r in rows] == ["", "orders", "idle"]
    assert rows[1]["delivered"] == 10 and rows[1]["waiting"] == 2 and rows[1]["p50_ms"] == 50.0
    assert rows[0]["sfmc_requests"] == 4 and rows[0]["waiting"] == 0
    assert rows[2]["delivered"] == 0 and rows[2]["waiting"] == 5 and rows[2]["p99_ms"] is None
    assert len(rows) == 3  # nothing waiting and nothing counted: no row


def test_subscription_report_keeps_destinations_apart() -> None:
    emea = SubscriptionTotals("emea", "orders", delivered=3)
    us = SubscriptionTotals("us", "orders", delivered=5)
    rows = subscription_report([us, emea], {("us", "orders"): 1, ("eu", "orders"): 2})
    assert [(r["destination"], r["subscription"], r["delivered"], r["waiting"]) for r in rows] == [
        ("emea", "orders", 3, 0),
        ("us", "orders", 5, 1),
        ("eu", "orders", 0, 2),
    ]


def test_journey_entries_are_kept_at_least_as_long_as_doubt_settling_reads_them() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    cut = PurgeCutoffs.from_retention(now, delivered=60, dead=120, rejected=180, history=86400, entries_kept=7200)
    assert cut.delivered_before == now - timedelta(seconds=60)
    assert cut.entries_before == now - timedelta(seconds=7200)
    assert (cut.dead_before, cut.rejected_before) == (now - timedelta(seconds=120), now - timedelta(seconds=180))
    longer = PurgeCutoffs.from_retention(now, 86400, 1, 1, 1, 7200)
    assert longer.entries_before == longer.delivered_before  # never sooner than delivered


def test_only_the_newest_occurrences_of_each_group_become_samples() -> None:
    assert newest_per_group(["a", "b", "a", "a", "a", "b"], 3) == {2, 3, 4, 1, 5}
    assert newest_per_group([], 3) == set()
