"""Maintenance planning: how long relief lasts, when the next session should be, early
warning before relapse, and taper suggestions. Pure Python, no Django.

Between two sessions the scores fall to a nadir and, as relief wears off, rise again.
Relief counts as lost at the first score that has risen by the clinic's rise threshold
(MaintenanceRules.warning_rise_points) above the lowest score so far since the session;
its day is counted in calendar days from the session (day 0). The next session is
recommended a little before the shortest recent loss (Andrade 2017: dose a little before
the previous effect wears off, clinical.md §1.4), never sooner than the protocol's
minimum spacing, which the caller passes in.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from .course import Judgement, Status, describe, label, meets_response
from .course import baseline as find_baseline
from .data import DAY, Course, ScorePoint, ScoreRef, SessionPoint, ids, merge_ids
from .rules import MaintenanceRules, OutcomeRules

COUNT_WORDS = {1: "the last session", 2: "the last two sessions", 3: "the last three sessions"}


@dataclass(frozen=True)
class Worsening:
    """Scores rose from a nadir: by points, or into a worse severity band."""

    nadir: ScorePoint
    point: ScorePoint
    by_points: bool
    by_band: bool

    @property
    def rise(self) -> int:
        return self.point.value - self.nadir.value


@dataclass(frozen=True)
class ReliefInterval:
    """The time after one session, up to the next session (or open, for the last one)."""

    course: Course  # whose zone the calendar days are counted in
    session: SessionPoint
    ends_at: dt.datetime | None
    scores: tuple[ScorePoint, ...]
    nadir: ScorePoint | None
    loss: Worsening | None  # the first rise by the threshold, when one was seen

    @property
    def loss_day(self) -> int | None:
        if self.loss is None:
            return None
        return self.course.calendar_days(self.session.given_at, self.loss.point.taken_at)

    @property
    def length_days(self) -> int | None:
        if self.ends_at is None:
            return None
        return self.course.calendar_days(self.session.given_at, self.ends_at)


@dataclass(frozen=True)
class ReliefEstimate:
    status: Status  # MET: estimated from observed losses; MISSING: no loss seen yet
    reason: str
    score_ids: tuple[ScoreRef, ...] = ()
    days: int | None = None  # the shortest recent loss day
    intervals: tuple[ReliefInterval, ...] = ()  # the intervals the estimate rests on


@dataclass(frozen=True)
class Recommendation:
    status: Status  # MET: a date is recommended; MISSING: no basis for one
    reason: str
    score_ids: tuple[ScoreRef, ...] = ()
    date: dt.date | None = None
    day: int | None = None  # days after the last session
    relief_days: int | None = None
    spacing_applied: bool = False  # the minimum spacing moved the date later
    overdue: bool = False  # the date is before `today`


@dataclass(frozen=True)
class TaperSuggestion:
    status: Status  # MET: lengthen the interval; NOT_MET: keep it; MISSING: cannot judge
    reason: str
    score_ids: tuple[ScoreRef, ...] = ()
    current_interval_days: int | None = None
    suggested_interval_days: int | None = None


# --- worsening from a nadir -------------------------------------------------------------


def first_worsening(
    points: Sequence[ScorePoint], *, rise_points: int | None, band_steps: int | None
) -> Worsening | None:
    """The first score that rose by `rise_points` above the lowest score before it, or
    moved `band_steps` bands above that score's band. The nadir keeps the first of equal
    lows."""
    nadir: ScorePoint | None = None
    for point in points:
        if nadir is not None:
            by_points = rise_points is not None and point.value - nadir.value >= rise_points
            by_band = (
                band_steps is not None
                and point.band_rank is not None
                and nadir.band_rank is not None
                and point.band_rank - nadir.band_rank >= band_steps
            )
            if by_points or by_band:
                return Worsening(nadir, point, by_points, by_band)
        if nadir is None or point.value < nadir.value:
            nadir = point
    return None


def _lowest(points: Sequence[ScorePoint]) -> ScorePoint | None:
    return min(points, key=lambda p: p.value) if points else None


# --- relief ---------------------------------------------------------------------------


def relief_intervals(
    course: Course, instrument: str, rules: MaintenanceRules
) -> tuple[ReliefInterval, ...]:
    """Each session's interval with its scores, nadir and the first loss of relief (a rise
    by the instrument's threshold; no threshold set means no loss can be seen)."""
    rise = rules.warning_rise_points.get(instrument)
    series = course.series(instrument)
    intervals = []
    for index, session in enumerate(course.sessions):
        ends = course.sessions[index + 1].given_at if index + 1 < len(course.sessions) else None
        scores = tuple(
            p
            for p in series
            if p.taken_at > session.given_at and (ends is None or p.taken_at < ends)
        )
        loss = first_worsening(scores, rise_points=rise, band_steps=None) if rise else None
        intervals.append(ReliefInterval(course, session, ends, scores, _lowest(scores), loss))
    return tuple(intervals)


