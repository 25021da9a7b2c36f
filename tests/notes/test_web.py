"""The Notes tab, the note page (htmx autosave, Sign, addenda), the search and the
templates page; a psychotherapy note answers 404 to a nurse and is absent from her tab."""

from __future__ import annotations

import pytest
from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.notes.models import Note, NoteTemplate
from tests.dosing.conftest import Team
from tests.pages import without_csrf_tokens

pytestmark = pytest.mark.django_db


def web(access: ClinicAccess) -> Client:
    client = Client()
    client.force_login(access.user)
    return client


def test_therapist_writes_signs_addends_and_finds_a_note(team: Team) -> None:
    client = web(team.therapist)
    chart = f"/c/{team.clinic.slug}/patients/{team.patient.pk}"
    tab = client.get(f"{chart}/notes/")
    assert tab.status_code == 200 and "Start the note" in tab.content.decode()
    made = client.post(f"{chart}/notes/new/", {"note_type": "kap_integration"})
    assert made.status_code == 302
    note = Note.objects.get()
    page = client.get(made["Location"]).content.decode()
    assert 'hx-trigger="change, keyup delay:800ms"' in page and "Themes and insights" in page
    saved = client.post(
        f"{chart}/notes/{note.pk}/save/",
        {"title": "After session 3", "section-themes": "Self-compassion", "restricted": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200 and "Draft saved" in saved.content.decode()
    note.refresh_from_db()
    assert note.sections["themes"] == "Self-compassion" and note.restricted
    assert client.post(f"{chart}/notes/{note.pk}/sign/").status_code == 302
    signed = client.get(f"{chart}/notes/{note.pk}/").content.decode()
    assert "Add addendum" in signed and '<textarea id="section-themes"' not in signed
    client.post(f"{chart}/notes/{note.pk}/addenda/", {"text": "Sleeping well", "reason": "Late"})
    assert note.addenda.count() == 1
    found = client.get(f"{chart}/notes/search/?q=sleeping", HTTP_HX_REQUEST="true")
    assert "After session 3" in found.content.decode()
    missing = client.get(f"{chart}/notes/search/?q=zebra", HTTP_HX_REQUEST="true")
    assert "No note holds these words." in missing.content.decode()
    # The nurse: 404 for the note, absent from her tab and her search.
    nurse = web(team.nurse)
    assert nurse.get(f"{chart}/notes/{note.pk}/").status_code == 404
    assert (
        nurse.post(f"{chart}/notes/{note.pk}/addenda/", {"text": "x", "reason": "y"}).status_code
        == 404
    )
    assert "After session 3" not in without_csrf_tokens(
        nurse.get(f"{chart}/notes/").content.decode()
    )
    assert "After session 3" not in nurse.get(f"{chart}/notes/search/?q=sleeping").content.decode()
    assert web(team.prescriber).get(f"{chart}/notes/{note.pk}/").status_code == 200


def test_an_error_names_its_field(team: Team) -> None:
    client = web(team.nurse)
    chart = f"/c/{team.clinic.slug}/patients/{team.patient.pk}"
    client.post(f"{chart}/notes/new/", {"note_type": "nurse"})
    note = Note.objects.get()
    refused = client.post(f"{chart}/notes/{note.pk}/sign/", follow=True)
    assert "Write something in at least one section" in refused.content.decode()
    page = client.get(f"{chart}/notes/{note.pk}/").content.decode()
    assert "Keep as psychotherapy notes" not in page  # a nurse note is never restricted


def test_templates_page_for_clinic_administrators(team: Team) -> None:
    url = f"/c/{team.clinic.slug}/notes/templates/"
    assert web(team.therapist).get(url).status_code == 403
    admin = web(team.admin)
    assert "KAP integration session" in admin.get(url).content.decode()
    saved = admin.post(
        url, {"note_type": "therapy", "sections": "Presentation\nMood and risk | PHQ-9 item 9"}
    )
    assert saved.status_code == 302
    template = NoteTemplate.objects.get()
    assert [s["label"] for s in template.sections] == ["Presentation", "Mood and risk"]
    refused = admin.post(url, {"note_type": "therapy", "sections": "  "})
    assert refused.status_code == 422
    assert "Sections: Give the template at least one section." in refused.content.decode()
