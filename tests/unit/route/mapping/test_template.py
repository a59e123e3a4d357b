"""`@template` rendering (spec §1.4): two passes, JS text conversion, no HTML escaping."""

from __future__ import annotations

from typing import Any

import pytest

from sfmc_actions.route.mapping.template import compile_template, render

PAYLOAD = {"a": "{{b}}", "b": "B", "n": 100.0, "arr": [1, [2, 3], None], "obj": {"k": 1}, "pct": "50%", "t": True}


@pytest.mark.parametrize(
    ("template", "text"),
    [
        ("{{{a}}} {{b}}", "B B"),
        ("{{a}} {{b}}", "{{b}} B"),
        ("{{n}}", "100"),
        ("{{arr}}", "1,2,3,"),
        ("{{obj}}", "[object Object]"),
        ("{{ }}", "[object Object]"),
        ("{{}}", "{{}}"),
        ("{{a}", "{{a}"),
        ("{{{b}}", ""),
        ("{{b}}}", "B}"),
        ("100% {{pct}} %s", "100% 50% %s"),
        ("{{$.b}}", ""),
        ("{{t}}", "true"),
        ("{{\u00a0b\u2028}}", "B"),
        ("{{\x85b}}", ""),
        ("", ""),
        ("no placeholders", "no placeholders"),
        ("{{b}}{{b}}{{b}}{{b}}{{missing}}", "BBBB"),
        ("$& \\1 {{b}}", "$& \\1 B"),
    ],
)
def test_render(template: str, text: str) -> None:
    assert compile_template(template)(PAYLOAD) == text
    assert render(template, PAYLOAD) == text


def test_pass_two_runs_on_pass_one_output() -> None:
    # Checked with Segment's code: a substituted value is scanned again by pass 2.
    assert compile_template("{{{x}}}")({"x": "{{y}}", "y": "Y"}) == "Y"
    # pass 1 gives "{{{y}}}"; pass 2 matches "{{{y}}" (path "{y", undefined) and keeps the last "}"
    payload: dict[str, Any] = {"x": "{{{y}}}", "y": "{{z}}", "z": "Z"}
    assert compile_template("{{{x}}}")(payload) == "}"


@pytest.mark.parametrize("count", range(1, 7))
def test_every_placeholder_count_renders_in_order(count: int) -> None:
    payload = {f"k{i}": i * 1.5 for i in range(count)}
    template = "|".join(f"{{{{k{i}}}}}" for i in range(count)) + "|{{missing}}"
    expected = "|".join(["0", "1.5", "3", "4.5", "6", "7.5"][:count]) + "|"
    assert compile_template(template)(payload) == expected
