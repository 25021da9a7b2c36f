"""Baselines that are missing, old or zero; boundaries and ties; the relapse options."""

from __future__ import annotations

import subprocess
import sys

from ketacare.outcomes import (
    Course,
    EventKind,
    EventPoint,
    OutcomeRules,
    Relapse,
    RelapseRule,
    ScorePoint,
    Status,
    baseline,
    change_from_baseline,
    classify_course,
    relapse,
    remission,
    response,
)

from .builders import at, build, score, sessions

RULES = OutcomeRules()


def test_no_baseline_makes_every_relative_outcome_missing() -> None:
    outcome = classify_course(build([0], [score(1, 10), score(3, 8)]), "madrs", RULES)
    assert outcome.baseline.status is Status.MISSING
    assert outcome.baseline.reason == "no MADRS score before the first dose"
    for verdict in (
        outcome.response,
        outcome.rapid_response_24h,
        outcome.sustained_response,
        outcome.relapse,
        outcome.time_to_response,
        outcome.duration_of_response,
        outcome.change,
    ):
        assert verdict.status is Status.MISSING, verdict
    # Remission needs no baseline.
    assert outcome.remission.status is Status.MET


def test_a_baseline_outside_the_window_is_not_used() -> None:
    course = build([0], [score(-15, 30, hour=9), score(2, 10)])
    found = baseline(course, "madrs", RULES)
    assert found.status is Status.MISSING
    assert found.reason == (
        "the last MADRS score before the first dose (30 on 2026-02-15) is 15 days before "
        "it, outside the 14-day baseline window"
    )
    assert response(course, "madrs", RULES).status is Status.MISSING
    wider = OutcomeRules(baseline_window_days=15)
    assert baseline(course, "madrs", wider).value == 30


def test_the_window_edge_is_inside() -> None:
    course = build([0], [score(-14, 30, hour=9)])
    assert baseline(course, "madrs", RULES).value == 30


def test_a_score_at_the_moment_of_the_first_dose_is_the_baseline() -> None:
    course = build([0], [score(-3, 30), score(0, 28, hour=9), score(1, 14)])
    assert baseline(course, "madrs", RULES).value == 28


def test_no_first_dose_yet() -> None:
    course = Course.build(scores=[score(-1, 30)])
    assert baseline(course, "madrs", RULES).reason == "the course has no first dose yet"
    assert classify_course(course, "madrs", RULES).response.status is Status.MISSING


def test_a_zero_baseline_makes_percentages_not_applicable() -> None:
    course = build([0], [score(-1, 0, instrument="phq9"), score(1, 0, instrument="phq9")])
    verdict = response(course, "phq9", RULES)
    assert verdict.status is Status.NOT_APPLICABLE
    assert "a reduction in percent is undefined" in verdict.reason
    change = change_from_baseline(course, "phq9", RULES)
    assert (change.absolute, change.percent) == (0, None)


def test_exactly_half_is_a_response() -> None:
    assert response(build([0], [score(-1, 30), score(2, 15)]), "madrs", RULES).met
    assert not response(build([0], [score(-1, 30), score(2, 16)]), "madrs", RULES).met
    assert response(build([0], [score(-1, 31), score(2, 15)]), "madrs", RULES).met
    assert not response(build([0], [score(-1, 31), score(2, 16)]), "madrs", RULES).met


def test_remission_cut_offs_per_instrument() -> None:
    def remits(instrument: str, value: int, rules: OutcomeRules = RULES) -> Status:
        course = build([0], [score(2, value, instrument=instrument)])
        return remission(course, instrument, rules).status

    assert remits("madrs", 12) is Status.MET
    assert remits("madrs", 13) is Status.NOT_MET
    assert remits("phq9", 4) is Status.MET
    assert remits("phq9", 5) is Status.NOT_MET  # PHQ-9 < 5
    assert remits("qids_sr16", 5) is Status.MET
    assert remits("qids_sr16", 6) is Status.NOT_MET
    assert remits("gad7", 0) is Status.NOT_APPLICABLE
    stricter = OutcomeRules(remission_at_or_below={"madrs": 10})
    assert remits("madrs", 11, stricter) is Status.NOT_MET
    assert remits("madrs", 10, stricter) is Status.MET


def test_equal_times_keep_the_order_given() -> None:
    # Two baseline scores at the same instant: the one given last counts.
    course = build([0], [score(-1, 30), score(-1, 26), score(1, 13)])
    assert baseline(course, "madrs", RULES).value == 26
    assert response(course, "madrs", RULES).met


def test_measurements_closer_than_five_days_are_not_yet_a_relapse() -> None:
    course = build([0], [score(-1, 30), score(1, 12), score(10, 20), score(13, 22)])
    found = relapse(course, "madrs", RULES)
    assert found.status is Status.NOT_MET
    assert found.pending_since == at(10, 10)


def test_a_response_in_between_resets_the_count() -> None:
    course = build([0], [score(-1, 30), score(1, 12), score(10, 20), score(12, 14), score(16, 20)])
    found = relapse(course, "madrs", RULES)
    assert found.status is Status.NOT_MET
    assert found.pending_since == at(16, 10)


def test_a_score_back_at_baseline_is_a_relapse_at_once() -> None:
    course = build([0], [score(-1, 30), score(1, 12), score(9, 31)])
    found = relapse(course, "madrs", RULES)
    assert found.status is Status.MET
    assert found.onset_at == found.confirmed_at == at(9, 10)
    assert "back at ≥100% of baseline 30" in found.reason
    off = OutcomeRules(relapse_back_to_baseline_percent=None)
    assert relapse(course, "madrs", off).status is Status.NOT_MET


