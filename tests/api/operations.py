"""Every operation of the API, and what it takes to call it.

RECORD_OPERATIONS are the operations aimed at one record (a patient, a chart entry
or a token) through their path: each comes with a valid request body, so a 404 for
another clinic's ids can only come from clinic scoping. UNSCOPED_OPERATIONS name no
record; each maps to the test that shows it deals only in the caller's clinic.
test_every_api_operation_is_known fails when an endpoint is added that is in neither.
"""

from __future__ import annotations

import re
from typing import Any

from ketacare.api.urls import api
from tests.api.world import ClinicRecords

API = "/api/v1"
Op = tuple[str, str]  # (HTTP method, path as in the OpenAPI schema)

REASON = {"reason": "Entered on the wrong chart"}

# A valid body to add an entry, and to correct one (None: entries of this kind are
# never edited, only marked entered in error).
SECTION_BODIES: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "weights": ({"measured_on": "2024-03-01", "weight_kg": "72.5", "height_cm": "170.0"}, None),
    "allergies": (
        {"substance": "Latex", "reaction": "Hives", "severity": "mild"},
        {"severity": "severe"},
    ),
    "medications": (
        {
            "name": "Lamotrigine",
            "dose": "50 mg",
            "frequency": "twice daily",
            "start_date": "2024-01-10",
        },
        {"dose": "100 mg"},
    ),
    "diagnoses": (
        {"icd10_code": "F41.1", "description": "Generalised anxiety disorder"},
        {"status": "resolved"},
    ),
    "consents": (
        {
            "kind": "research",
            "decision": "granted",
            "document_version": "v2",
            "decided_on": "2024-02-01",
        },
        None,
    ),
}


def _record_operations() -> dict[Op, dict[str, Any] | None]:
    patient = f"{API}/patients/{{patient_id}}"
    ops: dict[Op, dict[str, Any] | None] = {
        ("GET", patient): None,
        ("PATCH", patient): {"phone": "+44 20 7946 0999"},
        ("POST", f"{patient}/archive"): {"reason": "Moved to another service"},
        ("POST", f"{API}/tokens/{{token_id}}/revoke"): None,
    }
    for section, (add, correct) in SECTION_BODIES.items():
        entries = f"{patient}/{section}"
        ops[("GET", entries)] = None
        ops[("POST", entries)] = add
        if correct is not None:
            ops[("PATCH", f"{entries}/{{entry_id}}")] = correct
        ops[("POST", f"{entries}/{{entry_id}}/entered-in-error")] = REASON
    return ops


RECORD_OPERATIONS = _record_operations()

# Each names the test in tests/api/test_tenant_isolation.py that shows the operation
# only ever returns (or writes) the caller's clinic's data.
UNSCOPED_OPERATIONS: dict[Op, str] = {
    ("GET", f"{API}/me"): "test_me_reports_the_clinic_of_the_credential",
    ("GET", f"{API}/tokens"): "test_token_list_shows_only_tokens_of_the_clinic",
    ("POST", f"{API}/tokens"): "test_token_create_makes_a_token_for_the_callers_clinic",
    ("GET", f"{API}/patients"): "test_patient_search_finds_only_the_callers_clinic",
    ("POST", f"{API}/patients"): "test_patient_create_registers_in_the_callers_clinic",
    ("GET", f"{API}/audit/events"): "test_audit_events_show_only_the_callers_clinic",
}

PATIENT_BODY = {
    "mrn": "N-3001",
    "legal_given_name": "Nadia",
    "legal_family_name": "Novak",
    "date_of_birth": "1990-09-09",
    "sex_at_birth": "female",
}


def schema_operations() -> dict[Op, dict[str, Any]]:
    schema = api.get_openapi_schema()
    return {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def path_params(path: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", path))


def section_of(path: str) -> str | None:
    match = re.search(r"/patients/{patient_id}/([a-z-]+)", path)
    return match.group(1) if match and match.group(1) != "archive" else None


def expected_success(op: Op) -> int:
    """201 for adding a chart entry, 200 for everything else aimed at a record."""
    method, path = op
    section = section_of(path)
    return 201 if method == "POST" and section and path.endswith(f"/{section}") else 200


def url_for(
    op: Op,
    records: ClinicRecords,
    *,
    patient_id: object = None,
    entry_id: object = None,
    token_id: object = None,
) -> str:
    """The op's URL aimed at records' ids (or the ids given)."""
    _method, path = op
    section = section_of(path)
    values = {
        "patient_id": patient_id or records.patient.pk,
        "entry_id": entry_id or (records.entries[section] if section else None),
        "token_id": token_id or records.token_id,
    }
    return re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), path)


def op_id(op: Op) -> str:
    return f"{op[0]} {op[1].removeprefix(API)}"


PATIENT_OPERATIONS = sorted(op for op in RECORD_OPERATIONS if "{patient_id}" in op[1])
