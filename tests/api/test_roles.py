"""Role permissions through the API, in the caller's own clinic: a refused role gets
403 and nothing is written."""

from __future__ import annotations

import pytest
from django.test import Client

from ketacare.accounts.policy import Role
from tests.api.operations import (
    API,
    PATIENT_BODY,
    PATIENT_OPERATIONS,
    RECORD_OPERATIONS,
    SECTION_BODIES,
    Op,
    op_id,
    url_for,
)
from tests.api.world import World, call, clinic_state, member, record_counts, session_client


def _client(world: World, role: Role) -> Client:
    return session_client(member(world.a.clinic, role))


def _assert_forbidden(world: World, client: Client, method: str, url: str, body: object) -> None:
    before, counts = clinic_state(world.a.clinic), record_counts()
    response = call(client, method, url, body)
    assert response.status_code == 403, (method, url, response.content)
    assert response.json()["detail"]  # says which role may not do what
    assert clinic_state(world.a.clinic) == before
    assert record_counts() == counts


@pytest.mark.parametrize("op", PATIENT_OPERATIONS, ids=op_id)
def test_researcher_is_refused_every_patient_endpoint(world: World, op: Op) -> None:
    client = _client(world, Role.RESEARCHER)
    _assert_forbidden(world, client, op[0], url_for(op, world.a), RECORD_OPERATIONS[op])


def test_researcher_cannot_search_or_register(world: World) -> None:
    client = _client(world, Role.RESEARCHER)
    _assert_forbidden(world, client, "GET", f"{API}/patients?q=Ashworth", None)
    _assert_forbidden(world, client, "POST", f"{API}/patients", PATIENT_BODY)
    assert client.get(f"{API}/me").json()["role"] == "researcher"


def test_therapist_reads_the_chart_but_cannot_add_weights(world: World) -> None:
    client = _client(world, Role.THERAPIST)
    patient = f"{API}/patients/{world.a.patient.pk}"
    assert client.get(patient).status_code == 200
    for section in SECTION_BODIES:
        listed = client.get(f"{patient}/{section}")
        assert listed.status_code == 200, section
        # The world's entry (a session's pre-dose assessment also records a weight).
        assert str(world.a.entries[section]) in [e["id"] for e in listed.json()]
    _assert_forbidden(world, client, "POST", f"{patient}/weights", SECTION_BODIES["weights"][0])
    for section, (add, _correct) in SECTION_BODIES.items():
        _assert_forbidden(world, client, "POST", f"{patient}/{section}", add)
    _assert_forbidden(world, client, "PATCH", patient, {"phone": "0"})


def test_front_desk_registers_and_records_consent_but_cannot_read_weights(world: World) -> None:
    client = _client(world, Role.FRONT_DESK)
    registered = call(client, "POST", f"{API}/patients", PATIENT_BODY)
    assert registered.status_code == 201, registered.content
    patient = f"{API}/patients/{registered.json()['id']}"
    consent = call(client, "POST", f"{patient}/consents", SECTION_BODIES["consents"][0])
    assert consent.status_code == 201, consent.content
    assert client.get(f"{patient}/consents").status_code == 200
    assert client.get(patient).status_code == 200  # identity and contact details
    for section in ("weights", "allergies", "medications", "diagnoses"):
        _assert_forbidden(world, client, "GET", f"{patient}/{section}", None)
    _assert_forbidden(world, client, "POST", f"{patient}/weights", SECTION_BODIES["weights"][0])


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.COMPLIANCE, 200),
        (Role.CLINIC_ADMIN, 200),
        (Role.NURSE, 403),
        (Role.PRESCRIBER, 403),
        (Role.THERAPIST, 403),
        (Role.FRONT_DESK, 403),
        (Role.RESEARCHER, 403),
    ],
)
def test_only_compliance_and_admins_read_the_audit_trail(
    world: World, role: Role, status: int
) -> None:
    response = _client(world, role).get(f"{API}/audit/events")
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["count"] > 0


def test_front_desk_sees_sessions_but_no_doses(world: World) -> None:
    url = f"{API}/patients/{world.a.patient.pk}/sessions"
    ordered = _client(world, Role.PRESCRIBER).get(url).json()
    assert any(s["ordered_dose_mg"] is not None for s in ordered)
    front_desk = _client(world, Role.FRONT_DESK).get(url)
    assert front_desk.status_code == 200
    assert [s["id"] for s in front_desk.json()] == [s["id"] for s in ordered]
    assert all(s["ordered_dose_mg"] is None for s in front_desk.json())
