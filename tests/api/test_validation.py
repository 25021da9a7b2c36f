"""Bad input answers 422 naming the field, and nothing is saved or audited.

Malformed ids and JSON answer 4xx, never 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from ketacare.patients.models import Patient
from tests.api.operations import (
    API,
    PATIENT_BODY,
    RECORD_OPERATIONS,
    SECTION_BODIES,
    UNSCOPED_OPERATIONS,
    Op,
    op_id,
    path_params,
    url_for,
)
from tests.api.world import World, call, clinic_state, session_client

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

FUTURE = "future"  # stands for a date after today, worked out when the test runs


def _dates(body: dict[str, Any]) -> dict[str, Any]:
    later = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    return {k: later if v == FUTURE else v for k, v in body.items()}


@contextmanager
def nothing_saved(world: World) -> Iterator[None]:
    before = clinic_state(world.a.clinic), clinic_state(world.b.clinic)
    yield
    assert (clinic_state(world.a.clinic), clinic_state(world.b.clinic)) == before


def assert_field_errors(response: Response, *fields: str) -> None:
    """A 422 whose messages name exactly these body fields."""
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    for error in detail:
        assert error["loc"][:2] == ["body", "payload"], error
        assert isinstance(error["msg"], str)
        assert error["msg"]
    assert {error["loc"][2] for error in detail} == set(fields), detail


@pytest.fixture
def writer(world: World) -> Client:
    """A clinic-A prescriber, signed in (a session writes no clinic rows of its own)."""
    return session_client(world.dual_a)


# --- patients --------------------------------------------------------------------------

BAD_PATIENTS = {
    "date of birth in the future": ({"date_of_birth": FUTURE}, "date_of_birth"),
    "date of birth not a date": ({"date_of_birth": "2001-02-30"}, "date_of_birth"),
    "date of birth 140 years ago": ({"date_of_birth": "1880-01-01"}, "date_of_birth"),
    "sex at birth not a choice": ({"sex_at_birth": "robot"}, "sex_at_birth"),
    "unknown field": ({"favourite_colour": "teal"}, "favourite_colour"),
    "MRN already used in the clinic": ({"mrn": "A-1001"}, "mrn"),
    "MRN malformed": ({"mrn": "A 1001!"}, "mrn"),
    "email malformed": ({"email": "not-an-address"}, "email"),
    "family name null": ({"legal_family_name": None}, "legal_family_name"),
}


@pytest.mark.parametrize("change", BAD_PATIENTS.values(), ids=BAD_PATIENTS.keys())
def test_register_patient_rejects(world: World, writer: Client, change: tuple[Any, str]) -> None:
    fields, error_field = change
    with nothing_saved(world):
        response = call(writer, "POST", f"{API}/patients", _dates({**PATIENT_BODY, **fields}))
    assert_field_errors(response, error_field)


def test_register_patient_reports_every_bad_field_at_once(world: World, writer: Client) -> None:
    body = {**PATIENT_BODY, "date_of_birth": FUTURE, "mrn": "A 1001!", "email": "nope"}
    with nothing_saved(world):
        response = call(writer, "POST", f"{API}/patients", _dates(body))
    # Field checks (here the email) come first; the domain rules run on clean fields.
    assert_field_errors(response, "email")
    del body["email"]
    with nothing_saved(world):
        response = call(writer, "POST", f"{API}/patients", _dates(body))
    assert_field_errors(response, "date_of_birth", "mrn")


def test_register_patient_with_missing_fields(world: World, writer: Client) -> None:
    with nothing_saved(world):
        response = call(writer, "POST", f"{API}/patients", {"mrn": "N-1"})
    assert_field_errors(
        response, "legal_given_name", "legal_family_name", "date_of_birth", "sex_at_birth"
    )


@pytest.mark.parametrize("change", BAD_PATIENTS.values(), ids=BAD_PATIENTS.keys())
def test_update_patient_rejects(world: World, writer: Client, change: tuple[Any, str]) -> None:
    fields, error_field = change
    if error_field == "mrn" and fields["mrn"] == "A-1001":
        call(writer, "POST", f"{API}/patients", {**PATIENT_BODY, "mrn": "A-1002"})
        fields = {"mrn": "A-1002"}  # another patient's MRN in the same clinic
    with nothing_saved(world):
        url = f"{API}/patients/{world.a.patient.pk}"
        response = call(writer, "PATCH", url, _dates(fields))
    assert_field_errors(response, error_field)


def test_same_mrn_in_another_clinic_is_allowed(world: World, writer: Client) -> None:
    b_mrn = world.b.patient.mrn
    response = call(writer, "POST", f"{API}/patients", {**PATIENT_BODY, "mrn": b_mrn})
    assert response.status_code == 201, response.content
    assert Patient.objects.get(pk=response.json()["id"]).clinic == world.a.clinic

    other = call(
        session_client(world.b_member), "POST", f"{API}/patients", {**PATIENT_BODY, "mrn": "B-2002"}
    )
    assert other.status_code == 201, other.content
    url = f"{API}/patients/{world.a.patient.pk}"
    response = call(writer, "PATCH", url, {"mrn": "B-2002"})
    assert response.status_code == 200, response.content
    assert sorted(
        Patient.objects.filter(mrn__in=[b_mrn, "B-2002"]).values_list("clinic__slug", "mrn")
    ) == [
        ("clinic-a", "B-2001"),
        ("clinic-a", "B-2002"),
        ("clinic-b", "B-2001"),
        ("clinic-b", "B-2002"),
    ]


def test_archive_needs_a_reason(world: World, writer: Client) -> None:
    url = f"{API}/patients/{world.a.patient.pk}/archive"
    for body in ({"reason": ""}, {"reason": "   "}, {}):
        with nothing_saved(world):
            response = call(writer, "POST", url, body)
        assert_field_errors(response, "reason")


# --- chart entries ---------------------------------------------------------------------

BAD_ENTRIES = {
    "weight 0 kg": ("weights", {"weight_kg": 0}, "weight_kg"),
    "weight 700 kg": ("weights", {"weight_kg": 700}, "weight_kg"),
    "weight negative": ("weights", {"weight_kg": "-70"}, "weight_kg"),
    "weight not a number": ("weights", {"weight_kg": "heavy"}, "weight_kg"),
    "height 20 cm": ("weights", {"height_cm": 20}, "height_cm"),
    "measured in the future": ("weights", {"measured_on": FUTURE}, "measured_on"),
    "ICD-10 XYZ": ("diagnoses", {"icd10_code": "XYZ"}, "icd10_code"),
    "ICD-10 123": ("diagnoses", {"icd10_code": "123"}, "icd10_code"),
    "ICD-10 empty": ("diagnoses", {"icd10_code": ""}, "icd10_code"),
    "stop before start": (
        "medications",
        {"start_date": "2024-03-01", "stop_date": "2024-02-28"},
        "stop_date",
    ),
    "medication status not a choice": ("medications", {"status": "paused"}, "status"),
    "allergy severity not a choice": ("allergies", {"severity": "extreme"}, "severity"),
    "consent kind not a choice": ("consents", {"kind": "marketing"}, "kind"),
    "consent decision not a choice": ("consents", {"decision": "maybe"}, "decision"),
    "consent in the future": ("consents", {"decided_on": FUTURE}, "decided_on"),
    "unknown field": ("allergies", {"antidote": "none"}, "antidote"),
}


@pytest.mark.parametrize("case", BAD_ENTRIES.values(), ids=BAD_ENTRIES.keys())
def test_add_entry_rejects(world: World, writer: Client, case: tuple[str, Any, str]) -> None:
    section, fields, error_field = case
    body = RECORD_OPERATIONS[("POST", f"{API}/patients/{{patient_id}}/{section}")]
    assert body is not None
    url = f"{API}/patients/{world.a.patient.pk}/{section}"
    with nothing_saved(world):
        response = call(writer, "POST", url, _dates({**body, **fields}))
    assert_field_errors(response, error_field)


BAD_CORRECTIONS = {
    "stop before the recorded start": ("medications", {"stop_date": "2023-05-31"}, "stop_date"),
    "stop before a new start": (
        "medications",
        {"start_date": "2024-01-01", "stop_date": "2023-12-31"},
        "stop_date",
    ),
    "ICD-10 code cannot be changed": ("diagnoses", {"icd10_code": "F32.1"}, "icd10_code"),
    "allergy substance cannot be changed": ("allergies", {"substance": "Latex"}, "substance"),
    "allergy severity not a choice": ("allergies", {"severity": "extreme"}, "severity"),
    "diagnosis status not a choice": ("diagnoses", {"status": "cured"}, "status"),
    "medication dose null": ("medications", {"dose": None}, "dose"),
}


@pytest.mark.parametrize("case", BAD_CORRECTIONS.values(), ids=BAD_CORRECTIONS.keys())
def test_correct_entry_rejects(world: World, writer: Client, case: tuple[str, Any, str]) -> None:
    section, fields, error_field = case
    url = f"{API}/patients/{world.a.patient.pk}/{section}/{world.a.entries[section]}"
    with nothing_saved(world):
        response = call(writer, "PATCH", url, fields)
    assert_field_errors(response, error_field)


@pytest.mark.parametrize("section", sorted(SECTION_BODIES))
def test_entered_in_error_needs_a_reason(world: World, writer: Client, section: str) -> None:
    url = f"{API}/patients/{world.a.patient.pk}/{section}/{world.a.entries[section]}"
    for body in ({"reason": ""}, {"reason": "  "}, {}):
        with nothing_saved(world):
            response = call(writer, "POST", f"{url}/entered-in-error", body)
        assert_field_errors(response, "reason")


# --- every operation with a body -------------------------------------------------------

BODY_OPERATIONS = sorted(
    [op for op, body in RECORD_OPERATIONS.items() if body is not None]
    + [op for op in UNSCOPED_OPERATIONS if op[0] != "GET"]
)
PATIENT_BODY_OPERATIONS = [op for op in BODY_OPERATIONS if op[1].startswith(f"{API}/patients")]


TOKEN_BODY: dict[str, Any] = {"name": "lab", "expires_in_days": 30}


def _body(op: Op) -> dict[str, Any]:
    if op in RECORD_OPERATIONS:  # an empty body ({}) is a valid one
        return dict(RECORD_OPERATIONS[op] or {})
    return dict({f"{API}/patients": PATIENT_BODY, f"{API}/tokens": TOKEN_BODY}[op[1]])


@pytest.mark.parametrize("op", PATIENT_BODY_OPERATIONS, ids=op_id)
def test_unknown_fields_are_refused_everywhere(world: World, writer: Client, op: Op) -> None:
    with nothing_saved(world):
        response = call(writer, op[0], url_for(op, world.a), {**_body(op), "note_to_self": "x"})
    assert_field_errors(response, "note_to_self")


MALFORMED_JSON = ['{"reason": ', "not json", "[1, 2]", '"text"', "", "null", "{'a': 1}"]


@pytest.mark.parametrize("op", BODY_OPERATIONS, ids=op_id)
def test_malformed_json_is_a_client_error(world: World, writer: Client, op: Op) -> None:
    with nothing_saved(world):  # by any of them: one snapshot of both clinics around all
        for raw in MALFORMED_JSON:
            response = writer.generic(
                op[0], url_for(op, world.a), raw, content_type="application/json"
            )
            assert 400 <= response.status_code < 500, (raw, response.status_code, response.content)


MALFORMED_IDS = [
    "not-a-uuid",
    "1234",
    "12345678-1234-1234-1234-1234567890zz",
    "%00",
    "' OR 1=1 --",
    "../../me",
    str(2**70),
]


@pytest.mark.parametrize("op", sorted(RECORD_OPERATIONS), ids=op_id)
def test_malformed_ids_in_the_path_are_404_or_422(world: World, writer: Client, op: Op) -> None:
    with nothing_saved(world):  # by any of them: one snapshot of both clinics around all
        for param in sorted(path_params(op[1])):
            for bad_id in MALFORMED_IDS:
                url = url_for(op, world.a, **{param: quote(bad_id, safe="")})
                response = call(writer, op[0], url, RECORD_OPERATIONS[op])
                assert response.status_code in (404, 422), (param, bad_id, response.content)
