"""Alerts at the seams (issue 12): a reading entered in error closes its alerts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.patients.models import Patient
from ketacare.treatment import charting, services
from ketacare.treatment.models import SessionAlert, TreatmentSession
from tests.sessions.build import at, esketamine_dosing, ids, start_iv, to_pre_dose, vitals

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


def test_an_esketamine_alert_cannot_be_acknowledged_as_a_paused_infusion(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = esketamine_dosing(nurse, prescriber, patient)
    at(3)
    (stored,) = vitals(nurse, session, "e1", systolic=150, diastolic=90, respiratory_rate=7)
    (alert,) = stored.alerts
    assert alert.rule == "respiratory_rate_low"
    session.refresh_from_db()
    assert charting.acknowledgement_actions(session)[0] == "hold_device"
    with pytest.raises(charting.ValidationFailed, match="held the next device"):
        charting.alert_acknowledge(
            access=nurse, **ids(session), alert_id=alert.pk, action="pause_infusion"
        )
    done = charting.alert_acknowledge(
        access=nurse, **ids(session), alert_id=alert.pk, action="hold_device"
    )
    assert done.get_action_display() == "Held the next device"


def test_the_page_offers_the_routes_actions_and_pins_the_alert(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = esketamine_dosing(nurse, prescriber, patient)
    at(3)
    vitals(nurse, session, "e1", systolic=185, diastolic=112, heart_rate=80, spo2=97)
    url = reverse("session_alerts", kwargs={"clinic_slug": session.clinic.slug, **ids(session)})
    page = api_client(nurse).get(url).content.decode()
    assert page.count('role="alert"') == 1
    assert "Held the next device" in page
    assert "Paused the infusion" not in page
    assert 'class="session-alerts"' in page
