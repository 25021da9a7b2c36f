"""The patient's own view: a score history drawn as a simple chart with plain-language
bands behind it. Pure: no Django. The chart is SVG geometry, so the page needs no script,
prints, and reads the same on a phone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 320, 160
LEFT, RIGHT, TOP, BOTTOM = 28, 8, 8, 22  # room for the axis labels


@dataclass(frozen=True)
class BandArea:
    label: str
    y: float  # top of the band
    height: float
    shade: int  # 0 (lowest scores) … n-1: lighter for lower scores


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    total: int
    day: dt.date


@dataclass(frozen=True)
class ScoreChart:
    points: tuple[Point, ...]
    bands: tuple[BandArea, ...]
    low: int
    high: int
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def bottom(self) -> float:
        return HEIGHT - BOTTOM


def score_chart(
    scores: Sequence[tuple[dt.date, int]],
    *,
    low: int,
    high: int,
    bands: Sequence[tuple[str, int, int]] = (),
) -> ScoreChart | None:
    """Scores by date on the instrument's whole range (low..high, so a small change does
    not look large), with its bands (label, low, high) shaded behind. None without scores."""
    if not scores or high <= low:
        return None
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    first, last = scores[0][0], scores[-1][0]
    span_days = max((last - first).days, 1)

    def y_of(value: float) -> float:
        clipped = min(max(value, low), high)
        return TOP + inner_h - (clipped - low) / (high - low) * inner_h

    points = tuple(
        Point(
            LEFT + (inner_w / 2 if len(scores) == 1 else (day - first).days / span_days * inner_w),
            y_of(total),
            total,
            day,
        )
        for day, total in scores
    )
    areas = tuple(
        BandArea(label, y_of(b_high + 0.5), y_of(b_low - 0.5) - y_of(b_high + 0.5), n)
        for n, (label, b_low, b_high) in enumerate(sorted(bands, key=lambda b: b[1]))
    )
    return ScoreChart(points, areas, low, high)
