"""Issue #5's esketamine session in the browser, on a test-controlled clock: dosing is
refused before REMS enrollment; the second device is refused before 5 minutes with the
time remaining (and a countdown shows it); discharge is refused before 2 hours from the
first device; the REMS Patient Monitoring Form is generated with every field filled from
the session, listed in the clinic's REMS forms and its submission recorded."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from ketacare.accounts.services import clinic_update
from ketacare.treatment import rems, services
from ketacare.treatment.models import RemsMonitoringForm
from tests.clinical import clear_for_protocol
from tests.clock import fix_clock
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, make_clinic, make_staff, register, said

pytestmark = pytest.mark.e2e

T0 = dt.datetime(2024, 3, 4, 10, 0, tzinfo=dt.UTC)


def at(minutes: float) -> None:
    fix_clock(T0 + dt.timedelta(minutes=minutes))


SITE: dict[str, object] = {
    "site_address": "12 River Street",
    "site_city": "Boston",
    "site_state": "MA",
    "site_zip": "02114",
}


def test_an_esketamine_session_and_its_rems_form(open_page: OpenPage) -> None:
    at(-20)
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse = make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    doctor = make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    # The REMS form's setting and provider details (a clinic administrator keeps them).
    clinic_update(clinic=clinic, actor=None, data=SITE)
    doctor.email, doctor.mobile_phone = "a.okafor@riverside.example.org", "+1 617 555 0199"
    doctor.save()
    patient = register(access_for(nurse, clinic), "RKC-0301", "Bea", "Lindqvist")
    prescriber = access_for(doctor, clinic)
    clear_for_protocol(prescriber, patient.pk, "esketamine_trd")  # screened, cautions accepted
    ids = {"patient_id": patient.pk}
    session = services.session_schedule(
        access=access_for(nurse, clinic),
        patient_id=patient.pk,
        scheduled_start=T0,
        protocol_code="esketamine_trd",
    )
    ids["session_id"] = session.pk
    services.session_order_set(
        access=prescriber,
        patient_id=patient.pk,
        session_id=session.pk,
        protocol_code="esketamine_trd",
        ordered_dose_mg=Decimal("56"),
    )
    services.session_order_double_check(
        access=access_for(nurse, clinic), patient_id=patient.pk, session_id=session.pk
    )
    services.supervisor_attest(access=prescriber, **ids)

    page = open_page()
    log_in(page, "nurse.lee")
    page.goto(f"/c/riverside/patients/{patient.pk}/sessions/{session.pk}/chart/")
    state = page.locator("h1 [data-state]")
    page.get_by_role("button", name="Check in").click()
    assessment = page.locator("form[action$='/do/assessment/']")
    for label, value in (
        ("Systolic", "126"),
        ("Diastolic", "80"),
        ("Heart rate", "70"),
        ("SpO2", "98"),
        ("Resp. rate", "14"),
    ):
        assessment.get_by_label(label).fill(value)
    assessment.get_by_label(re.compile("Fasting confirmed")).check()
    assessment.get_by_label(re.compile("No nasal decongestant")).check()
    assessment.get_by_role("button", name="Save assessment").click()
    expect(state).to_have_text("Pre-dose assessment")

    def start_dosing() -> None:
        start = page.locator("form[action$='/do/start/']")
        start.get_by_label("Formulation").fill("Spravato 28 mg nasal spray device")
        start.get_by_label("Lot", exact=True).fill("LOT-ESK-31")
        start.get_by_label("Expiry").fill("2030-06-30")
        start.get_by_label("Container").fill("PACK-0007")
        start.get_by_role("button", name="Start dosing").click()

    # Without REMS enrollment, dosing is refused; the nurse records it.
    at(0)
    start_dosing()
    said(page, "the patient is not enrolled in the Spravato REMS")
    enroll = page.locator("#rems-enroll")
    enroll.get_by_label("REMS enrollment date").fill("2024-02-20")
    enroll.get_by_role("button", name="Record REMS enrollment").click()
    expect(page.locator("main")).to_contain_text("REMS: enrolled")
    start_dosing()  # the first device
    expect(state).to_have_text("Dosing")
    expect(page.locator("#devices-given")).to_have_text("1")
    expect(page.locator("#device-countdown")).to_contain_text(re.compile(r"Next device in [45]:"))

    # The second device is refused before 5 minutes, with the time remaining.
    at(2)
    page.get_by_role("button", name="Give next device").click()
    said(page, "Refused: the next device may be given in 3 min 00 s")
    expect(page.locator("#devices-given")).to_have_text("1")
    at(5)
    page.get_by_role("button", name="Give next device").click()
    said(page, "Saved.")
    expect(page.locator("#devices-given")).to_have_text("2")
    page.get_by_role("button", name="End dosing").click()
    expect(state).to_have_text("Monitoring")

    vitals = page.locator("#vitals-form")

    def reading(systolic: str, diastolic: str) -> None:
        for label, value in (
            ("Systolic", systolic),
            ("Diastolic", diastolic),
            ("Heart rate", "76"),
            ("SpO2", "97"),
            ("Respiratory rate", "14"),
        ):
            vitals.get_by_label(label, exact=True).fill(value)
        vitals.get_by_role("button", name="Add reading").click()
        said(page, "Saved.")

    at(40)
    reading("144", "90")
    effects = page.locator("#side-effect-form")
    effects.get_by_label("Side effect").select_option(label="Dissociation")
    effects.get_by_label("Severity").select_option(label="Moderate")
    effects.get_by_role("button", name="Chart side effect").click()
    expect(page.locator("ul.effects")).to_contain_text("Dissociation (moderate)")

    # Stable at 90 min, but discharge is refused before 2 hours from the first device.
    at(90)
    reading("128", "82")
    checklist = page.locator("form[action$='/do/checklist/']")
    for box in checklist.locator("input[type=checkbox]").all():
        box.check()
    checklist.get_by_role("button", name="Save checklist").click()
    said(page, "Saved.")
    expect(page.locator("main")).to_contain_text("30 min 00 s remaining")
    page.get_by_role("button", name="Ready for discharge").click()
    said(page, "observation must last 2 h 00 min from the first device: 30 min 00 s remaining")
    expect(state).to_have_text("Monitoring")
    at(121)
    page.reload()
    page.get_by_role("button", name="Ready for discharge").click()
    page.get_by_role("button", name="Discharge").click()
    expect(state).to_have_text("Discharged")

    # The REMS form: every field filled from the session record, nothing typed again.
    page.get_by_role("link", name="REMS monitoring form").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Spravato REMS Patient Monitoring Form"
    )
    expect(page.locator("p.warning")).to_have_count(0)
    rows = page.locator("table.rems-form tr")
    expect(rows).to_have_count(len(rems.FIELD_LABELS))
    values = {
        row.locator("th").inner_text(): row.locator("td").inner_text().strip() for row in rows.all()
    }
    assert all(values.values()), [k for k, v in values.items() if not v]
    assert values["Patient name"] == "Bea Lindqvist"
    assert values["Patient enrolled in the REMS"] == "Yes"
    assert values["Monitoring healthcare provider"] == "Dr Adaeze Okafor"
    assert values["Healthcare setting"] == "Riverside Ketamine Clinic"
    assert values["Monitoring healthcare provider's phone"] == "+1 617 555 0199"
    assert values["Monitoring healthcare provider's email"] == "a.okafor@riverside.example.org"
    assert values["Healthcare setting address"] == SITE["site_address"]
    assert (values["City"], values["State"], values["ZIP code"]) == ("Boston", "MA", "02114")
    assert values["Treatment date"] == "2024-03-04"
    assert values["Dose"] == "56 mg"
    assert values["Lot number"] == "LOT-ESK-31"
    assert values["Total minutes from first device to end of monitoring"] == "121"
    assert values[rems.FIELD_LABELS["ready_minutes"]] == "90"
    assert values["Blood pressure before dosing"] == "126/80"
    assert values["Blood pressure about 40 min after dosing"] == "144/90"
    assert values["Blood pressure before session completion"] == "128/82"
    assert values["Dissociation"] == "Yes"
    assert values["Sedation"] == "No"

    # The clinic's list shows it due; recording the submission takes it off the list.
    page.locator("nav.mainnav").get_by_role("link", name="REMS forms").click()
    row = page.locator("tr.rems-draft")
    expect(row).to_contain_text("Lindqvist")
    expect(row).to_contain_text("2024-03-11")
    row.get_by_role("link", name="Open").click()
    submit = page.locator("#rems-submit")
    submit.get_by_label("Submitted on").fill("2024-03-05")
    submit.get_by_label("Confirmation number").fill("REMS-558120")
    submit.get_by_role("button", name="Record submission").click()
    said(page, "Saved.")
    form = RemsMonitoringForm.objects.get(session=session)
    assert (form.status, form.confirmation_number) == ("submitted", "REMS-558120")
    assert form.submitted_on == dt.date(2024, 3, 5)
