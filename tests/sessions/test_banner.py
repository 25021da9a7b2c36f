"""The patient banner on the session page and the chart header: name, age, MRN,
allergies, the consent verdict the dosing check reads, the weight and its age, the
protocol and the open safety alerts, read in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.measures import services as measures
from ketacare.patients.models import Allergy, BodyMeasurement, Consent, Patient
from ketacare.patients.services import record_add
from ketacare.treatment.banner import patient_banner
from tests.sessions.build import session_url, to_pre_dose

pytestmark = pytest.mark.django_db

PHQ9_ITEM9 = [2, 2, 1, 1, 1, 1, 1, 1, 1]  # item 9 = 1: a safety alert


def _allergy(access: ClinicAccess, patient: Patient, substance: str) -> None:
    record_add(
        access=access,
        patient_id=patient.pk,
        model=Allergy,
        data={"substance": substance, "reaction": "Rash", "severity": "moderate"},
    )


def _paper_consent(access: ClinicAccess, patient: Patient, treatment_form: str = "") -> None:
    record_add(
        access=access,
        patient_id=patient.pk,
        model=Consent,
        data={
            "kind": "treatment",
            "decision": "granted",
            "document_version": "v1",
            "decided_on": access.clinic.today(),
            "treatment_form": treatment_form,
        },
    )


def _chart(client: Client, patient: Patient) -> str:
    url = reverse(
        "patient_chart", kwargs={"clinic_slug": patient.clinic.slug, "patient_id": patient.pk}
    )
    return str(client.get(url).content.decode())


def _safety_alert(access: ClinicAccess, patient: Patient) -> None:
    measures.response_record(
        access=access, patient_id=patient.pk, instrument="phq9", answers=PHQ9_ITEM9,
        context="between_sessions",
    )  # fmt: skip


def test_the_session_page_shows_the_banner(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = to_pre_dose(nurse, prescriber, patient)
    _allergy(nurse, patient, "Latex")
    _safety_alert(prescriber, patient)
    page = api_client(nurse).get(session_url("session_page", session)).content.decode()
    banner = page[
        page.index('id="patient-banner"') : page.index("</section>", page.index("patient-banner"))
    ]
    assert patient.display_name in banner
    assert patient.mrn in banner
    assert " y · MRN" in banner
    assert "Latex (Rash)" in banner
    assert "70 kg, weighed today" in banner
    assert "Current (intravenous infusion)" in banner  # the verdict the dosing check reads
    assert "paper: granted" in banner
    assert "IV racemic ketamine" in banner or "ketamine" in banner.lower()
    assert "1 open</a>" in banner
    assert "measures/#patient-alerts-title" in banner
    assert 'class="sticky-top"' in page


def test_the_weight_says_how_old_it_is(nurse: ClinicAccess, patient: Patient) -> None:
    today = nurse.clinic.today()
    record_add(
        access=nurse,
        patient_id=patient.pk,
        model=BodyMeasurement,
        data={"measured_on": today - dt.timedelta(days=12), "weight_kg": Decimal("72.0")},
    )
    banner = patient_banner(patient=patient, today=today, protocol_code="iv_ketamine")
    assert banner.weight_text == "72 kg, weighed 12 days ago"
    assert not banner.consent.ok
    assert "no current treatment consent" in banner.consent.reason
    assert banner.open_safety_alerts == 0


def test_the_banner_reads_a_fixed_number_of_queries(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    today = nurse.clinic.today()
    session = to_pre_dose(nurse, prescriber, patient)

    def queries() -> int:
        fresh = Patient.objects.get(pk=patient.pk)
        with CaptureQueriesContext(connection) as ctx:
            banner = patient_banner(patient=fresh, today=today, protocol_code=session.protocol_code)
            assert banner.weight_text
        return len(ctx.captured_queries)

    queries()  # the clinic's consent settings are created on first use
    few = queries()
    for n in range(8):
        _allergy(nurse, patient, f"Substance {n}")
        record_add(
            access=nurse,
            patient_id=patient.pk,
            model=BodyMeasurement,
            data={"measured_on": today - dt.timedelta(days=n + 1), "weight_kg": Decimal("71")},
        )
        _paper_consent(prescriber, patient)
    for _ in range(3):
        _safety_alert(prescriber, patient)
    assert queries() == few
    assert few <= 8


def test_the_chart_header_shows_the_consent_and_the_alert_badge(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    to_pre_dose(nurse, prescriber, patient)
    _safety_alert(prescriber, patient)
    page = _chart(api_client(nurse), patient)
    assert 'data-banner="consent"' in page
    assert "1 open</a>" in page


def test_without_a_protocol_the_chart_does_not_call_a_route_consent_missing(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    _paper_consent(prescriber, patient, treatment_form="iv")
    page = _chart(api_client(nurse), patient)
    assert "no active plan: judged against a session's protocol" in page
    assert "paper: granted" in page
