"""Each audited API call writes exactly one audit event, with who, where, what and
which request, and for writes the fields changed (old and new values)."""

from __future__ import annotations

import uuid

from ketacare.audit.models import AuditEvent
from ketacare.audit.selectors import audit_chain_verify
from ketacare.patients.models import BodyMeasurement
from tests.api.operations import API
from tests.api.world import World, call, session_client, token_client


def _new_events(world: World, since: int) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(clinic=world.a.clinic, sequence__gt=since).order_by("sequence")
    )


def _last_sequence(world: World) -> int:
    return AuditEvent.objects.filter(clinic=world.a.clinic).latest("sequence").sequence


def test_reading_a_patient_writes_one_view_event(world: World) -> None:
    since = _last_sequence(world)
    b_before = AuditEvent.objects.filter(clinic=world.b.clinic).count()
    client = session_client(world.dual_a)

    response = client.get(f"{API}/patients/{world.a.patient.pk}")

    assert response.status_code == 200
    (event,) = _new_events(world, since)
    assert event.actor == world.dual_a.user
    assert event.actor_username == world.dual_a.user.username
    assert event.clinic == world.a.clinic
    assert event.patient_id == world.a.patient.pk
    assert (event.object_type, event.object_id) == ("patient", str(world.a.patient.pk))
    assert event.action == "view"
    assert event.details == {"section": "overview"}
    assert event.changes == {}
    assert event.ip_address == "127.0.0.1"
    assert event.request_id == response["X-Request-ID"]
    assert len(event.request_id) >= 8
    assert AuditEvent.objects.filter(clinic=world.b.clinic).count() == b_before


def test_adding_a_weight_writes_one_create_event_with_the_new_values(world: World) -> None:
    since = _last_sequence(world)
    client = token_client(world.dual_token_a, **{"X-Request-ID": "lab-feed-000123"})
    body = {"measured_on": "2024-03-01", "weight_kg": "72.5", "height_cm": "170.0"}

    response = call(client, "POST", f"{API}/patients/{world.a.patient.pk}/weights", body)

    assert response.status_code == 201, response.content
    weight = BodyMeasurement.objects.get(pk=response.json()["id"])
    (event,) = _new_events(world, since)
    assert (event.actor, event.clinic, event.patient_id) == (
        world.dual_a.user,
        world.a.clinic,
        world.a.patient.pk,
    )
    assert (event.object_type, event.object_id, event.action) == (
        "bodymeasurement",
        str(weight.pk),
        "create",
    )
    assert event.changes == {
        "measured_on": [None, "2024-03-01"],
        "weight_kg": [None, "72.5"],
        "height_cm": [None, "170.0"],
    }
    assert event.ip_address == "127.0.0.1"
    # A well-formed upstream request id is kept, and echoed back.
    assert event.request_id == response["X-Request-ID"] == "lab-feed-000123"


def test_a_correction_records_old_and_new_values_of_changed_fields_only(world: World) -> None:
    since = _last_sequence(world)
    client = session_client(world.dual_a)
    url = f"{API}/patients/{world.a.patient.pk}"

    response = call(client, "PATCH", url, {"phone": "+44 20 7946 0999", "mrn": "A-1001"})

    assert response.status_code == 200, response.content
    (event,) = _new_events(world, since)
    assert (event.action, event.object_type) == ("update", "patient")
    assert event.changes == {"phone": ["+44 20 7946 0000", "+44 20 7946 0999"]}
    assert event.request_id == response["X-Request-ID"]

    allergy = f"{url}/allergies/{world.a.entries['allergies']}"
    response = call(client, "PATCH", allergy, {"severity": "severe", "reaction": "Rash"})
    assert response.status_code == 200, response.content
    # An allergy change also re-runs the patient's screenings (ketacare.eligibility).
    (event,) = [e for e in _new_events(world, since + 1) if e.object_type == "allergy"]
    assert (event.action, event.object_type, event.object_id) == (
        "update",
        "allergy",
        str(world.a.entries["allergies"]),
    )
    assert event.changes == {"severity": ["moderate", "severe"]}


def test_a_request_that_changes_nothing_writes_nothing(world: World) -> None:
    since = _last_sequence(world)
    client = session_client(world.dual_a)
    response = call(client, "PATCH", f"{API}/patients/{world.a.patient.pk}", {"mrn": "A-1001"})
    assert response.status_code == 200
    assert _new_events(world, since) == []


def test_a_hostile_request_id_is_replaced(world: World) -> None:
    since = _last_sequence(world)
    client = session_client(world.dual_a)
    response = client.get(
        f"{API}/patients/{world.a.patient.pk}", headers={"X-Request-ID": "x'; DROP TABLE--"}
    )
    (event,) = _new_events(world, since)
    assert event.request_id == response["X-Request-ID"]
    assert uuid.UUID(hex=event.request_id)


def test_the_chain_stays_intact(world: World) -> None:
    client = session_client(world.dual_a)
    client.get(f"{API}/patients/{world.a.patient.pk}")
    client.get(f"{API}/patients", {"q": "ash"})
    for clinic in (world.a.clinic, world.b.clinic):
        result = audit_chain_verify(clinic=clinic)
        assert result.broken is None
        assert result.events == AuditEvent.objects.filter(clinic=clinic).count()
