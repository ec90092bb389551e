"""The overview's chart, drawn on the server as inline SVG: opt-ins above the axis and opt-outs
below it, one bar pair per day. It scales to its box (a viewBox), so it reads the same on a
phone and a desktop; each bar has a title, and the page also gives the figures as a table."""

from __future__ import annotations

from dataclasses import dataclass

from commprefs.domain.operators import DayCounts

WIDTH = 360  # 4 units a day for 90 days
HALF = 70  # the height of each half
TOP = 4  # a margin above the tallest bar


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # "in" or "out"
    title: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    axis_y: int
    bars: list[Bar]
    peak: int
    first_day: str
    last_day: str


def day_chart(days: list[DayCounts]) -> Chart:
    peak = max([1, *(d.opt_ins for d in days), *(d.opt_outs for d in days)])
    step = WIDTH / max(1, len(days))
    axis = TOP + HALF
    bars: list[Bar] = []
    for index, day in enumerate(days):
        x = round(index * step + step * 0.1, 2)
        width = round(step * 0.8, 2)
        if day.opt_ins:
            height = max(1.0, round(day.opt_ins / peak * HALF, 2))
            bars.append(
                Bar(x, axis - height, width, height, "in", f"{day.day}: {day.opt_ins} opt-ins")
            )
        if day.opt_outs:
            height = max(1.0, round(day.opt_outs / peak * HALF, 2))
            bars.append(Bar(x, axis, width, height, "out", f"{day.day}: {day.opt_outs} opt-outs"))
    return Chart(
        width=WIDTH,
        height=2 * (TOP + HALF),
        axis_y=axis,
        bars=bars,
        peak=peak,
        first_day=days[0].day if days else "",
        last_day=days[-1].day if days else "",
    )
