"""The session page's patient banner and the pre-dose form in the browser: the banner
names the patient, allergies, consent, weight and its age, protocol and open safety
alerts, and stays in sight when the page scrolls; the pre-dose form shows what was saved
after saving; the page passes axe-core before and after."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from ketacare.patients import services as patients
from ketacare.patients.models import Allergy
from ketacare.treatment import services
from tests.clinical import clear_for_protocol
from tests.clock import fix_clock
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, make_clinic, make_staff, register, said
from tests.sessions.build import weigh

pytestmark = pytest.mark.e2e

T0 = dt.datetime(2024, 3, 4, 10, 0, tzinfo=dt.UTC)


def test_the_banner_stays_and_the_pre_dose_form_keeps_its_values(open_page: OpenPage) -> None:
    fix_clock(T0 - dt.timedelta(minutes=15))
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse = make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    doctor = make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    nursing = access_for(nurse, clinic)
    prescribing = access_for(doctor, clinic)
    patient = register(nursing, "RKC-0301", "Amara", "Okonkwo")
    patients.record_add(
        access=nursing,
        patient_id=patient.pk,
        model=Allergy,
        data={"substance": "Latex", "reaction": "Hives", "severity": "moderate"},
    )
    clear_for_protocol(prescribing, patient.pk, "iv_ketamine")
    weigh(nursing, patient)
    session = services.session_schedule(
        access=nursing, patient_id=patient.pk, scheduled_start=T0, protocol_code="iv_ketamine"
    )
    services.session_order_set(
        access=prescribing,
        patient_id=patient.pk,
        session_id=session.pk,
        protocol_code="iv_ketamine",
        ordered_dose_mg=Decimal("35"),
    )

    page = open_page()
    log_in(page, "nurse.lee")
    page.goto(f"/c/riverside/patients/{patient.pk}/sessions/{session.pk}/chart/")
    banner = page.locator("#patient-banner")
    expect(banner).to_contain_text("Okonkwo, Amara")
    expect(banner).to_contain_text("MRN RKC-0301")
    expect(banner).to_contain_text("Latex (Hives)")
    expect(banner).to_contain_text("Current (intravenous infusion)")
    expect(banner).to_contain_text("70 kg, weighed today")
    expect(banner).to_contain_text("IV racemic ketamine")
    expect(banner.locator("[data-banner=safety-alerts]")).to_contain_text("none open")
    assert_accessible(page)

    page.get_by_role("button", name="Check in").click()
    expect(page.locator("h1 [data-state]")).to_have_text("Checked in")
    assessment = page.locator("form[action$='/do/assessment/']")
    values = {
        "Today's weight (kg)": "71.5",
        "Systolic": "128",
        "Diastolic": "82",
        "Heart rate": "72",
        "SpO2": "98",
        "Resp. rate": "14",
    }
    for label, value in values.items():
        assessment.get_by_label(label, exact=True).fill(value)
    assessment.get_by_label("Pregnancy test").select_option("negative")
    fix_clock(T0 - dt.timedelta(minutes=5))  # weighed again, after the intake weight
    assessment.get_by_role("button", name="Save assessment").click()
    said(page, "Saved.")
    assessment = page.locator("form[action$='/do/assessment/']")
    for label, value in values.items():
        expect(assessment.get_by_label(label, exact=True)).to_have_value(value)
    expect(assessment.get_by_label("Pregnancy test")).to_have_value("negative")
    expect(page.locator("#patient-banner")).to_contain_text("71.5 kg, weighed today")

    # The banner stays at the top of the window when the page scrolls.
    page.mouse.wheel(0, 2500)
    page.wait_for_function("window.scrollY > 300")
    box = page.locator("#patient-banner").bounding_box()
    assert box is not None and 0 <= box["y"] < 5, box
    assert re.search("print.css", page.content())
    assert_accessible(page)
