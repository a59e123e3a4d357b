from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sfmc_actions.errors import MappingError, PayloadValidationError
from sfmc_actions.route.mapping import UNDEFINED, compile_mapping
from sfmc_actions.route.payload import PayloadSchema
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


def test_a_mapping_that_resolves_to_undefined_is_dead_with_segments_message(tmp_path: Path) -> None:
    # Segment (transform.js with schema_action "contact", Node 20): a mapping whose root directive finds nothing
    # resolves to undefined, which Ajv reads as undefined. Before the mapping and the validator shared one
    # sentinel, the validator read the mapping's as an object: "... but it was an object."
    path = tmp_path / "config.yaml"
    path.write_text('subscriptions:\n  - {name: c, action: contact, mapping: {"@path": "$.traits.nothing"}}\n')
    (job,) = Router(load(path).subscriptions, "tenant-a").route({"type": "identify", "userId": "u1"}).jobs
    assert job.dead_reason == "The root value must be an object but it was undefined."
    assert job.payload is UNDEFINED


ROOT_DIRECTIVES = [
    {"@path": "$.a"},
    {"@if": {"exists": {"@path": "$.b"}, "then": {"@path": "$.b"}}},
    {"@json": {"mode": "decode", "value": {"@path": "$.a"}}},
    {"@arrayPath": ["$.a", {"x": {"@path": "$.b"}}]},
    {"@merge": {"direction": "right", "objects": [{"@path": "$.a"}, {"@path": "$.b"}]}},
    {"@transform": {"apply": {"z": {"@path": "$.a"}}, "mapping": {"@path": "$.z"}}},
    {"@excludeWhenNull": {"@path": "$.b"}},
    {"k": {"@path": "$.a"}, "l": [{"@path": "$.b"}, {"@path": "$.nope"}]},
]
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from("abz"), children, max_size=3),
    max_leaves=8,
)


def _inside(value: object) -> bool:
    if isinstance(value, dict):
        return any(v is UNDEFINED or _inside(v) for v in value.values())
    if isinstance(value, list):
        return any(v is UNDEFINED or _inside(v) for v in value)
    return False


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from("ab"), VALUES, max_size=2), st.sampled_from(ROOT_DIRECTIVES))
def test_the_validator_reads_whatever_a_mapping_hands_it_as_javascript_does(event: dict[str, Any], root: Any) -> None:
    """What reaches payload validation is undefined itself or JSON without undefined inside, and undefined is
    read as undefined (the mapping's sentinel is the validator's)."""
    try:
        result = compile_mapping(root).resolve(event)
    except MappingError:
        return
    assert not _inside(result)
    schema = PayloadSchema.from_fields({"k": {"label": "K", "type": "string"}})
    try:
        schema.validate(result)
    except PayloadValidationError as exc:
        # removeEmptyValues turns a root null or "" into undefined too (payload_oracle_cases PO-228, PO-229)
        assert ("but it was undefined" in str(exc)) == (result is UNDEFINED or result is None or result == "")
    else:
        assert isinstance(result, dict)
