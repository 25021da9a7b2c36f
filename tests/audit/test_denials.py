"""Refused requests and the last unaudited reads are audit events (issue 13, finding 4).

A denial is written in the requesting user's own clinic, with the same details whether
or not the id exists elsewhere, so the trail leaks nothing about other clinics."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.accounts.services import api_token_create
from ketacare.audit.models import AuditEvent
from tests.audit.conftest import AuditLog
from tests.factories import PatientFactory

Access = Callable[..., ClinicAccess]
API = "/api/v1"


def signed_in(access: ClinicAccess) -> Client:
    client = Client(headers={"X-Clinic": access.clinic.slug})
    client.force_login(access.user)
    return client


def denial(event: AuditEvent) -> tuple[str, str, dict[str, object]]:
    return event.action, event.actor_username, event.details


@pytest.fixture
def nurse(make_access: Access, clinic: Clinic) -> ClinicAccess:
    return make_access(Role.NURSE, clinic)


@pytest.mark.parametrize("where", ["web", "api"])
def test_another_clinics_patient_is_a_denial_in_the_requesters_clinic_only(
    nurse: ClinicAccess, other_clinic: Clinic, where: str
) -> None:
    theirs = PatientFactory.create(clinic=other_clinic)
    paths = {
        "web": [
            f"/c/{other_clinic.slug}/patients/{theirs.pk}/",
            f"/c/clinic-a/patients/{theirs.pk}/",
        ],
        "api": [f"{API}/patients/{theirs.pk}", f"{API}/patients/{uuid.uuid4()}"],
    }[where]
    mine, others = AuditLog(nurse.clinic), AuditLog(other_clinic)

    for path in paths:
        assert signed_in(nurse).get(path).status_code == 404
        event = mine.single()
        assert denial(event) == (
            "deny",
            nurse.user.username,
            {"status": 404, "method": "GET", "path": path},
        )
        assert event.patient_id is None
    assert others.new() == []


def test_a_role_refusal_is_a_denial_on_the_web_and_in_the_api(nurse: ClinicAccess) -> None:
    log = AuditLog(nurse.clinic)
    client = signed_in(nurse)

    assert client.get("/c/clinic-a/audit/").status_code == 403
    assert denial(log.single())[2] == {"status": 403, "method": "GET", "path": "/c/clinic-a/audit/"}
    assert client.get(f"{API}/audit/events").status_code == 403
    assert denial(log.single())[2] == {
        "status": 403,
        "method": "GET",
        "path": f"{API}/audit/events",
    }


def test_a_token_denial_goes_to_the_tokens_clinic(
    make_access: Access, clinic: Clinic, other_clinic: Clinic
) -> None:
    access = make_access(Role.NURSE, clinic)
    _token, raw = api_token_create(access=access, name="lab", expires_in_days=30)
    theirs = PatientFactory.create(clinic=other_clinic)
    log = AuditLog(clinic)

    response = Client(headers={"Authorization": f"Bearer {raw}"}).get(
        f"{API}/patients/{theirs.pk}?q=secret"
    )

    assert response.status_code == 404
    assert denial(log.single())[2] == {
        "status": 404,
        "method": "GET",
        "path": f"{API}/patients/{theirs.pk}",  # no query string: it may hold search terms
    }
    assert not AuditEvent.objects.filter(clinic=other_clinic).exists()


def test_anonymous_requests_and_pages_outside_clinics_write_nothing(
    nurse: ClinicAccess,
) -> None:
    assert Client().get(f"{API}/patients/{uuid.uuid4()}").status_code in (401, 403)
    assert signed_in(nurse).get("/no-such-page/").status_code == 404
    assert not AuditEvent.objects.exists()


# --- reads that name patients ---------------------------------------------------------


def test_reading_the_alert_list_is_audited(nurse: ClinicAccess) -> None:
    log = AuditLog(nurse.clinic)

    assert signed_in(nurse).get(f"{API}/alerts").status_code == 200

    event = log.single()
    assert (event.action, event.object_type) == ("view", "alert_list")
    assert event.details == {"patient_ids": [], "open": 0}


@pytest.mark.parametrize(
    ("path", "action", "details"),
    [
        ("/c/clinic-a/rems-forms/", "view", {"include_submitted": False, "format": "list"}),
        (
            f"{API}/rems-forms?include_submitted=true",
            "view",
            {"include_submitted": True, "format": "list"},
        ),
        (f"{API}/rems-forms.csv", "export", {"include_submitted": False, "format": "csv"}),
    ],
)
def test_reading_the_rems_list_is_audited(
    nurse: ClinicAccess, path: str, action: str, details: dict[str, object]
) -> None:
    log = AuditLog(nurse.clinic)

    assert signed_in(nurse).get(path).status_code == 200

    event = log.single()
    assert (event.action, event.object_type) == (action, "rems_form_list")
    assert event.details == details | {"patient_ids": []}


@pytest.mark.parametrize(
    ("path", "action", "page"),
    [
        ("/c/clinic-a/audit/?cursor=o2", "view", "o2"),
        ("/c/clinic-a/audit/?format=csv", "export", None),
        (f"{API}/audit/events?action=view", "view", "first"),
    ],
)
def test_reading_the_audit_trail_is_itself_audited(
    make_access: Access, clinic: Clinic, path: str, action: str, page: str | None
) -> None:
    officer = make_access(Role.COMPLIANCE, clinic)
    log = AuditLog(clinic)

    response = signed_in(officer).get(path)
    assert response.status_code == 200
    if action == "export":
        b"".join(response.streaming_content)  # type: ignore[attr-defined]

    event = log.single()
    assert (event.action, event.object_type, event.actor_username) == (
        action,
        "audit_trail",
        officer.user.username,
    )
    assert event.details["page"] == page
