"""Course outcomes: baseline, change, response, remission, rapid and sustained response,
relapse, time to response, duration of response and the futility flag. Pure Python.

Every function takes a `Course`, an instrument code and the clinic's `OutcomeRules`, and
returns its verdict together with the ids of the scores it rests on and a reason in
words. A verdict the data cannot support is `MISSING` (e.g. no score near 24 hours) or
`NOT_APPLICABLE` (e.g. a baseline of 0), never a silent "not met".

Follow-up scores are those taken after the first dose began; the baseline is taken at
or before it. Day numbers count calendar days from the first dose (day 0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .data import (
    Course,
    ScorePoint,
    ScoreRef,
    days_between,
    format_days,
    ids,
    merge_ids,
)
from .rules import OutcomeRules, RelapseRule

LABELS = {"madrs": "MADRS", "phq9": "PHQ-9", "qids_sr16": "QIDS-SR16", "hamd17": "HAM-D 17"}


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    MISSING = "missing"  # the data needed to judge is not there: never read as "not met"
    NOT_APPLICABLE = "not_applicable"  # the rule cannot apply (baseline 0, no cut-off...)


@dataclass(frozen=True)
class Judgement:
    status: Status
    reason: str
    score_ids: tuple[ScoreRef, ...] = ()
    at: dt.datetime | None = None  # when the decisive score was taken

    @property
    def met(self) -> bool:
        return self.status is Status.MET


@dataclass(frozen=True)
class Baseline:
    status: Status  # MET when a baseline was found, MISSING otherwise
    reason: str
    score: ScorePoint | None = None

    @property
    def score_ids(self) -> tuple[ScoreRef, ...]:
        return ids([self.score])

    @property
    def value(self) -> int | None:
        return None if self.score is None else self.score.value


@dataclass(frozen=True)
class Change:
    """Follow-up minus baseline: negative is improvement. `percent` is None at a
    baseline of 0."""

    status: Status
    reason: str
    score_ids: tuple[ScoreRef, ...] = ()
    baseline: int | None = None
    value: int | None = None
    absolute: int | None = None
    percent: float | None = None


@dataclass(frozen=True)
class Relapse:
    status: Status  # MET: relapsed; NOT_MET: response held; NOT_APPLICABLE: no response
    reason: str
    score_ids: tuple[ScoreRef, ...] = ()
    onset_at: dt.datetime | None = None  # the first measurement of the relapse
    confirmed_at: dt.datetime | None = None  # the measurement that confirmed it
    pending_since: dt.datetime | None = None  # response lost, relapse not yet confirmed
    event_id: ScoreRef | None = None  # the clinical event that is the relapse, if one is


@dataclass(frozen=True)
class TimeToEvent:
    """Time from a start to an event, or censored (event False) at the last measurement,
    ready for survival analysis. `days` is None when there is nothing to measure."""

    status: Status
    reason: str
    score_ids: tuple[ScoreRef, ...] = ()
    days: float | None = None
    event: bool = False
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    sessions: int | None = None  # sessions begun by the end (time to response only)


@dataclass(frozen=True)
class CourseOutcome:
    instrument: str
    baseline: Baseline
    change: Change
    response: Judgement
    remission: Judgement
    rapid_response_24h: Judgement
    rapid_response_4h: Judgement
    sustained_response: Judgement
    relapse: Relapse
    time_to_response: TimeToEvent
    duration_of_response: TimeToEvent
    futility: Judgement


# --- helpers ------------------------------------------------------------------------


def label(instrument: str) -> str:
    return LABELS.get(instrument, instrument.upper())


def describe(course: Course, point: ScorePoint) -> str:
    """'MADRS 14 on day 3 (2026-03-04)'."""
    when = f"{course.date_of(point.taken_at):%Y-%m-%d}"
    if course.first_dose_at is not None:
        day = course.calendar_days(course.first_dose_at, point.taken_at)
        when = f"day {day} ({when})"
    return f"{label(point.instrument)} {point.value} on {when}"


def reduction_percent(baseline: int, value: int) -> float:
    """Reduction from baseline in percent (positive is improvement); baseline > 0."""
    return 100 * (baseline - value) / baseline


def meets_response(baseline: int, value: int, rules: OutcomeRules) -> bool:
    # Integer arithmetic: exactly 50% counts, with no rounding error at the boundary.
    return baseline > 0 and (baseline - value) * 100 >= rules.response_reduction_percent * baseline


def _response_words(rules: OutcomeRules) -> str:
    return f"response is a reduction of ≥{rules.response_reduction_percent}% from baseline"


def _usable_baseline(
    course: Course, instrument: str, rules: OutcomeRules
) -> tuple[Baseline, Judgement | None]:
    """The baseline, and the verdict to return at once when it cannot support a
    percentage (missing, or 0)."""
    base = baseline(course, instrument, rules)
    if base.score is None:
        return base, Judgement(Status.MISSING, base.reason)
    if base.score.value <= 0:
        return base, Judgement(
            Status.NOT_APPLICABLE,
            f"baseline {label(instrument)} is {base.score.value}: a reduction in percent "
            "is undefined",
            base.score_ids,
        )
    return base, None


def _first_response(
    base: ScorePoint, follow_up: Sequence[ScorePoint], rules: OutcomeRules
) -> int | None:
    return next(
        (i for i, p in enumerate(follow_up) if meets_response(base.value, p.value, rules)), None
    )


# --- baseline and change --------------------------------------------------------------


def baseline(course: Course, instrument: str, rules: OutcomeRules) -> Baseline:
    """The last score of the instrument at or before the first dose, within the window."""
    name = label(instrument)
    if course.first_dose_at is None:
        return Baseline(Status.MISSING, "the course has no first dose yet")
    first = course.first_dose_at
    before = [p for p in course.series(instrument) if p.taken_at <= first]
    if not before:
        return Baseline(Status.MISSING, f"no {name} score before the first dose")
    last = before[-1]
    gap = days_between(last.taken_at, first)
    window = rules.baseline_window_days
    if gap > window:
        return Baseline(
            Status.MISSING,
            f"the last {name} score before the first dose ({last.value} on "
            f"{course.date_of(last.taken_at):%Y-%m-%d}) is {format_days(gap)} before it, "
            "outside the "
            f"{window}-day baseline window",
        )
    return Baseline(
        Status.MET,
        f"baseline {name} {last.value} on {course.date_of(last.taken_at):%Y-%m-%d}, "
        f"{format_days(gap)} before the first dose",
        last,
    )


def change_from_baseline(
    course: Course, instrument: str, rules: OutcomeRules, point: ScorePoint | None = None
) -> Change:
    """Change of a follow-up score (by default the latest) from baseline."""
    base = baseline(course, instrument, rules)
    if base.score is None:
        return Change(Status.MISSING, base.reason)
    follow_up = course.follow_up(instrument)
    point = point or (follow_up[-1] if follow_up else None)
    if point is None:
        return Change(
            Status.MISSING,
            f"no {label(instrument)} score since the first dose",
            base.score_ids,
            baseline=base.score.value,
        )
    absolute = point.value - base.score.value
    percent = None if base.score.value == 0 else 100 * absolute / base.score.value
    in_percent = "" if percent is None else f" ({percent:+.0f}%)"
    return Change(
        Status.MET,
        f"{describe(course, point)} against baseline {base.score.value}: "
        f"{absolute:+d} points{in_percent}",
        ids([base.score, point]),
        baseline=base.score.value,
        value=point.value,
        absolute=absolute,
        percent=percent,
    )


# --- response, remission, rapid and sustained response ----------------------------------


def response(course: Course, instrument: str, rules: OutcomeRules) -> Judgement:
    """Whether the latest follow-up score meets response against baseline."""
    base, stop = _usable_baseline(course, instrument, rules)
    if stop:
        return stop
    assert base.score is not None
    follow_up = course.follow_up(instrument)
    if not follow_up:
        return Judgement(
            Status.MISSING,
            f"no {label(instrument)} score since the first dose",
            base.score_ids,
        )
    return _judge_response(course, base.score, follow_up[-1], rules)


def _judge_response(
    course: Course, base: ScorePoint, point: ScorePoint, rules: OutcomeRules
) -> Judgement:
    met = meets_response(base.value, point.value, rules)
    reduction = reduction_percent(base.value, point.value)
    return Judgement(
        Status.MET if met else Status.NOT_MET,
        f"{describe(course, point)} is {reduction:.0f}% below baseline {base.value} "
        f"({_response_words(rules)})",
        ids([base, point]),
        point.taken_at,
    )


def remission(course: Course, instrument: str, rules: OutcomeRules) -> Judgement:
    """Whether the latest follow-up score is at or below the instrument's cut-off."""
    name = label(instrument)
    cutoff = rules.remission_at_or_below.get(instrument)
    if cutoff is None:
        return Judgement(Status.NOT_APPLICABLE, f"no remission cut-off is set for {name}")
    follow_up = course.follow_up(instrument)
    if not follow_up:
        return Judgement(Status.MISSING, f"no {name} score since the first dose")
    point = follow_up[-1]
    met = point.value <= cutoff
    return Judgement(
        Status.MET if met else Status.NOT_MET,
        f"{describe(course, point)} is {'at or below' if met else 'above'} the remission "
        f"cut-off (≤ {cutoff})",
        ids([point]),
        point.taken_at,
    )


