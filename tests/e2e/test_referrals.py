"""Issue 19, referrals and letters: the front desk records a referral with its letter and
moves it on; a prescriber finds it on the referrals worklist, is refused a decline without
a reason, accepts it and e-mails the acceptance letter, which stays on the chart.
axe-core runs on every page visited."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from ketacare.accounts.policy import Role
from ketacare.referrals.models import Referral
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, log_out, make_clinic, make_staff, register, said

pytestmark = pytest.mark.e2e

LETTER = b"%PDF-1.4\n% referral letter\n%%EOF\n"


def checked(page: Page) -> None:
    page.wait_for_load_state("load")
    assert_accessible(page)


def test_a_referral_from_letter_to_acceptance(open_page: OpenPage) -> None:
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    make_staff("desk.kim", {clinic: Role.FRONT_DESK}, "Kim Desk")
    make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    desk = make_staff("desk.two", {clinic: Role.FRONT_DESK}, "Second Desk")
    patient = register(access_for(desk, clinic), "RKC-0301", "Ravi", "Rossi")

    page = open_page()
    log_in(page, "desk.kim")
    page.goto(f"/c/riverside/patients/{patient.pk}/")
    checked(page)
    page.get_by_role("link", name="Record a referral").click()
    checked(page)
    page.get_by_label("Referrer's name").fill("Dr Ada Ames")
    page.get_by_label("Practice or organisation").fill("Riverside Family Practice")
    page.get_by_label("Referrer's e-mail").fill("ames@gp.example")
    page.get_by_label("Reason for referral").fill("Depression after three antidepressant trials.")
    page.get_by_label("Received on").fill(f"{clinic.today():%Y-%m-%d}")
    page.get_by_label("Referral letter (PDF)").set_input_files(
        {"name": "referral.pdf", "mimeType": "application/pdf", "buffer": LETTER}
    )
    page.get_by_role("button", name="Record referral").click()
    said(page, "Referral recorded.")
    checked(page)
    expect(page.get_by_role("link", name="Referral letter from Dr Ada Ames")).to_be_visible()
    for status in ("Contacted", "Screening booked"):
        page.get_by_label(status, exact=True).check()
        page.get_by_role("button", name="Save status").click()
        said(page, f"Referral marked {status.lower()}.")
    log_out(page)

    log_in(page, "dr.okafor")
    page.locator("nav.mainnav").get_by_role("link", name="Referrals", exact=True).click()
    checked(page)
    page.get_by_role("link", name="Screening booked").click()
    row = page.locator('tr[data-status="screening_booked"]')
    expect(row).to_contain_text("Dr Ada Ames")
    row.get_by_role("link", name="Rossi, Ravi").click()
    checked(page)
    page.get_by_label("Declined", exact=True).check()
    page.get_by_role("button", name="Save status").click()
    said(page, "Reason: Give the reason for declining the referral.")
    page.get_by_label("Accepted", exact=True).check()
    page.get_by_role("button", name="Save status").click()
    said(page, "Referral marked accepted.")
    page.get_by_text("Acceptance letter", exact=True).click()
    expect(page.locator(".letter-text").first).to_contain_text("Dear Dr Ada Ames")
    page.get_by_role("button", name="E-mail the acceptance letter to ames@gp.example").click()
    said(page, "Acceptance letter sent to ames@gp.example.")
    checked(page)
    referral = Referral.objects.get()
    assert referral.status == "accepted" and referral.letters.count() == 1
    assert [m.to for m in mail.outbox] == [["ames@gp.example"]]
    page.get_by_role("link", name="The chart").click()
    page.goto(f"/c/riverside/patients/{patient.pk}/letters/")
    expect(page.locator("table")).to_contain_text("Acceptance letter to Dr Ada Ames")
    checked(page)
