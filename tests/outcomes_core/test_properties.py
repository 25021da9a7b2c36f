"""Properties of the outcome rules over random courses (Hypothesis)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from ketacare.outcomes import (
    Course,
    EventKind,
    EventPoint,
    MaintenanceRules,
    OutcomeRules,
    RelapseRule,
    ScorePoint,
    Status,
    classify_course,
    recommend_next_session,
    relapse,
    response,
    weekly_summary,
    weekly_summary_of_counts,
)
from ketacare.outcomes.course import meets_response
from ketacare.outcomes.trajectories import median_of_counts

from .builders import T0, sessions

RULES = OutcomeRules()
HOUR = dt.timedelta(hours=1)


def point(hours: int, value: int, n: int) -> ScorePoint:
    return ScorePoint("madrs", value, T0 + hours * HOUR, id=n)


@st.composite
def courses(draw: st.DrawFn) -> Course:
    """A first dose at T0, a baseline within the window, sessions over 90 days and
    follow-up scores at whole hours after the first dose."""
    session_days = draw(st.lists(st.integers(1, 90), max_size=12, unique=True))
    base = point(-draw(st.integers(0, 14 * 24)), draw(st.integers(1, 60)), 0)
    hours = draw(st.lists(st.integers(1, 100 * 24), max_size=20, unique=True))
    follow_up = [point(h, draw(st.integers(0, 60)), i + 1) for i, h in enumerate(hours)]
    return Course.build(sessions=sessions(0, *session_days), scores=[base, *follow_up])


@settings(max_examples=150, deadline=None)
@given(courses(), st.lists(st.integers(0, 60), min_size=1, max_size=5), st.integers(1, 500))
def test_scores_before_the_baseline_window_change_nothing(
    course: Course, values: list[int], hours_before: int
) -> None:
    start = T0 - dt.timedelta(days=RULES.baseline_window_days) - hours_before * HOUR
    old = [ScorePoint("madrs", v, start - i * HOUR, id=f"old{i}") for i, v in enumerate(values)]
    longer = Course.build(
        sessions=course.sessions, scores=[*course.series("madrs"), *old], first_dose_at=T0
    )
    assert classify_course(longer, "madrs", RULES) == classify_course(course, "madrs", RULES)


@given(st.integers(1, 60), st.integers(0, 60), st.integers(0, 60), st.integers(1, 100))
def test_a_lower_score_never_loses_a_response(
    base: int, value: int, lower_by: int, percent: int
) -> None:
    rules = OutcomeRules(response_reduction_percent=percent)
    if meets_response(base, value, rules):
        assert meets_response(base, max(value - lower_by, 0), rules)


@settings(max_examples=150, deadline=None)
@given(courses(), st.integers(0, 60))
def test_a_lower_latest_score_keeps_a_responder_a_responder(course: Course, lower: int) -> None:
    series = course.series("madrs")
    if not response(course, "madrs", RULES).met:
        return
    last = series[-1]
    better = dataclasses.replace(last, value=min(lower, last.value))
    changed = Course.build(sessions=course.sessions, scores=[*series[:-1], better])
    assert response(changed, "madrs", RULES).met


@st.composite
def maintenance_courses(draw: st.DrawFn) -> Course:
    gaps = draw(st.lists(st.integers(1, 30), min_size=1, max_size=6))
    days = [0]
    for gap in gaps:
        days.append(days[-1] + gap)
    hours = draw(st.lists(st.integers(1, (days[-1] + 30) * 24), max_size=30, unique=True))
    points = [point(h, draw(st.integers(0, 60)), i) for i, h in enumerate(hours)]
    return Course.build(sessions=sessions(*days), scores=points)


@settings(max_examples=200, deadline=None)
@given(
    maintenance_courses(),
    st.integers(0, 40 * 24),
    st.integers(0, 10),
    st.integers(1, 10),
)
def test_the_recommendation_never_violates_the_minimum_spacing(
    course: Course, spacing_hours: int, lead: int, rise: int
) -> None:
    rules = MaintenanceRules(lead_days=lead, warning_rise_points={"madrs": rise})
    spacing = spacing_hours * HOUR
    advice = recommend_next_session(course, "madrs", rules=rules, min_spacing=spacing)
    if advice.date is None:
        assert advice.status is Status.MISSING
        return
    last = course.sessions[-1].given_at.date()
    assert (advice.date - last).days * dt.timedelta(days=1) >= spacing
    assert advice.day is not None and advice.day >= 1
    assert advice.relief_days is not None
    if not advice.spacing_applied and lead > 0:
        assert advice.day < advice.relief_days  # before relief was lost
    assert advice.reason and advice.score_ids


@settings(max_examples=200, deadline=None)
@given(courses())
def test_times_are_never_negative_and_events_agree(course: Course) -> None:
    outcome = classify_course(course, "madrs", RULES)
    reached, lasted = outcome.time_to_response, outcome.duration_of_response
    assert reached.days is None or reached.days >= 0
    assert lasted.days is None or lasted.days >= 0
    assert lasted.event == (outcome.relapse.status is Status.MET)
    if reached.event:
        assert reached.sessions is not None and reached.sessions >= 1
    if lasted.days is not None:
        assert reached.event


@settings(max_examples=200, deadline=None)
@given(courses())
def test_every_verdict_names_its_scores_and_reason(course: Course) -> None:
    outcome = classify_course(course, "madrs", RULES)
    known = {p.id for p in course.series("madrs")}
    for field in dataclasses.fields(outcome)[1:]:
        verdict = getattr(outcome, field.name)
        assert verdict.reason
        assert set(verdict.score_ids) <= known
        if verdict.status in (Status.MET, Status.NOT_MET) and field.name != "futility":
            assert verdict.score_ids, field.name
    for rapid in (outcome.rapid_response_24h, outcome.rapid_response_4h):
        # Not met only on a measured score: the baseline and the score in the window.
        if rapid.status is Status.NOT_MET:
            assert len(rapid.score_ids) == 2


@given(
    st.lists(
        st.lists(st.tuples(st.floats(-5, 100), st.floats(0, 60)), min_size=1, max_size=10),
        max_size=8,
    )
)
def test_weekly_quartiles_are_ordered(series: list[list[tuple[float, float]]]) -> None:
    for week in weekly_summary(series):
        assert week.q1 <= week.median <= week.q3
        assert 1 <= week.patients <= len(series)


@given(st.lists(st.one_of(st.integers(0, 60).map(float), st.floats(0, 60)), min_size=1))
def test_a_week_summarised_from_counts_is_what_statistics_makes_of_the_values(
    values: list[float],
) -> None:
    """The dashboard counts values in the database; the summary of those counts must be
    the median and inclusive quartiles of the values themselves."""
    (week,) = weekly_summary_of_counts({3: Counter(values)})
    q1, _, q3 = (
        statistics.quantiles(values, n=4, method="inclusive")
        if len(values) > 1
        else [values[0]] * 3
    )
    assert (week.week, week.patients) == (3, len(values))
    assert week.median == statistics.median(values)
    assert (week.q1, week.q3) == (q1, q3)
    assert median_of_counts(Counter(values)) == statistics.median(values)


def test_no_values_have_no_median_and_no_week() -> None:
    assert median_of_counts({}) is None
    assert weekly_summary_of_counts({2: {}, 3: {5.0: 0}}) == []


# --- SUSTAIN-1 relapse option (issue #12 finding 14) ---------------------------------------

SUSTAIN = OutcomeRules(relapse_rule=RelapseRule.MADRS_THRESHOLD)


@st.composite
def responded_courses(draw: st.DrawFn) -> Course:
    """Baseline 40, a response on day 1, then MADRS scores at random hours over 60 days,
    and maybe a few relapse events."""
    base = point(-24, 40, 0)
    responded = point(24, 10, 1)
    hours = draw(st.lists(st.integers(25, 60 * 24), max_size=12, unique=True))
    follow_up = [point(h, draw(st.integers(0, 40)), i + 2) for i, h in enumerate(hours)]
    events = [
        EventPoint(kind, T0 + h * HOUR, f"e{i}")
        for i, (kind, h) in enumerate(
            draw(
                st.lists(
                    st.tuples(st.sampled_from(list(EventKind.LABELS)), st.integers(0, 60 * 24)),
                    max_size=2,
                )
            )
        )
    ]
    return Course.build(sessions=sessions(0), scores=[base, responded, *follow_up], events=events)


@settings(max_examples=200, deadline=None)
@given(responded_courses())
def test_a_sustain1_relapse_rests_on_scores_5_to_15_days_apart_or_on_an_event(
    course: Course,
) -> None:
    found = relapse(course, "madrs", SUSTAIN)
    assert found.status in (Status.MET, Status.NOT_MET)
    if found.status is not Status.MET:
        assert not [e for e in course.events if e.occurred_at > T0 + 24 * HOUR]
        return
    if found.event_id is not None:
        event = next(e for e in course.events if e.id == found.event_id)
        assert event.occurred_at > T0 + 24 * HOUR and found.onset_at == event.occurred_at
        return
    assert found.onset_at is not None and found.confirmed_at is not None
    by_time = {p.taken_at: p for p in course.series("madrs")}
    onset, confirmed = by_time[found.onset_at], by_time[found.confirmed_at]
    assert onset.value >= 22 and confirmed.value >= 22
    assert 5 <= (confirmed.taken_at - onset.taken_at) / dt.timedelta(days=1) <= 15
    between = [
        p for p in course.series("madrs") if onset.taken_at < p.taken_at < confirmed.taken_at
    ]
    assert all(p.value >= 22 for p in between)


@settings(max_examples=150, deadline=None)
@given(responded_courses(), st.sampled_from(list(EventKind.LABELS)), st.integers(25, 60 * 24))
def test_a_relapse_event_after_response_always_makes_a_relapse_no_later(
    course: Course, kind: str, hours: int
) -> None:
    before = relapse(course, "madrs", SUSTAIN)
    event = EventPoint(kind, T0 + hours * HOUR, "added")
    more = Course.build(
        sessions=course.sessions,
        scores=course.series("madrs"),
        events=[*course.events, event],
    )
    after = relapse(more, "madrs", SUSTAIN)
    assert after.status is Status.MET and after.onset_at is not None
    if before.status is Status.MET:
        assert before.confirmed_at is not None and after.confirmed_at is not None
        assert after.confirmed_at <= before.confirmed_at


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 60 * 24), max_size=12, unique=True))
def test_scores_that_never_reach_22_are_never_a_sustain1_relapse(hours: list[int]) -> None:
    scores = [point(-24, 40, 0), point(24, 10, 1)]
    scores += [point(25 + h, 21, i + 2) for i, h in enumerate(hours)]
    course = Course.build(sessions=sessions(0), scores=scores)
    assert relapse(course, "madrs", SUSTAIN).status is Status.NOT_MET