def rapid_response_24h(course: Course, instrument: str, rules: OutcomeRules) -> Judgement:
    return _rapid(
        course, instrument, rules, rules.rapid_24h_target_hours, rules.rapid_24h_tolerance_hours
    )


def rapid_response_4h(course: Course, instrument: str, rules: OutcomeRules) -> Judgement:
    return _rapid(
        course, instrument, rules, rules.rapid_4h_target_hours, rules.rapid_4h_tolerance_hours
    )


def hours_after_first_dose(course: Course, point: ScorePoint) -> float:
    """The recorded offset when there is one, else the difference of clock times."""
    if point.hours_since_dose is not None:
        return point.hours_since_dose
    assert course.first_dose_at is not None
    return days_between(course.first_dose_at, point.taken_at) * 24


def _rapid(
    course: Course, instrument: str, rules: OutcomeRules, target: float, tolerance: float
) -> Judgement:
    """Response at about `target` hours after the first dose, before the second session.
    Without a score in the window the verdict is MISSING, not a non-response."""
    base, stop = _usable_baseline(course, instrument, rules)
    if stop:
        return stop
    assert base.score is not None
    second = course.sessions[1].given_at if len(course.sessions) > 1 else None
    low, high = target - tolerance, target + tolerance
    candidates = [
        p
        for p in course.follow_up(instrument)
        if (second is None or p.taken_at < second)
        and low <= hours_after_first_dose(course, p) <= high
    ]
    if not candidates:
        return Judgement(
            Status.MISSING,
            f"no {label(instrument)} score {low:g}-{high:g} hours after the first dose"
            f"{' and before the second session' if second else ''}: rapid response at "
            f"{target:g} hours is missing, not a non-response",
            base.score_ids,
        )
    point = min(candidates, key=lambda p: abs(hours_after_first_dose(course, p) - target))
    verdict = _judge_response(course, base.score, point, rules)
    hours = hours_after_first_dose(course, point)
    return Judgement(
        verdict.status,
        f"{hours:g} hours after the first dose: {verdict.reason}",
        verdict.score_ids,
        verdict.at,
    )


