"""The inputs of the outcome rules: scores, sessions and a course. Pure Python, no Django.

The integrator turns `Score` and session rows into these plain values; every rule then
works on a `Course` and cites the `id` of each score it rests on, so a clinician can open
the scores behind a verdict.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ScoreRef = int | str  # the primary key (or any stable reference) of a stored score
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class ScorePoint:
    """One total score of one instrument. Lower is better for every instrument the
    outcome rules judge (MADRS, PHQ-9, QIDS-SR16, HAM-D 17).

    `hours_since_dose` is the recorded offset from the start of the preceding dose, when
    the score was taken as a post-session measurement; the rapid-response windows prefer
    it to the difference of clock times. `band_rank` is the index of the score's severity
    band, 0 for the mildest (used only by the worsening-band early warning)."""

    instrument: str
    value: int
    taken_at: dt.datetime
    id: ScoreRef
    hours_since_dose: float | None = None
    band: str | None = None
    band_rank: int | None = None


@dataclass(frozen=True)
class SessionPoint:
    """A treatment session that was given (dosing began at `given_at`)."""

    given_at: dt.datetime
    id: ScoreRef


class EventKind:
    """Clinical events that count as relapse under the SUSTAIN-1 option (Daly 2019)."""

    HOSPITALISATION = "hospitalisation"  # for worsening depression
    SUICIDE_ATTEMPT = "suicide_attempt"
    SUICIDE_PREVENTION = "suicide_prevention"  # other clinically relevant event to prevent suicide

    LABELS = {
        HOSPITALISATION: "Hospitalisation for worsening depression",
        SUICIDE_ATTEMPT: "Suicide attempt",
        SUICIDE_PREVENTION: "Other clinically relevant event to prevent suicide",
    }


@dataclass(frozen=True)
class EventPoint:
    """A recorded clinical event (EventKind), e.g. a hospitalisation for worsening
    depression, with the reference of its record."""

    kind: str
    occurred_at: dt.datetime
    id: ScoreRef

    @property
    def label(self) -> str:
        return EventKind.LABELS.get(self.kind, self.kind)


@dataclass(frozen=True)
class Course:
    """A course of treatment: its first dose, its sessions in time order, and its scores
    grouped by instrument, each group in time order. Build it with `Course.build`.

    Scores at the same instant keep the order they were given in, so the one given last
    (the later-recorded) counts as the later score. Calendar days (day 3, a recommended
    date) are counted in `zone`, the clinic's time zone: an evening session in New York
    is on that evening's date, not on the next day's in UTC."""

    first_dose_at: dt.datetime | None
    sessions: tuple[SessionPoint, ...] = ()
    scores: Mapping[str, tuple[ScorePoint, ...]] = field(default_factory=dict)
    zone: dt.tzinfo = dt.UTC
    events: tuple[EventPoint, ...] = ()  # in time order

    @classmethod
    def build(
        cls,
        *,
        sessions: Iterable[SessionPoint] = (),
        scores: Iterable[ScorePoint] = (),
        first_dose_at: dt.datetime | None = None,
        zone: dt.tzinfo = dt.UTC,
        events: Iterable[EventPoint] = (),
    ) -> Course:
        """A course from unordered sessions and scores. The first dose defaults to the
        earliest session."""
        ordered = tuple(sorted(sessions, key=lambda s: s.given_at))
        if first_dose_at is None and ordered:
            first_dose_at = ordered[0].given_at
        grouped: dict[str, list[ScorePoint]] = {}
        for point in sorted(scores, key=lambda p: p.taken_at):  # stable: ties keep input order
            grouped.setdefault(point.instrument, []).append(point)
        timed = tuple(sorted(events, key=lambda e: e.occurred_at))
        return cls(first_dose_at, ordered, {k: tuple(v) for k, v in grouped.items()}, zone, timed)

    def date_of(self, moment: dt.datetime) -> dt.date:
        """The calendar date of an instant in the course's zone."""
        return moment.astimezone(self.zone).date()

    def calendar_days(self, start: dt.datetime, end: dt.datetime) -> int:
        """Calendar days from `start` to `end` in the course's zone (day 0 is start's)."""
        return (self.date_of(end) - self.date_of(start)).days

    @property
    def instruments(self) -> tuple[str, ...]:
        return tuple(sorted(self.scores))

    def series(self, instrument: str) -> tuple[ScorePoint, ...]:
        return self.scores.get(instrument, ())

    def follow_up(self, instrument: str) -> tuple[ScorePoint, ...]:
        """Scores taken after the first dose began, in time order."""
        if self.first_dose_at is None:
            return ()
        start = self.first_dose_at
        return tuple(p for p in self.series(instrument) if p.taken_at > start)

    def sessions_by(self, when: dt.datetime) -> int:
        """How many sessions had begun at or before `when`."""
        return sum(1 for s in self.sessions if s.given_at <= when)

    def until(self, as_of: dt.datetime) -> Course:
        """The course as it stood at `as_of`: later sessions and scores left out (e.g. to
        judge the end of induction)."""
        return Course(
            self.first_dose_at if self.first_dose_at and self.first_dose_at <= as_of else None,
            tuple(s for s in self.sessions if s.given_at <= as_of),
            {k: tuple(p for p in v if p.taken_at <= as_of) for k, v in self.scores.items()},
            self.zone,
            tuple(e for e in self.events if e.occurred_at <= as_of),
        )


def days_between(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start) / DAY


def whole_days(days: float) -> int:
    """A duration as the dashboard counts it: whole days, to the nearest (a half day up).
    Time to response and time free of relapse are reported in days; counting them in
    whole days bounds how many distinct durations a clinic has, whatever its size."""
    return math.floor(days + 0.5)


def format_days(days: float) -> str:
    """'16 days', '1 day', '2.5 days'."""
    rounded = round(days, 1)
    text = f"{rounded:g}"
    return f"{text} day" if text == "1" else f"{text} days"


def ids(points: Iterable[ScorePoint | None]) -> tuple[ScoreRef, ...]:
    """The ids of the given scores, without duplicates, in the order given."""
    seen: dict[ScoreRef, None] = {}
    for point in points:
        if point is not None:
            seen.setdefault(point.id, None)
    return tuple(seen)


def merge_ids(*groups: tuple[ScoreRef, ...]) -> tuple[ScoreRef, ...]:
    """Several groups of score ids as one, without duplicates, first seen first."""
    return tuple(dict.fromkeys(ref for group in groups for ref in group))
