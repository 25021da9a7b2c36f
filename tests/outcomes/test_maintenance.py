"""Maintenance planning from stored records: the recommendation for a patient whose
relief repeatedly lasts about two weeks, and accepting or dismissing it (audited)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from ketacare.audit.models import AuditEvent
from ketacare.common.errors import PermissionDenied, ValidationFailed
from ketacare.dosing import services as dosing
from ketacare.outcomes import services
from ketacare.outcomes.course import Status
from ketacare.outcomes.models import MaintenanceDecision
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession
from tests.clock import fix_clock
from tests.measures.conftest import Team

from .conftest import at, write_course

# PHQ-9 (the clinic's default primary instrument): relief is lost (a rise of 5 from the
# nadir) 14 days after each of the last two sessions.
TWO_WEEK_RELIEF = (
    [0, 3, 7, 21, 37],
    [
        (-1, 20),
        (1, 12),
        (4, 8),
        (8, 5),
        (12, 5),
        (17, 7),
        (21, 11, 8),  # day 14 after the session on day 7: 6 above the nadir
        (22, 5),
        (28, 5),
        (33, 7),
        (35, 10, 8),  # day 14 after the session on day 21: 5 above the nadir
        (38, 4),
        (41, 4),
    ],
)


@pytest.fixture
def maintained(team: Team, patient: Patient) -> Patient:
    write_course(team.nurse, patient, *TWO_WEEK_RELIEF, instrument="phq9")
    return patient


def test_days_and_dates_are_the_clinics_calendar_days(team: Team, patient: Patient) -> None:
    """In New York, sessions at 20:30 (01:30 UTC the next day): the recommended date is
    counted from the evening's local date, not the UTC one."""
    team.clinic.time_zone = "America/New_York"
    team.clinic.save(update_fields=["time_zone"])
    evening = dt.datetime(2026, 1, 5, 20, 30, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    write_course(team.nurse, patient, *TWO_WEEK_RELIEF, instrument="phq9", origin=evening)
    now = at(40, origin=evening)
    state = services.patient_outcomes(access=team.prescriber, patient_id=patient.pk, now=now)
    rec = state.recommendation
    assert rec is not None and rec.day == 11
    last_session_local = (evening + dt.timedelta(days=37)).date()  # 11 February, evening
    assert rec.date == last_session_local + dt.timedelta(days=11)
    assert f"next session recommended at day 11 ({rec.date:%Y-%m-%d})" in rec.reason


def test_the_recommendation_falls_before_relief_was_lost(team: Team, maintained: Patient) -> None:
    state = services.patient_outcomes(access=team.prescriber, patient_id=maintained.pk, now=at(40))
    rec = state.recommendation
    assert rec is not None and rec.status is Status.MET
    assert rec.relief_days == 14
    assert rec.day == 11  # 3 days (lead_days) before day 14
    assert rec.date == at(37 + 11).date()
    assert "scores rose 5-6 points from the nadir 14 days after the sessions of" in rec.reason
    assert "next session recommended at day 11" in rec.reason
    assert state.can_decide


def test_accepting_books_a_session_and_is_audited(team: Team, maintained: Patient) -> None:
    fix_clock(at(40))  # the nurse accepts on day 40
    decision = services.recommendation_accept(
        access=team.nurse, patient_id=maintained.pk, now=at(40)
    )
    assert decision.decision == MaintenanceDecision.Decision.ACCEPTED
    booked = decision.booked_session
    assert booked is not None and booked.status == TreatmentSession.Status.SCHEDULED
    assert booked.scheduled_start.date() == at(48).date()
    assert "next session recommended at day 11" in decision.recommendation
    events = AuditEvent.objects.filter(patient_id=maintained.pk).order_by("-sequence")
    assert [e.object_type for e in events[:2]] == ["maintenancedecision", "treatmentsession"]
    state = services.patient_outcomes(access=team.prescriber, patient_id=maintained.pk, now=at(40))
    assert state.decision == decision and not state.can_decide
    with pytest.raises(ValidationFailed) as again:
        services.recommendation_accept(access=team.nurse, patient_id=maintained.pk, now=at(40))
    assert "already accepted" in str(again.value)


def test_an_overdue_booster_is_booked_on_the_next_open_clinic_day(
    team: Team, maintained: Patient
) -> None:
    """Recommended for day 48 (Sunday 19 April); accepted on Monday at noon, after that
    day's 10:00: not booked in the past, but on the first open day from tomorrow, at
    10:00, skipping Tuesday's closure. The decision keeps the recommended date."""
    dosing.calendar_update(
        access=team.admin,
        open_weekdays=[0, 1, 2, 3, 4],
        closures=[{"date": "2026-04-21", "reason": "Staff training"}],
        daily_capacity=None,
    )
    now = fix_clock(at(49, 12))
    assert now.weekday() == 0
    decision = services.recommendation_accept(access=team.nurse, patient_id=maintained.pk)
    booked = decision.booked_session
    assert booked is not None
    assert booked.scheduled_start == dt.datetime(
        2026, 4, 22, 10, tzinfo=zoneinfo.ZoneInfo(team.clinic.time_zone)
    )
    assert decision.recommended_date == at(48).date()
    audit = AuditEvent.objects.get(object_type="maintenancedecision")
    assert audit.details["booking"] == (
        "the recommended date had passed: booked on the next open clinic day"
    )


def test_an_overdue_booster_is_refused_naming_the_start_when_no_day_is_open(
    team: Team, maintained: Patient
) -> None:
    from ketacare.dosing.models import ClinicCalendar

    ClinicCalendar.objects.update_or_create(
        clinic=team.clinic, defaults={"open_weekdays": [], "closures": []}
    )  # a calendar with no open day (the settings page refuses one; the model allows it)
    fix_clock(at(49, 12))
    with pytest.raises(ValidationFailed) as refused:
        services.recommendation_accept(access=team.nurse, patient_id=maintained.pk)
    assert list(refused.value.errors) == ["scheduled_start"]
    assert "choose a start" in str(refused.value)
    assert not MaintenanceDecision.objects.exists()


def test_accepting_respects_the_minimum_spacing(team: Team, maintained: Patient) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.recommendation_accept(
            access=team.nurse, patient_id=maintained.pk, scheduled_start=at(38), now=at(37.5)
        )
    assert "scheduled_start" in refused.value.errors
    assert not MaintenanceDecision.objects.exists()
    assert TreatmentSession.objects.filter(status="scheduled").count() == 0


def test_dismissing_needs_a_reason_and_is_audited(team: Team, maintained: Patient) -> None:
    with pytest.raises(ValidationFailed) as no_reason:
        services.recommendation_dismiss(
            access=team.prescriber, patient_id=maintained.pk, reason=" ", now=at(40)
        )
    assert "reason" in no_reason.value.errors
    decision = services.recommendation_dismiss(
        access=team.prescriber,
        patient_id=maintained.pk,
        reason="Patient travelling; will phone on return",
        now=at(40),
    )
    assert decision.decision == MaintenanceDecision.Decision.DISMISSED
    assert decision.booked_session is None
    event = AuditEvent.objects.filter(object_type="maintenancedecision").get()
    assert event.changes["reason"] == [None, "Patient travelling; will phone on return"]


def test_roles_without_chart_and_scheduling_may_not_decide(team: Team, maintained: Patient) -> None:
    for access in (team.front_desk, team.therapist, team.researcher):
        with pytest.raises(PermissionDenied):
            services.recommendation_accept(access=access, patient_id=maintained.pk, now=at(40))
    assert not MaintenanceDecision.objects.exists()


def test_early_warning_and_taper_are_shown(team: Team, maintained: Patient) -> None:
    state = services.patient_outcomes(access=team.prescriber, patient_id=maintained.pk, now=at(42))
    assert state.warning is not None and state.warning.status is Status.NOT_MET
    assert state.taper is not None and state.taper.status is not None
