"""The read-only FHIR R4 endpoint: auth, reads, searches, tenancy, errors, audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from ketacare.audit.models import AuditEvent
from tests.exchange.world import Charted

pytestmark = pytest.mark.django_db
BASE = "/fhir/r4"


def get(token: str | None, path: str, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client().get(f"{BASE}/{path}", params, headers=headers)


def r4b_valid(resource: dict[str, Any]) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_metadata_is_a_capability_statement_for_fhir_4_0_1() -> None:
    response = get(None, "metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    r4b_valid(body)
    assert body["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in body["rest"][0]["resource"]}
    assert {"Patient", "Observation", "Questionnaire", "Encounter", "Group"} <= types


def test_without_a_token_the_answer_is_401_with_an_operation_outcome(charted: Charted) -> None:
    response = get(None, f"Patient/{charted.patient.pk}")
    assert response.status_code == 401
    assert response.json()["resourceType"] == "OperationOutcome"
    assert get("kc_bogus", "Patient").status_code == 401


def test_patient_read(charted: Charted) -> None:
    response = get(charted.token, f"Patient/{charted.patient.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    r4b_valid(body)
    assert body["birthDate"] == "1961-04-02"
    assert body["identifier"][0]["value"] == charted.patient.mrn


def test_another_clinics_resource_is_404_operation_outcome(
    charted: Charted, charted_other: Charted
) -> None:
    for path in (
        f"Patient/{charted_other.patient.pk}",
        f"Observation/{charted_other.score_id}",
        f"Encounter/{charted_other.session.pk}",
        f"QuestionnaireResponse/{charted_other.response_id}",
        "Patient/not-a-uuid",
    ):
        response = get(charted.token, path)
        assert response.status_code == 404, path
        assert response.json()["resourceType"] == "OperationOutcome"
    search = get(charted.token, "Observation", patient=str(charted_other.patient.pk)).json()
    assert search["total"] == 0


def test_phq9_total_is_a_survey_observation_with_loinc_and_derived_from(charted: Charted) -> None:
    body = get(charted.token, f"Observation/{charted.score_id}").json()
    r4b_valid(body)
    assert body["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "44261-6",
        "display": "PHQ-9 total",
    }
    assert body["category"][0]["coding"][0]["code"] == "survey"
    assert body["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{charted.response_id}"}]
    qr = get(charted.token, body["derivedFrom"][0]["reference"]).json()
    r4b_valid(qr)
    assert qr["questionnaire"].startswith("urn:ketacare:questionnaire:phq9")


def test_vital_signs_blood_pressure_panel_and_body_weight(charted: Charted) -> None:
    bundle = get(charted.token, "Observation", category="vital-signs").json()
    codes = {e["resource"]["code"]["coding"][0]["code"]: e["resource"] for e in bundle["entry"]}
    bp = codes["85354-9"]
    assert [c["code"]["coding"][0]["code"] for c in bp["component"]] == ["8480-6", "8462-4"]
    assert bp["component"][0]["valueQuantity"]["value"] == 128
    assert {"8867-4", "2708-6", "29463-7", "8302-2"} <= set(codes)
    assert bp["encounter"]["reference"] == f"Encounter/{charted.session.pk}"


def test_search_by_code_with_and_without_system(charted: Charted) -> None:
    with_system = get(charted.token, "Observation", code="http://loinc.org|44261-6").json()
    assert [e["resource"]["id"] for e in with_system["entry"]] == [charted.score_id]
    bare = get(charted.token, "Observation", code="44261-6").json()
    assert bare["total"] == 1
    assert (
        get(charted.token, "Observation", code="http://snomed.info/sct|44261-6").json()["total"]
        == 0
    )


def test_search_by_date_prefixes(charted: Charted) -> None:
    today = charted.session.scheduled_start.date().isoformat()
    on_day = get(charted.token, "Encounter", date=today).json()
    assert on_day["total"] == 1
    assert get(charted.token, "Encounter", date=f"gt{today}").json()["total"] == 0
    assert get(charted.token, "Encounter", date=f"ge{today}").json()["total"] == 1
    assert get(charted.token, "Encounter", date=f"lt{today}").json()["total"] == 0
    assert get(charted.token, "Encounter", date="le2099").json()["total"] == 1


def test_search_by_last_updated_and_id(charted: Charted) -> None:
    assert get(charted.token, "Condition", _lastUpdated="ge2000-01-01").json()["total"] == 1
    assert get(charted.token, "Condition", _lastUpdated="lt2000-01-01").json()["total"] == 0
    found = get(charted.token, "Patient", _id=str(charted.patient.pk)).json()
    assert found["total"] == 1


def test_paging_links(charted: Charted) -> None:
    first = get(charted.token, "Observation", _count="2").json()
    assert first["total"] > 2
    assert len(first["entry"]) == 2
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "next" in links and "previous" not in links
    second = Client().get(links["next"], headers={"Authorization": f"Bearer {charted.token}"})
    ids = {e["resource"]["id"] for e in second.json()["entry"]}
    assert ids.isdisjoint({e["resource"]["id"] for e in first["entry"]})


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("Observation", {"date": "yesterday"}, "date"),
        ("Observation", {"_count": "0"}, "_count"),
        ("Observation", {"colour": "blue"}, "colour"),
    ],
)
def test_bad_search_is_400_operation_outcome_naming_the_parameter(
    charted: Charted, path: str, params: dict[str, str], parameter: str
) -> None:
    response = get(charted.token, path, **params)
    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert issue["expression"] == [parameter]


def test_every_resource_type_reads_and_validates(charted: Charted) -> None:
    for resource_type in (
        "Patient",
        "Condition",
        "AllergyIntolerance",
        "MedicationStatement",
        "Encounter",
        "MedicationAdministration",
        "Questionnaire",
        "QuestionnaireResponse",
        "Observation",
    ):
        bundle = get(charted.token, resource_type, _count="100").json()
        assert bundle["total"] >= 1, resource_type
        for entry in bundle["entry"]:
            r4b_valid(entry["resource"])
            one = get(charted.token, f"{resource_type}/{entry['resource']['id']}")
            assert one.json() == entry["resource"]


def test_condition_has_icd10_and_snomed(charted: Charted) -> None:
    condition = get(charted.token, "Condition").json()["entry"][0]["resource"]
    systems = {c["system"]: c["code"] for c in condition["code"]["coding"]}
    assert systems == {
        "http://hl7.org/fhir/sid/icd-10-cm": "F33.2",
        "http://snomed.info/sct": "370143000",
    }


def test_esketamine_administration_counts_devices_with_route_and_lot(charted: Charted) -> None:
    admin = get(charted.token, "MedicationAdministration").json()["entry"][0]["resource"]
    assert admin["dosage"]["route"]["coding"][0]["code"] == "46713006"
    assert "2 nasal spray device(s)" in admin["dosage"]["text"]
    assert admin["contained"][0]["batch"]["lotNumber"] == "LOT-42"
    assert admin["effectivePeriod"]["start"] < admin["effectivePeriod"]["end"]
    assert admin["dosage"]["dose"]["value"] == 56


def test_licensed_questionnaire_items_carry_codes_only(charted: Charted) -> None:
    cssrs = get(charted.token, "Questionnaire/cssrs-screen").json()
    assert all("text" not in item and item["code"] for item in cssrs["item"])
    phq9 = get(charted.token, "Questionnaire/phq9").json()
    assert all(item.get("text") for item in phq9["item"])


def test_reads_and_searches_are_audited(charted: Charted) -> None:
    get(charted.token, f"Patient/{charted.patient.pk}")
    get(charted.token, "Observation", patient=str(charted.patient.pk))
    events = AuditEvent.objects.filter(clinic=charted.access.clinic, object_type__startswith="fhir")
    view = events.get(action="view")
    assert view.patient_id == charted.patient.pk
    search = events.get(action="search")
    assert search.details["patient_ids"] == [str(charted.patient.pk)]


def test_writes_are_refused(charted: Charted) -> None:
    response = Client().post(
        f"{BASE}/Patient",
        data="{}",
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {charted.token}"},
    )
    assert response.status_code == 405
