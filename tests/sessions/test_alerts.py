"""Alerts at the seams (issue 12): a reading entered in error closes its alerts."""

from __future__ import annotations

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.patients.models import Patient
from ketacare.treatment import charting, services
from ketacare.treatment.models import SessionAlert, TreatmentSession
from tests.sessions.build import at, ids, start_iv, to_pre_dose, vitals

pytestmark = pytest.mark.django_db


def _dosing(nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient) -> TreatmentSession:
    session = to_pre_dose(nurse, prescriber, patient)
    services.supervisor_attest(access=prescriber, **ids(session))
    start_iv(nurse, session)
    return session


def test_a_reading_entered_in_error_closes_its_open_alerts_with_an_audit_record(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = _dosing(nurse, prescriber, patient)
    at(10)
    vitals(nurse, session, "r1", systolic=215, diastolic=120, heart_rate=88, spo2=97)
    assert SessionAlert.objects.filter(session=session, acknowledged_at=None).exists()
    at(11)
    charting.reading_mark_in_error(
        access=nurse, **ids(session), reading_id="r1", reason="Cuff on the wrong arm"
    )
    for alert in SessionAlert.objects.filter(session=session):
        assert alert.acknowledged_at is not None
        assert (alert.action, alert.note) == ("reading_in_error", "Cuff on the wrong arm")
        assert AuditEvent.objects.filter(
            object_type="sessionalert", object_id=str(alert.pk), action="acknowledge"
        ).exists()


def test_the_closing_action_cannot_be_chosen_by_hand(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = _dosing(nurse, prescriber, patient)
    at(10)
    vitals(nurse, session, "r1", systolic=215, diastolic=120, heart_rate=88, spo2=97)
    alert = SessionAlert.objects.filter(session=session).first()
    assert alert is not None
    with pytest.raises(charting.ValidationFailed):
        charting.alert_acknowledge(
            access=nurse, **ids(session), alert_id=alert.pk, action="reading_in_error"
        )