def estimate_relief(course: Course, instrument: str, rules: MaintenanceRules) -> ReliefEstimate:
    """How long relief lasts: the shortest loss day among the most recent intervals in
    which scores rose again (at most `relief_lookback_intervals` of them)."""
    rise = rules.warning_rise_points.get(instrument)
    if rise is None:
        return ReliefEstimate(Status.MISSING, f"no rise threshold is set for {label(instrument)}")
    intervals = relief_intervals(course, instrument, rules)
    recent = [iv for iv in intervals if iv.loss is not None][-rules.relief_lookback_intervals :]
    if not recent:
        return ReliefEstimate(
            Status.MISSING,
            f"no rise of ≥{rise} {label(instrument)} points from a post-session nadir has "
            "been seen: relief has not been seen to wear off",
        )
    days = min(iv.loss_day for iv in recent if iv.loss_day is not None)
    return ReliefEstimate(
        Status.MET,
        _relief_evidence(course, intervals, recent),
        ids(p for iv in recent if iv.loss for p in (iv.loss.nadir, iv.loss.point)),
        days=days,
        intervals=tuple(recent),
    )


def _relief_evidence(
    course: Course, intervals: Sequence[ReliefInterval], recent: Sequence[ReliefInterval]
) -> str:
    """'scores rose 6 points from the nadir 16 days after the last two sessions'."""
    rises = sorted({iv.loss.rise for iv in recent if iv.loss})
    days = sorted({iv.loss_day for iv in recent if iv.loss_day is not None})
    rise_text = _span(rises) + (" point" if rises == [1] else " points")
    day_text = _span(days) + (" day" if days == [1] else " days")
    if list(intervals[-len(recent) :]) == list(recent):
        which = COUNT_WORDS.get(len(recent), f"the last {len(recent)} sessions")
    else:
        dates = [f"{course.date_of(iv.session.given_at):%Y-%m-%d}" for iv in recent]
        which = "the sessions of " + ", ".join(dates[:-1]) + " and " + dates[-1]
        if len(dates) == 1:
            which = f"the session of {dates[0]}"
    return f"scores rose {rise_text} from the nadir {day_text} after {which}"


def _span(values: Sequence[int]) -> str:
    return str(values[0]) if len(values) == 1 else f"{values[0]}-{values[-1]}"


