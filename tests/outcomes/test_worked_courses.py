"""The worked courses of issue 6, written through the services and judged from the
stored records (scores, given sessions) by the outcomes service."""

from __future__ import annotations

import pytest

from ketacare.measures.models import Score
from ketacare.outcomes import services
from ketacare.outcomes.course import CourseOutcome, Status
from ketacare.patients.models import Patient
from tests.measures.conftest import Team

from .conftest import T0, at, write_course


def judged(team: Team, patient: Patient, instrument: str = "madrs") -> CourseOutcome:
    state = services.patient_outcomes(access=team.prescriber, patient_id=patient.pk, now=at(60))
    (outcome,) = [o for o in state.outcomes if o.instrument == instrument]
    return outcome


def values_of(score_ids: tuple[object, ...]) -> list[int | None]:
    by_id = {str(s.pk): s.total for s in Score.objects.all()}
    return [by_id[str(i)] for i in score_ids]


def test_a_responder_who_remits(team: Team, patient: Patient) -> None:
    write_course(
        team.prescriber,
        patient,
        [0, 2, 4, 7, 9, 11],
        [(-1, 32), (1, 24), (4, 18, 8), (7, 15, 8), (9, 12, 8), (11, 10, 8), (14, 9)],
    )
    outcome = judged(team, patient)
    assert outcome.baseline.value == 32
    assert outcome.response.status is Status.MET
    assert values_of(outcome.response.score_ids) == [32, 9]
    assert "72% below baseline 32" in outcome.response.reason
    assert outcome.remission.status is Status.MET
    assert "MADRS 9 on day 14 (2026-03-16)" in outcome.remission.reason
    assert outcome.rapid_response_24h.status is Status.NOT_MET
    assert outcome.sustained_response.status is Status.MET
    assert values_of(outcome.sustained_response.score_ids) == [32, 15, 12]
    assert outcome.relapse.status is Status.NOT_MET
    assert outcome.time_to_response.sessions == 3
    assert outcome.futility.status is Status.NOT_MET


def test_a_rapid_responder_who_relapses_at_day_18(team: Team, patient: Patient) -> None:
    write_course(
        team.prescriber,
        patient,
        [0, 2, 4],
        [(-2, 34), (0, 14, 13), (1, 12), (4, 11, 8), (8, 13), (12, 15), (18, 24), (23, 27)],
    )
    outcome = judged(team, patient)
    assert outcome.rapid_response_4h.status is Status.MET
    assert outcome.rapid_response_24h.status is Status.MET
    lost = outcome.relapse
    assert lost.status is Status.MET
    assert lost.onset_at is not None and (lost.onset_at.date() - T0.date()).days == 18
    assert lost.confirmed_at == at(23, 10)
    assert values_of(lost.score_ids) == [34, 14, 24, 27]
    assert outcome.duration_of_response.event is True
    assert outcome.duration_of_response.days == pytest.approx(18 - 3 / 24)


def test_a_non_responder_is_flagged_for_futility(team: Team, patient: Patient) -> None:
    write_course(
        team.prescriber,
        patient,
        [0, 2, 4, 7],
        [(-1, 30), (1, 28), (4, 27, 8), (5, 27), (8, 26)],
    )
    outcome = judged(team, patient)
    assert outcome.futility.status is Status.MET
    assert values_of(outcome.futility.score_ids) == [30, 26]
    assert "after 4 sessions, MADRS 26 on day 8" in outcome.futility.reason
    assert outcome.response.status is Status.NOT_MET
    assert outcome.duration_of_response.status is Status.NOT_APPLICABLE


def test_missing_24_hour_data_is_missing_not_a_non_response(team: Team, patient: Patient) -> None:
    write_course(team.prescriber, patient, [0, 3], [(-1, 30), (0, 20, 11), (3, 14, 8)])
    rapid = judged(team, patient).rapid_response_24h
    assert rapid.status is Status.MISSING
    assert "missing, not a non-response" in rapid.reason


def test_a_superseded_score_is_not_judged(team: Team, patient: Patient) -> None:
    from ketacare.measures import services as measures

    from .conftest import madrs

    write_course(team.prescriber, patient, [0, 2], [(-1, 30), (3, 12)])
    wrong = Score.objects.get(patient=patient, total=12)
    measures.response_record(
        access=team.prescriber,
        patient_id=patient.pk,
        instrument="madrs",
        answers=madrs(22),
        context="between_sessions",
        answered_at=at(3, 10),
        supersedes_id=wrong.response_id,
        correction_reason="Item 1 was mis-keyed",
    )
    outcome = judged(team, patient)
    assert outcome.response.status is Status.NOT_MET
    assert values_of(outcome.response.score_ids) == [30, 22]
