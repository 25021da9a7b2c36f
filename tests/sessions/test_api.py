"""The session API beyond tenancy (tests/api covers that): refusals answer 422 with their
reasons, a monitor's reading is marked in error by its own id, signing locks the record
for everything but addenda, and the REMS form comes out filled, as CSV, and submitted."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.patients.models import Patient
from ketacare.treatment import rems
from ketacare.treatment.models import TreatmentSession, VitalReading
from tests.sessions.build import (
    ALL_CLEAR,
    at,
    esketamine_discharged,
    esketamine_dosing,
    esketamine_pre_dose,
    given,
)

pytestmark = pytest.mark.django_db

Clients = Callable[[ClinicAccess], Client]


def _url(session: TreatmentSession, tail: str = "") -> str:
    return f"/api/v1/patients/{session.patient_id}/sessions/{session.pk}{tail}"


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


def messages(response: Any) -> list[str]:
    return [d["msg"] for d in response.json()["detail"]]


def test_assessment_conflict_and_start_dosing(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient, api_client: Clients
) -> None:
    session = esketamine_pre_dose(nurse, prescriber, patient)
    client = api_client(nurse)
    stale = client.put(
        _url(session, "/assessment"), {"version": 1}, content_type="application/json"
    )
    assert stale.status_code == 422
    assert "since you opened it" in messages(stale)[0]
    saved = client.put(
        _url(session, "/assessment"),
        {"version": 2, "medicines_today": "Sertraline", "fasting_confirmed": True,
         "no_decongestant_confirmed": True},
        content_type="application/json",
    )  # fmt: skip
    assert saved.status_code == 200, saved.content
    assert saved.json()["version"] == 3
    body = {"dose_mg": "84", "formulation": "Spravato", "lot_number": "L1", "expiry": "2030-01-01"}
    refused = post(client, _url(session, "/start"), body)
    assert refused.status_code == 422
    assert "dosing cannot start: the dose differs from the active order" in messages(refused)[0]
    started = post(client, _url(session, "/start"), {**body, "dose_mg": "56"})
    assert started.status_code == 200, started.content
    assert started.json()["route"] == "intranasal"


def test_a_device_too_soon_is_refused_with_the_time_remaining(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient, api_client: Clients
) -> None:
    session = esketamine_dosing(nurse, prescriber, patient)  # first device at T0 + 1 min
    at(3.5)
    refused = post(api_client(nurse), _url(session, "/devices"))
    assert refused.status_code == 422
    assert messages(refused) == [
        "Refused: the next device may be given in 2 min 30 s "
        "(5 minutes between devices, Spravato label)."
    ]
    at(6)
    given_ = post(api_client(nurse), _url(session, "/devices"))
    assert given_.status_code == 200
    assert given_.json()["kind"] == "device"


def test_a_monitor_reading_is_marked_in_error_by_its_reading_id(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient, api_client: Clients
) -> None:
    session = esketamine_dosing(nurse, prescriber, patient)
    at(6)  # the monitor posts its 10:05 reading at 10:06
    client = api_client(nurse)
    batch = {"readings": [{"reading_id": "mon-7", "taken_at": "2024-03-04T10:05:00Z",
                           "systolic": 250, "diastolic": 60}]}  # fmt: skip
    assert post(client, _url(session, "/vitals"), batch).status_code == 200
    marked = post(client, _url(session, "/vitals/mon-7/entered-in-error"), {"reason": "Cuff off"})
    assert marked.status_code == 200, marked.content
    assert marked.json()["entered_in_error_at"] is not None
    assert VitalReading.objects.get(reading_id="mon-7").systolic == 250  # kept, marked
    again = post(client, _url(session, "/vitals/mon-7/entered-in-error"), {"reason": "x"})
    assert messages(again) == ["Already marked entered in error."]
    unknown = post(client, _url(session, "/vitals/nope/entered-in-error"), {"reason": "x"})
    assert unknown.status_code == 404


def test_discharge_is_refused_until_the_criteria_hold(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient, api_client: Clients
) -> None:
    session = esketamine_dosing(nurse, prescriber, patient)
    client = api_client(nurse)
    at(7)
    post(client, _url(session, "/devices"))
    post(client, _url(session, "/stop"))
    session.refresh_from_db()
    at(60)
    checklist = client.put(
        _url(session, "/discharge-checklist"),
        {"version": session.version, "items": ALL_CLEAR},
        content_type="application/json",
    )
    assert checklist.status_code == 200, checklist.content
    ready = post(client, _url(session, "/transition"), {"event": "mark_ready"})
    assert ready.status_code == 422
    assert messages(ready) == [
        "not ready for discharge: observation must last 2 h 00 min from the first device: "
        "61 min 00 s remaining",
        "not ready for discharge: 1 reading is overdue (due 10:41): take them, or a "
        "prescriber releases the patient with a reason",
        "not ready for discharge: no blood pressure has been measured since dosing",
    ]


def test_signing_locks_the_record_but_addenda_work(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient, api_client: Clients
) -> None:
    session = given(nurse, patient)
    assert post(api_client(nurse), _url(session, "/sign")).status_code == 403
    signed = post(api_client(prescriber), _url(session, "/sign"))
    assert signed.json()["status"] == "signed"
    effect = post(api_client(nurse), _url(session, "/side-effects"),
                  {"effect": "nausea", "severity": "mild"})  # fmt: skip
    assert effect.status_code == 422
    assert messages(effect) == [
        "The session is signed and locked: record a correction as an addendum."
    ]
    added = post(api_client(nurse), _url(session, "/addenda"),
                 {"text": "Nausea at 11:10, settled.", "reason": "Late entry"})  # fmt: skip
    assert added.status_code == 200, added.content
    listed = api_client(prescriber).get(_url(session, "/addenda")).json()
    assert [(a["text"], a["reason"]) for a in listed] == [
        ("Nausea at 11:10, settled.", "Late entry")
    ]


def test_the_rems_form_filled_exported_submitted_and_listed(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient, api_client: Clients
) -> None:
    session = esketamine_discharged(nurse, prescriber, patient)
    client = api_client(nurse)
    form = client.get(_url(session, "/rems-form")).json()
    assert form["missing"] == []
    assert [f["name"] for f in form["fields"]] == list(rems.FIELD_LABELS)
    assert all(f["value"] for f in form["fields"])
    assert form["due_on"] == "2024-03-11"
    exported = client.get(_url(session, "/rems-form.csv"))
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0] == ["field", "value"]
    assert dict(rows[1:])["Dose"] == "56 mg"
    listed = client.get("/api/v1/rems-forms").json()
    assert [(f["session_id"], f["status"]) for f in listed] == [(str(session.pk), "draft")]
    submitted = post(client, _url(session, "/rems-form/submit"),
                     {"submitted_on": "2024-03-05", "confirmation_number": "REMS-9"})  # fmt: skip
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted"
    assert client.get("/api/v1/rems-forms").json() == []
    everything = client.get("/api/v1/rems-forms.csv?include_submitted=true").content.decode()
    assert "REMS-9" in everything
