"""Recording rating scales in the chart: the response, its score, its safety alerts and
their audit events are written together or not at all; corrections supersede."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from ketacare.audit.models import AuditEvent
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.measures import services
from ketacare.measures.models import QuestionnaireResponse, SafetyAlert, Score
from ketacare.patients.models import Patient
from ketacare.treatment import services as treatment
from tests.clock import fix_clock
from tests.measures.conftest import (
    MADRS_MODERATE,
    PHQ9_ITEM9,
    PHQ9_MODERATE,
    PHQ9_NONE,
    T0,
    Team,
    audit_count,
    audit_trail,
    register,
)

pytestmark = pytest.mark.django_db


def record(team: Team, patient: Patient, **kwargs: Any) -> services.Recorded:
    data: dict[str, Any] = {
        "instrument": "phq9",
        "answers": PHQ9_MODERATE,
        "context": "between_sessions",
        "answered_at": T0,
        **kwargs,
    }
    access = data.pop("access", team.nurse)
    return services.response_record(access=access, patient_id=patient.pk, **data)


def row_counts() -> tuple[int, int, int, int]:
    return (
        QuestionnaireResponse.objects.count(),
        Score.objects.count(),
        SafetyAlert.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_response_is_stored_with_its_score(team: Team, patient: Patient) -> None:
    recorded = record(team, patient, answered_at=T0, context="baseline")

    response = QuestionnaireResponse.objects.get()
    assert response == recorded.response
    assert response.answers == PHQ9_MODERATE
    assert (response.instrument, response.instrument_version) == ("phq9", "1.0")
    assert (response.context, response.answered_at) == ("baseline", T0)
    assert response.entered_by == team.nurse.user
    assert (response.patient, response.clinic) == (patient, team.clinic)
    score = Score.objects.get()
    assert score == recorded.score
    assert score.response == response
    assert (score.total, score.severity, score.severity_label) == (10, "moderate", "Moderate")
    assert score.flags == []
    assert score.scoring_version == "1.0"
    assert score.is_current
    assert score.answered_at == T0
    assert score.reasons  # the explanation of the total and band is kept
    assert recorded.alerts == []
    assert not SafetyAlert.objects.exists()


def test_the_answered_time_defaults_to_now(team: Team, patient: Patient) -> None:
    before = dt.datetime.now(dt.UTC)
    recorded = record(team, patient, answered_at=None)
    assert before <= recorded.response.answered_at <= dt.datetime.now(dt.UTC)


def test_phq9_item9_raises_a_high_severity_alert_with_the_score(
    team: Team, patient: Patient
) -> None:
    before = dt.datetime.now(dt.UTC)
    recorded = record(team, patient, answers=PHQ9_ITEM9)

    (alert,) = recorded.alerts
    assert SafetyAlert.objects.get() == alert
    assert alert.score == recorded.score
    assert (alert.clinic, alert.patient) == (team.clinic, patient)
    assert (alert.instrument, alert.item_number) == ("phq9", 9)
    assert (alert.flag, alert.severity) == ("suicidal_ideation", "high")
    assert "Item 9" in alert.reason
    assert before <= alert.raised_at <= dt.datetime.now(dt.UTC)
    assert alert.acknowledged_at is None
    assert alert.escalated_at is None
    assert recorded.score.flags == ["suicidal_ideation"]


def test_a_failure_creating_the_alert_rolls_back_the_score(
    team: Team, patient: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = row_counts()

    def broken(*args: Any, **kwargs: Any) -> SafetyAlert:
        raise RuntimeError("alert table unavailable")

    monkeypatch.setattr(SafetyAlert.objects, "create", broken)
    with pytest.raises(RuntimeError, match="alert table unavailable"):
        record(team, patient, answers=PHQ9_ITEM9)

    assert row_counts() == before


def test_no_alert_below_the_threshold_and_a_clinic_may_raise_the_threshold(
    team: Team, patient: Patient
) -> None:
    assert record(team, patient, answers=PHQ9_NONE).alerts == []
    config = services.measure_settings_for(team.clinic)
    config.thresholds = {"phq9": {"suicidal_ideation_threshold": 2}}
    config.save()

    recorded = record(team, patient, answers=PHQ9_ITEM9)

    assert recorded.alerts == []
    assert recorded.score.flags == []
    assert not SafetyAlert.objects.exists()


def test_cssrs_moderate_risk_raises_an_alert(team: Team, patient: Patient) -> None:
    # Wish to be dead, active thoughts with a method; no intent, plan or behaviour.
    answers = [True, True, True, False, False, False, None]
    recorded = record(
        team, patient, access=team.prescriber, instrument="cssrs_screen", answers=answers
    )
    assert recorded.score.risk == "moderate"
    assert recorded.score.total is None
    (alert,) = recorded.alerts
    assert (alert.instrument, alert.item_number) == ("cssrs_screen", 3)
    assert (alert.flag, alert.severity) == ("suicide_risk_moderate", "moderate")
    low = record(
        team,
        patient,
        access=team.prescriber,
        instrument="cssrs_screen",
        answers=[True, True, False, False, False, False, None],
    )
    assert (low.score.risk, low.alerts) == ("low", [])


@pytest.mark.parametrize(
    ("answers", "item"),
    [
        (PHQ9_MODERATE[:8], "answers"),  # too few
        ([4, *PHQ9_MODERATE[1:]], "answers.1"),  # out of range
        ([*PHQ9_MODERATE[:8], None, 1], "answers.9"),  # a scored item missing
    ],
)
def test_bad_answers_are_refused_naming_the_item(
    team: Team, patient: Patient, answers: list[Any], item: str
) -> None:
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        record(team, patient, answers=answers)
    (field,) = refused.value.errors
    assert field.startswith(item)
    if item != "answers":
        assert f"item {item.split('.')[1]}" in str(refused.value.errors).lower()
    assert row_counts() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"instrument": "bdi2"}, "instrument"),
        ({"context": "whenever"}, "context"),
        ({"session_id": uuid.uuid4()}, "session_id"),
    ],
)
def test_unknown_instrument_context_or_session_is_refused(
    team: Team, patient: Patient, change: dict[str, Any], field: str
) -> None:
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        record(team, patient, **change)
    assert list(refused.value.errors) == [field]
    assert row_counts() == before


def test_a_session_of_another_patient_is_refused(team: Team, patient: Patient) -> None:
    other = register(team.nurse, mrn="M-2002")
    fix_clock(T0 - dt.timedelta(days=1))  # booked the day before
    session = treatment.session_schedule(access=team.nurse, patient_id=other.pk, scheduled_start=T0)
    with pytest.raises(ValidationFailed) as refused:
        record(team, patient, session_id=session.pk, context="pre_session")
    assert list(refused.value.errors) == ["session_id"]


def test_context_session_and_offset_are_kept(team: Team, patient: Patient) -> None:
    fix_clock(T0 - dt.timedelta(days=1))  # booked the day before
    session = treatment.session_schedule(
        access=team.nurse, patient_id=patient.pk, scheduled_start=T0
    )
    fix_clock(T0 + dt.timedelta(hours=24))  # the patient answers a day after the session
    recorded = record(
        team,
        patient,
        context="post_session",
        session_id=session.pk,
        offset_hours=24,
        answered_at=T0 + dt.timedelta(hours=24),
    )
    response = recorded.response
    assert (response.context, response.session, response.offset_hours) == (
        "post_session",
        session,
        24,
    )


def test_clinician_and_patient_respondents(team: Team, patient: Patient) -> None:
    madrs = record(
        team, patient, access=team.prescriber, instrument="madrs", answers=MADRS_MODERATE
    )
    phq9 = record(team, patient, access=team.nurse)  # entered for the patient, e.g. from paper

    assert madrs.response.respondent == "clinician"
    assert madrs.score.total == 26
    assert madrs.score.severity == "moderate"
    assert phq9.response.respondent == "patient"
    assert phq9.response.entered_by == team.nurse.user


def test_a_correction_supersedes_and_both_are_kept(team: Team, patient: Patient) -> None:
    first = record(team, patient)

    correction = record(
        team,
        patient,
        answers=PHQ9_NONE,
        supersedes_id=first.response.pk,
        correction_reason="  Transcribed from the wrong form  ",
    )

    assert QuestionnaireResponse.objects.count() == 2
    first.score.refresh_from_db()
    assert not first.score.is_current
    assert first.score.total == 10  # never edited
    assert correction.score.is_current
    assert correction.response.supersedes == first.response
    assert correction.response.correction_reason == "Transcribed from the wrong form"
    first.response.refresh_from_db()
    assert first.response.superseded_by == correction.response
    assert first.response.answers == PHQ9_MODERATE
    assert list(Score.objects.filter(is_current=True)) == [correction.score]


def test_a_response_is_corrected_only_once(team: Team, patient: Patient) -> None:
    first = record(team, patient)
    record(team, patient, supersedes_id=first.response.pk, correction_reason="typo")
    before = row_counts()

    with pytest.raises(ValidationFailed) as refused:
        record(team, patient, supersedes_id=first.response.pk, correction_reason="again")

    assert list(refused.value.errors) == ["supersedes_id"]
    assert row_counts() == before


def test_a_correction_keeps_the_instrument_and_gives_a_reason(team: Team, patient: Patient) -> None:
    first = record(team, patient)
    before = row_counts()
    with pytest.raises(ValidationFailed) as other_scale:
        record(
            team,
            patient,
            access=team.prescriber,
            instrument="madrs",
            answers=MADRS_MODERATE,
            supersedes_id=first.response.pk,
            correction_reason="wrong scale",
        )
    assert list(other_scale.value.errors) == ["instrument"]
    with pytest.raises(ValidationFailed) as no_reason:
        record(team, patient, supersedes_id=first.response.pk, correction_reason="  ")
    assert list(no_reason.value.errors) == ["correction_reason"]
    assert row_counts() == before
    first.score.refresh_from_db()
    assert first.score.is_current


def test_a_correction_must_name_this_patients_response(team: Team, patient: Patient) -> None:
    other = register(team.nurse, mrn="M-2002")
    theirs = record(team, other)
    with pytest.raises(ValidationFailed) as refused:
        record(team, patient, supersedes_id=theirs.response.pk, correction_reason="x")
    assert list(refused.value.errors) == ["supersedes_id"]


def test_every_write_is_audited_with_the_clinician(team: Team, patient: Patient) -> None:
    start = audit_count(patient)
    recorded = record(team, patient, answers=PHQ9_ITEM9)

    nurse = team.nurse.user.username
    assert audit_trail(patient, after=start) == [
        (nurse, "create", "questionnaireresponse"),
        (nurse, "create", "safetyalert"),
    ]
    response_event, alert_event = AuditEvent.objects.filter(patient_id=patient.pk).order_by(
        "sequence"
    )[start:]
    assert response_event.object_id == str(recorded.response.pk)
    assert response_event.changes["answers"] == [None, PHQ9_ITEM9]
    assert response_event.changes["total"] == [None, 11]
    assert response_event.changes["flags"] == [None, ["suicidal_ideation"]]
    assert alert_event.object_id == str(recorded.alerts[0].pk)
    assert alert_event.changes["flag"] == [None, "suicidal_ideation"]
    assert alert_event.details == {"instrument": "phq9", "item": 9}


def test_roles_that_may_not_record_measures_are_refused(team: Team, patient: Patient) -> None:
    before = row_counts()
    for access in (team.front_desk, team.compliance, team.researcher, team.admin):
        with pytest.raises(PermissionDenied):
            record(team, patient, access=access)
    assert row_counts() == before
    assert record(team, patient, access=team.therapist).response.entered_by == team.therapist.user


def test_another_clinics_patient_is_not_found(
    team: Team, other_team: Team, patient: Patient
) -> None:
    before = row_counts()
    with pytest.raises(NotFound):
        record(team, patient, access=other_team.nurse)
    assert row_counts() == before


def test_an_archived_patient_takes_no_new_scores(team: Team, patient: Patient) -> None:
    from ketacare.patients.services import patient_archive

    patient_archive(access=team.prescriber, patient_id=patient.pk, reason="Discharged")
    with pytest.raises(ValidationFailed) as refused:
        record(team, patient)
    assert list(refused.value.errors) == ["patient"]