def sustained_response(course: Course, instrument: str, rules: OutcomeRules) -> Judgement:
    """Response on N consecutive follow-up measurements (the first such run)."""
    base, stop = _usable_baseline(course, instrument, rules)
    if stop:
        return stop
    assert base.score is not None
    follow_up = course.follow_up(instrument)
    needed = rules.sustained_consecutive
    if not follow_up:
        return Judgement(
            Status.MISSING, f"no {label(instrument)} score since the first dose", base.score_ids
        )
    run: list[ScorePoint] = []
    longest = 0
    for point in follow_up:
        run = [*run, point] if meets_response(base.score.value, point.value, rules) else []
        longest = max(longest, len(run))
        if len(run) == needed:
            return Judgement(
                Status.MET,
                f"response on {needed} consecutive measurements, from "
                f"{describe(course, run[0])} to {describe(course, point)} "
                f"(baseline {base.score.value})",
                ids([base.score, *run]),
                point.taken_at,
            )
    return Judgement(
        Status.NOT_MET,
        f"the longest run of response was {longest} of the {needed} consecutive "
        f"measurements needed (baseline {base.score.value}; {_response_words(rules)})",
        ids([base.score, *follow_up]),
    )


# --- relapse ---------------------------------------------------------------------------


def relapse(course: Course, instrument: str, rules: OutcomeRules) -> Relapse:
    """Loss of response after the first response, by the clinic's relapse rule."""
    base, stop = _usable_baseline(course, instrument, rules)
    if stop:
        return Relapse(stop.status, stop.reason, stop.score_ids)
    assert base.score is not None
    follow_up = course.follow_up(instrument)
    first = _first_response(base.score, follow_up, rules)
    if first is None:
        return Relapse(
            Status.NOT_APPLICABLE,
            f"no response yet, so there is no response to lose ({_response_words(rules)})",
            ids([base.score, *follow_up]),
        )
    responded, after = follow_up[first], follow_up[first + 1 :]
    if rules.relapse_rule is RelapseRule.MADRS_THRESHOLD:
        return _relapse_madrs_threshold(course, instrument, rules, base.score, responded, after)
    return _relapse_loss_of_response(course, rules, base.score, responded, after)


