"""Findings 7 and 8 through the services: overdue readings and open urgent alerts block
discharge and signing; after esketamine a blood pressure above the discharge limit or not
back toward baseline keeps the patient, and keeps readings due; a prescriber can release
the patient with a recorded reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import PermissionDenied, ValidationFailed
from ketacare.patients.models import Patient
from ketacare.treatment import charting, services
from ketacare.treatment.models import TreatmentSession
from ketacare.treatment.selectors import session_chart
from tests.sessions.build import (
    ALL_CLEAR,
    T0,
    at,
    esketamine_dosing,
    ids,
    readings_at,
    start_esketamine,
    start_iv,
    to_pre_dose,
    vitals,
)

pytestmark = pytest.mark.django_db
MINUTE = dt.timedelta(minutes=1)


def _ready_to_try(nurse: ClinicAccess, session: TreatmentSession) -> None:
    session.refresh_from_db()
    services.checklist_save(access=nurse, **ids(session), version=session.version, items=ALL_CLEAR)


def _mark_ready(nurse: ClinicAccess, session: TreatmentSession) -> str:
    with pytest.raises(ValidationFailed) as exc:
        services.session_transition(access=nurse, **ids(session), event="mark_ready")
    return str(exc.value)


def test_overdue_readings_block_discharge_until_a_prescriber_releases_with_a_reason(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = to_pre_dose(nurse, prescriber, patient)
    services.supervisor_attest(access=prescriber, **ids(session))
    start_iv(nurse, session)
    at(40)
    charting.administration_stop(access=nurse, **ids(session), dose_given_mg=Decimal("35"))
    readings_at(nurse, session, 100)  # 10, 20, 30, 40, 55, 70 and 85 were missed
    _ready_to_try(nurse, session)
    refused = _mark_ready(nurse, session)
    assert "7 readings are overdue (due 10:10, 10:20, 10:30, 10:40, 10:55, 11:10, 11:25)" in (
        refused
    )
    with pytest.raises(PermissionDenied):
        services.discharge_release(access=nurse, **ids(session), reason="x")
    with pytest.raises(ValidationFailed, match="give the reason"):
        services.discharge_release(access=prescriber, **ids(session), reason="  ")
    services.discharge_release(
        access=prescriber, **ids(session), reason="Monitor was recording; printout in the notes"
    )
    services.session_transition(access=nurse, **ids(session), event="mark_ready")
    done = services.session_discharge(access=nurse, **ids(session))
    assert done.release_reason == "Monitor was recording; printout in the notes"
    assert AuditEvent.objects.filter(
        object_type="treatmentsession", details__event="release"
    ).exists()


def test_an_open_urgent_alert_blocks_discharge_and_signing_even_after_a_release(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = to_pre_dose(nurse, prescriber, patient)
    services.supervisor_attest(access=prescriber, **ids(session))
    start_iv(nurse, session)
    readings_at(nurse, session, 10, 20, 30)
    at(40)
    charting.administration_stop(access=nurse, **ids(session), dose_given_mg=Decimal("35"))
    readings_at(nurse, session, 40, 55, 70, 85)
    at(100)
    (stored,) = vitals(nurse, session, "r100", systolic=126, diastolic=80, spo2=88)
    _ready_to_try(nurse, session)
    services.discharge_release(access=prescriber, **ids(session), reason="Seen")
    assert "an urgent alert is not acknowledged: SpO2 88% (< 92%)" in _mark_ready(nurse, session)
    (alert,) = stored.alerts
    charting.alert_acknowledge(access=nurse, **ids(session), alert_id=alert.pk, action="continue")
    readings_at(nurse, session, 101)
    services.session_transition(access=nurse, **ids(session), event="mark_ready")
    services.session_discharge(access=nurse, **ids(session))
    at(110)
    (late,) = vitals(nurse, session, "r110", systolic=126, diastolic=80, spo2=87)
    with pytest.raises(ValidationFailed, match="signing refused: an urgent alert"):
        services.session_sign(access=prescriber, **ids(session))
    charting.alert_acknowledge(
        access=prescriber, **ids(session), alert_id=late.alerts[0].pk, action="call_prescriber"
    )
    assert services.session_sign(access=prescriber, **ids(session)).status == "signed"


def test_after_esketamine_a_high_blood_pressure_keeps_the_patient_and_readings_due(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    """Finding 8: 172/106 at 2 h against a baseline of 138/88."""
    baseline = {"systolic": 138, "diastolic": 88, "heart_rate": 72, "spo2": 98,
                "respiratory_rate": 14}  # fmt: skip
    session = to_pre_dose(nurse, prescriber, patient, protocol="esketamine_trd", dose="56",
                          baseline=baseline)  # fmt: skip
    services.rems_enroll(access=nurse, patient_id=patient.pk, enrolled_on=at(0).date())
    services.supervisor_attest(access=prescriber, **ids(session))
    at(1)
    start_esketamine(nurse, session)
    at(6)
    charting.device_give(access=nurse, **ids(session))
    charting.administration_stop(access=nurse, **ids(session))
    for minute in (41, 56, 71, 86, 101, 116):
        at(minute)
        vitals(nurse, session, f"r{minute}", systolic=172, diastolic=106, spo2=97)
    at(125)
    chart = session_chart(TreatmentSession.objects.get(pk=session.pk))
    # Still high at 116 min: the next reading is due 15 min later, and counts as missed.
    assert [d.due_at for d in chart.due if d.taken_at is None] == [T0 + 131 * MINUTE]
    _ready_to_try(nurse, session)
    refused = _mark_ready(nurse, session)
    assert "blood pressure 172/106 is above the discharge limit 140/90" in refused
    at(132)
    vitals(nurse, session, "r131", systolic=150, diastolic=95, spo2=97)
    assert "is above the discharge limit" in _mark_ready(nurse, session)
    at(146)
    vitals(nurse, session, "r146", systolic=139, diastolic=89, spo2=97)
    services.session_transition(access=nurse, **ids(session), event="mark_ready")
    assert services.session_discharge(access=nurse, **ids(session)).status == "discharged"


def test_a_prescriber_releases_a_patient_whose_blood_pressure_has_not_settled(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = esketamine_dosing(nurse, prescriber, patient)
    at(6)
    charting.device_give(access=nurse, **ids(session))
    charting.administration_stop(access=nurse, **ids(session))
    for minute in (41, 56, 71, 86, 101, 116):
        at(minute)
        vitals(nurse, session, f"r{minute}", systolic=150, diastolic=85, spo2=97)
    at(122)
    _ready_to_try(nurse, session)
    assert "above the discharge limit" in _mark_ready(nurse, session)
    services.discharge_release(
        access=prescriber, **ids(session), reason="Known hypertension, 150s at home; GP aware"
    )
    services.session_transition(access=nurse, **ids(session), event="mark_ready")
    assert services.session_discharge(access=nurse, **ids(session)).released_by == prescriber.user


def test_the_page_lists_what_keeps_the_patient_and_records_a_release(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = to_pre_dose(nurse, prescriber, patient)
    services.supervisor_attest(access=prescriber, **ids(session))
    start_iv(nurse, session)
    at(40)
    charting.administration_stop(access=nurse, **ids(session), dose_given_mg=Decimal("35"))
    at(50)
    kwargs = {"clinic_slug": session.clinic.slug, **ids(session)}
    page = api_client(nurse).get(reverse("session_page", kwargs=kwargs)).content.decode()
    assert "Not yet ready to leave" in page
    assert "4 readings are overdue (due 10:10, 10:20, 10:30, 10:40)" in page
    assert 'id="release-form"' not in page  # nurses cannot release
    client = api_client(prescriber)
    refused = client.post(reverse("session_act", kwargs={**kwargs, "action": "release"}), {})
    assert refused.status_code == 422
    assert "Reason for the release: give the reason." in refused.content.decode()
    client.post(
        reverse("session_act", kwargs={**kwargs, "action": "release"}),
        {"reason": "Readings on the monitor printout"},
    )
    page = client.get(reverse("session_page", kwargs=kwargs)).content.decode()
    assert "Released by" in page
    assert "Readings on the monitor printout" in page