def recommend_next_session(
    course: Course,
    instrument: str,
    *,
    rules: MaintenanceRules,
    min_spacing: dt.timedelta,
    today: dt.date | None = None,
    spacing_rule: str | None = None,
) -> Recommendation:
    """The next session date: `lead_days` before the day relief was lost, counted from the
    last session, and never sooner than `min_spacing` after it (nor the same day).
    `spacing_rule` names where the spacing comes from (e.g. the course's protocol); given,
    the reason always says which rule the date respects."""
    if not course.sessions:
        return Recommendation(Status.MISSING, "no session has been given yet")
    last = course.sessions[-1]
    estimate = estimate_relief(course, instrument, rules)
    if estimate.days is None:
        return Recommendation(
            Status.MISSING,
            f"{estimate.reason}; there is no basis to recommend a date, so keep the "
            "planned schedule",
            estimate.score_ids,
        )
    wanted = estimate.days - rules.lead_days
    earliest = max(1, math.ceil(min_spacing / DAY))
    day = max(wanted, earliest)
    date = course.date_of(last.given_at) + dt.timedelta(days=day)
    reason = f"{estimate.reason}; next session recommended at day {day} ({date:%Y-%m-%d})"
    if day == wanted:
        reason += (
            f", {rules.lead_days} days before relief was lost (Andrade 2017: dose a little "
            "before the previous effect wears off)"
        )
        if spacing_rule:
            reason += f"; it respects {spacing_rule}"
    else:
        rule = spacing_rule or f"the minimum spacing of {spacing_words(min_spacing)}"
        reason += (
            f", the earliest {rule} after the last session allows (day {wanted} would be "
            f"{rules.lead_days} days before relief was lost)"
        )
    if day >= estimate.days:
        reason += "; this is not before relief was lost last time: review the plan"
    overdue, reason = overdue_as_of(date, reason, today)
    return Recommendation(
        Status.MET,
        reason,
        estimate.score_ids,
        date=date,
        day=day,
        relief_days=estimate.days,
        spacing_applied=day != wanted,
        overdue=overdue,
    )


def overdue_as_of(date: dt.date, reason: str, today: dt.date | None) -> tuple[bool, str]:
    """Whether a recommended date is overdue on `today` (before it), and the reason saying
    so. Kept apart so a stored recommendation is judged against the reader's today."""
    overdue = today is not None and date < today
    return overdue, (f"{reason}; overdue since {date:%Y-%m-%d}" if overdue else reason)


