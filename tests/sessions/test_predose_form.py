"""The pre-dose form keeps what was saved: after saving, its fields show the saved
weight, baseline, pregnancy test and confirmations, and saving it again unchanged does
not record the weight or the baseline a second time."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.patients.models import BodyMeasurement, Patient
from ketacare.treatment.models import VitalReading
from tests.sessions.build import at, checked_in, session_url

pytestmark = pytest.mark.django_db


def _value(page: str, name: str) -> str:
    found = re.search(rf'<input name="{name}"[^>]*value="([^"]*)"', page)
    assert found, name
    return found.group(1)


FORM = {
    "version": "1",
    "weight_kg": "71.5",
    "systolic": "131",
    "diastolic": "84",
    "heart_rate": "77",
    "spo2": "97",
    "respiratory_rate": "15",
    "pregnancy_test": "negative",
    "fasting_confirmed": "on",
    "medicines_today": "Sertraline 100 mg",
}


def test_the_form_shows_the_saved_values(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = checked_in(nurse, prescriber, patient)
    client = api_client(nurse)
    blank = client.get(session_url("session_page", session)).content.decode()
    assert _value(blank, "weight_kg") == ""
    assert _value(blank, "systolic") == ""

    response = client.post(
        session_url("session_act", session, action="assessment"), FORM, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Saved." in page
    assert _value(page, "weight_kg") == "71.5"
    for name in ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate"):
        assert _value(page, name) == FORM[name], name
    assert '<option value="negative" selected>Negative</option>' in page
    assert re.search(r'name="fasting_confirmed" checked', page)
    assert not re.search(r'name="no_decongestant_confirmed" checked', page)
    assert "Sertraline 100 mg</textarea>" in page


def test_saving_the_kept_values_again_records_nothing_twice(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = checked_in(nurse, prescriber, patient)
    client = api_client(nurse)
    client.post(session_url("session_act", session, action="assessment"), FORM)
    weights = BodyMeasurement.objects.filter(patient=patient).count()
    at(2)
    again = FORM | {"version": "2", "no_decongestant_confirmed": "on"}
    response = client.post(
        session_url("session_act", session, action="assessment"), again, follow=True
    )
    assert "Saved." in response.content.decode()
    assert BodyMeasurement.objects.filter(patient=patient).count() == weights
    baselines = VitalReading.objects.filter(session=session, is_baseline=True)
    assert baselines.count() == 1
    assert baselines.get().entered_in_error_at is None
    page = response.content.decode()
    assert re.search(r'name="no_decongestant_confirmed" checked', page)

    at(3)
    changed = again | {"version": "3", "systolic": "135"}
    client.post(session_url("session_act", session, action="assessment"), changed)
    live = baselines.filter(entered_in_error_at__isnull=True)
    assert [r.systolic for r in live] == [135]


def test_a_refused_save_keeps_what_was_typed(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = checked_in(nurse, prescriber, patient)
    typed = FORM | {"systolic": "abc"}
    response = api_client(nurse).post(
        session_url("session_act", session, action="assessment"), typed
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert _value(page, "systolic") == "abc"
    assert _value(page, "weight_kg") == "71.5"
    assert '<option value="negative" selected>Negative</option>' in page
    assert "Sertraline 100 mg</textarea>" in page
    assert not VitalReading.objects.filter(session=session, is_baseline=True).exists()