SUSTAIN = OutcomeRules(relapse_rule=RelapseRule.MADRS_THRESHOLD)


def test_sustain1_two_scores_a_day_apart_are_not_a_relapse() -> None:
    """Issue #12 finding 14: the SUSTAIN-1 option counted two scores one day apart.
    Daly 2019: MADRS ≥ 22 on 2 consecutive assessments 5-15 days apart."""
    course = build([0], [score(-1, 40), score(1, 15), score(5, 22), score(6, 23)])
    found = relapse(course, "madrs", SUSTAIN)
    assert found.status is Status.NOT_MET
    assert found.pending_since == at(5, 10)
    assert "at MADRS ≥ 22, 5-15 days apart" in found.reason


def test_sustain1_worked_examples() -> None:
    def judged(*points: tuple[float, int]) -> Relapse:
        scores = [score(-1, 40), score(1, 15), *(score(d, v) for d, v in points)]
        return relapse(build([0], scores), "madrs", SUSTAIN)

    # Day 5 and day 11 (6 days apart): relapse from day 5, confirmed on day 11.
    found = judged((5, 22), (6, 23), (11, 24))
    assert found.status is Status.MET
    assert (found.onset_at, found.confirmed_at) == (at(5, 10), at(11, 10))
    assert found.reason == (
        "MADRS ≥ 22 on 2 consecutive assessments 5-15 days apart, from MADRS 22 on day 5 "
        "(2026-03-07) to MADRS 24 on day 11 (2026-03-13), after response on MADRS 15 on "
        "day 1 (2026-03-03) (SUSTAIN-1 relapse, Daly 2019)"
    )
    # 20 days apart is too far: the count starts again at day 25, confirmed on day 32.
    found = judged((5, 25), (25, 26), (32, 24))
    assert (found.onset_at, found.confirmed_at) == (at(25, 10), at(32, 10))
    # A score below 22 in between ends the count.
    assert judged((5, 25), (8, 18), (12, 25)).status is Status.NOT_MET
    # Exactly 5 and exactly 15 days count.
    assert judged((5, 22), (10, 22)).status is Status.MET
    assert judged((5, 22), (20, 22)).status is Status.MET
    phq = build([0], [score(-1, 20, instrument="phq9"), score(1, 5, instrument="phq9")])
    assert relapse(phq, "phq9", SUSTAIN).status is Status.NOT_APPLICABLE


def test_sustain1_a_recorded_hospitalisation_or_suicide_attempt_is_a_relapse() -> None:
    def course_with(*events: EventPoint) -> Course:
        return Course.build(
            sessions=sessions(0),
            scores=[score(-1, 40), score(1, 15), score(8, 16)],
            events=events,
        )

    hospital = EventPoint(EventKind.HOSPITALISATION, at(9), "event-1")
    found = relapse(course_with(hospital), "madrs", SUSTAIN)
    assert found.status is Status.MET and found.event_id == "event-1"
    assert found.onset_at == found.confirmed_at == at(9)
    assert found.reason.startswith(
        "Hospitalisation for worsening depression on 2026-03-11, after response on MADRS 15"
    )
    attempt = EventPoint(EventKind.SUICIDE_ATTEMPT, at(3), "event-2")
    assert relapse(course_with(attempt), "madrs", SUSTAIN).onset_at == at(3)
    # Before the response there is no response to lose: the event is not a relapse.
    early = EventPoint(EventKind.SUICIDE_PREVENTION, at(0, 12), "event-3")
    assert relapse(course_with(early), "madrs", SUSTAIN).status is Status.NOT_MET
    # Under the default rule (loss of response) events are not counted.
    assert relapse(course_with(hospital), "madrs", RULES).status is Status.NOT_MET


def test_end_of_induction_is_judged_as_it_stood() -> None:
    course = build([0, 2, 4], [score(-1, 30), score(5, 14), score(30, 28)])
    assert classify_course(course, "madrs", RULES, as_of=at(6)).response.met
    assert not classify_course(course, "madrs", RULES).response.met


def test_the_package_imports_without_django() -> None:
    code = (
        "import sys, ketacare.outcomes; assert not any(m.startswith('django') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603 (fixed code)


def test_hamd17_has_remission_at_7_and_response_so_its_outcomes_apply() -> None:
    """Issue #12 finding 13: HAM-D 17 had no remission cut-off, so its outcomes were 'not
    applicable'. Remission ≤ 7 (Zimmerman 2004), response ≥50% from baseline."""

    def hamd(day: float, value: int) -> ScorePoint:
        return score(day, value, instrument="hamd17")

    course = build([0, 3], [hamd(-2, 24), hamd(2, 12), hamd(7, 7)])
    outcome = classify_course(course, "hamd17", RULES)
    assert outcome.remission.status is Status.MET
    assert outcome.remission.reason == (
        "HAM-D 17 7 on day 7 (2026-03-09) is at or below the remission cut-off (≤ 7)"
    )
    assert outcome.response.status is Status.MET
    assert outcome.sustained_response.status is Status.MET  # 12 and 7 against 24
    not_yet = build([0], [hamd(-2, 24), hamd(2, 8)])
    assert remission(not_yet, "hamd17", RULES).status is Status.NOT_MET
    assert response(not_yet, "hamd17", RULES).met  # 8 is 67% below 24
    stricter = OutcomeRules(remission_at_or_below={**RULES.remission_at_or_below, "hamd17": 6})
    assert remission(course, "hamd17", stricter).status is Status.NOT_MET