def _relapse_loss_of_response(
    course: Course,
    rules: OutcomeRules,
    base: ScorePoint,
    responded: ScorePoint,
    after: Sequence[ScorePoint],
) -> Relapse:
    needed, span = rules.relapse_consecutive, rules.relapse_min_span_days
    share = rules.relapse_back_to_baseline_percent
    run: list[ScorePoint] = []
    for point in after:
        if share is not None and point.value * 100 >= share * base.value:
            run.append(point)
            return Relapse(
                Status.MET,
                f"{describe(course, point)} is back at ≥{share}% of baseline {base.value} "
                f"after response on {describe(course, responded)}",
                ids([base, responded, *run]),
                onset_at=run[0].taken_at,
                confirmed_at=point.taken_at,
            )
        if meets_response(base.value, point.value, rules):
            run = []
            continue
        run.append(point)
        apart = days_between(run[0].taken_at, point.taken_at)
        if len(run) >= needed and apart >= span:
            return Relapse(
                Status.MET,
                f"response (from {describe(course, responded)}) was lost on {len(run)} "
                f"consecutive measurements from {describe(course, run[0])} to "
                f"{describe(course, point)}, {format_days(apart)} "
                f"apart (relapse rule: {needed} consecutive measurements at least {span} days "
                f"apart no longer meeting response; baseline {base.value})",
                ids([base, responded, *run]),
                onset_at=run[0].taken_at,
                confirmed_at=point.taken_at,
            )
    return _no_relapse(course, base, responded, after, run, needed, f"at least {span} days apart")


def _relapse_madrs_threshold(
    course: Course,
    instrument: str,
    rules: OutcomeRules,
    base: ScorePoint,
    responded: ScorePoint,
    after: Sequence[ScorePoint],
) -> Relapse:
    """SUSTAIN-1 (Daly 2019): MADRS ≥ threshold on `relapse_consecutive` consecutive
    assessments, each `relapse_visit_min_days`-`relapse_visit_max_days` days after the one
    before it, or a relapse event (hospitalisation, suicide attempt, other event to prevent
    suicide) after the response; whichever comes first."""
    threshold, needed = rules.relapse_madrs_at_or_above, rules.relapse_consecutive
    if instrument != "madrs":
        return Relapse(
            Status.NOT_APPLICABLE,
            f"the relapse rule 'MADRS ≥ {threshold}' applies to MADRS scores only",
        )
    by_scores = madrs_relapse_run(
        after, threshold, needed, rules.relapse_visit_min_days, rules.relapse_visit_max_days
    )
    event = next((e for e in course.events if e.occurred_at > responded.taken_at), None)
    spacing = f"{rules.relapse_visit_min_days}-{rules.relapse_visit_max_days} days apart"
    if event is not None and (
        by_scores.run == () or event.occurred_at < by_scores.run[-1].taken_at
    ):
        return Relapse(
            Status.MET,
            f"{event.label} on {course.date_of(event.occurred_at):%Y-%m-%d}, after response on "
            f"{describe(course, responded)} (SUSTAIN-1 relapse: a recorded clinical event)",
            ids([base, responded]),
            onset_at=event.occurred_at,
            confirmed_at=event.occurred_at,
            event_id=event.id,
        )
    if by_scores.run:
        run = by_scores.run
        return Relapse(
            Status.MET,
            f"MADRS ≥ {threshold} on {len(run)} consecutive assessments {spacing}, from "
            f"{describe(course, run[0])} to {describe(course, run[-1])}, after response on "
            f"{describe(course, responded)} (SUSTAIN-1 relapse, Daly 2019)",
            ids([base, responded, *run]),
            onset_at=run[0].taken_at,
            confirmed_at=run[-1].taken_at,
        )
    return _no_relapse(
        course,
        base,
        responded,
        after,
        by_scores.pending,
        needed,
        f"at MADRS ≥ {threshold}, {spacing}",
    )


