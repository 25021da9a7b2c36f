"""Issue 12 in the browser: a stopped infusion records its partial dose (finding 6); a
high blood pressure after esketamine keeps the patient and keeps readings due until a
prescriber releases them (findings 7, 8); a new alert lands in view however far the page
is scrolled, once per reading, with actions that fit the route (finding 11). The IV
session's overdue readings and end-of-infusion observation are in test_session_iv.py."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Role
from ketacare.patients.models import Patient
from ketacare.treatment import charting, services
from ketacare.treatment.models import Administration, TreatmentSession
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, make_clinic, make_staff, register, said
from tests.sessions.build import (
    ALL_CLEAR,
    at,
    esketamine_dosing,
    ids,
    start_esketamine,
    start_iv,
    to_pre_dose,
    vitals,
)

pytestmark = pytest.mark.e2e

HIGH_BASELINE = {"systolic": 138, "diastolic": 88, "heart_rate": 72, "spo2": 98,
                 "respiratory_rate": 14}  # fmt: skip


def _world() -> tuple[ClinicAccess, ClinicAccess, Patient]:
    at(-30)
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse = make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    doctor = make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    patient = register(access_for(nurse, clinic), "RKC-0301", "Bea", "Lindqvist")
    return access_for(nurse, clinic), access_for(doctor, clinic), patient


def _url(session: TreatmentSession) -> str:
    return f"/c/riverside/patients/{session.patient_id}/sessions/{session.pk}/chart/"


def test_an_infusion_stopped_after_2_minutes_records_the_partial_dose(
    open_page: OpenPage,
) -> None:
    nurse, doctor, patient = _world()
    session = to_pre_dose(nurse, doctor, patient)  # 35 mg ordered
    services.supervisor_attest(access=doctor, **ids(session))
    start_iv(nurse, session)  # 35 mg in 100 mL at 150 mL/h
    at(2)
    page = open_page()
    log_in(page, "nurse.lee")
    page.goto(_url(session))
    expect(page.locator("#pump-dose")).to_contain_text("1.7 mg")
    stop = page.locator("#stop-form")
    expect(stop.locator("input[name=dose_given_mg]")).to_have_count(0)
    stop.get_by_role("button", name="End dosing").click()
    said(page, "Reason: 1.7 mg given of 35 mg ordered (5%); give the reason.")
    expect(page.locator("h1 [data-state]")).to_have_text("Dosing")
    stop = page.locator("#stop-form")
    stop.get_by_label("Reason if the dose differs from the order").fill("Panic; patient asked")
    stop.get_by_role("button", name="End dosing").click()
    expect(page.locator("h1 [data-state]")).to_have_text("Monitoring")
    expect(page.locator("#dose-given")).to_contain_text("Dose given: 1.7 mg of 35.0 mg ordered")
    expect(page.locator("#dose-given")).to_contain_text("reason: Panic; patient asked")
    assert str(Administration.objects.get(session=session).dose_given_mg) == "1.7"


def test_a_high_blood_pressure_after_esketamine_keeps_the_patient_until_released(
    open_page: OpenPage,
) -> None:
    nurse, doctor, patient = _world()
    session = to_pre_dose(nurse, doctor, patient, protocol="esketamine_trd", dose="56",
                          baseline=HIGH_BASELINE)  # fmt: skip
    services.rems_enroll(access=nurse, patient_id=patient.pk, enrolled_on=dt.date(2024, 2, 1))
    services.supervisor_attest(access=doctor, **ids(session))
    session = esketamine_dosing_from_pre_dose(nurse, session)
    for minute in (41, 56, 71, 86, 101, 116):
        at(minute)
        vitals(nurse, session, f"r{minute}", systolic=172, diastolic=106, spo2=97)
    at(122)
    session.refresh_from_db()
    services.checklist_save(access=nurse, **ids(session), version=session.version,
                            items=ALL_CLEAR)  # fmt: skip
    page = open_page()
    log_in(page, "nurse.lee")
    page.goto(_url(session))
    blockers = page.locator("#discharge-blockers")
    expect(blockers).to_contain_text("Blood pressure 172/106 is above the discharge limit 140/90")
    expect(page.locator("table.vitals tr.due")).to_contain_text("12:11")  # 15 min after 11:56
    page.get_by_role("button", name="Ready for discharge").click()
    said(page, "blood pressure 172/106 is above the discharge limit 140/90")
    expect(page.locator("#release-form")).to_have_count(0)

    doctor_page = open_page()
    log_in(doctor_page, "dr.okafor")
    doctor_page.goto(_url(session))
    release = doctor_page.locator("#release-form")
    release.get_by_label("Reason for the release").fill("Known hypertension; GP review today")
    release.get_by_role("button", name="Release despite missed readings or blood pressure").click()
    expect(doctor_page.locator("#release-note")).to_contain_text("Known hypertension")
    page.reload()
    page.get_by_role("button", name="Ready for discharge").click()
    page.get_by_role("button", name="Discharge").click()
    expect(page.locator("h1 [data-state]")).to_have_text("Discharged")


def esketamine_dosing_from_pre_dose(
    nurse: ClinicAccess, session: TreatmentSession
) -> TreatmentSession:
    """Two devices at 1 and 6 min, then dosing ends."""
    at(1)
    start_esketamine(nurse, session)
    at(6)
    charting.device_give(access=nurse, **ids(session))
    charting.administration_stop(access=nurse, **ids(session))
    return TreatmentSession.objects.get(pk=session.pk)


def test_a_new_alert_lands_in_view_however_far_the_page_is_scrolled(
    open_page: OpenPage,
) -> None:
    nurse, doctor, patient = _world()
    session = esketamine_dosing(nurse, doctor, patient)
    at(3)
    page = open_page()
    log_in(page, "dr.okafor")
    page.goto(_url(session))
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    vitals(nurse, session, "m1", systolic=186, diastolic=112, respiratory_rate=7, spo2=91)
    alerts = page.locator("#session-alerts [role=alert]")
    expect(alerts).to_have_count(1, timeout=5_000)  # one alert for the reading
    expect(alerts).to_be_in_viewport()
    expect(alerts.locator(".alert-findings li")).to_have_count(5)
    action = alerts.get_by_label("Action taken")
    expect(action).to_have_value("hold_device")  # a nasal spray: no infusion to pause
    expect(action.locator("option")).to_have_text(
        ["Held the next device", "Called the prescriber", "Gave medication",
         "Continue and observe"]
    )  # fmt: skip
