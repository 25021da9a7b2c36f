"""The compliance officer's audit page at /c/<slug>/audit/, with filters and CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import pytest
from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.audit import services as audit_services
from ketacare.audit.models import AuditEvent
from ketacare.patients import services
from ketacare.patients.models import Patient
from ketacare.web.views.audit import CSV_COLUMNS
from tests.factories import ClinicFactory, UserFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC
URL = "/c/harbour/audit/"


@dataclass
class Trail:
    clinic: Clinic
    officer: ClinicAccess
    nurse: ClinicAccess
    prescriber: ClinicAccess
    first: Patient
    second: Patient
    clock: list[dt.datetime]

    def client(self, access: ClinicAccess | None = None) -> Client:
        client = Client()
        client.force_login((access or self.officer).user)
        return client

    def sequences(self, **params: str) -> list[int]:
        """The seeded events the filtered page lists (each opening of the page is an
        event too; those are left out here and checked on their own below)."""
        response = self.client().get(URL, params)
        assert response.status_code == 200
        listed = response.context["page"].items
        return [e.sequence for e in listed if e.object_type != "audit_trail"]


@pytest.fixture
def trail(make_access: Callable[..., ClinicAccess], monkeypatch: pytest.MonkeyPatch) -> Trail:
    """Four events at known instants in a New York clinic:
    1 2026-01-15 02:30 UTC (14 Jan 21:30 in New York) nurse.ray creates A-1
    2 2026-01-16 15:00 UTC  dr.kim creates B-2
    3 2026-01-16 16:00 UTC  nurse.ray updates A-1
    4 2026-01-20 12:00 UTC  dr.kim views A-1
    """
    clock = [dt.datetime(2026, 1, 15, 2, 30, tzinfo=UTC)]
    monkeypatch.setattr(audit_services, "timezone", types.SimpleNamespace(now=lambda: clock[0]))
    clinic = cast(
        Clinic, ClinicFactory(slug="harbour", name="Harbour", time_zone="America/New_York")
    )
    officer = make_access(Role.COMPLIANCE, clinic, UserFactory(username="compliance.novak"))
    nurse = make_access(Role.NURSE, clinic, UserFactory(username="nurse.ray"))
    prescriber = make_access(Role.PRESCRIBER, clinic, UserFactory(username="dr.kim"))
    base = {
        "legal_given_name": "Ann",
        "legal_family_name": "Lee",
        "date_of_birth": dt.date(1980, 1, 2),
        "sex_at_birth": "female",
    }
    first = services.patient_create(access=nurse, data=base | {"mrn": "A-1"})
    clock[0] = dt.datetime(2026, 1, 16, 15, 0, tzinfo=UTC)
    second = services.patient_create(
        access=prescriber, data=base | {"mrn": "B-2"}, confirm_not_duplicate=True
    )
    clock[0] = dt.datetime(2026, 1, 16, 16, 0, tzinfo=UTC)
    services.patient_update(access=nurse, patient_id=first.pk, data={"phone": "555-0100"})
    clock[0] = dt.datetime(2026, 1, 20, 12, 0, tzinfo=UTC)
    services.patient_view(access=prescriber, patient_id=first.pk)
    clock[0] = dt.datetime(2026, 2, 1, 9, 0, tzinfo=UTC)  # when the page is used
    return Trail(clinic, officer, nurse, prescriber, first, second, clock)


def _csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


# --- the page -------------------------------------------------------------------------------


def test_compliance_officer_sees_every_event_newest_first(trail: Trail) -> None:
    response = trail.client().get(URL)

    assert response.status_code == 200
    # 5 is this opening of the page: reading the trail is audited too.
    assert [e.sequence for e in response.context["page"].items] == [5, 4, 3, 2, 1]
    html = response.content.decode()
    assert "5 events." in html
    assert "nurse.ray" in html and "dr.kim" in html
    assert "<strong>Phone</strong>:" in html and "555-0100" in html


def test_opening_the_page_is_itself_an_audit_event(trail: Trail) -> None:
    trail.client().get(URL, {"user": "dr.kim"})

    opened = AuditEvent.objects.get(clinic=trail.clinic, sequence=5)
    assert (opened.action, opened.object_type, opened.actor) == (
        "view",
        "audit_trail",
        trail.officer.user,
    )
    assert opened.details == {
        "format": "page",
        "page": "first",
        "user": "dr.kim",
        "action": "",
        "date_from": None,
        "date_to": None,
    }


def test_times_are_shown_in_the_clinics_time_zone(trail: Trail) -> None:
    html = trail.client().get(URL).content.decode()

    assert "Times in America/New_York." in html
    assert "2026-01-14 21:30:00" in html  # 02:30 UTC on the 15th, in winter (UTC-5)
    assert "2026-01-15 02:30:00" not in html
    assert "2026-01-16 11:00:00" in html


@pytest.mark.parametrize("mrn", ["A-1", "a-1", " A-1 "])
def test_filter_by_patient_mrn(trail: Trail, mrn: str) -> None:
    assert trail.sequences(patient_mrn=mrn) == [4, 3, 1]
    assert trail.sequences(patient_mrn="B-2") == [2]


def test_filter_by_an_unknown_mrn_shows_an_error_and_no_events(trail: Trail) -> None:
    response = trail.client().get(URL, {"patient_mrn": "Z-9"})

    assert list(response.context["page"].items) == []
    assert "No patient with this MRN in this clinic." in response.content.decode()


def test_an_mrn_from_another_clinic_matches_nothing(trail: Trail) -> None:
    other = cast(Clinic, ClinicFactory())
    services.patient_create(
        access=ClinicAccess(trail.nurse.user, other, Role.NURSE),
        data={
            "mrn": "X-1",
            "legal_given_name": "Bo",
            "legal_family_name": "Oh",
            "date_of_birth": dt.date(1990, 5, 5),
            "sex_at_birth": "male",
        },
    )
    assert trail.sequences(patient_mrn="X-1") == []


def test_filter_by_user(trail: Trail) -> None:
    assert trail.sequences(user="nurse.ray") == [3, 1]
    assert trail.sequences(user="dr.kim") == [4, 2]
    assert trail.sequences(user="nobody") == []


def test_filter_by_action(trail: Trail) -> None:
    assert trail.sequences(action="create") == [2, 1]
    assert trail.sequences(action="update") == [3]
    assert trail.sequences(action="view") == [4]


def test_filter_by_date_range_uses_the_clinics_calendar(trail: Trail) -> None:
    # Event 1 happened on 15 January in UTC but on the 14th in New York.
    assert trail.sequences(date_to="2026-01-14") == [1]
    assert trail.sequences(date_from="2026-01-15") == [4, 3, 2]
    assert trail.sequences(date_from="2026-01-16", date_to="2026-01-16") == [3, 2]
    assert trail.sequences(date_from="2026-01-17", date_to="2026-01-19") == []


def test_filters_combine(trail: Trail) -> None:
    assert trail.sequences(patient_mrn="A-1", user="nurse.ray", action="update") == [3]
    assert trail.sequences(patient_mrn="A-1", date_from="2026-01-16") == [4, 3]


def test_a_nurse_is_refused(trail: Trail) -> None:
    client = trail.client(trail.nurse)

    assert client.get(URL).status_code == 403
    assert client.get(URL, {"format": "csv"}).status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


@pytest.mark.parametrize(
    "role", [Role.PRESCRIBER, Role.THERAPIST, Role.FRONT_DESK, Role.RESEARCHER]
)
def test_other_roles_without_view_audit_are_refused(
    trail: Trail, role: Role, make_access: Callable[..., ClinicAccess]
) -> None:
    assert trail.client(make_access(role, trail.clinic)).get(URL).status_code == 403


def test_clinic_admin_may_read_the_trail(
    trail: Trail, make_access: Callable[..., ClinicAccess]
) -> None:
    response = trail.client(make_access(Role.CLINIC_ADMIN, trail.clinic)).get(URL)
    assert response.status_code == 200


def test_compliance_officer_of_another_clinic_gets_404(
    trail: Trail, make_access: Callable[..., ClinicAccess]
) -> None:
    outsider = make_access(Role.COMPLIANCE, ClinicFactory())
    assert trail.client(outsider).get(URL).status_code == 404


def test_signed_out_visitors_are_sent_to_log_in(trail: Trail) -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- CSV export -----------------------------------------------------------------------------


def test_csv_export_has_a_header_and_the_filtered_rows(trail: Trail) -> None:
    response = trail.client().get(URL, {"format": "csv", "user": "nurse.ray"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit-harbour.csv"'
    header, *rows = _csv_rows(response)
    assert header == CSV_COLUMNS
    assert [row[0] for row in rows] == ["3", "1"]
    update = dict(zip(header, rows[0], strict=True))
    stored = AuditEvent.objects.get(clinic=trail.clinic, sequence=3)
    assert update == {
        "sequence": "3",
        "occurred_at": "2026-01-16T16:00:00+00:00",
        "actor_username": "nurse.ray",
        "action": "update",
        "object_type": "patient",
        "object_id": str(trail.first.pk),
        "patient_id": str(trail.first.pk),
        "ip_address": "",
        "request_id": stored.request_id,
        "changes": json.dumps({"phone": ["", "555-0100"]}),
        "details": "{}",
        "hash": stored.hash,
    }


def test_csv_export_filters_like_the_page(trail: Trail) -> None:
    response = trail.client().get(
        URL, {"format": "csv", "patient_mrn": "A-1", "date_to": "2026-01-31"}
    )
    _header, *rows = _csv_rows(response)
    assert [row[0] for row in rows] == ["4", "3", "1"]


def test_csv_export_writes_its_own_export_event(trail: Trail) -> None:
    response = trail.client().get(
        URL, {"format": "csv", "patient_mrn": "A-1", "action": "update", "date_from": "2026-01-01"}
    )
    _csv_rows(response)

    export = AuditEvent.objects.get(clinic=trail.clinic, action="export")
    assert export.sequence == 5
    assert export.actor == trail.officer.user
    assert export.object_type == "audit_trail"
    assert export.patient_id == trail.first.pk
    assert export.occurred_at == dt.datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    assert export.details == {
        "format": "csv",
        "page": None,
        "user": "",
        "action": "update",
        "date_from": "2026-01-01",
        "date_to": None,
    }
    assert export.ip_address == "127.0.0.1"


def test_an_unfiltered_export_lists_the_export_itself(trail: Trail) -> None:
    _header, *rows = _csv_rows(trail.client().get(URL, {"format": "csv"}))
    assert [(row[0], row[3]) for row in rows] == [
        ("5", "export"),
        ("4", "view"),
        ("3", "update"),
        ("2", "create"),
        ("1", "create"),
    ]
