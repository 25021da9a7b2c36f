"""Issue 19, notes: the clinic administrator adds a section to the KAP integration template;
a therapist writes a KAP integration note linked to the patient's
latest session (the draft autosaves), keeps it as psychotherapy notes, signs it, adds an
addendum and finds it by a full-text search; a nurse cannot read it, in the pages or the
API (404), and it is absent from her list and search. axe-core runs on every page visited."""

from __future__ import annotations

import datetime as dt
import re
import time
import zoneinfo

import pytest
from playwright.sync_api import Page, expect

from ketacare.accounts.policy import Role
from ketacare.notes.models import Note
from ketacare.treatment import services as treatment
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import IN_FLIGHT, OpenPage
from tests.e2e.helpers import access_for, log_in, log_out, make_clinic, make_staff, register, said

pytestmark = pytest.mark.e2e


def visit(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    assert_accessible(page)


def test_therapist_writes_signs_and_finds_a_kap_note_a_nurse_cannot_read(
    open_page: OpenPage,
) -> None:
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    prescriber = make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    make_staff("admin.ray", {clinic: Role.CLINIC_ADMIN}, "Ray Admin")
    make_staff("thera.ng", {clinic: Role.THERAPIST}, "Jo Ng")
    make_staff("nurse.lee", {clinic: Role.NURSE}, "Sam Lee")
    doctor = access_for(prescriber, clinic)
    ravi = register(doctor, "RKC-0101", "Ravi", "Rossi")
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    today = clinic.today()
    sessions = [
        treatment.session_schedule(
            access=doctor,
            patient_id=ravi.pk,
            scheduled_start=dt.datetime.combine(today + dt.timedelta(days=d), dt.time(9), zone),
        )
        for d in (1, 4)
    ]
    latest = sessions[-1]
    chart = f"/c/riverside/patients/{ravi.pk}"

    page = open_page()
    # 0. The clinic administrator adds a section to the clinic's KAP integration template.
    log_in(page, "admin.ray")
    visit(page, "/c/riverside/notes/templates/")
    sections = page.get_by_label("Sections of the KAP integration session template")
    sections.fill(sections.input_value() + "\nBody sensations | Where in the body, and how")
    page.get_by_role("button", name="Save the KAP integration session template").click()
    said(page, "Saved the KAP integration session template.")
    assert_accessible(page)
    log_out(page)

    log_in(page, "thera.ng")
    # 1. The chart's Notes tab: a KAP integration note, linked to the latest session.
    visit(page, f"{chart}/notes/")
    new = page.locator("form", has=page.get_by_role("button", name="Start the note"))
    new.get_by_label("Kind of note").select_option(label="KAP integration session")
    expect(new.get_by_label("Session")).to_have_value(str(latest.pk))
    new.get_by_role("button", name="Start the note").click()
    expect(page.get_by_role("heading", name=re.compile("^KAP integration session"))).to_be_visible()
    page.wait_for_load_state("load")
    assert_accessible(page)

    # 2. Write: the draft saves itself (htmx, on change and after a pause in typing).
    page.get_by_label("Title").fill("Integration after session 2")
    page.get_by_label("Themes and insights").fill("Reconnecting with his late father's music")
    expect(page.get_by_text("Where in the body, and how")).to_be_visible()  # the clinic's own
    page.get_by_label(re.compile("Keep as psychotherapy notes")).check()
    expect(page.locator("#autosave")).to_contain_text("Draft saved")
    for _ in range(50):  # the save of the last change (the box ticked) may still be landing
        # Read only while the server answers nothing: on the shared in-memory SQLite a
        # save in flight locks the table ("database table is locked").
        IN_FLIGHT.wait_until_idle()
        note = Note.objects.get()
        if note.restricted:
            break
        time.sleep(0.1)
    assert note.session_id == latest.pk and note.restricted
    assert note.sections["themes"] == "Reconnecting with his late father's music"
    assert_accessible(page)

    # 3. Sign: the note locks; then an addendum.
    page.get_by_role("button", name="Sign the note").click()
    said(page, "Note signed.")
    expect(page.get_by_label("Themes and insights")).to_have_count(0)
    expect(page.locator("[data-section=themes]")).to_contain_text("late father's music")
    assert_accessible(page)
    page.get_by_label("Addendum").fill("He has started playing the piano again")
    page.get_by_label(re.compile("^Why")).fill("Late entry")
    page.get_by_role("button", name="Add addendum").click()
    said(page, "Addendum added.")
    expect(page.locator("ul.addenda")).to_contain_text("playing the piano again")
    assert_accessible(page)

    # 4. Find it by a word of the addendum.
    visit(page, f"{chart}/notes/")
    page.get_by_label("Search the notes").fill("piano")
    page.get_by_role("button", name="Search").click()
    results = page.locator("#note-results")
    expect(results).to_contain_text("Integration after session 2")
    expect(results).to_contain_text("Psychotherapy notes")
    assert_accessible(page)
    page.get_by_label("Search the notes").fill("trombone")
    page.get_by_role("button", name="Search").click()
    expect(results).to_contain_text("No note holds these words.")

    # 5. The nurse: 404 for the note, absent from her list and search; the API agrees.
    log_out(page)
    log_in(page, "nurse.lee")
    answer = page.goto(f"{chart}/notes/{note.pk}/")
    assert answer is not None and answer.status == 404
    assert_accessible(page)
    visit(page, f"{chart}/notes/")
    expect(page.locator("#note-results")).to_contain_text("No notes yet.")
    page.get_by_label("Search the notes").fill("piano")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#note-results")).to_contain_text("No note holds these words.")
    headers = {"X-Clinic": "riverside"}
    api = f"/api/v1/patients/{ravi.pk}/notes"
    assert page.request.get(f"{api}/{note.pk}", headers=headers).status == 404
    listed = page.request.get(f"{api}?q=piano", headers=headers)
    assert listed.status == 200 and listed.json() == []