def spacing_words(spacing: dt.timedelta) -> str:
    hours = spacing / dt.timedelta(hours=1)
    if hours % 24 == 0:
        days = int(hours // 24)
        return "1 day" if days == 1 else f"{days} days"
    return f"{hours:g} hours"


# --- early warning ------------------------------------------------------------------


def early_warning(course: Course, instrument: str, rules: MaintenanceRules) -> Judgement:
    """MET (put the patient on the worklist) when the latest score since the last session
    has risen by the instrument's threshold above the lowest score before it in that
    interval, or moved `warning_band_steps` bands worse."""
    if not course.sessions:
        return Judgement(Status.MISSING, "no session has been given yet")
    last = course.sessions[-1]
    since = [p for p in course.series(instrument) if p.taken_at > last.given_at]
    name = label(instrument)
    if len(since) < 2:
        return Judgement(
            Status.MISSING,
            f"{len(since)} {name} score(s) since the last session on "
            f"{course.date_of(last.given_at):%Y-%m-%d}: two are needed to see a rise",
            ids(since),
        )
    latest, nadir = since[-1], _lowest(since[:-1])
    assert nadir is not None
    rise_points = rules.warning_rise_points.get(instrument)
    found = first_worsening(
        [nadir, latest], rise_points=rise_points, band_steps=rules.warning_band_steps
    )
    if found is None:
        limit = f"≥{rise_points} points" if rise_points else "no rise threshold set"
        return Judgement(
            Status.NOT_MET,
            f"{describe(course, latest)}, {latest.value - nadir.value:+d} from the nadir "
            f"{nadir.value} since the last session ({limit})",
            ids([nadir, latest]),
        )
    return Judgement(
        Status.MET, _warning_reason(course, found), ids([nadir, latest]), latest.taken_at
    )


def _band_words(point: ScorePoint) -> str:
    """A severity band as words ("moderately_severe" -> "moderately severe")."""
    return point.band.replace("_", " ") if point.band else f"band {point.band_rank}"


def _warning_reason(course: Course, found: Worsening) -> str:
    parts = []
    if found.by_points:
        parts.append(f"{found.rise} points above the nadir {describe(course, found.nadir)}")
    if found.by_band:
        steps = (found.point.band_rank or 0) - (found.nadir.band_rank or 0)
        parts.append(
            f"{steps} severity band(s) worse than at the nadir "
            f"({_band_words(found.nadir)} → {_band_words(found.point)})"
        )
    return f"early warning: {describe(course, found.point)} is " + " and ".join(parts)


# --- taper ------------------------------------------------------------------------------


def taper_suggestion(
    course: Course,
    instrument: str,
    *,
    rules: MaintenanceRules,
    outcome_rules: OutcomeRules | None = None,
) -> TaperSuggestion:
    """Lengthen the interval by `taper_step_days` when the last `taper_stable_intervals`
    completed intervals were stable: a score in each, no rise by the threshold or band
    from the nadir and, when `outcome_rules` are given, response held throughout."""
    completed = [iv for iv in relief_intervals(course, instrument, rules) if iv.ends_at]
    needed = rules.taper_stable_intervals
    if len(completed) < needed:
        return TaperSuggestion(
            Status.MISSING,
            f"{len(completed)} completed interval(s) between sessions; {needed} stable ones "
            "are needed before tapering",
        )
    recent = completed[-needed:]
    current = recent[-1].length_days
    assert current is not None
    keep = _unstable(course, instrument, recent, rules, outcome_rules)
    if keep is not None:
        return TaperSuggestion(keep.status, keep.reason, keep.score_ids, current)
    suggested = current + rules.taper_step_days
    limit = rules.taper_max_interval_days
    all_ids = ids(p for iv in recent for p in iv.scores)
    if limit is not None and current >= limit:
        return TaperSuggestion(
            Status.NOT_MET,
            f"the interval of {current} days is already at the clinic's maximum of {limit}",
            all_ids,
            current,
        )
    if limit is not None:
        suggested = min(suggested, limit)
    estimate = estimate_relief(course, instrument, rules)
    if estimate.days is not None and suggested > estimate.days - rules.lead_days:
        return TaperSuggestion(
            Status.NOT_MET,
            f"{estimate.reason}; an interval of {suggested} days would not end "
            f"{rules.lead_days} days before that, so keep {current} days",
            merge_ids(all_ids, estimate.score_ids),
            current,
        )
    return TaperSuggestion(
        Status.MET,
        f"scores were stable over the last {len(recent)} intervals of {_interval_days(recent)} "
        f"days (no rise from the nadir{', response held' if outcome_rules else ''}): "
        f"lengthen the interval from {current} to {suggested} days (maintenance at the lowest "
        "frequency that keeps the response, Spravato label)",
        all_ids,
        current,
        suggested,
    )


def _interval_days(intervals: Sequence[ReliefInterval]) -> str:
    return _span(sorted({iv.length_days for iv in intervals if iv.length_days is not None}))


def _unstable(
    course: Course,
    instrument: str,
    recent: Sequence[ReliefInterval],
    rules: MaintenanceRules,
    outcome_rules: OutcomeRules | None,
) -> TaperSuggestion | None:
    """Why the recent intervals do not count as stable, or None when they do."""
    base = find_baseline(course, instrument, outcome_rules) if outcome_rules else None
    for interval in recent:
        when = f"{course.date_of(interval.session.given_at):%Y-%m-%d}"
        if not interval.scores:
            return TaperSuggestion(
                Status.MISSING,
                f"no {label(instrument)} score in the interval after the session of {when}: "
                "stability cannot be judged",
            )
        found = first_worsening(
            interval.scores,
            rise_points=rules.warning_rise_points.get(instrument),
            band_steps=rules.warning_band_steps,
        )
        if found is not None:
            return TaperSuggestion(
                Status.NOT_MET,
                f"after the session of {when}, {_warning_reason(course, found)}: keep the interval",
                ids([found.nadir, found.point]),
            )
        if outcome_rules is not None and base is not None:
            if base.score is None:
                return TaperSuggestion(Status.MISSING, base.reason)
            lost = [
                p
                for p in interval.scores
                if not meets_response(base.score.value, p.value, outcome_rules)
            ]
            if lost:
                return TaperSuggestion(
                    Status.NOT_MET,
                    f"{describe(course, lost[0])} no longer meets response against baseline "
                    f"{base.score.value}: keep the interval",
                    ids([base.score, lost[0]]),
                )
    return None
