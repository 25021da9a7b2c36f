"""Pages and endpoints issue a fixed number of queries, however much data they show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import cast

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Role
from ketacare.patients.models import Patient
from tests.factories import (
    AllergyFactory,
    BodyMeasurementFactory,
    ClinicFactory,
    DiagnosisFactory,
    MedicationFactory,
    PatientFactory,
    clinic_today,
)

pytestmark = pytest.mark.django_db
MakeAccess = Callable[..., ClinicAccess]


def _count_queries(
    client: Client, url: str, expect_rows: Callable[[object], int], rows: int
) -> int:
    """Queries for the second of two identical requests (the first creates the session
    and the clinic's audit chain head, which later requests only update)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert expect_rows(response) == rows  # the data really is on the page
    return len(queries.captured_queries)


def _clinic_with_patients(make_access: MakeAccess, count: int) -> ClinicAccess:
    access = make_access(Role.PRESCRIBER, ClinicFactory())
    PatientFactory.create_batch(count, clinic=access.clinic)
    return access


def _web_client(access: ClinicAccess) -> Client:
    client = Client()
    client.force_login(access.user)
    return client


def test_patient_list_page_queries_do_not_grow_with_patients(
    make_access: MakeAccess, settings: Settings
) -> None:
    settings.KETACARE_PAGE_SIZE = 100  # every patient on one page

    def rows(response: object) -> int:
        return len(response.context["page"].object_list)  # type: ignore[attr-defined]

    counts = {}
    for n in (5, 60):
        access = _clinic_with_patients(make_access, n)
        counts[n] = _count_queries(
            _web_client(access), f"/c/{access.clinic.slug}/patients/", rows, n
        )
    assert counts[5] == counts[60], counts


def test_patient_list_htmx_results_queries_do_not_grow_with_patients(
    make_access: MakeAccess, settings: Settings
) -> None:
    settings.KETACARE_PAGE_SIZE = 100

    def rows(response: object) -> int:
        return len(response.context["page"].object_list)  # type: ignore[attr-defined]

    counts = {}
    for n in (5, 60):
        access = _clinic_with_patients(make_access, n)
        client = Client(headers={"HX-Request": "true"})
        client.force_login(access.user)
        counts[n] = _count_queries(client, f"/c/{access.clinic.slug}/patients/?q=", rows, n)
    assert counts[5] == counts[60], counts


def test_api_patient_search_queries_do_not_grow_with_patients(
    make_access: MakeAccess,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    def rows(response: object) -> int:
        return len(response.json()["items"])  # type: ignore[attr-defined]

    counts = {}
    for n in (5, 60):
        access = _clinic_with_patients(make_access, n)
        counts[n] = _count_queries(api_client(access), "/api/v1/patients?page_size=100", rows, n)
    assert counts[5] == counts[60], counts


def _patient_with_entries(make_access: MakeAccess, count: int) -> tuple[ClinicAccess, Patient]:
    access = make_access(Role.PRESCRIBER, ClinicFactory())
    patient = cast(Patient, PatientFactory(clinic=access.clinic))
    today = clinic_today(access.clinic)
    for day in range(count):
        BodyMeasurementFactory(patient=patient, measured_on=today - dt.timedelta(days=day))
        MedicationFactory(patient=patient, name=f"Medication {day}")
        AllergyFactory(patient=patient, substance=f"Substance {day}")
        DiagnosisFactory(patient=patient)
    return access, patient


@pytest.mark.parametrize(
    "section", ["overview", "weights", "medications", "allergies", "diagnoses"]
)
def test_chart_page_queries_do_not_grow_with_entries(make_access: MakeAccess, section: str) -> None:
    def rows(response: object) -> int:
        context = response.context  # type: ignore[attr-defined]
        return (
            len(context["entries"])
            if "entries" in context
            else len(context["summary"].active_allergies)
        )

    counts = {}
    for n in (1, 20):
        access, patient = _patient_with_entries(make_access, n)
        url = f"/c/{access.clinic.slug}/patients/{patient.pk}/"
        if section != "overview":
            url += f"{section}/"
        counts[n] = _count_queries(_web_client(access), url, rows, n)
    assert counts[1] == counts[20], counts


def test_api_entry_list_queries_do_not_grow_with_entries(
    make_access: MakeAccess,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    def rows(response: object) -> int:
        return len(response.json())  # type: ignore[attr-defined]

    counts = {}
    for n in (1, 20):
        access, patient = _patient_with_entries(make_access, n)
        counts[n] = _count_queries(
            api_client(access), f"/api/v1/patients/{patient.pk}/weights", rows, n
        )
    assert counts[1] == counts[20], counts
