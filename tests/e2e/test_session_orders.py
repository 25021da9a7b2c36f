"""Issue 12 in the browser: an over-cap session order is refused naming its field, and a
valid one waits for a second clinician's double-check (finding 1); a session booked by a
plan opens with the plan's protocol and double-checked standing order, so dosing is not
blocked for want of a protocol (finding 2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from ketacare.dosing import services as dosing
from ketacare.treatment import services
from tests.clinical import clear_for_protocol
from tests.clock import fix_clock
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, log_out, make_clinic, make_staff, register, said

pytestmark = pytest.mark.e2e

T0 = dt.datetime(2024, 3, 4, 10, 0, tzinfo=dt.UTC)  # a Monday
ESK = "esketamine_trd"


def test_an_over_cap_session_order_is_refused_and_a_valid_one_is_double_checked(
    open_page: OpenPage,
) -> None:
    fix_clock(T0 - dt.timedelta(hours=1))
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse = make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    doctor = make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    patient = register(access_for(nurse, clinic), "RKC-1201", "Cara", "Mendes")
    clear_for_protocol(access_for(doctor, clinic), patient.pk, ESK)
    session = services.session_schedule(
        access=access_for(nurse, clinic),
        patient_id=patient.pk,
        scheduled_start=T0,
        protocol_code=ESK,
    )
    url = f"/c/riverside/patients/{patient.pk}/sessions/{session.pk}/chart/"

    page = open_page()
    log_in(page, "dr.okafor")
    page.goto(url)
    order = page.locator("form[action$='/do/order/']")
    order.get_by_label("Dose for this session (mg)").fill("112")
    order.get_by_role("button", name="Order for this session").click()
    said(page, "Dose for this session: 112 mg is above this protocol's maximum of 84 mg")
    expect(page.locator("#ordered-dose")).to_have_text("—")
    order.get_by_label("Dose for this session (mg)").fill("56")
    order.get_by_role("button", name="Order for this session").click()
    said(page, "Saved.")
    expect(page.locator("main")).to_contain_text("not yet double-checked")
    expect(page.locator("#order-check")).to_have_count(0)  # never by the prescriber
    log_out(page)

    log_in(page, "nurse.lee")
    page.goto(url)
    page.locator("#order-check").get_by_role("button").click()
    said(page, "Saved.")
    expect(page.locator("main")).to_contain_text("double-checked by nurse.lee")
    expect(page.locator("#order-check")).to_have_count(0)


def test_a_plan_booked_session_opens_with_the_plans_protocol_and_order(
    open_page: OpenPage,
) -> None:
    fix_clock(T0 - dt.timedelta(hours=1))
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    doctor = make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    checker = make_staff("dr.ng", {clinic: Role.PRESCRIBER}, "Dr Lin Ng")
    prescriber = access_for(doctor, clinic)
    patient = register(prescriber, "RKC-1202", "Dev", "Rao")
    clear_for_protocol(prescriber, patient.pk, ESK)
    plan = dosing.plan_create(
        access=prescriber,
        patient_id=patient.pk,
        given=dosing.PlanInput(
            indication="major_depression",
            protocol_code=ESK,
            schedule="label_then_weekly",
            start_date=T0.date(),
            start_dose=Decimal("56"),
            session_time=dt.time(10, 0),
        ),
    )
    standing = dosing.order_create(
        access=prescriber,
        patient_id=patient.pk,
        given=dosing.DoseInput(ESK, Decimal("56")),
        plan_id=plan.plan.pk,
    )
    dosing.order_double_check(
        access=access_for(checker, clinic), patient_id=patient.pk, order_id=standing.pk
    )
    first = plan.sessions[0]

    page = open_page()
    log_in(page, "nurse.lee")
    page.goto(f"/c/riverside/patients/{patient.pk}/sessions/{first.pk}/chart/")
    main = page.locator("main")
    expect(main).to_contain_text("Protocol: Intranasal esketamine (Spravato)")
    expect(page.locator("#ordered-dose")).to_have_text("56 mg")
    expect(main).to_contain_text("standing order: 56 mg ordered by dr.okafor, double-checked")
    expect(main).not_to_contain_text("not set")
    expect(main).not_to_contain_text("no protocol is set")
