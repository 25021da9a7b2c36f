"""The worked synthetic courses of issue 6, with their known answers."""

from __future__ import annotations

import pytest

from ketacare.outcomes import OutcomeRules, Status, classify_course

from .builders import T0, at, build, score

RULES = OutcomeRules()


def responder_who_remits():
    # IV induction thrice weekly (Murrough 2013 style); pre-session scores at 08:00.
    return build(
        [0, 2, 4, 7, 9, 11],
        [
            score(-1, 32),
            score(1, 24),  # 24 h: 25% better, measured but no rapid response
            score(4, 18, hour=8),
            score(7, 15, hour=8),  # 53%: first response, before the 4th session
            score(9, 12, hour=8),
            score(11, 10, hour=8),
            score(14, 9),
        ],
    )


def test_a_responder_who_remits() -> None:
    outcome = classify_course(responder_who_remits(), "madrs", RULES)
    assert outcome.baseline.value == 32
    assert outcome.baseline.score_ids == ("madrs@-1",)
    assert outcome.response.status is Status.MET
    assert outcome.response.score_ids == ("madrs@-1", "madrs@14")
    assert "72% below baseline 32" in outcome.response.reason
    assert outcome.remission.status is Status.MET
    assert "MADRS 9 on day 14 (2026-03-16) is at or below the remission cut-off (≤ 12)" in (
        outcome.remission.reason
    )
    assert outcome.rapid_response_24h.status is Status.NOT_MET
    assert outcome.rapid_response_24h.score_ids == ("madrs@-1", "madrs@1")
    assert outcome.rapid_response_4h.status is Status.MISSING
    assert outcome.sustained_response.status is Status.MET
    assert outcome.sustained_response.score_ids == ("madrs@-1", "madrs@7", "madrs@9")
    assert outcome.sustained_response.at == at(9, 8)
    assert outcome.relapse.status is Status.NOT_MET
    ttr = outcome.time_to_response
    assert (ttr.event, ttr.sessions, ttr.end) == (True, 3, at(7, 8))
    assert ttr.days == pytest.approx(7 - 1 / 24)
    assert "first response MADRS 15 on day 7" in ttr.reason
    duration = outcome.duration_of_response
    assert duration.event is False  # censored at the last measurement
    assert duration.days == pytest.approx(7 + 2 / 24)
    assert outcome.futility.status is Status.NOT_MET
    assert outcome.change.absolute == -23
    assert outcome.change.percent == pytest.approx(-71.875)


def rapid_responder_who_relapses():
    return build(
        [0, 2, 4],
        [
            score(-2, 34),
            score(0, 14, hour=13, hours_since_dose=4),
            score(1, 12),
            score(4, 11, hour=8),
            score(8, 13),
            score(12, 15),
            score(18, 24),  # no longer a 50% reduction (needs ≤ 17)
            score(23, 27),  # 5 days later, still not: relapse confirmed
        ],
    )


def test_a_rapid_responder_who_relapses_at_day_18() -> None:
    outcome = classify_course(rapid_responder_who_relapses(), "madrs", RULES)
    assert outcome.rapid_response_4h.status is Status.MET
    assert outcome.rapid_response_4h.reason.startswith("4 hours after the first dose")
    assert outcome.rapid_response_24h.status is Status.MET
    assert outcome.rapid_response_24h.score_ids == ("madrs@-2", "madrs@1")
    lost = outcome.relapse
    assert lost.status is Status.MET
    assert lost.onset_at is not None
    assert (lost.onset_at.date() - T0.date()).days == 18
    assert lost.confirmed_at == at(23, 10)
    assert lost.score_ids == ("madrs@-2", "madrs@0", "madrs@18", "madrs@23")
    assert "at least 5 days apart" in lost.reason
    duration = outcome.duration_of_response
    assert duration.event is True
    assert duration.start == at(0, 13)
    assert duration.end == at(18, 10)
    assert duration.days == pytest.approx(18 - 3 / 24)
    assert outcome.time_to_response.sessions == 1
    assert outcome.response.status is Status.NOT_MET  # the latest score, day 23


def test_before_confirmation_the_relapse_is_pending() -> None:
    course = rapid_responder_who_relapses()
    outcome = classify_course(course, "madrs", RULES, as_of=at(20))
    assert outcome.relapse.status is Status.NOT_MET
    assert outcome.relapse.pending_since == at(18, 10)
    assert "not yet a relapse" in outcome.relapse.reason
    assert outcome.duration_of_response.event is False


def non_responder():
    return build(
        [0, 2, 4, 7],
        [score(-1, 30), score(1, 28), score(4, 27, hour=8), score(5, 27), score(8, 26)],
    )


def test_a_non_responder_is_flagged_for_futility() -> None:
    outcome = classify_course(non_responder(), "madrs", RULES)
    assert outcome.futility.status is Status.MET
    assert outcome.futility.score_ids == ("madrs@-1", "madrs@8")
    assert "after 4 sessions, MADRS 26 on day 8 (2026-03-10) is 13% below baseline 30" in (
        outcome.futility.reason
    )
    assert "APA consensus" in outcome.futility.reason
    assert outcome.response.status is Status.NOT_MET
    assert outcome.rapid_response_24h.status is Status.NOT_MET
    assert outcome.relapse.status is Status.NOT_APPLICABLE
    assert outcome.time_to_response.event is False
    assert outcome.time_to_response.sessions == 4
    assert outcome.duration_of_response.status is Status.NOT_APPLICABLE


def test_futility_waits_for_the_third_session() -> None:
    outcome = classify_course(non_responder(), "madrs", RULES, as_of=at(3))
    assert outcome.futility.status is Status.NOT_MET
    assert outcome.futility.reason == "2 of 3 sessions given; futility is reviewed after 3"


def test_futility_without_a_score_after_the_third_session_is_missing() -> None:
    course = build([0, 2, 4], [score(-1, 30), score(1, 28)])
    assert classify_course(course, "madrs", RULES).futility.status is Status.MISSING


def missing_24_hours():
    return build([0, 3], [score(-1, 30), score(0, 20, hour=11), score(3, 14, hour=8)])


def test_missing_24_hour_data_is_reported_as_missing() -> None:
    outcome = classify_course(missing_24_hours(), "madrs", RULES)
    rapid = outcome.rapid_response_24h
    assert rapid.status is Status.MISSING
    assert not rapid.met
    assert rapid.reason == (
        "no MADRS score 18-30 hours after the first dose and before the second session: "
        "rapid response at 24 hours is missing, not a non-response"
    )
    assert outcome.response.status is Status.MET  # day 3: 14 is 53% below 30


def test_a_24_hour_score_after_the_second_session_does_not_count() -> None:
    course = build([0, 0.9], [score(-1, 30), score(1, 12)])
    assert classify_course(course, "madrs", RULES).rapid_response_24h.status is Status.MISSING


def test_the_score_nearest_24_hours_is_used() -> None:
    course = build([0], [score(-1, 30), score(0, 20, hour=30), score(1, 14, hour=8)])
    rapid = classify_course(course, "madrs", RULES).rapid_response_24h
    assert rapid.score_ids == ("madrs@-1", "madrs@1")
    assert rapid.status is Status.MET
