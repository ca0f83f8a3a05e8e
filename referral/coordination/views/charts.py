"""Server-side SVG charts: geometry computed here, drawn by templates/coordination/_chart.html.

No JavaScript and no third party: the page stays readable in print and under the CSP. Every
chart is paired with a table holding the same numbers for screen readers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# Distinct in colour and in grey print (dark, mid, light), with a pattern-free stroke.
PALETTE = ("#1f4e79", "#d9822b", "#6b7b8c", "#2e7d32", "#8e24aa")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    value: float
    label: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class XLabel:
    x: float
    label: str


@dataclass(frozen=True)
class Line:
    points: str
    colour: str
    name: str
    dots: list[tuple[float, float, str]]


@dataclass
class Chart:
    title: str
    width: int
    height: int
    plot_left: float
    plot_bottom: float
    plot_right: float
    bars: list[Bar] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    x_labels: list[XLabel] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    rotate_labels: bool = False

    @property
    def empty(self) -> bool:
        return not any(b.value for b in self.bars) and not self.lines


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 × a power of ten)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


@dataclass
class _Frame:
    width: int = 720
    height: int = 280
    left: float = 48
    right: float = 12
    top: float = 16
    bottom: float = 56

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def base(self) -> float:
        return self.height - self.bottom


def _axis(chart: Chart, frame: _Frame, top: float) -> None:
    leading = round(top / 10 ** math.floor(math.log10(top)))
    steps = 5 if leading in (1, 5, 10) else 4  # round tick labels: 0, 1, 2 … or 0, 0.5, 1 …
    for i in range(steps + 1):
        value = top * i / steps
        chart.ticks.append(Tick(frame.base - frame.plot_height * i / steps, _fmt(value)))


def bar_chart(title: str, categories: list[str], series: list[tuple[str, list[float]]],
              *, width: int = 720, height: int = 280) -> Chart:
    """Grouped vertical bars: one group per category, one bar per series."""
    frame = _Frame(width=width, height=height)
    chart = Chart(title, width, height, frame.left, frame.base, width - frame.right,
                  rotate_labels=len(categories) > 8)
    top = nice_max(max((v for _, values in series for v in values), default=0))
    _axis(chart, frame, top)
    group = frame.plot_width / max(len(categories), 1)
    bar_width = max(2.0, group * 0.8 / max(len(series), 1))
    for c, category in enumerate(categories):
        start = frame.left + c * group + group * 0.1
        chart.x_labels.append(XLabel(frame.left + c * group + group / 2, category))
        for s, (name, values) in enumerate(series):
            value = values[c] if c < len(values) else 0
            height_px = frame.plot_height * value / top
            chart.bars.append(Bar(start + s * bar_width, frame.base - height_px, bar_width - 1,
                                  height_px, PALETTE[s % len(PALETTE)], value,
                                  f"{category} · {name}: {_fmt(value)}"))
    chart.legend = [(name, PALETTE[s % len(PALETTE)]) for s, (name, _) in enumerate(series)]
    return chart


def line_chart(title: str, categories: list[str], series: list[tuple[str, list[float | None]]],
               *, width: int = 720, height: int = 240) -> Chart:
    """Lines over periods; a missing value (None) breaks nothing, the point is skipped."""
    frame = _Frame(width=width, height=height)
    chart = Chart(title, width, height, frame.left, frame.base, width - frame.right,
                  rotate_labels=len(categories) > 8)
    present = [v for _, values in series for v in values if v is not None]
    top = nice_max(max(present, default=0))
    _axis(chart, frame, top)
    step = frame.plot_width / max(len(categories), 1)
    for c, category in enumerate(categories):
        chart.x_labels.append(XLabel(frame.left + c * step + step / 2, category))
    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        dots = [
            (round(frame.left + c * step + step / 2, 1),
             round(frame.base - frame.plot_height * v / top, 1),
             f"{categories[c]} · {name}: {_fmt(v)}")
            for c, v in enumerate(values) if v is not None
        ]
        points = " ".join(f"{x},{y}" for x, y, _ in dots)
        chart.lines.append(Line(points, colour, name, dots))
    chart.legend = [(name, PALETTE[s % len(PALETTE)]) for s, (name, _) in enumerate(series)]
    return chart
