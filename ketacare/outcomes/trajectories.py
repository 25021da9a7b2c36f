"""Symptom trajectories for the dashboard: median and interquartile range by week of
treatment. Pure Python (statistics module), no Django.

Week 0 is the baseline; week n (n ≥ 1) holds scores taken more than 7(n-1) and at most
7n days after the first dose. Each patient counts once per week, with the last score of
that week, so a patient measured daily does not outweigh one measured weekly.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .course import baseline, reduction_percent
from .data import Course, days_between
from .rules import OutcomeRules

Point = tuple[float, float]  # (days since the first dose, value)


@dataclass(frozen=True)
class WeekSummary:
    week: int
    patients: int
    median: float
    q1: float  # 25th percentile
    q3: float  # 75th percentile


def week_of_treatment(days: float) -> int:
    return 0 if days <= 0 else math.ceil(days / 7)


def course_series(
    course: Course, instrument: str, rules: OutcomeRules, *, relative: bool = False
) -> list[Point]:
    """A course as (days, value) points: the baseline at day 0, then every follow-up
    score. With `relative`, values are the percentage reduction from baseline (a course
    without a usable baseline then has no points)."""
    base = baseline(course, instrument, rules).score
    if course.first_dose_at is None or base is None or (relative and base.value <= 0):
        return []
    first = course.first_dose_at
    points = [base, *course.follow_up(instrument)]
    return [
        (
            max(days_between(first, p.taken_at), 0.0),
            reduction_percent(base.value, p.value) if relative else float(p.value),
        )
        for p in points
    ]


def weekly_summary(series: Iterable[Sequence[Point]]) -> list[WeekSummary]:
    """Median and quartiles of each week of treatment across courses, weeks in order.
    Quartiles use the inclusive method (a single course gives q1 = median = q3)."""
    by_week: dict[int, list[float]] = {}
    for points in series:
        last_in_week: dict[int, float] = {}
        for days, value in sorted(points, key=lambda point: point[0]):
            last_in_week[week_of_treatment(days)] = value
        for week, value in last_in_week.items():
            by_week.setdefault(week, []).append(value)
    return [_summarise(week, values) for week, values in sorted(by_week.items())]


def _summarise(week: int, values: list[float]) -> WeekSummary:
    if len(values) == 1:
        q1 = q3 = values[0]
    else:
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return WeekSummary(week, len(values), float(statistics.median(values)), q1, q3)
