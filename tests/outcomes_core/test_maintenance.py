"""Maintenance planning: relief that lasts about two weeks, the next-session date, the
minimum spacing, early warning and taper suggestions."""

from __future__ import annotations

import datetime as dt

from ketacare.outcomes import (
    MaintenanceRules,
    OutcomeRules,
    ScorePoint,
    Status,
    early_warning,
    estimate_relief,
    recommend_next_session,
    relief_intervals,
    taper_suggestion,
)

from .builders import at, build, score

RULES = MaintenanceRules()
DAYS = dt.timedelta(days=1)


def fading_relief(session_day: float, loss_day: int = 16) -> list[ScorePoint]:
    """Scores after a session: a nadir of 10, then a rise of 6 on `loss_day`."""
    return [
        score(session_day + offset, value)
        for offset, value in ((2, 12), (5, 10), (9, 10), (12, 12), (loss_day, 16))
    ]


def two_week_relief():
    """Relief lost 16 days after each of the last two sessions (days 0 and 18)."""
    return build([0, 18], [score(-1, 32), *fading_relief(0), *fading_relief(18)])


def test_relief_of_about_two_weeks_gives_a_date_before_it_was_lost() -> None:
    course = two_week_relief()
    advice = recommend_next_session(
        course, "madrs", rules=RULES, min_spacing=7 * DAYS, today=at(34).date()
    )
    assert advice.status is Status.MET
    assert (advice.day, advice.relief_days) == (13, 16)
    assert advice.date == dt.date(2026, 4, 2)
    lost_on = at(18 + 16).date()
    assert advice.date < lost_on
    assert advice.reason.startswith(
        "scores rose 6 points from the nadir 16 days after the last two sessions; "
        "next session recommended at day 13 (2026-04-02), 3 days before relief was lost "
        "(Andrade 2017"
    )
    assert advice.score_ids == ("madrs@5", "madrs@16", "madrs@23", "madrs@34")
    assert advice.overdue  # today is day 34: the date has passed
    assert not advice.spacing_applied


def test_the_estimate_rests_on_the_shortest_recent_loss() -> None:
    course = build([0, 18], [*fading_relief(0, loss_day=14), *fading_relief(18)])
    estimate = estimate_relief(course, "madrs", RULES)
    assert estimate.days == 14
    assert estimate.reason == (
        "scores rose 6 points from the nadir 14-16 days after the last two sessions"
    )


def test_an_interval_without_a_loss_is_named_by_the_sessions_dates() -> None:
    course = build([0, 18, 31], [*fading_relief(0), *fading_relief(18, loss_day=11), score(33, 11)])
    intervals = relief_intervals(course, "madrs", RULES)
    assert [iv.loss_day for iv in intervals] == [16, 11, None]
    advice = recommend_next_session(course, "madrs", rules=RULES, min_spacing=7 * DAYS)
    assert advice.reason.startswith(
        "scores rose 6 points from the nadir 11-16 days after the sessions of 2026-03-02 "
        "and 2026-03-20; next session recommended at day 8 (2026-04-10)"
    )


def test_the_minimum_spacing_moves_the_date_later() -> None:
    advice = recommend_next_session(two_week_relief(), "madrs", rules=RULES, min_spacing=14 * DAYS)
    assert (advice.day, advice.spacing_applied) == (14, True)
    assert "the earliest the minimum spacing of 14 days after the last session allows" in (
        advice.reason
    )
    assert "review the plan" not in advice.reason
    late = recommend_next_session(two_week_relief(), "madrs", rules=RULES, min_spacing=20 * DAYS)
    assert late.day == 20
    assert "not before relief was lost last time: review the plan" in late.reason


def test_a_spacing_in_hours_rounds_up_to_whole_days() -> None:
    course = build([0, 18], [score(1, 10), score(3, 16), score(19, 10), score(21, 16)])
    advice = recommend_next_session(
        course, "madrs", rules=RULES, min_spacing=dt.timedelta(hours=36)
    )
    assert advice.day == 2
    assert "36 hours" in advice.reason


