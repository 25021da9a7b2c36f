"""Issue 17, the patient's own view, on a 390×844 phone: a nurse sends the link from the
Measures tab (shown on screen), the patient opens it with no login and sees crisis help
first, their next session, their PHQ-9 scores as a chart with bands, and opens the
consent form they signed. axe-core runs on both pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from ketacare.consent import services as consent
from ketacare.measures import services as measures
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, make_clinic, make_staff, register, said
from tests.outcomes.conftest import write_recent_two_week_relief

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def test_a_patient_opens_their_own_page_on_a_phone(open_page: OpenPage) -> None:
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse_user = make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    nurse = access_for(nurse_user, clinic)
    patient = register(nurse, "RKC-0501", "Bea", "Lindqvist", email="bea@example.org")
    write_recent_two_week_relief(nurse, patient)
    econsent = consent.consent_send(
        access=nurse, patient_id=patient.pk, treatment_form="im", channel="none"
    )
    token = measures.link_token(econsent.link)
    consent.consent_check(token=token, chosen=[q["correct"] for q in econsent.version.questions])
    consent.consent_sign(token=token, typed_name="Bea Lindqvist")

    staff = open_page()
    log_in(staff, "nurse.lee")
    staff.goto(f"/c/riverside/patients/{patient.pk}/measures/")
    own = staff.locator("#own-view")
    own.get_by_label("Shown on screen only").check()
    own.get_by_role("button", name="Send the patient's page").click()
    said(staff, "Link created: copy it below.")
    assert_accessible(staff)
    address = staff.locator("#new-link-url").input_value()
    path = address[address.index("/r/") :]

    phone = open_page(viewport=PHONE)
    phone.goto(path)
    expect(phone.get_by_role("heading", name="Need help now?")).to_be_visible()
    expect(phone.get_by_role("heading", name="Hello Bea")).to_be_visible()
    expect(phone.locator(".portal-chart svg")).to_be_visible()
    heading = phone.get_by_role("heading", name="Patient Health Questionnaire-9 (PHQ-9)")
    expect(heading).to_be_visible()
    assert_accessible(phone)
    pdf = phone.get_by_role("link", name=econsent.version.title).get_attribute("href")
    assert pdf is not None
    got = phone.request.get(pdf)
    assert got.status == 200 and got.headers["content-type"] == "application/pdf"
