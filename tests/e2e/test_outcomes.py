"""Issue 6 in the browser: from the worklist to the patient's Outcomes tab, accept the
maintenance recommendation (which books the session), and the clinic outcome dashboard
draws its Kaplan-Meier chart with the locally served Plotly."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.outcomes.models import ClinicalEvent, MaintenanceDecision
from ketacare.treatment.models import TreatmentSession
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, make_clinic, make_staff, register
from tests.outcomes.conftest import write_recent_two_week_relief

pytestmark = pytest.mark.e2e


def test_worklist_to_patient_to_accepted_recommendation(open_page: OpenPage, live_server) -> None:
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse = make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    patient = register(access_for(nurse, clinic), "RKC-0202", "Bea", "Lindqvist")
    write_recent_two_week_relief(access_for(nurse, clinic), patient)

    page = open_page()
    log_in(page, "nurse.lee")
    page.goto("/c/riverside/")
    page.locator("nav.mainnav").get_by_role("link", name="Worklist").click()
    # One compact row: who, what in a few words, the score trend, when; the reason one
    # click away.
    booster = page.locator('tr[data-kind="booster_due"]')
    expect(booster).to_contain_text("Booster due")
    expect(booster.locator(".trend-latest")).to_contain_text("PHQ-9")
    booster.get_by_text("Why").click()
    expect(booster.locator("details p")).to_contain_text("next session recommended at day 11")
    page.get_by_label("Kind", exact=True).select_option(label="Boosters due")
    expect(page).to_have_url(re.compile(r"kind=booster_due"))
    expect(page.locator("#work-rows tbody tr")).to_have_count(1)
    booster.get_by_role("link", name="Lindqvist, Bea").click()

    maintenance = page.locator("#maintenance")
    expect(maintenance).to_contain_text("scores rose 5-6 points from the nadir 14 days")
    maintenance.get_by_role("button", name="Accept and book").click()
    expect(page.locator(".messages")).to_contain_text("Recommendation accepted: session booked")
    expect(page.locator("#maintenance .decision")).to_contain_text("Accepted by")
    decision = MaintenanceDecision.objects.get(patient=patient)
    assert decision.booked_session is not None
    assert TreatmentSession.objects.filter(patient=patient, status="scheduled").count() == 1

    page.locator("nav.mainnav").get_by_role("link", name="Worklist").click()
    expect(page.locator("#work-rows")).to_be_visible()
    expect(page.locator('tr[data-kind="booster_due"]')).to_have_count(0)

    page.locator("nav.mainnav").get_by_role("link", name="Outcomes").click()
    expect(page.locator("#courses-started")).to_have_text("1")
    # Plotly (about 4 MB, served locally) can take a while on a busy machine.
    expect(page.locator("#km-chart")).to_have_attribute("data-rendered", "true", timeout=30_000)
    expect(page.locator("#km-chart .main-svg").first).to_be_visible()
    expect(page.locator("#trajectory-chart")).to_have_attribute("data-rendered", "true")
    page.get_by_text("Table").first.click()
    expect(page.locator("#table-durability")).to_be_visible()


def test_a_suicide_attempt_is_recorded_on_the_outcomes_tab(
    open_page: OpenPage, live_server
) -> None:
    """Issue #12 finding 14: the event can be recorded, and is listed, audited."""
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse = make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    patient = register(access_for(nurse, clinic), "RKC-0203", "Cal", "Moreno")
    write_recent_two_week_relief(access_for(nurse, clinic), patient)

    page = open_page()
    log_in(page, "nurse.lee")
    page.goto(f"/c/riverside/patients/{patient.pk}/outcomes/")
    events = page.locator("#clinical-events")
    expect(events).to_contain_text("None recorded.")
    events.get_by_label("What happened").select_option("suicide_attempt")
    events.get_by_label("When it happened").fill("2026-03-05T22:00")
    events.get_by_label("Note").fill("Seen in the emergency department")
    events.get_by_role("button", name="Record event").click()
    expect(page.locator(".messages")).to_contain_text("Recorded: suicide attempt.")
    expect(page.locator("#clinical-events")).to_contain_text(
        "Suicide attempt: Seen in the emergency department"
    )
    event = ClinicalEvent.objects.get(patient=patient)
    assert AuditEvent.objects.filter(object_type="clinicalevent", object_id=str(event.pk)).exists()
