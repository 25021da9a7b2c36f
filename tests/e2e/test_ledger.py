"""Issue 15 in the browser: the compliance officer receives stock; after an IV session
(charted through the services up to discharge) the nurse withdraws a vial, is refused a
waste she witnesses herself, wastes the rest with a prescriber who signs in person and
enters the administration; the prescriber signs the session (refused before, while the
record was unbalanced); the officer sees the balanced dispensing log and its PDF."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from ketacare.ledger import services as ledger
from ketacare.treatment.models import TreatmentSession
from tests.clock import fix_clock
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import PASSWORD, access_for, log_in, make_clinic, make_staff, register, said
from tests.ledger.conftest import VIAL_50
from tests.sessions.build import BEFORE_SESSIONS, T0, ids, iv_ready

pytestmark = pytest.mark.e2e


def test_receive_withdraw_waste_sign_and_the_dispensing_log(open_page: OpenPage) -> None:
    fix_clock(BEFORE_SESSIONS)
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse = make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    doctor = make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    officer = make_staff("compliance.novak", {clinic: Role.COMPLIANCE}, "Petra Novak")
    doctor.email = "dr.okafor@example.org"
    doctor.save(update_fields=["email"])
    officer_access = access_for(officer, clinic)
    ledger.product_create(access=officer_access, data=VIAL_50)
    ledger.location_create(access=officer_access, name="Main safe")
    patient = register(access_for(nurse, clinic), "RKC-0301", "Amara", "Okonkwo")
    session = iv_ready(access_for(nurse, clinic), access_for(doctor, clinic), patient)
    from ketacare.treatment import services

    services.session_discharge(access=access_for(nurse, clinic), **ids(session))
    fix_clock(T0 + dt.timedelta(hours=3))

    # 1. The compliance officer receives two vials into the safe.
    page = open_page()
    log_in(page, "compliance.novak")
    page.goto("/c/riverside/ledger/")
    receive = page.locator("#receive")
    receive.get_by_label("Lot number").fill("K-2403")
    receive.get_by_label("Expiry").fill("2026-12-31")
    receive.get_by_label("Containers").fill("2")
    receive.get_by_label("Supplier", exact=True).fill("Northfield Wholesale")
    receive.get_by_label("Supplier's DEA registration").fill("RN0000001")
    receive.get_by_role("button", name="Record receipt").click()
    expect(page.locator("#stock")).to_contain_text("1000 mg")

    # 2. The prescriber cannot sign yet: nothing was withdrawn for the session.
    doctor_page = open_page()
    log_in(doctor_page, "dr.okafor")
    chart = f"/c/riverside/patients/{patient.pk}/sessions/{session.pk}/chart/"
    doctor_page.goto(chart)
    doctor_page.get_by_role("button", name="Sign and lock").click()
    said(doctor_page, "Controlled-substance record")

    # 3. The nurse withdraws a vial and wastes the rest with the prescriber as witness.
    nurse_page = open_page()
    log_in(nurse_page, "nurse.lee")
    nurse_page.goto(chart)
    nurse_page.get_by_role("link", name="Controlled-substance record").click()
    withdraw = nurse_page.locator("#withdraw")
    withdraw.get_by_label("Quantity (mg)").fill("500")
    withdraw.get_by_role("button", name="Withdraw").click()
    waste = nurse_page.locator("#waste")
    waste.get_by_label("Quantity (mg)").fill("465")
    waste.get_by_label("Witness (username)").fill("nurse.lee")
    waste.get_by_label("Witness's password").fill(PASSWORD)
    waste.get_by_role("button", name="Record waste").click()
    said(nurse_page, "Witness: The witness must be a different person")
    waste = nurse_page.locator("#waste")
    waste.get_by_label("Quantity (mg)").fill("465")
    waste.get_by_label("Witness (username)").fill("dr.okafor")
    waste.get_by_label("Witness's password").fill(PASSWORD)
    waste.get_by_role("button", name="Record waste").click()
    nurse_page.get_by_role("button", name="Enter the dose given in the ledger").click()
    expect(nurse_page.locator("#ledger-balance")).to_contain_text("Balanced")

    # 4. Now the prescriber signs.
    doctor_page.goto(chart)
    doctor_page.get_by_role("button", name="Sign and lock").click()
    expect(doctor_page.locator("h1 [data-state]")).to_have_text("Signed and locked")
    assert TreatmentSession.objects.get(pk=session.pk).status == "signed"

    # 5. The officer's dispensing log shows the receipt, withdrawal, waste and
    #    administration, and its PDF opens.
    page.goto("/c/riverside/ledger/report/?code=dispensing")
    table = page.locator("table.ledger-report")
    for kind in ("Receipt", "Withdrawal for a session", "Waste", "Administration"):
        expect(table).to_contain_text(kind)
    expect(table).to_contain_text("Okonkwo")
    expect(page.locator("#report-pdf")).to_have_attribute("href", re.compile("format=pdf"))
    pdf = page.request.get("/c/riverside/ledger/report/?code=dispensing&format=pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
