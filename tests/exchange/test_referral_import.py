"""Referrals in: Bundle and CSV, dry run first, one-transaction import, round trip."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from ketacare.audit.models import AuditEvent
from ketacare.exchange.models import ChartDocument
from ketacare.patients.models import Allergy, Diagnosis, Medication, Patient
from tests.exchange.world import Charted

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def post(token: str, body: str, content_type: str, confirm: bool = False) -> Any:
    return Client().post(
        f"/api/v1/referrals/import?confirm={'true' if confirm else 'false'}",
        data=body,
        content_type=content_type,
        headers={"Authorization": f"Bearer {token}"},
    )


def everything(c: Charted) -> dict[str, Any]:
    response = Client().get(
        f"/fhir/r4/Patient/{c.patient.pk}/$everything",
        headers={"Authorization": f"Bearer {c.token}"},
    )
    assert response.status_code == 200
    bundle: dict[str, Any] = response.json()
    return bundle


def chart_of(patient: Patient) -> dict[str, Any]:
    def rows(model: Any, *fields: str) -> list[tuple[Any, ...]]:
        return sorted(model.objects.filter(patient=patient).values_list(*fields))

    return {
        "demographics": (
            patient.legal_family_name,
            patient.legal_given_name,
            patient.date_of_birth,
            patient.sex_at_birth,
            patient.phone,
            patient.email,
        ),
        "conditions": rows(Diagnosis, "icd10_code", "description", "onset_date", "status"),
        "medications": rows(Medication, "name", "dose", "frequency", "route", "status"),
        "allergies": rows(Allergy, "substance", "reaction", "severity", "status"),
    }


def test_round_trip_from_one_clinic_to_the_other(charted: Charted, charted_other: Charted) -> None:
    bundle = json.dumps(everything(charted))
    before = Patient.objects.filter(clinic=charted_other.access.clinic).count()

    dry = post(charted_other.token, bundle, "application/fhir+json").json()
    assert dry["imported"] is False and dry["ok"] is True
    assert [r["action"] for r in dry["rows"]] == ["create"]
    assert dry["rows"][0]["added"] == {"conditions": 1, "medications": 1, "allergies": 1}
    assert dry["ignored"]["Observation"] >= 1
    assert Patient.objects.filter(clinic=charted_other.access.clinic).count() == before

    done = post(charted_other.token, bundle, "application/fhir+json", confirm=True).json()
    assert done["imported"] is True
    assert done["rows"][0]["mrn"] == dry["rows"][0]["mrn"]  # the dry run showed the truth
    imported = Patient.objects.get(pk=done["rows"][0]["patient_id"])
    assert imported.clinic == charted_other.access.clinic
    assert chart_of(imported) == chart_of(charted.patient)
    assert AuditEvent.objects.filter(
        clinic=charted_other.access.clinic, object_type="referral.import"
    ).exists()

    # The same Bundle again matches the patient now there, and adds nothing twice.
    again = post(charted_other.token, bundle, "application/fhir+json").json()
    assert again["rows"][0]["action"] == "match"
    assert again["rows"][0]["match_reason"] == "same name and date of birth"
    assert again["rows"][0]["skipped"] == {"conditions": 1, "medications": 1, "allergies": 1}


def letter_bundle(pdf: bytes, content_type: str = "application/pdf") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:p1",
                "resource": {
                    "resourceType": "Patient",
                    "id": "p1",
                    "name": [{"use": "official", "family": "Wren", "given": ["Tam"]}],
                    "gender": "male",
                    "birthDate": "1979-02-03",
                },
            },
            {
                "fullUrl": "urn:uuid:b1",
                "resource": {
                    "resourceType": "Binary",
                    "id": "b1",
                    "contentType": content_type,
                    "data": base64.b64encode(pdf).decode(),
                },
            },
            {
                "fullUrl": "urn:uuid:d1",
                "resource": {
                    "resourceType": "DocumentReference",
                    "status": "current",
                    "subject": {"reference": "urn:uuid:p1"},
                    "description": "Referral from Dr Ames",
                    "content": [
                        {"attachment": {"contentType": content_type, "url": "urn:uuid:b1"}}
                    ],
                },
            },
        ],
    }


def test_a_referral_letter_is_stored_on_the_chart(charted: Charted) -> None:
    done = post(charted.token, json.dumps(letter_bundle(PDF)), "application/json", True).json()
    assert done["imported"], done
    document = ChartDocument.objects.get(patient_id=done["rows"][0]["patient_id"])
    assert document.title == "Referral from Dr Ames"
    with document.file.open("rb") as handle:
        assert handle.read() == PDF


def test_a_dry_run_keeps_no_letter_file(charted: Charted) -> None:
    post(charted.token, json.dumps(letter_bundle(PDF)), "application/json")
    assert not ChartDocument.objects.exists()


def test_a_non_pdf_letter_is_an_error_by_field_and_nothing_is_written(charted: Charted) -> None:
    bad = letter_bundle(b"hello", "text/plain")
    result = post(charted.token, json.dumps(bad), "application/json", confirm=True).json()
    assert result["imported"] is False
    assert any(k.endswith("attachment.contentType") for k in result["rows"][0]["errors"])
    assert not Patient.objects.filter(legal_family_name="Wren").exists()


CSV = (
    "legal_family_name,legal_given_name,date_of_birth,sex_at_birth,mrn,email\n"
    "Stone,Iris,1988-07-01,female,,iris@example.org\n"
    "{family},{given},{born},female,,\n"
    "Birch,Olu,01/02/1990,robot,,\n"
)


def test_csv_dry_run_creates_matches_and_names_every_error(charted: Charted) -> None:
    p = charted.patient
    body = CSV.format(family=p.legal_family_name, given=p.legal_given_name, born=p.date_of_birth)
    result = post(charted.token, body, "text/csv").json()
    actions = [r["action"] for r in result["rows"]]
    assert actions == ["create", "match", "error"]
    assert result["rows"][1]["patient_id"] == str(p.pk)
    assert set(result["rows"][2]["errors"]) == {"date_of_birth", "sex_at_birth"}
    # Confirming with an error row writes nothing at all.
    refused = post(charted.token, body, "text/csv", confirm=True).json()
    assert refused["imported"] is False
    assert not Patient.objects.filter(legal_family_name="Stone").exists()


def test_csv_import_in_one_transaction_matches_by_mrn(charted: Charted) -> None:
    body = (
        "legal_family_name,legal_given_name,date_of_birth,sex_at_birth,mrn\n"
        "Stone,Iris,1988-07-01,female,NEW-1\n"
        f"Other,Name,1970-01-01,male,{charted.patient.mrn}\n"
    )
    result = post(charted.token, body, "text/csv", confirm=True).json()
    assert result["imported"] is True
    assert [r["action"] for r in result["rows"]] == ["create", "match"]
    assert result["rows"][1]["match_reason"] == "same MRN"
    assert Patient.objects.get(mrn="NEW-1").legal_given_name == "Iris"


def test_csv_with_a_missing_column_is_refused(charted: Charted) -> None:
    result = post(charted.token, "legal_family_name,legal_given_name\nA,B\n", "text/csv").json()
    assert "header" in result["errors"]


def test_import_needs_register_patient(charted: Charted, make_access: Any) -> None:
    from ketacare.accounts.policy import Role
    from ketacare.accounts.services import api_token_create

    researcher = make_access(Role.RESEARCHER, charted.access.clinic)
    _, token = api_token_create(access=researcher, name="r", expires_in_days=1)
    assert post(token, CSV, "text/csv").status_code == 403


def test_web_upload_shows_the_dry_run_then_imports_on_confirm(charted: Charted) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = Client()
    page.force_login(charted.access.user)
    url = "/c/clinic-a/exchange/import/"
    assert page.get(url).status_code == 200
    body = (
        b"legal_family_name,legal_given_name,date_of_birth,sex_at_birth\n"
        b"Stone,Iris,1988-07-01,female\n"
    )
    dry = page.post(url, {"file": SimpleUploadedFile("patients.csv", body, "text/csv")})
    assert b"Dry run" in dry.content and b"New patient" in dry.content
    assert not Patient.objects.filter(legal_family_name="Stone").exists()
    done = page.post(url, {"action": "confirm"})
    assert b"Imported" in done.content
    assert Patient.objects.filter(legal_family_name="Stone").count() == 1


def test_another_content_type_is_refused_naming_it(charted: Charted) -> None:
    response = Client().post(
        "/api/v1/referrals/import",
        data={"file": "x"},
        headers={"Authorization": f"Bearer {charted.token}"},
    )
    assert response.status_code == 422
    assert "Content-Type" in response.content.decode()


def test_a_csv_naming_the_referrer_puts_a_new_referral_on_the_worklist_once(
    charted: Charted,
) -> None:
    from ketacare.referrals.models import Referral

    body = (
        "legal_family_name,legal_given_name,date_of_birth,sex_at_birth,mrn,"
        "referring_clinician_name,referring_clinician_email\n"
        "Stone,Iris,1988-07-01,female,NEW-1,Dr Ada Ames,ames@gp.example\n"
    )
    result = post(charted.token, body, "text/csv", confirm=True).json()
    assert result["rows"][0]["added"]["referrals"] == 1
    referral = Referral.objects.get(patient__mrn="NEW-1")
    assert (referral.status, referral.referrer_name, referral.referrer_email) == (
        "new",
        "Dr Ada Ames",
        "ames@gp.example",
    )
    assert referral.reason == "Not stated in the imported referral file."
    # The same file again: the patient is matched and no second open referral is made.
    again = post(charted.token, body, "text/csv", confirm=True).json()
    assert again["rows"][0]["action"] == "match"
    assert again["rows"][0]["skipped"]["referrals"] == 1
    assert Referral.objects.filter(patient__mrn="NEW-1").count() == 1
