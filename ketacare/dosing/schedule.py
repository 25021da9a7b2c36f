"""Treatment-plan schedules: pure generation and checking of session dates.

A course is a list of phases (e.g. esketamine TRD: twice weekly in weeks 1-4, weekly in
weeks 5-8). Each period of a phase (a week, or 2 or 4 weeks) gets its sessions spread
evenly over the period, on days the clinic is open, not closed, with a chair free, and
at least the protocol's minimum number of days after the previous session. A session
that cannot be placed in its period is reported, never silently moved into the next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ketacare.dosing.protocols import Phase, ProtocolDefinition

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class ClinicCalendar:
    """When the clinic can give sessions. Weekdays are 0 (Monday) to 6 (Sunday).
    daily_capacity: sessions a day (chairs x slots); None means no limit is set.
    booked: sessions already on the books each day (for the capacity check)."""

    open_weekdays: frozenset[int] = frozenset(range(5))
    closures: Mapping[dt.date, str] = field(default_factory=dict)
    daily_capacity: int | None = None
    booked: Mapping[dt.date, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedSession:
    number: int  # 1-based across the course
    day: dt.date
    phase: str
    dose: Decimal


@dataclass(frozen=True)
class Unplaced:
    phase: str
    period_start: dt.date
    reason: str


@dataclass(frozen=True)
class Schedule:
    sessions: tuple[PlannedSession, ...]
    unplaced: tuple[Unplaced, ...]


@dataclass(frozen=True)
class Violation:
    code: str
    reason: str


def day_violations(
    day: dt.date,
    *,
    calendar: ClinicCalendar,
    other_days: Iterable[dt.date] = (),
    min_days_between: int = 1,
    rule_source: str = "",
) -> tuple[Violation, ...]:
    """Every rule a session on `day` breaks, each with its reason."""
    found = []
    if day.weekday() not in calendar.open_weekdays:
        found.append(
            Violation("closed_weekday", f"The clinic is closed on {WEEKDAY_NAMES[day.weekday()]}s.")
        )
    if day in calendar.closures:
        found.append(
            Violation("closure", f"The clinic is closed on {day}: {calendar.closures[day]}.")
        )
    if (
        calendar.daily_capacity is not None
        and calendar.booked.get(day, 0) >= calendar.daily_capacity
    ):
        found.append(
            Violation(
                "capacity", f"All {calendar.daily_capacity} session places on {day} are booked."
            )
        )
    for other in other_days:
        gap = abs((day - other).days)
        if gap < min_days_between:
            what = "the same day as" if gap == 0 else f"{gap} day(s) from"
            found.append(
                Violation(
                    "spacing",
                    f"{day} is {what} the session on {other}; this protocol needs at least "
                    f"{min_days_between} day(s) between sessions{rule_source}.",
                )
            )
    return tuple(found)


def first_open_day(
    calendar: ClinicCalendar, on_or_after: dt.date, *, within_days: int = 366
) -> dt.date | None:
    """The first day from `on_or_after` on which the calendar lets a session be booked
    (an open weekday, not a closure, a place free), or None within `within_days`."""
    for offset in range(within_days):
        day = on_or_after + dt.timedelta(days=offset)
        if not day_violations(day, calendar=calendar):
            return day
    return None


def _targets(period_start: dt.date, period_days: int, count: int) -> list[dt.date]:
    """Evenly spread target days within a period: twice a week is day 0 and day 3 or 4."""
    return [period_start + dt.timedelta(days=(i * period_days) // count) for i in range(count)]


def generate(
    *,
    phases: tuple[Phase, ...],
    start: dt.date,
    calendar: ClinicCalendar,
    min_days_between: int,
    dose_for: Mapping[int, Decimal] | None = None,
    default_dose: Decimal = Decimal(0),
) -> Schedule:
    """Sessions for a course starting on `start` (week 1 begins that day)."""
    placed: list[PlannedSession] = []
    unplaced: list[Unplaced] = []
    booked = dict(calendar.booked)
    week = 0
    for phase in phases:
        for period in range(phase.weeks // phase.period_weeks):
            period_start = start + dt.timedelta(weeks=week + period * phase.period_weeks)
            period_end = period_start + dt.timedelta(weeks=phase.period_weeks)
            for target in _targets(period_start, 7 * phase.period_weeks, phase.sessions):
                day = _first_free(target, period_end, placed, booked, calendar, min_days_between)
                if day is None:
                    unplaced.append(
                        Unplaced(
                            phase.label,
                            period_start,
                            "No open day in this period keeps "
                            "the spacing rule, the clinic's opening days and closures.",
                        )
                    )
                    continue
                number = len(placed) + 1
                dose = (dose_for or {}).get(number, default_dose)
                placed.append(PlannedSession(number, day, phase.label, dose))
                booked[day] = booked.get(day, 0) + 1
        week += phase.weeks
    return Schedule(tuple(placed), tuple(unplaced))


def _first_free(
    target: dt.date,
    period_end: dt.date,
    placed: list[PlannedSession],
    booked: Mapping[dt.date, int],
    calendar: ClinicCalendar,
    min_days_between: int,
) -> dt.date | None:
    earliest = target
    if placed:
        earliest = max(earliest, placed[-1].day + dt.timedelta(days=min_days_between))
    day = earliest
    probe = ClinicCalendar(
        calendar.open_weekdays, calendar.closures, calendar.daily_capacity, booked
    )
    while day < period_end:
        if not day_violations(day, calendar=probe):
            return day
        day += dt.timedelta(days=1)
    return None


def planned_doses(
    protocol: ProtocolDefinition, count: int, start: Decimal, step: Decimal | None
) -> dict[int, Decimal]:
    return {n: protocol.planned_dose(n, start, step) for n in range(1, count + 1)}


def course_length(phases: tuple[Phase, ...]) -> int:
    return sum(p.sessions * (p.weeks // p.period_weeks) for p in phases)


def futility_review_due(*, infusions_given: int, responded: bool, review_after: int | None) -> bool:
    """True when a course has reached the clinic's futility point without a response
    (APA consensus: few respond after 3 infusions without an earlier response)."""
    return review_after is not None and not responded and infusions_given >= review_after


def integration_days(sessions: Iterable[PlannedSession], calendar: ClinicCalendar) -> list[dt.date]:
    """Ketamine-assisted psychotherapy: a therapist's integration session on the first open
    day after each dosing session (a clinical choice; the clinic may move it)."""
    days = []
    for session in sessions:
        day = session.day + dt.timedelta(days=1)
        for _ in range(14):
            if not day_violations(
                day, calendar=ClinicCalendar(calendar.open_weekdays, calendar.closures)
            ):
                days.append(day)
                break
            day += dt.timedelta(days=1)
    return days
