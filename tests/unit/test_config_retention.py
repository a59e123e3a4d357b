"""`retention`: durations written 90s, 15m, 2h or 7d; bad values get the config error with line and fix."""

from __future__ import annotations

import pytest

from sfmc_actions.config import load_config, parse_duration
from sfmc_actions.errors import ConfigError


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("2h", 7200), ("7d", 604800), (30, 30)])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_defaults_and_values() -> None:
    config = load_config("c.yaml", text="subscriptions: []\nretention: {delivered: 1m, dead: 2h}\n")
    r = config.retention
    assert (r.delivered, r.dead, r.rejected, r.history, r.purge_every) == (60, 7200, 30 * 86400, 90 * 86400, 60)
    assert load_config("c.yaml", text="subscriptions: []\n").retention.delivered == 7 * 86400


@pytest.mark.parametrize("value", ["7 days", "0s", "-1h", "1y", "true", "''"])
def test_bad_durations_name_the_line_and_the_fix(value: str) -> None:
    text = f"subscriptions: []\nretention:\n  delivered: 1m\n  dead: {value}\n"
    with pytest.raises(ConfigError) as raised:
        load_config("c.yaml", text=text)
    [problem] = raised.value.problems
    assert problem.path == "retention.dead" and problem.line == 4
    assert "90s, 15m, 2h or 7d" in (problem.hint or "")


def test_an_unknown_retention_key_is_named() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config("c.yaml", text="subscriptions: []\nretention: {delivred: 1m}\n")
    assert "did you mean 'delivered'" in str(raised.value)