@dataclass(frozen=True)
class MadrsRun:
    """The scores that confirm a SUSTAIN-1 relapse (empty: none), and the scores at or
    above the threshold since the last one below it (a relapse not yet confirmed)."""

    run: tuple[ScorePoint, ...]
    pending: tuple[ScorePoint, ...]


def madrs_relapse_run(
    scores: Sequence[ScorePoint], threshold: int, needed: int, min_days: float, max_days: float
) -> MadrsRun:
    """The first chain of `needed` scores ≥ `threshold`, each `min_days`-`max_days` days
    after the previous one in the chain, with no score below the threshold in between.

    A score fewer than `min_days` after the previous one neither confirms nor breaks the
    count (a repeat a day later is not a new visit); a score below the threshold ends it.
    """
    high: list[ScorePoint] = []
    chains: dict[int, tuple[ScorePoint, ...]] = {}  # index in `high` -> longest chain ending there
    for point in scores:
        if point.value < threshold:
            high, chains = [], {}
            continue
        best: tuple[ScorePoint, ...] = ()
        for index, earlier in enumerate(high):
            apart = days_between(earlier.taken_at, point.taken_at)
            if min_days <= apart <= max_days and len(chains[index]) > len(best):
                best = chains[index]
        chain = (*best, point)
        chains[len(high)] = chain
        high.append(point)
        if len(chain) >= needed:
            return MadrsRun(chain, tuple(high))
    return MadrsRun((), tuple(high))


def _no_relapse(
    course: Course,
    base: ScorePoint,
    responded: ScorePoint,
    after: Sequence[ScorePoint],
    run: Sequence[ScorePoint],
    needed: int,
    condition: str,
) -> Relapse:
    if run:
        return Relapse(
            Status.NOT_MET,
            f"response was lost on {describe(course, run[0])}; not yet a relapse "
            f"({needed} consecutive measurements {condition} are needed)",
            ids([base, responded, *run]),
            pending_since=run[0].taken_at,
        )
    if not after:
        return Relapse(
            Status.NOT_MET,
            f"response on {describe(course, responded)}, the latest measurement",
            ids([base, responded]),
        )
    return Relapse(
        Status.NOT_MET,
        f"response held from {describe(course, responded)} to {describe(course, after[-1])}",
        ids([base, responded, after[-1]]),
    )


# --- times -----------------------------------------------------------------------------


def time_to_response(course: Course, instrument: str, rules: OutcomeRules) -> TimeToEvent:
    """Days and sessions from the first dose to the first score meeting response, or
    censored at the last follow-up score."""
    base, stop = _usable_baseline(course, instrument, rules)
    if stop:
        return TimeToEvent(stop.status, stop.reason, stop.score_ids)
    assert base.score is not None and course.first_dose_at is not None
    follow_up = course.follow_up(instrument)
    if not follow_up:
        return TimeToEvent(
            Status.MISSING, f"no {label(instrument)} score since the first dose", base.score_ids
        )
    first = _first_response(base.score, follow_up, rules)
    point = follow_up[-1] if first is None else follow_up[first]
    days = days_between(course.first_dose_at, point.taken_at)
    sessions = course.sessions_by(point.taken_at)
    if first is None:
        reason = (
            f"no response by the last measurement, {describe(course, point)}, "
            f"{format_days(days)} and {sessions} session(s) after the first dose (censored)"
        )
    else:
        reason = (
            f"first response {describe(course, point)}, {format_days(days)} and "
            f"{sessions} session(s) after the first dose (baseline {base.score.value})"
        )
    return TimeToEvent(
        Status.MET if first is not None else Status.NOT_MET,
        reason,
        ids([base.score, point]),
        days=days,
        event=first is not None,
        start=course.first_dose_at,
        end=point.taken_at,
        sessions=sessions,
    )


