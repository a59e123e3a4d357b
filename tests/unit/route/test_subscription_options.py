"""The subscription options `journey_batching` and `on_audience_exit`: where they apply, and their config errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfmc_actions.errors import ConfigError
from sfmc_actions.route.router import Router
from sfmc_actions.service.load import load
from sfmc_actions.sfmc.actions.api_event import SendApiEvent
from sfmc_actions.sfmc.actions.api_event_batch import BatchedApiEvent

API_EVENT = """subscriptions:
  - name: welcome
    action: apiEvent
    trigger: type = "track"
    mapping: {{eventDefinitionKey: APIEvent-welcome, contactKey: {{"@path": "$.userId"}}}}
{extra}"""
CONTACT_DE = """subscriptions:
  - name: vip
    action: contactDataExtension
    mapping: {{key: VIP, keys: {{contactKey: {{"@path": "$.userId"}}}}}}
{extra}"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(path)
    return [str(p) for p in info.value.problems]


def test_defaults_keep_segments_behaviour(tmp_path: Path) -> None:
    (events,) = load(write(tmp_path, API_EVENT.format(extra=""))).subscriptions
    assert type(events.action) is SendApiEvent and events.on_audience_exit == "update"
    (rows,) = load(write(tmp_path, CONTACT_DE.format(extra=""))).subscriptions
    assert rows.on_audience_exit == "update"


def test_journey_batching_turns_on_the_batch_endpoint(tmp_path: Path) -> None:
    extra = "    journey_batching: true\n    batch_size: 80\n"
    (sub,) = load(write(tmp_path, API_EVENT.format(extra=extra))).subscriptions
    assert isinstance(sub.action, BatchedApiEvent) and sub.action.key == "apiEvent" and sub.action.batch_size == 100
    assert not sub.action.idempotent and sub.action.with_batch_size(80).batch_size == 80


def test_on_audience_exit_delete(tmp_path: Path) -> None:
    (sub,) = load(write(tmp_path, CONTACT_DE.format(extra="    on_audience_exit: delete\n"))).subscriptions
    assert sub.on_audience_exit == "delete"


def test_with_on_audience_exit_delete_each_job_names_its_row_so_the_queue_keeps_their_order(tmp_path: Path) -> None:
    values = CONTACT_DE.replace("}}}}}}", '}}}}, values: {{VIP: {{"@path": "$.traits.vip"}}}}}}')
    (ordered,) = load(write(tmp_path, values.format(extra="    on_audience_exit: delete\n"))).subscriptions
    (plain,) = load(write(tmp_path, values.format(extra=""))).subscriptions
    enter = {"type": "identify", "userId": "U1", "messageId": "m1", "traits": {"vip": True}}
    leave = {"type": "identify", "userId": "u1", "messageId": "m2", "traits": {"vip": False}}
    other = {**enter, "userId": "u2"}
    keys = [Router([ordered], "t").route(e).jobs[0].order_key for e in (enter, leave, other)]
    assert keys[0] is not None and keys[0] == keys[1] != keys[2]  # SFMC matches key values without case
    assert Router([plain], "t").route(enter).jobs[0].order_key is None  # Segment's update: no ordering needed


@pytest.mark.parametrize(
    ("template", "extra", "expected"),
    [
        (
            CONTACT_DE,
            "    journey_batching: true\n",
            "config.yaml:5: subscriptions[0].journey_batching: journey_batching is for action apiEvent (SFMC's batch "
            "journey entry), not contactDataExtension\n  how to fix: remove journey_batching",
        ),
        (
            API_EVENT,
            "    journey_batching: true\n    batch_size: 101\n",
            "config.yaml:7: subscriptions[0].batch_size: with journey_batching SFMC takes at most 100 contacts per "
            "request, not 101\n  how to fix: set batch_size to 100 or less",
        ),
        (
            API_EVENT,
            "    on_audience_exit: delete\n",
            "config.yaml:6: subscriptions[0].on_audience_exit: on_audience_exit: delete deletes data extension rows; "
            "action apiEvent writes none\n  how to fix: remove on_audience_exit, or use a data extension action",
        ),
        (
            CONTACT_DE,
            "    on_audience_exit: remove\n",
            "config.yaml:5: subscriptions[0].on_audience_exit: Input should be 'update' or 'delete'\n"
            "  how to fix: use one of: 'update' or 'delete'",
        ),
        (
            API_EVENT,
            "    journey_batching: maybe\n",
            "config.yaml:6: subscriptions[0].journey_batching:",
        ),
    ],
)
def test_options_where_they_do_not_apply_are_config_errors(
    tmp_path: Path, template: str, extra: str, expected: str
) -> None:
    found = problems(write(tmp_path, template.format(extra=extra)))
    assert len(found) == 1 and found[0].startswith(
        str(tmp_path / expected.split(":", 1)[0]) + ":" + expected.split(":", 1)[1]
    ), found
