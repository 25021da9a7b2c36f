"""Issue #12 finding 14: hospitalisation for worsening depression and suicide attempts can
be recorded as clinical events (service, API, the Outcomes tab), audited, and count as
relapse under the SUSTAIN-1 option (Daly 2019)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import PermissionDenied, ValidationFailed
from ketacare.outcomes import EventKind, Relapse, services
from ketacare.outcomes.models import ClinicalEvent
from ketacare.patients.models import Patient
from tests.clock import fix_clock
from tests.measures.conftest import Team

from .conftest import at, write_course

pytestmark = pytest.mark.django_db

# A MADRS course: baseline 36, response on day 3 (14), still responding on day 10 (16).
COURSE = ([0, 2, 4, 7], [(-1, 36), (3, 14), (10, 16)])


def sustain(team: Team) -> None:
    services.outcome_settings_update(access=team.admin, values={"relapse_rule": "madrs_threshold"})


def relapse_of(team: Team, patient: Patient) -> Relapse:
    state = services.patient_outcomes(access=team.prescriber, patient_id=patient.pk)
    (madrs,) = [o for o in state.outcomes if o.instrument == "madrs"]
    return madrs.relapse


def test_a_hospitalisation_counts_as_relapse_under_sustain1(team: Team, patient: Patient) -> None:
    fix_clock(at(20))
    write_course(team.nurse, patient, *COURSE)
    sustain(team)
    assert relapse_of(team, patient).status.value == "not_met"

    event = services.clinical_event_record(
        access=team.prescriber,
        patient_id=patient.pk,
        kind="hospitalisation",
        occurred_at=at(12),
        note="Admitted after a week of worsening mood",
    )
    found = relapse_of(team, patient)
    assert found.status.value == "met"
    assert found.event_id == str(event.pk)
    assert found.reason.startswith("Hospitalisation for worsening depression on 2026-03-14")
    audit = AuditEvent.objects.get(object_type="clinicalevent", action="create")
    assert audit.patient_id == patient.pk and audit.changes["kind"] == [None, "hospitalisation"]

    # Entered in error: kept, audited, no longer counted.
    services.clinical_event_mark_in_error(
        access=team.nurse, patient_id=patient.pk, event_id=event.pk, reason="Wrong patient"
    )
    assert relapse_of(team, patient).status.value == "not_met"
    assert ClinicalEvent.objects.get().entered_in_error_reason == "Wrong patient"
    assert AuditEvent.objects.filter(object_type="clinicalevent", action="update").count() == 1


@pytest.mark.parametrize(
    ("kind", "occurred", "field"),
    [
        ("flu", at(5), "kind"),
        ("suicide_attempt", at(30), "occurred_at"),  # the future (the clock is at day 20)
        ("suicide_attempt", None, "occurred_at"),
        ("suicide_attempt", dt.datetime(1900, 1, 1, tzinfo=dt.UTC), "occurred_at"),
    ],
)
def test_bad_events_name_the_field_and_store_nothing(
    team: Team, patient: Patient, kind: str, occurred: dt.datetime | None, field: str
) -> None:
    fix_clock(at(20))
    with pytest.raises(ValidationFailed) as refused:
        services.clinical_event_record(
            access=team.nurse, patient_id=patient.pk, kind=kind, occurred_at=occurred
        )
    assert list(refused.value.errors) == [field]
    assert not ClinicalEvent.objects.exists()
    assert not AuditEvent.objects.filter(object_type="clinicalevent").exists()


def test_front_desk_cannot_record_events(team: Team, patient: Patient) -> None:
    fix_clock(at(20))
    with pytest.raises(PermissionDenied):
        services.clinical_event_record(
            access=team.front_desk, patient_id=patient.pk, kind="suicide_attempt", occurred_at=at(1)
        )


def test_model_kinds_are_the_cores_kinds() -> None:
    assert set(ClinicalEvent.Kind.values) == set(EventKind.LABELS)
    assert {str(v) for v in ClinicalEvent.Kind.labels} == set(EventKind.LABELS.values())


def test_the_api_records_and_lists_events(
    team: Team, patient: Patient, api_client: Callable[[ClinicAccess], Client]
) -> None:
    fix_clock(at(20))
    client = api_client(team.nurse)
    url = f"/api/v1/patients/{patient.pk}/clinical-events"
    body = {"kind": "suicide_attempt", "occurred_at": "2026-03-12T22:00:00Z", "note": "ED visit"}
    created = client.post(url, json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["kind_label"] == "Suicide attempt"
    bad = client.post(
        url,
        json.dumps({**body, "occurred_at": "2026-04-30T22:00:00Z"}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and "occurred_at" in bad.content.decode()
    listed = client.get(url).json()
    assert [e["kind"] for e in listed] == ["suicide_attempt"]
    event_id = listed[0]["id"]
    marked = client.post(
        f"{url}/{event_id}/entered-in-error",
        json.dumps({"reason": "Duplicate"}),
        content_type="application/json",
    )
    assert marked.status_code == 200 and marked.json()["entered_in_error_at"]


def test_the_outcomes_tab_records_an_event(team: Team, patient: Patient) -> None:
    fix_clock(at(20))
    write_course(team.nurse, patient, *COURSE)
    sustain(team)
    client = Client()
    client.force_login(team.nurse.user)
    tab = reverse(
        "patient_chart_section",
        kwargs={"clinic_slug": team.clinic.slug, "patient_id": patient.pk, "section": "outcomes"},
    )
    page = client.get(tab).content.decode()
    assert 'id="clinical-event-form"' in page and "None recorded." in page
    url = reverse("clinical_event_create", args=[team.clinic.slug, patient.pk])
    refused = client.post(url, {"kind": "suicide_attempt", "occurred_at": "", "note": ""})
    assert refused.status_code == 302 and not ClinicalEvent.objects.exists()
    assert "When it happened: This field is required." in client.get(tab).content.decode()
    done = client.post(
        url, {"kind": "suicide_attempt", "occurred_at": "2026-03-12T22:00", "note": "ED"}
    )
    assert done.status_code == 302
    page = client.get(tab).content.decode()
    assert "Recorded: suicide attempt." in page
    assert "Suicide attempt: ED" in page
    assert 'data-verdict="relapse" data-status="met"' in page
