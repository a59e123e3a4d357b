"""The server-rendered SVG charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from sfmc_actions.console.charts import Series, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def times(n: int) -> list[datetime]:
    start = datetime(2026, 12, 2, 12, tzinfo=UTC)
    return [start + timedelta(minutes=i) for i in range(n)]


def test_a_chart_is_valid_svg_with_a_title_a_legend_and_one_path_per_series() -> None:
    svg = line_chart(
        "Delivered <vs> dead", times(3), [Series("delivered", "#0a0", [1, 5, 2]), Series("dead", "#a00", [0, 1, 0])]
    )
    root = ET.fromstring(svg.replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))
    assert root.get("role") == "img" and root.get("aria-label") == "Delivered <vs> dead"
    paths = root.findall(f"{SVG}path")
    assert len(paths) == 2 and paths[0].get("d", "").count("L") == 2
    assert [t.text for t in root.findall(f"{SVG}text")][-2:] == ["delivered", "dead"]
    assert "5" in svg  # the y axis' top


def test_gaps_break_the_line_and_a_lone_value_is_a_dot() -> None:
    svg = line_chart("p95", times(4), [Series("p95", "#00a", [10.0, None, None, 20.0])], " ms")
    assert svg.count("<circle") == 0 and svg.count('d="M') == 1 and " L" not in svg.split('d="')[1].split('"')[0]
    lone = line_chart("p95", times(3), [Series("p95", "#00a", [None, 7.5, None])], " ms")
    assert lone.count("<circle") == 1


def test_an_empty_chart_still_draws() -> None:
    assert line_chart("nothing", [], [Series("delivered", "#0a0", [])]).endswith("</svg>")
