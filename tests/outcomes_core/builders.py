"""Synthetic courses for the outcome tests: days are counted from the first dose, given
at 09:00 UTC on 2 March 2026 (day 0). Score ids read '<instrument>@<day>'."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ketacare.outcomes import Course, ScorePoint, SessionPoint

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def at(day: float, hour: float = 9) -> dt.datetime:
    """`day` days after the first dose, at `hour` o'clock (fractions of a day allowed)."""
    return T0 + dt.timedelta(days=day, hours=hour - 9)


def score(
    day: float,
    value: int,
    *,
    hour: float = 10,
    instrument: str = "madrs",
    hours_since_dose: float | None = None,
    band_rank: int | None = None,
) -> ScorePoint:
    return ScorePoint(
        instrument=instrument,
        value=value,
        taken_at=at(day, hour),
        id=f"{instrument}@{day:g}",
        hours_since_dose=hours_since_dose,
        band_rank=band_rank,
    )


def sessions(*days: float) -> list[SessionPoint]:
    return [SessionPoint(given_at=at(day), id=f"session@{day:g}") for day in days]


def build(session_days: Iterable[float], scores: Iterable[ScorePoint]) -> Course:
    return Course.build(sessions=sessions(*session_days), scores=scores)
