"""/api/v1/patients/{patient_id}/notes and /api/v1/notes/templates: the workflow, the
psychotherapy-notes restriction (404 and absent from lists), permissions (403) and errors
that name their field (422)."""

from __future__ import annotations

import pytest

from ketacare.accounts.policy import Role
from tests.api.world import member
from tests.api.world import session_client as api
from tests.dosing.conftest import Team
from tests.factories import ClinicFactory, PatientFactory

pytestmark = pytest.mark.django_db
API = "/api/v1"


def test_write_sign_addend_and_search_through_the_api(team: Team) -> None:
    therapist, nurse = api(team.therapist), api(team.nurse)
    base = f"{API}/patients/{team.patient.pk}/notes"
    made = therapist.post(
        base,
        {"note_type": "kap_integration", "title": "Integration 1", "restricted": True},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    note = made.json()
    assert [s["label"] for s in note["sections"]][:2] == ["Experience", "Themes and insights"]
    url = f"{base}/{note['id']}"
    saved = therapist.patch(
        url,
        {"sections": {"themes": "Reconnecting with music"}},
        content_type="application/json",
    )
    assert saved.status_code == 200
    assert saved.json()["sections"][1]["text"] == "Reconnecting with music"
    bad = therapist.patch(url, {"sections": {"nope": "x"}}, content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "payload", "sections", "nope"]
    assert therapist.post(f"{url}/sign").json()["status"] == "signed"
    again = therapist.patch(url, {"title": "x"}, content_type="application/json")
    assert again.status_code == 422 and "status" in again.content.decode()
    added = therapist.post(
        f"{url}/addenda",
        {"text": "Added a breathing practice", "reason": "Late entry"},
        content_type="application/json",
    )
    assert added.status_code == 201
    assert [n["id"] for n in therapist.get(f"{base}?q=breathing").json()] == [note["id"]]
    assert therapist.get(f"{base}?q=absent-word").json() == []
    # The nurse: 404 for the note and every action on it; absent from the list and search.
    assert nurse.get(url).status_code == 404
    assert nurse.get(base).json() == [] and nurse.get(f"{base}?q=music").json() == []
    assert (
        nurse.post(
            f"{url}/addenda", {"text": "x", "reason": "y"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert api(team.prescriber).get(url).status_code == 200
    assert api(team.front_desk).get(base).status_code == 403


def test_permissions_and_another_clinics_patient(team: Team) -> None:
    base = f"{API}/patients/{team.patient.pk}/notes"
    nurse = api(team.nurse)
    refused = nurse.post(base, {"note_type": "therapy"}, content_type="application/json")
    assert refused.status_code == 403
    unknown = nurse.post(base, {"note_type": "poem"}, content_type="application/json")
    assert unknown.status_code == 422 and "note_type" in unknown.content.decode()
    other = ClinicFactory.create()
    stranger = member(other, Role.THERAPIST)
    assert api(stranger).get(base).status_code == 404
    elsewhere = PatientFactory.create(clinic=other)
    assert nurse.get(f"{API}/patients/{elsewhere.pk}/notes").status_code == 404


def test_templates_through_the_api(team: Team) -> None:
    admin = api(team.admin)
    rows = admin.get(f"{API}/notes/templates").json()
    assert [r["note_type"] for r in rows][:2] == ["intake", "progress"]
    saved = admin.put(
        f"{API}/notes/templates/nurse",
        {"sections": [{"label": "Observations"}, {"label": "Handover", "prompt": "Next shift"}]},
        content_type="application/json",
    )
    assert saved.status_code == 200 and saved.json()["version"] == 1
    refused = api(team.nurse).put(
        f"{API}/notes/templates/nurse",
        {"sections": [{"label": "x"}]},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert api(team.front_desk).get(f"{API}/notes/templates").status_code == 403
