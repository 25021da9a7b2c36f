"""Issue #5's IV session in the browser, on a test-controlled clock: check-in and baseline;
dosing refused without a supervising prescriber, who is assigned and attests; the infusion
starts from the order; a 185/112 reading raises an alert that reaches the prescriber's open
screen within 5 s and is acknowledged; pause and resume with reasons; CADSS-6 rated and a
side effect charted; discharge refused until the criteria are met; the prescriber signs, an
edit after signing is refused and an addendum is recorded."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from ketacare.measures.models import QuestionnaireResponse
from ketacare.treatment import services
from ketacare.treatment.models import (
    Addendum,
    AdministrationEvent,
    SessionAlert,
    SideEffect,
    TreatmentSession,
)
from tests.clinical import clear_for_protocol
from tests.clock import fix_clock
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, make_clinic, make_staff, register, said
from tests.sessions.build import weigh

pytestmark = pytest.mark.e2e

T0 = dt.datetime(2024, 3, 4, 10, 0, tzinfo=dt.UTC)  # London is on UTC in March


def at(minutes: float) -> None:
    fix_clock(T0 + dt.timedelta(minutes=minutes))


def test_a_full_iv_session(open_page: OpenPage) -> None:
    at(-15)
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse = make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    doctor = make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    patient = register(access_for(nurse, clinic), "RKC-0201", "Amara", "Okonkwo")
    prescriber_access = access_for(doctor, clinic)
    clear_for_protocol(prescriber_access, patient.pk, "iv_ketamine")  # screened, cautions accepted
    session = services.session_schedule(
        access=access_for(nurse, clinic),
        patient_id=patient.pk,
        scheduled_start=T0,
        protocol_code="iv_ketamine",
    )
    weigh(access_for(nurse, clinic), patient)  # the intake weight the order is based on
    services.session_order_set(
        access=prescriber_access,
        patient_id=patient.pk,
        session_id=session.pk,
        protocol_code="iv_ketamine",
        ordered_dose_mg=Decimal("35"),
    )
    services.session_order_double_check(
        access=access_for(nurse, clinic), patient_id=patient.pk, session_id=session.pk
    )

    # 1. The nurse opens the session from the chart's Sessions tab, checks the patient in
    #    and records the pre-dose assessment with the baseline.
    page = open_page()
    log_in(page, "nurse.lee")
    page.goto(f"/c/riverside/patients/{patient.pk}/sessions/")
    page.get_by_role("link", name="2024-03-04 10:00").click()
    # The page's own address: after a refusal the browser shows the action's address until
    # the page script puts this one back, so the prescriber's screen opens this, not page.url.
    session_url = f"/c/riverside/patients/{patient.pk}/sessions/{session.pk}/chart/"
    expect(page).to_have_url(re.compile(re.escape(session_url) + "$"))
    state = page.locator("h1 [data-state]")
    expect(state).to_have_text("Scheduled")
    page.get_by_role("button", name="Check in").click()
    expect(state).to_have_text("Checked in")
    assessment = page.locator("form[action$='/do/assessment/']")
    assessment.get_by_label("Today's weight (kg)").fill("70")
    for label, value in (
        ("Systolic", "128"),
        ("Diastolic", "82"),
        ("Heart rate", "72"),
        ("SpO2", "98"),
        ("Resp. rate", "14"),
    ):
        assessment.get_by_label(label).fill(value)
    assessment.get_by_role("button", name="Save assessment").click()
    said(page, "Saved.")
    expect(state).to_have_text("Pre-dose assessment")
    expect(page.locator("table.vitals")).to_contain_text("128/82")

    # 2. Dosing is refused without a supervising prescriber; one is assigned and attests.
    def start_dosing() -> None:
        start = page.locator("form[action$='/do/start/']")
        expect(start.get_by_label("Dose to give (mg)")).to_have_value("35")
        start.get_by_label("Formulation").fill("Ketamine 50 mg/mL diluted in 100 mL NaCl 0.9%")
        start.get_by_label("Concentration (mg/mL)").fill("0.35")
        start.get_by_label("Lot", exact=True).fill("LOT-IV-77")
        start.get_by_label("Expiry").fill("2030-01-31")
        start.get_by_label("Pump rate (mL/h)").fill("150")
        start.get_by_label("Container").fill("VIAL-0042")
        start.get_by_role("button", name="Start dosing").click()

    at(0)
    start_dosing()
    said(page, "dosing cannot start: no supervising prescriber is assigned")
    page.locator("#assign-form").get_by_label("Supervising prescriber").select_option(
        label="Dr Adaeze Okafor"
    )
    page.locator("#assign-form").get_by_role("button", name="Assign").click()
    expect(page.locator("main")).to_contain_text("Supervising prescriber: Dr Adaeze Okafor")
    start_dosing()
    said(page, "dosing cannot start: no supervising prescriber on site")

    doctor_page = open_page()
    log_in(doctor_page, "dr.okafor")
    doctor_page.goto(session_url)
    doctor_page.get_by_role("button", name="I am the supervising prescriber, on site").click()
    expect(doctor_page.locator("main")).to_contain_text("on site since 10:00")

    # 3. The nurse starts the infusion from the order and enters vitals.
    start_dosing()
    expect(state).to_have_text("Dosing")
    expect(page.locator("main")).to_contain_text("Pump: running at 150.00 mL/h")
    vitals = page.locator("#vitals-form")

    def reading(systolic: str, diastolic: str, heart_rate: str, spo2: str) -> None:
        for label, value in (
            ("Systolic", systolic),
            ("Diastolic", diastolic),
            ("Heart rate", heart_rate),
            ("SpO2", spo2),
            ("Respiratory rate", "14"),
        ):
            vitals.get_by_label(label, exact=True).fill(value)
        vitals.get_by_label("Respiratory rate").press("Enter")  # keyboard: Enter submits
        said(page, "Saved.")

    at(10)
    doctor_page.goto(session_url)  # the prescriber keeps the session open from here on
    expect(doctor_page.locator("#session-alerts [role=alert]")).to_have_count(0)
    reading("135", "85", "80", "97")
    at(20)
    reading("185", "112", "92", "97")
    expect(page.locator("#session-alerts")).to_contain_text("185/112")

    # 4. The alert appears on the prescriber's open screen within 5 s, without a reload,
    #    and the prescriber acknowledges it with the action taken.
    urgent = doctor_page.locator("#session-alerts [data-alert=blood_pressure_high]")
    expect(urgent).to_contain_text("Blood pressure 185/112", timeout=5_000)
    # One alert for the reading, listing the rises from baseline too (finding 11).
    expect(doctor_page.locator("#session-alerts [role=alert]")).to_have_count(1)
    expect(urgent).to_contain_text("Systolic 185 is 57 mmHg above baseline 128")
    expect(urgent.get_by_label("Action taken")).to_have_value("pause_infusion")  # infusing
    urgent.get_by_label("Note").fill("Paused; recheck in 5 min.")
    urgent.get_by_role("button", name="Acknowledge").click()
    said(doctor_page, "Saved.")
    expect(urgent).to_have_count(0)
    acknowledged = SessionAlert.objects.get(session=session)
    assert acknowledged.acknowledged_by == doctor
    assert acknowledged.action == "pause_infusion"
    # The nurse's screen drops them too, without a reload.
    expect(page.locator("#session-alerts [role=alert]")).to_have_count(0, timeout=5_000)

    # 5. The nurse pauses and resumes the infusion, each with its reason.
    infusion = page.locator("form[action$='/do/infusion/']")
    infusion.locator("select[name=kind]").select_option("pause")
    infusion.get_by_placeholder("Reason").fill("BP 185/112, per Dr Okafor")
    infusion.get_by_role("button", name="Record").click()
    expect(page.locator("main")).to_contain_text("Pump: paused")
    at(27)
    page.reload()
    # The 30-min reading is due (not yet overdue): highlighted as the next one.
    expect(page.locator("table.vitals tr.due")).to_contain_text("10:30")
    expect(page.locator("table.vitals tr.overdue")).to_have_count(0)
    reading("150", "92", "84", "98")
    infusion.locator("select[name=kind]").select_option("resume")
    infusion.get_by_placeholder("Reason").fill("BP 150/92 on recheck")
    infusion.get_by_role("button", name="Record").click()
    expect(page.locator("main")).to_contain_text("Pump: running")
    kinds = list(AdministrationEvent.objects.filter(session=session).values_list("kind", "reason"))
    assert kinds == [
        ("start", ""),
        ("pause", "BP 185/112, per Dr Okafor"),
        ("resume", "BP 150/92 on recheck"),
    ]
    at(46)
    page.reload()
    overdue = page.locator("table.vitals tr.overdue")
    expect(overdue).to_have_count(1)
    expect(overdue).to_contain_text("10:40")
    expect(page.locator("#overdue-note")).to_contain_text("10:40")

    # 6. CADSS-6 is rated through the Measures form, pre-set for this session; a side
    #    effect is charted.
    page.get_by_role("link", name="Rate CADSS-6").click()
    record = page.locator("#record form.scale-form")
    expect(record).to_contain_text("CADSS-6")
    expect(record.get_by_label("Treatment session")).to_have_value(str(session.pk))
    for number in range(1, 7):
        record.locator(f"#record-item-{number} input[value='1']").check()
    record.get_by_role("button", name="Save scores").click()
    expect(state).to_have_text("Dosing")  # back on the session page
    expect(page.locator("ul.ratings")).to_contain_text("CADSS6 total 6")
    response = QuestionnaireResponse.objects.get(instrument="cadss6")
    assert response.session_id == session.pk
    effects = page.locator("#side-effect-form")
    effects.get_by_label("Side effect").select_option(label="Dizziness")
    effects.get_by_label("Severity").select_option(label="Mild")
    effects.get_by_role("button", name="Chart side effect").click()
    expect(page.locator("ul.effects")).to_contain_text("Dizziness (mild)")

    # 7. Dosing ends: the dose given comes from the pump record (41 min of running at
    #    150 mL/h, the pause subtracted: the whole bag). Discharge is refused until every
    #    criterion holds: the hour of observation counts from the end of the infusion, and
    #    the missed 10:40 reading keeps the patient until the prescriber releases them.
    at(48)
    expect(page.locator("#pump-dose")).to_contain_text("Dose given by the pump record so far")
    stop = page.locator("#stop-form")
    expect(stop.locator("input[name=dose_given_mg]")).to_have_count(0)  # never prefilled
    stop.get_by_role("button", name="End dosing").click()
    expect(state).to_have_text("Monitoring")
    expect(page.locator("#dose-given")).to_contain_text("Dose given: 35.0 mg of 35.0 mg ordered")
    reading("128", "80", "74", "98")
    page.get_by_role("button", name="Ready for discharge").click()
    said(page, "not ready for discharge: not yet confirmed: walking steadily")
    said(page, "not yet confirmed: a responsible adult to escort the patient")
    said(page, "60 min 00 s remaining")
    said(page, "1 reading is overdue (due 10:40)")
    checklist = page.locator("form[action$='/do/checklist/']")
    for box in checklist.locator("input[type=checkbox]").all():
        box.check()
    checklist.get_by_role("button", name="Save checklist").click()
    said(page, "Saved.")
    page.get_by_role("button", name="Ready for discharge").click()
    said(page, "observation must last 1 h 00 min from the end of dosing: 60 min 00 s remaining")
    expect(page.locator("ul.messages")).not_to_contain_text("not yet confirmed")
    for minute in (63, 78, 93, 108):  # every 15 min for the hour after the infusion
        at(minute)
        page.reload()
        reading("126", "80", "72", "98")
    page.get_by_role("button", name="Ready for discharge").click()
    said(page, "1 reading is overdue (due 10:40): take them, or a prescriber releases")
    expect(page.locator("#release-form")).to_have_count(0)  # a nurse cannot release
    doctor_page.goto(session_url)
    release = doctor_page.locator("#release-form")
    release.get_by_label("Reason for the release").fill("10:40 reading on the pump printout")
    release.get_by_role("button", name="Release despite missed readings or blood pressure").click()
    expect(doctor_page.locator("#release-note")).to_contain_text(
        "Released by Dr Adaeze Okafor at 11:48: 10:40 reading on the pump printout"
    )
    page.reload()
    page.get_by_role("button", name="Ready for discharge").click()
    expect(state).to_have_text("Ready for discharge")
    page.get_by_role("button", name="Discharge").click()
    expect(state).to_have_text("Discharged")
    session.refresh_from_db()
    assert session.discharged_by == nurse

    # 8. The prescriber signs. The nurse's screen, opened before, tries an edit: refused.
    #    An addendum works, and the original stays.
    doctor_page.goto(session_url)
    doctor_page.get_by_role("button", name="Sign and lock").click()
    expect(doctor_page.locator("h1 [data-state]")).to_have_text("Signed and locked")
    effects.get_by_label("Side effect").select_option(label="Headache")
    effects.get_by_role("button", name="Chart side effect").click()
    said(page, "The session is signed and locked: record a correction as an addendum.")
    assert not SideEffect.objects.filter(session=session, effect="headache").exists()
    expect(page.locator("#side-effect-form")).to_have_count(0)
    addendum = page.locator("form[action$='/do/addendum/']")
    addendum.get_by_label("Addendum").fill("Patient reported a mild headache at 11:05.")
    addendum.get_by_label("Reason").fill("Late entry: reported at discharge")
    addendum.get_by_role("button", name="Add addendum").click()
    expect(page.locator("main")).to_contain_text("Patient reported a mild headache at 11:05.")
    expect(page.locator("ul.effects")).to_contain_text("Dizziness (mild)")
    assert Addendum.objects.get(session=session).entered_by == nurse
    assert TreatmentSession.objects.get(pk=session.pk).status == "signed"
    assert re.search(r"Signed by Dr Adaeze Okafor", page.locator("main").inner_text())
