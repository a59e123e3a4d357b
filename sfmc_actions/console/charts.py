"""Small server-rendered SVG charts: no chart library to ship, nothing to run in the browser, a few KB per chart.

A chart is lines over time with a y axis from 0 to the largest value; each series has a colour and a name
(shown in a legend and in the SVG's <title>, which screen readers read).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 190, 64, 22, 24  # TOP: room for the legend


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[float | None]  # None: no value at that step (no line drawn through it)


def line_chart(title: str, times: Sequence[datetime], series: Sequence[Series], unit: str = "") -> str:
    top = max([v for s in series for v in s.values if v is not None] + [1.0])
    steps = max(len(times) - 1, 1)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP

    def x(i: int) -> float:
        return LEFT + plot_w * i / steps

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}" stroke="#b8bfcc"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 8}" text-anchor="end" font-size="10">{_number(top)}{unit}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="10">0</text>',
    ]
    if times:
        parts.append(f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="10">{times[0]:%m-%d %H:%M}</text>')
        parts.append(
            f'<text x="{WIDTH - 8}" y="{HEIGHT - 6}" text-anchor="end" font-size="10">{times[-1]:%m-%d %H:%M}</text>'
        )
    for index, s in enumerate(series):
        path, pen = [], "M"
        for i, value in enumerate(s.values):
            if value is None:
                pen = "M"
                continue
            path.append(f"{pen}{x(i):.1f},{y(value):.1f}")
            pen = "L"
        if path:
            parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{s.colour}" stroke-width="1.8"/>')
        if len(path) == 1:  # a lone value draws no line: a dot then
            cx, cy = path[0][1:].split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{s.colour}"/>')
        legend_x = LEFT + 10 + index * 150
        parts.append(f'<rect x="{legend_x}" y="4" width="10" height="10" fill="{s.colour}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="13" font-size="11">{escape(s.name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")