def test_without_a_loss_of_relief_there_is_no_date() -> None:
    course = build([0, 14], [score(2, 10), score(9, 11), score(16, 10)])
    advice = recommend_next_session(course, "madrs", rules=RULES, min_spacing=7 * DAYS)
    assert advice.status is Status.MISSING
    assert advice.date is None
    assert "relief has not been seen to wear off" in advice.reason
    unknown = estimate_relief(course, "hamd17", RULES)
    assert unknown.reason == "no rise threshold is set for HAM-D 17"


def test_early_warning_on_a_rise_from_the_nadir() -> None:
    course = build([0], [score(2, 12), score(5, 10), score(9, 16)])
    warning = early_warning(course, "madrs", RULES)
    assert warning.status is Status.MET
    assert warning.score_ids == ("madrs@5", "madrs@9")
    assert warning.reason == (
        "early warning: MADRS 16 on day 9 (2026-03-11) is 6 points above the nadir "
        "MADRS 10 on day 5 (2026-03-07)"
    )
    calm = build([0], [score(2, 12), score(5, 10), score(9, 15)])
    assert early_warning(calm, "madrs", RULES).status is Status.NOT_MET


def test_early_warning_on_a_worse_band() -> None:
    course = build([0], [score(2, 18, band_rank=1), score(9, 21, band_rank=2)])
    warning = early_warning(course, "madrs", RULES)
    assert warning.status is Status.MET
    assert "1 severity band(s) worse than at the nadir (band 1 → band 2)" in warning.reason
    no_bands = MaintenanceRules(warning_band_steps=None)
    assert early_warning(course, "madrs", no_bands).status is Status.NOT_MET


def test_early_warning_needs_two_scores_since_the_last_session() -> None:
    course = build([0, 10], [score(2, 10), score(8, 20), score(11, 25)])
    assert early_warning(course, "madrs", RULES).status is Status.MISSING


def stable_fortnights(rise_in_last: bool = False):
    values = [(3, 9), (7, 8), (11, 10)]
    points = [score(-1, 30)]
    for start in (0, 14, 28):
        points += [score(start + offset, value) for offset, value in values]
    if rise_in_last:
        points.append(score(28 + 12, 15))
    return build([0, 14, 28, 42], points)


def test_stable_intervals_suggest_a_longer_one() -> None:
    suggestion = taper_suggestion(
        stable_fortnights(), "madrs", rules=RULES, outcome_rules=OutcomeRules()
    )
    assert suggestion.status is Status.MET
    assert (suggestion.current_interval_days, suggestion.suggested_interval_days) == (14, 21)
    assert suggestion.reason.startswith(
        "scores were stable over the last 2 intervals of 14 days (no rise from the nadir, "
        "response held): lengthen the interval from 14 to 21 days"
    )


def test_a_rise_keeps_the_interval() -> None:
    suggestion = taper_suggestion(stable_fortnights(rise_in_last=True), "madrs", rules=RULES)
    assert suggestion.status is Status.NOT_MET
    assert suggestion.reason.endswith(": keep the interval")
    assert suggestion.suggested_interval_days is None


def test_the_taper_respects_the_maximum_and_earlier_losses() -> None:
    capped = MaintenanceRules(taper_max_interval_days=14)
    assert taper_suggestion(stable_fortnights(), "madrs", rules=capped).status is Status.NOT_MET
    rules = MaintenanceRules(taper_max_interval_days=18)
    assert taper_suggestion(stable_fortnights(), "madrs", rules=rules).suggested_interval_days == 18
    # Relief was once lost 16 days after a session: 21 days would pass it.
    history = build(
        [-40, -20, 0, 14, 28],
        [*fading_relief(-40), *stable_fortnights().series("madrs")],
    )
    suggestion = taper_suggestion(history, "madrs", rules=RULES)
    assert suggestion.status is Status.NOT_MET
    assert "an interval of 21 days would not end 3 days before that" in suggestion.reason


def test_a_lost_response_keeps_the_interval() -> None:
    course = build([0, 14, 28], [score(-1, 20), score(3, 11), score(17, 11)])
    suggestion = taper_suggestion(course, "madrs", rules=RULES, outcome_rules=OutcomeRules())
    assert suggestion.status is Status.NOT_MET
    assert "no longer meets response against baseline 20" in suggestion.reason


def test_too_few_intervals_cannot_taper() -> None:
    course = build([0, 14], [score(3, 9), score(7, 8)])
    assert taper_suggestion(course, "madrs", rules=RULES).status is Status.MISSING
