"""The session services: lifecycle refusals with reasons, alerts, administration rules,
discharge, signing and addenda, REMS."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import PermissionDenied, ValidationFailed
from ketacare.patients.models import BodyMeasurement, Patient
from ketacare.treatment import charting, services
from ketacare.treatment.models import (
    Administration,
    RemsMonitoringForm,
    SessionAlert,
    TreatmentSession,
    VitalReading,
)
from ketacare.treatment.selectors import rems_form_values, rems_forms
from tests.sessions.build import (
    ALL_CLEAR,
    T0,
    at,
    ids,
    readings_at,
    start_esketamine,
    start_iv,
    to_pre_dose,
    vitals,
)

pytestmark = pytest.mark.django_db


def refused(exc: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return str(exc.value)


def test_dosing_refused_without_a_supervising_prescriber_on_site(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = to_pre_dose(nurse, prescriber, patient)
    with pytest.raises(ValidationFailed) as exc:
        start_iv(nurse, session)
    assert "dosing cannot start: no supervising prescriber is assigned" in refused(exc)
    services.supervisor_assign(access=nurse, **ids(session), prescriber_id=prescriber.user.pk)
    with pytest.raises(ValidationFailed) as exc:
        start_iv(nurse, session)
    assert "dosing cannot start: no supervising prescriber on site" in refused(exc)
    services.supervisor_attest(access=prescriber, **ids(session))
    start_iv(nurse, session)
    session.refresh_from_db()
    assert session.status == "dosing"
    assert session.dosing_started_at is not None
    assert Administration.objects.get(session=session).lot_number == "LOT-IV-1"


def test_the_assessment_weight_is_recorded_on_the_chart(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    to_pre_dose(nurse, prescriber, patient)
    weight = BodyMeasurement.objects.filter(patient=patient).latest("created_at")
    assert (weight.weight_kg, weight.measured_on) == (Decimal("70.0"), T0.date())


def test_a_dose_different_from_the_order_needs_a_new_order(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = to_pre_dose(nurse, prescriber, patient)
    services.supervisor_attest(access=prescriber, **ids(session))
    with pytest.raises(ValidationFailed) as exc:
        start_iv(nurse, session, dose="40")
    assert "the dose differs from the active order: a new order is needed" in refused(exc)


def test_a_high_baseline_needs_the_prescribers_decision(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    high = {"systolic": 170, "diastolic": 104, "heart_rate": 80, "spo2": 97, "respiratory_rate": 16}
    session = to_pre_dose(nurse, prescriber, patient, baseline=high)
    services.supervisor_attest(access=prescriber, **ids(session))
    with pytest.raises(ValidationFailed) as exc:
        start_iv(nurse, session)
    assert "prescriber has not decided to proceed" in refused(exc)
    with pytest.raises(PermissionDenied):
        services.bp_decision_record(access=nurse, **ids(session), decision="proceed", reason="x")
    services.bp_decision_record(
        access=prescriber, **ids(session), decision="proceed", reason="Usual BP; asymptomatic"
    )
    start_iv(nurse, session)


def test_a_stale_assessment_save_is_refused_with_a_conflict(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = to_pre_dose(nurse, prescriber, patient)  # saved once: now version 2
    services.assessment_save(
        access=nurse, **ids(session), version=2, data={"medicines_today": "sertraline"}
    )
    with pytest.raises(ValidationFailed) as exc:
        services.assessment_save(
            access=prescriber, **ids(session), version=2, data={"medicines_today": "none"}
        )
    assert "since you opened it" in refused(exc)
    assert session.assessment.medicines_today == "sertraline"


def _dosing(nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient) -> TreatmentSession:
    session = to_pre_dose(nurse, prescriber, patient)
    services.supervisor_attest(access=prescriber, **ids(session))
    start_iv(nurse, session)
    return session


def test_a_high_reading_raises_an_urgent_alert_acknowledged_with_the_action(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = _dosing(nurse, prescriber, patient)
    at(10)
    vitals(nurse, session, "r1", systolic=185, diastolic=112, heart_rate=88, spo2=97)
    alert = SessionAlert.objects.get(session=session)  # one alert for the reading
    assert (alert.rule, alert.severity) == ("blood_pressure_high", "urgent")
    assert alert.message.startswith("Blood pressure 185/112 (≥ 180/110); Systolic 185 is 57")
    assert [f["rule"] for f in alert.findings] == [
        "blood_pressure_high",
        "systolic_rise",
        "diastolic_rise",
    ]
    acknowledged = charting.alert_acknowledge(
        access=prescriber, **ids(session), alert_id=alert.pk, action="pause_infusion", note="ok"
    )
    assert (acknowledged.acknowledged_by, acknowledged.action) == (
        prescriber.user,
        "pause_infusion",
    )
    with pytest.raises(ValidationFailed, match="Already acknowledged"):
        charting.alert_acknowledge(
            access=nurse, **ids(session), alert_id=alert.pk, action="continue"
        )


def test_a_reading_posted_twice_is_stored_once_and_never_changed(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = _dosing(nurse, prescriber, patient)
    at(10)
    first = vitals(nurse, session, "r1", systolic=130, diastolic=80)
    again = vitals(nurse, session, "r1", systolic=130, diastolic=80)
    assert (first[0].created, again[0].created) == (True, False)
    with pytest.raises(ValidationFailed, match="never changed"):
        vitals(nurse, session, "r1", systolic=131, diastolic=80)
    assert VitalReading.objects.filter(session=session, reading_id="r1").count() == 1


def test_pause_and_resume_need_reasons_and_follow_the_pump(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = _dosing(nurse, prescriber, patient)
    at(12)
    with pytest.raises(ValidationFailed, match="reason"):
        charting.infusion_change(access=nurse, **ids(session), kind="pause", reason=" ")
    charting.infusion_change(access=nurse, **ids(session), kind="pause", reason="BP 185/112")
    at(13)
    with pytest.raises(ValidationFailed, match="already paused"):
        charting.infusion_change(access=nurse, **ids(session), kind="pause", reason="again")
    at(20)
    charting.infusion_change(access=nurse, **ids(session), kind="resume", reason="BP 150/90")


def test_discharge_refused_until_criteria_met_then_sign_locks(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = _dosing(nurse, prescriber, patient)
    readings_at(nurse, session, 10, 20, 30)
    at(40)
    charting.administration_stop(access=nurse, **ids(session), dose_given_mg=Decimal("35"))
    vitals(nurse, session, "r-end", systolic=130, diastolic=80, heart_rate=70, spo2=98)
    with pytest.raises(ValidationFailed) as exc:
        services.session_transition(access=nurse, **ids(session), event="mark_ready")
    assert "not ready for discharge: not yet confirmed: walking steadily" in refused(exc)
    # Finding 9: the hour counts from the end of the infusion, not its start.
    assert "observation must last 1 h 00 min from the end of dosing: 60 min 00 s remaining" in (
        refused(exc)
    )
    session.refresh_from_db()
    services.checklist_save(access=nurse, **ids(session), version=session.version, items=ALL_CLEAR)
    at(61)
    with pytest.raises(ValidationFailed, match="39 min 00 s remaining"):
        services.session_transition(access=nurse, **ids(session), event="mark_ready")
    readings_at(nurse, session, 55, 70, 85, 100)
    services.session_transition(access=nurse, **ids(session), event="mark_ready")
    done = services.session_discharge(access=nurse, **ids(session))
    assert (done.status, done.discharged_by) == ("discharged", nurse.user)
    with pytest.raises(PermissionDenied):
        services.session_sign(access=nurse, **ids(session))
    services.session_sign(access=prescriber, **ids(session))
    with pytest.raises(ValidationFailed, match="signed and locked"):
        vitals(nurse, session, "late", systolic=120, diastolic=70)
    addendum = services.addendum_add(
        access=nurse, **ids(session), text="BP at 50 min was 150/95", reason="Late entry"
    )
    assert addendum.entered_by == nurse.user
    assert VitalReading.objects.filter(session=session, reading_id="r-end").exists()


def test_esketamine_device_spacing_two_hours_and_the_rems_form(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = to_pre_dose(nurse, prescriber, patient, protocol="esketamine_trd", dose="56")
    services.supervisor_attest(access=prescriber, **ids(session))
    with pytest.raises(ValidationFailed) as exc:
        start_esketamine(nurse, session)
    assert "the patient is not enrolled in the Spravato REMS" in refused(exc)
    services.rems_enroll(access=nurse, patient_id=patient.pk, enrolled_on=dt.date(2024, 2, 1))
    at(1)
    start_esketamine(nurse, session)
    at(4)
    with pytest.raises(ValidationFailed) as exc:
        charting.device_give(access=nurse, **ids(session))
    assert "the next device may be given in 2 min 00 s" in refused(exc)
    at(6)
    charting.device_give(access=nurse, **ids(session))
    with pytest.raises(ValidationFailed, match="ordered 56 mg is given"):
        charting.device_give(access=nurse, **ids(session))
    charting.administration_stop(access=nurse, **ids(session))
    at(41)
    vitals(nurse, session, "r40", systolic=142, diastolic=88, heart_rate=80, spo2=97)
    charting.side_effect_record(
        access=nurse, **ids(session), effect="dissociation", severity="mild"
    )
    at(100)
    vitals(nurse, session, "r100", systolic=126, diastolic=80, heart_rate=72, spo2=98)
    session.refresh_from_db()
    services.checklist_save(
        access=nurse,
        **ids(session),
        version=session.version,
        items=ALL_CLEAR,
        stable_at=at(90),
    )
    at(100)
    with pytest.raises(ValidationFailed) as exc:
        services.session_transition(access=nurse, **ids(session), event="mark_ready")
    assert "observation must last 2 h 00 min from the first device: 21 min 00 s remaining" in (
        refused(exc)
    )
    at(122)
    services.session_transition(access=nurse, **ids(session), event="mark_ready")
    services.session_discharge(access=nurse, **ids(session))
    form = RemsMonitoringForm.objects.get(session=session)
    assert form.due_on == dt.date(2024, 3, 11)
    session.refresh_from_db()
    values = rems_form_values(session)
    assert all(values.values()), {k: v for k, v in values.items() if not v}
    assert values["dose"] == "56 mg"
    assert values["total_minutes"] == "121"
    assert values["ready_minutes"] == "89"
    assert values["bp_40_min"] == "142/88"
    assert values["dissociation"] == "Yes"
    assert values["first_treatment"] == "Yes"
    at(60 * 24 * 8)
    assert [row.status for row in rems_forms(clinic=nurse.clinic)] == ["overdue"]
    services.rems_form_submit(
        access=nurse,
        **ids(session),
        submitted_on=dt.date(2024, 3, 5),
        confirmation_number="REMS-123",
    )
    assert rems_forms(clinic=nurse.clinic) == []


def test_every_write_is_audited(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = _dosing(nurse, prescriber, patient)
    types = set(
        AuditEvent.objects.filter(patient_id=patient.pk).values_list("object_type", flat=True)
    )
    assert {
        "treatmentsession",
        "predoseassessment",
        "vitalreading",
        "bodymeasurement",
        "administration",
        "administrationevent",
    } <= types
    assert session.pk
