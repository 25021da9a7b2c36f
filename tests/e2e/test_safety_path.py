"""Issue #3's main safety path, in the browser: a nurse sends a PHQ-9 link, the patient
answers on a phone with item 9 above 0 and sees crisis resources at once, the alert
reaches the prescriber's dashboard, acknowledging it records who and when, and an alert
nobody acknowledges escalates after the configured time (the test sets the clock)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from ketacare.accounts.models import Membership
from ketacare.accounts.policy import Role
from ketacare.measures.models import QuestionnaireResponse, SafetyAlert
from ketacare.measures.services import alerts_escalate_due
from ketacare.messaging.models import OutboundMessage
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, log_out, make_clinic, make_staff, register

PHONE = {"width": 390, "height": 844}  # a current mid-size phone, portrait
LINK = re.compile(r"https?://\S+/r/[^/\s]+/")

pytestmark = pytest.mark.e2e


def test_phq9_item_9_raises_an_alert_that_is_acknowledged_or_escalates(
    open_page: OpenPage, live_server, settings, django_capture_on_commit_callbacks
) -> None:
    settings.KETACARE_PUBLIC_URL = live_server.url
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse = make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    prescriber = make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    admin = make_staff("admin", {clinic: Role.CLINIC_ADMIN}, "Morgan Reyes")
    for user, mobile in ((admin, ""), (prescriber, "07700 900111")):
        user.email, user.mobile_phone = f"{user.username}@example.org", mobile
        user.save()
    Membership.objects.filter(user=prescriber).update(is_on_call=True)
    patient = register(
        access_for(nurse, clinic), "RKC-0101", "Amara", "Okonkwo", email="amara@example.net"
    )

    # 1. The nurse sends a PHQ-9 link by email from the chart's Measures tab.
    staff = open_page()
    log_in(staff, "nurse.lee")
    staff.goto(f"/c/riverside/patients/{patient.pk}/measures/")
    send = staff.locator("#send-link")
    send.get_by_label(re.compile("PHQ-9")).check()
    send.get_by_label("Email").check()
    send.get_by_role("button", name="Create link").click()
    expect(staff.locator("table.links tbody tr")).to_have_count(1)
    sent = [m for m in mail.outbox if "amara@example.net" in m.to]
    assert len(sent) == 1
    url = LINK.search(str(sent[0].body))
    assert url, sent[0].body

    # 2. The patient opens it on a phone and answers, with item 9 above 0.
    phone = open_page(viewport=PHONE)
    phone.goto(url.group(0))
    expect(phone.get_by_role("heading", level=1)).to_contain_text("PHQ-9")
    crisis = phone.locator("#crisis")
    expect(crisis).to_be_hidden()
    for number in range(1, 9):
        phone.locator(f"#item-{number}").get_by_label("Not at all").check()
    phone.locator("#item-9").get_by_label("Several days").check()
    # 3. The crisis resources show at once, before anything is submitted.
    expect(crisis).to_be_visible()
    expect(crisis).to_contain_text("988")
    assert not QuestionnaireResponse.objects.exists()
    width = phone.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"the form scrolls sideways on a phone: {width}"
    phone.get_by_role("button", name="Submit").click()
    expect(phone.locator("body")).to_contain_text("988")  # still shown after submitting
    alert = SafetyAlert.objects.get(patient=patient)
    assert (alert.instrument, alert.item_number, alert.severity) == ("phq9", 9, "high")

    # 4. The alert is at the top of the prescriber's dashboard.
    log_out(staff)
    log_in(staff, "dr.okafor")
    staff.goto("/c/riverside/dashboard/")
    card = staff.locator(f"[data-alert='{alert.pk}']")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Okonkwo, Amara")
    first_section = staff.locator("main section").first
    expect(first_section).to_contain_text("Okonkwo, Amara")

    # 5. Acknowledging it records who and when.
    card.get_by_label("Action taken").select_option(label="Contacted the patient")
    card.get_by_label("Note").fill("Phoned; safe, safety plan reviewed, seen tomorrow.")
    card.get_by_role("button", name="Acknowledge").click()
    alert.refresh_from_db()
    assert alert.acknowledged_by == prescriber
    assert alert.acknowledged_at is not None
    assert alert.action_taken == "contacted_patient"

    # 6. A second alert that nobody acknowledges escalates after the configured 15 minutes.
    second = SafetyAlert.objects.create(
        clinic=clinic,
        patient=patient,
        score=alert.score,
        instrument="phq9",
        item_number=9,
        flag="suicidal_ideation",
        severity="high",
        reason="item 9 = 2",
        raised_at=alert.raised_at,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_escalate_due(now=second.raised_at + dt.timedelta(minutes=14)) == []
        assert alerts_escalate_due(now=second.raised_at + dt.timedelta(minutes=15)) == [second]
    told = set(
        OutboundMessage.objects.filter(purpose="alert_escalation").values_list("channel", "to")
    )
    assert told == {
        ("email", "admin@example.org"),
        ("email", "dr.okafor@example.org"),
        ("sms", "07700 900111"),
    }
    assert not OutboundMessage.objects.filter(
        purpose="alert_escalation", recipient_user=nurse
    ).exists()
    staff.goto("/c/riverside/dashboard/")
    expect(staff.locator(f"[data-alert='{second.pk}']")).to_contain_text("Escalated")
