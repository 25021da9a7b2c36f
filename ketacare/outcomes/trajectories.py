"""Symptom trajectories for the dashboard: median and interquartile range by week of
treatment. Pure Python, no Django.

Week 0 is the baseline; week n (n ≥ 1) holds scores taken more than 7(n-1) and at most
7n days after the first dose. Each patient counts once per week, with the last score of
that week, so a patient measured daily does not outweigh one measured weekly.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
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


def last_in_each_week(points: Iterable[Point]) -> dict[int, float]:
    """Each week of treatment's last value (of points on the same day, the later given)."""
    last: dict[int, float] = {}
    for days, value in sorted(points, key=lambda point: point[0]):
        last[week_of_treatment(days)] = value
    return last


def weekly_summary(series: Iterable[Sequence[Point]]) -> list[WeekSummary]:
    """Median and quartiles of each week of treatment across courses, weeks in order.
    Quartiles use the inclusive method (a single course gives q1 = median = q3)."""
    by_week: dict[int, Counter[float]] = {}
    for points in series:
        for week, value in last_in_each_week(points).items():
            by_week.setdefault(week, Counter())[value] += 1
    return weekly_summary_of_counts(by_week)


def weekly_summary_of_counts(by_week: Mapping[int, Mapping[float, int]]) -> list[WeekSummary]:
    """The same summary from how many courses had each value in each week: what the
    database counts, so the dashboard never holds every course's points."""
    weeks = sorted((week, counts) for week, counts in by_week.items() if sum(counts.values()))
    return [_summarise(week, counts) for week, counts in weeks]


class _Ordered:
    """Values given as counts, read as the sorted list of every value would be."""

    def __init__(self, counts: Mapping[float, int]) -> None:
        self.values = sorted(v for v, n in counts.items() if n > 0)
        self.ends = list(itertools.accumulate(counts[v] for v in self.values))  # how many <=
        self.n = self.ends[-1] if self.ends else 0

    def nth(self, k: int) -> float:
        """The k-th smallest value (from 0)."""
        return self.values[bisect.bisect_right(self.ends, k)]

    def median(self) -> float:
        half = self.n // 2
        return float(self.nth(half) if self.n % 2 else (self.nth(half - 1) + self.nth(half)) / 2)

    def quartile(self, i: int) -> float:
        """statistics.quantiles' inclusive method (at least two values)."""
        j, delta = divmod(i * (self.n - 1), 4)
        return (self.nth(j) * (4 - delta) + self.nth(j + 1) * delta) / 4


def median_of_counts(counts: Mapping[float, int]) -> float | None:
    """The median of the values counted (statistics.median's), None if there are none."""
    ordered = _Ordered(counts)
    return ordered.median() if ordered.n else None


def _summarise(week: int, counts: Mapping[float, int]) -> WeekSummary:
    """Median and inclusive quartiles as `statistics` works them out from the sorted
    values, found in the value counts instead of a list of every value."""
    ordered = _Ordered(counts)
    if ordered.n == 1:
        q1 = q3 = ordered.nth(0)
    else:
        q1, q3 = ordered.quartile(1), ordered.quartile(3)
    return WeekSummary(week, ordered.n, ordered.median(), q1, q3)
