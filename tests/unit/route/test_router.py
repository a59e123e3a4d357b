from __future__ import annotations

from pathlib import Path

from sfmc_actions.route.router import Router, validation_mode
from sfmc_actions.service.load import load

CONFIG = """subscriptions:
  - name: orders
    action: dataExtension
    trigger: type = "track" and event = "Order Completed"
    mapping:
      key: { "@path": "$.properties.de" }
      keys: { Order_ID: { "@path": "$.properties.order_id" } }
      values: { Revenue: { "@path": "$.properties.revenue" } }
  - name: journey
    action: apiEvent
    trigger: type = "track" and event = "Order Completed"
    mapping:
      eventDefinitionKey: APIEvent-1
      contactKey: { "@path": "$.userId" }
  - name: disabled
    action: contact
    enabled: false
    mapping: { contactKey: { "@path": "$.userId" } }
"""


def router(tmp_path: Path) -> Router:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG)
    return Router(load(path).subscriptions, "tenant-a")


def order(**properties: object) -> dict[str, object]:
    return {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "m1", "properties": properties}


def test_each_match_becomes_a_job_batched_by_resolved_target(tmp_path: Path) -> None:
    r = router(tmp_path)
    routed = r.route(order(de="Orders_EU", order_id=7, revenue=12.5))
    de, journey = routed.jobs
    assert de.subscription == "orders" and de.batch_key == "dataExtension:key:Orders_EU"
    assert de.payload == {"key": "Orders_EU", "keys": {"Order_ID": 7}, "values": {"Revenue": 12.5}}
    assert de.tenant == "tenant-a" and de.message_id == "m1" and de.dead_reason is None
    assert journey.batch_key == "apiEvent:event:APIEvent-1" and journey.deduplicated
    assert r.route(order(de="Orders_US", order_id=8)).jobs[0].batch_key == "dataExtension:key:Orders_US"


def test_validation_failure_is_a_dead_job_with_segments_message(tmp_path: Path) -> None:
    event = order(order_id=7)  # no data extension key or id resolved
    del event["userId"]
    de, journey = router(tmp_path).route(event).jobs
    assert de.dead_reason is not None and "either Data Extension ID or Data Extension Key" in de.dead_reason
    assert journey.dead_reason == "The root value is missing the required field 'contactKey'."
    assert de.event is event  # the raw event is kept for replay


def test_unmatched_and_disabled(tmp_path: Path) -> None:
    r = router(tmp_path)
    routed = r.route({"type": "identify", "userId": "u1", "messageId": "m2"})
    assert routed.jobs == [] and routed.unmatched  # the disabled contact subscription does not count
    jobs, unmatched = r.route_many([order(de="K", order_id=1), {"type": "page", "userId": "u"}])
    assert len(jobs) == 2 and unmatched == 1


def test_validation_mode_follows_segments_batching_switch() -> None:
    assert validation_mode("dataExtension", {"enable_batching": True}) == "batch"
    assert validation_mode("dataExtension", {"enable_batching": False}) == "single"
    assert validation_mode("apiEvent", {"enable_batching": True}) == "single"