def duration_of_response(course: Course, instrument: str, rules: OutcomeRules) -> TimeToEvent:
    """Days from the first response to the onset of relapse (event), or censored at the
    last follow-up measurement."""
    reached = time_to_response(course, instrument, rules)
    if not reached.event:
        status = Status.MISSING if reached.status is Status.MISSING else Status.NOT_APPLICABLE
        return TimeToEvent(status, f"no duration of response: {reached.reason}", reached.score_ids)
    assert reached.end is not None
    lost = relapse(course, instrument, rules)
    if lost.status is Status.MET:
        assert lost.onset_at is not None
        end, score_ids, event = lost.onset_at, lost.score_ids, True
        reason = f"response lasted until relapse: {lost.reason}"
    else:
        end = course.follow_up(instrument)[-1].taken_at
        score_ids, event = merge_ids(reached.score_ids, lost.score_ids), False
        reason = f"response continues (censored at the last measurement): {lost.reason}"
    days = days_between(reached.end, end)
    return TimeToEvent(
        Status.MET if event else Status.NOT_MET,
        f"{format_days(days)}; {reason}",
        score_ids,
        days=days,
        event=event,
        start=reached.end,
        end=end,
    )


# --- futility --------------------------------------------------------------------------


def futility(course: Course, instrument: str, rules: OutcomeRules) -> Judgement:
    """MET (flag a review) when N sessions have been given, the patient never met
    response, and the latest score after the Nth session is less than the meaningful
    improvement from baseline."""
    after_n = rules.futility_after_sessions
    given = len(course.sessions)
    if given < after_n:
        return Judgement(
            Status.NOT_MET,
            f"{given} of {after_n} sessions given; futility is reviewed after {after_n}",
        )
    base, stop = _usable_baseline(course, instrument, rules)
    if stop:
        return stop
    assert base.score is not None
    follow_up = course.follow_up(instrument)
    first = _first_response(base.score, follow_up, rules)
    if first is not None:
        return Judgement(
            Status.NOT_MET,
            f"responded on {describe(course, follow_up[first])}: futility does not apply",
            ids([base.score, follow_up[first]]),
        )
    nth = course.sessions[after_n - 1].given_at
    since = [p for p in follow_up if p.taken_at > nth]
    if not since:
        return Judgement(
            Status.MISSING,
            f"no {label(instrument)} score since session {after_n} on "
            f"{course.date_of(nth):%Y-%m-%d}: "
            "futility cannot be judged",
            base.score_ids,
        )
    point = since[-1]
    reduction = reduction_percent(base.score.value, point.value)
    enough = rules.futility_min_improvement_percent
    flagged = reduction < enough
    verdict = "less than" if flagged else "at least"
    return Judgement(
        Status.MET if flagged else Status.NOT_MET,
        f"after {given} sessions, {describe(course, point)} is {reduction:.0f}% below "
        f"baseline {base.score.value}, {verdict} the {enough}% counted as meaningful "
        f"improvement (APA consensus: few respond after {after_n} infusions without a "
        "response before)",
        ids([base.score, point]),
        point.taken_at,
    )


# --- everything at once ----------------------------------------------------------------


def classify_course(
    course: Course,
    instrument: str,
    rules: OutcomeRules | None = None,
    *,
    as_of: dt.datetime | None = None,
) -> CourseOutcome:
    """Every outcome of the course for one instrument, as the course stood at `as_of`
    (default: everything recorded)."""
    rules = rules or OutcomeRules()
    if as_of is not None:
        course = course.until(as_of)
    return CourseOutcome(
        instrument=instrument,
        baseline=baseline(course, instrument, rules),
        change=change_from_baseline(course, instrument, rules),
        response=response(course, instrument, rules),
        remission=remission(course, instrument, rules),
        rapid_response_24h=rapid_response_24h(course, instrument, rules),
        rapid_response_4h=rapid_response_4h(course, instrument, rules),
        sustained_response=sustained_response(course, instrument, rules),
        relapse=relapse(course, instrument, rules),
        time_to_response=time_to_response(course, instrument, rules),
        duration_of_response=duration_of_response(course, instrument, rules),
        futility=futility(course, instrument, rules),
    )
