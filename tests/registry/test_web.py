"""The registry's pages: registration shows possible duplicates first; merge and undo."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.patients.models import Allergy, Patient, PatientMerge
from tests.factories import AllergyFactory
from tests.pages import without_csrf_tokens
from tests.registry.conftest import ANN, ANN_AGAIN

pytestmark = pytest.mark.django_db


def _client(access: ClinicAccess) -> Client:
    client = Client()
    client.force_login(access.user)
    return client


def _form(data: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in data.items()}


def test_registering_a_duplicate_shows_the_existing_record_first(
    prescriber: ClinicAccess, ann: Patient
) -> None:
    client = _client(prescriber)
    url = f"/c/{prescriber.clinic.slug}/patients/new/"
    page = client.post(url, _form(ANN_AGAIN))
    assert page.status_code == 200
    html = page.content.decode()
    assert "This person may already be registered" in html
    assert f"/patients/{ann.pk}/" in html and "A-1" in html and "1980-01-02" in html
    assert "This is a different person — register anyway" in html
    assert html.index("may already be registered") < html.index('name="mrn"')
    assert not Patient.objects.filter(mrn="A-2").exists()

    done = client.post(url, _form(ANN_AGAIN) | {"confirm_not_duplicate": "on"})
    assert done.status_code == 302
    again = Patient.objects.get(mrn="A-2")
    event = AuditEvent.objects.get(action="create", object_id=again.pk)
    assert event.details["confirm_not_duplicate"] is True


def test_the_merge_page_compares_both_records_and_merges(
    prescriber: ClinicAccess, ann: Patient, ann_again: Patient
) -> None:
    AllergyFactory.create(patient=ann_again, clinic=ann.clinic, substance="Latex")
    client = _client(prescriber)
    chart = client.get(f"/c/{prescriber.clinic.slug}/patients/{ann_again.pk}/").content.decode()
    url = f"/c/{prescriber.clinic.slug}/patients/{ann_again.pk}/merge/"
    assert url in chart  # "Merge into…"
    page = client.get(url, {"kept_mrn": "A-1"}).content.decode()
    assert "Merged away (this record)" in page and "Allergies: <strong>1</strong>" in page
    done = client.post(url, {"kept_mrn": "A-1", "reason": "Registered twice"})
    assert done.status_code == 302 and done["Location"].endswith(f"/patients/{ann.pk}/")
    assert Allergy.objects.get().patient_id == ann.pk
    merged_chart = client.get(f"/c/{prescriber.clinic.slug}/patients/{ann_again.pk}/")
    assert "This record was merged into" in merged_chart.content.decode()
    kept_chart = client.get(f"/c/{prescriber.clinic.slug}/patients/{ann.pk}/").content.decode()
    merge = PatientMerge.objects.get()
    undo = f"/c/{prescriber.clinic.slug}/merges/{merge.pk}/undo/"
    assert undo in kept_chart
    assert client.post(undo, {"reason": "Two people"}).status_code == 302
    assert Allergy.objects.get().patient_id == ann_again.pk


def test_an_unknown_mrn_is_named_on_its_field(prescriber: ClinicAccess, ann: Patient) -> None:
    page = _client(prescriber).get(
        f"/c/{prescriber.clinic.slug}/patients/{ann.pk}/merge/", {"kept_mrn": "Z-9"}
    )
    assert "MRN of the record to keep: No patient with this MRN" in page.content.decode()


def test_a_refused_merge_names_the_reason(
    prescriber: ClinicAccess, ann: Patient, ann_again: Patient
) -> None:
    page = _client(prescriber).post(
        f"/c/{prescriber.clinic.slug}/patients/{ann_again.pk}/merge/",
        {"kept_mrn": "A-1", "reason": ""},
    )
    assert page.status_code == 422
    assert "Why these records are the same person: Say why" in page.content.decode()


def test_front_desk_sees_no_merge_action_and_is_refused(desk: ClinicAccess, ann: Patient) -> None:
    client = _client(desk)
    chart = without_csrf_tokens(
        client.get(f"/c/{desk.clinic.slug}/patients/{ann.pk}/").content.decode()
    )
    assert "Merge into" not in chart
    assert client.get(f"/c/{desk.clinic.slug}/patients/{ann.pk}/merge/").status_code == 403


def test_a_post_without_a_language_keeps_the_patients_language(
    prescriber: ClinicAccess, ann: Patient
) -> None:
    ann.preferred_language = Patient.Language.SPANISH
    ann.save(update_fields=["preferred_language"])
    client = _client(prescriber)
    url = f"/c/{prescriber.clinic.slug}/patients/{ann.pk}/edit/"
    done = client.post(url, _form(ANN | {"legal_given_name": "Anne"}))
    assert done.status_code == 302
    ann.refresh_from_db()
    assert ann.preferred_language == Patient.Language.SPANISH
    assert ann.legal_given_name == "Anne"
