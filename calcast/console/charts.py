"""The dashboard's charts, drawn on the server: geometry for inline SVG (no script, no chart library)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from calcast.analytics.service import DayCounts

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 44  # room for the axis labels
MAX_DAILY_BARS = 92  # beyond this many days, one pair of bars per month


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int


@dataclass(frozen=True)
class Group:
    """One day (or month) of the chart: its label, its bars and the numbers of the data table."""

    label: str
    new: int
    unsubscribed: int
    new_bar: Bar
    unsubscribed_bar: Bar
    label_x: float
    show_label: bool


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    bottom_y: int
    right_x: int
    per: str  # "day" or "month"
    groups: list[Group]
    ticks: list[Tick]

    @property
    def total_new(self) -> int:
        return sum(group.new for group in self.groups)

    @property
    def total_unsubscribed(self) -> int:
        return sum(group.unsubscribed for group in self.groups)


def _by_month(days: list[DayCounts]) -> list[tuple[str, int, int]]:
    months: dict[date, list[int]] = {}
    for day in days:
        counts = months.setdefault(day.day.replace(day=1), [0, 0])
        counts[0] += day.new
        counts[1] += day.unsubscribed
    return [(month.strftime("%Y-%m"), new, gone) for month, (new, gone) in months.items()]


def _tick_step(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50 … whose four steps reach `value`: four whole-numbered gridlines."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if 4 * step * factor >= value:
                return step * factor
        step *= 10


def bar_chart(days: list[DayCounts]) -> BarChart:
    """New and unsubscribed side by side for each day, or each month when there are many days."""
    if len(days) > MAX_DAILY_BARS:
        rows, per = _by_month(days), "month"
    else:
        rows, per = [(day.day.isoformat(), day.new, day.unsubscribed) for day in days], "day"
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = _tick_step(max((max(new, gone) for _, new, gone in rows), default=0))
    top = 4 * step
    slot = plot_width / max(len(rows), 1)
    bar_width = max(slot * 0.4, 0.5)
    label_every = max(1, round(len(rows) / 8))  # about eight labels on the axis, whatever the range

    def bar(x: float, value: int) -> Bar:
        height = plot_height * value / top
        return Bar(
            x=round(x, 2),
            y=round(TOP + plot_height - height, 2),
            width=round(bar_width, 2),
            height=round(height, 2),
            value=value,
        )

    groups = []
    for index, (label, new, gone) in enumerate(rows):
        start = LEFT + index * slot + slot * 0.1
        groups.append(
            Group(
                label=label,
                new=new,
                unsubscribed=gone,
                new_bar=bar(start, new),
                unsubscribed_bar=bar(start + bar_width, gone),
                label_x=round(LEFT + index * slot + slot / 2, 2),
                show_label=index % label_every == 0,
            )
        )
    ticks = [Tick(y=round(TOP + plot_height - plot_height * part / 4, 2), value=step * part) for part in range(5)]
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        bottom_y=TOP + plot_height,
        right_x=WIDTH - RIGHT,
        per=per,
        groups=groups,
        ticks=ticks,
    )


@dataclass(frozen=True)
class Point:
    label: str
    value: int
    x: float
    y: float
    show_label: bool


@dataclass(frozen=True)
class LineChart:
    """Active subscribers at the end of each day (or month): a line, its points and the data table."""

    width: int
    height: int
    left: int
    bottom_y: int
    right_x: int
    per: str
    points: list[Point]
    ticks: list[Tick]

    @property
    def path(self) -> str:
        return " ".join(f"{point.x},{point.y}" for point in self.points)

    @property
    def last(self) -> int:
        return self.points[-1].value if self.points else 0


def line_chart(days: list[DayCounts]) -> LineChart:
    """Active subscribers over the period: at the end of each day, or of each month when there are many days."""
    if len(days) > MAX_DAILY_BARS:
        months: dict[str, int] = {}
        for day in days:
            months[day.day.strftime("%Y-%m")] = day.active  # the month's last day wins
        rows, per = list(months.items()), "month"
    else:
        rows, per = [(day.day.isoformat(), day.active) for day in days], "day"
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = _tick_step(max((value for _, value in rows), default=0))
    top = 4 * step
    slot = plot_width / max(len(rows), 1)
    label_every = max(1, round(len(rows) / 8))
    points = [
        Point(
            label=label,
            value=value,
            x=round(LEFT + index * slot + slot / 2, 2),
            y=round(TOP + plot_height - plot_height * value / top, 2),
            show_label=index % label_every == 0,
        )
        for index, (label, value) in enumerate(rows)
    ]
    ticks = [Tick(y=round(TOP + plot_height - plot_height * part / 4, 2), value=step * part) for part in range(5)]
    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        bottom_y=TOP + plot_height,
        right_x=WIDTH - RIGHT,
        per=per,
        points=points,
        ticks=ticks,
    )
