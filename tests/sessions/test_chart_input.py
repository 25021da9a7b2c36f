"""Finding 10 through the services, the API and the page: junk vital signs, swapped
blood pressures, readings timed outside the session, weights dated before birth and names
of spaces are refused by field, and nothing is saved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.common.errors import ValidationFailed
from ketacare.patients import services as patients
from ketacare.patients.models import BodyMeasurement, Patient
from ketacare.treatment import charting
from ketacare.treatment.models import TreatmentSession, VitalReading
from tests.sessions.build import at, esketamine_dosing, ids

pytestmark = pytest.mark.django_db


def _count(session: TreatmentSession) -> int:
    return VitalReading.objects.filter(session=session).count()


def test_the_page_refuses_letters_in_systolic_with_422_and_saves_nothing(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = esketamine_dosing(nurse, prescriber, patient)
    before = _count(session)
    url = reverse(
        "session_act",
        kwargs={"clinic_slug": session.clinic.slug, **ids(session), "action": "vitals"},
    )
    client = api_client(nurse)
    junk = client.post(url, {"reading_id": "w1", "systolic": "abc", "diastolic": "80"})
    assert junk.status_code == 422
    assert "Systolic: enter a whole number" in junk.content.decode()
    swapped = client.post(url, {"reading_id": "w2", "systolic": "80", "diastolic": "120"})
    assert swapped.status_code == 422
    assert "Diastolic 120 must be below systolic 80" in swapped.content.decode()
    assert _count(session) == before


@pytest.mark.parametrize(
    ("taken_at", "words"),
    [("2099-01-01T10:00:00Z", "in the future"), ("1970-01-01T10:00:00Z", "before this session")],
)
def test_the_api_refuses_readings_timed_outside_the_session(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
    taken_at: str,
    words: str,
) -> None:
    session = esketamine_dosing(nurse, prescriber, patient)
    before = _count(session)
    url = f"/api/v1/patients/{session.patient_id}/sessions/{session.pk}/vitals"
    batch = {"readings": [{"reading_id": "m1", "taken_at": taken_at, "spo2": 97}]}
    response = api_client(nurse).post(url, batch, content_type="application/json")
    assert response.status_code == 422
    assert any(words in d["msg"] for d in response.json()["detail"])
    assert _count(session) == before


def test_a_swapped_blood_pressure_is_refused_by_the_service(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = esketamine_dosing(nurse, prescriber, patient)
    reading = charting.ReadingIn("x1", at(2), {"systolic": 80, "diastolic": 120})
    with pytest.raises(ValidationFailed) as exc:
        charting.vitals_record(access=nurse, **ids(session), readings=[reading])
    assert set(exc.value.errors) == {"diastolic"}


def test_a_weight_dated_0001_01_01_is_refused(nurse: ClinicAccess, patient: Patient) -> None:
    with pytest.raises(ValidationFailed) as exc:
        patients.record_add(
            access=nurse,
            patient_id=patient.pk,
            model=BodyMeasurement,
            data={"measured_on": dt.date(1, 1, 1), "weight_kg": Decimal("70")},
        )
    assert "before the date of birth" in exc.value.errors["measured_on"][0]
    assert not BodyMeasurement.objects.filter(patient=patient).exists()


@pytest.mark.parametrize("field", ["legal_given_name", "legal_family_name"])
def test_a_name_of_spaces_is_refused(nurse: ClinicAccess, patient: Patient, field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        patients.patient_update(access=nurse, patient_id=patient.pk, data={field: "   "})
    assert exc.value.errors[field][0].endswith("cannot be blank.")
    patient.refresh_from_db()
    assert getattr(patient, field).strip()
