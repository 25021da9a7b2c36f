"""A prescriber plans an IV ketamine course with a live dose preview, sees the course on
the plan calendar and orders the dose; a nurse double-checks the order."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from ketacare.dosing.models import DoseOrder, TreatmentPlan
from ketacare.patients import services as patients
from ketacare.patients.models import BodyMeasurement
from tests.clinical import clear_for_protocol
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import (
    SCREENSHOTS,
    access_for,
    log_in,
    log_out,
    make_clinic,
    make_staff,
    register,
)

pytestmark = pytest.mark.e2e


def test_prescriber_plans_an_iv_course_and_a_nurse_double_checks_the_order(
    open_page: OpenPage,
) -> None:
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    prescriber = make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    make_staff("nurse.lee", {clinic: Role.NURSE}, "Sam Lee")
    access = access_for(prescriber, clinic)
    patient = register(access, "RKC-0042", "Amara", "Okonkwo", sex_at_birth="male")
    today = dt.datetime.now(zoneinfo.ZoneInfo(clinic.time_zone)).date()
    patients.record_add(
        access=access,
        patient_id=patient.pk,
        model=BodyMeasurement,
        data={"measured_on": today, "weight_kg": "70.0", "height_cm": "170.0"},
    )
    monday = today + dt.timedelta(days=7 - today.weekday())
    clear_for_protocol(access, patient.pk, "iv_ketamine")  # screened before planning

    page = open_page()
    log_in(page, "dr.okafor")
    page.goto(f"/c/riverside/patients/{patient.pk}/plan/")
    tab = page.locator("#chart-tab")
    expect(tab.get_by_role("heading", name="Plan & orders")).to_be_visible()

    plan_form = tab.locator("#plan-form")
    plan_form.locator("[name=indication]").select_option("major_depression")
    plan_form.locator("[name=protocol_code]").select_option("iv_ketamine")
    plan_form.locator("[name=schedule]").select_option("3_per_week")
    plan_form.locator("[name=start_date]").fill(monday.isoformat())
    plan_form.locator("[name=concentration_mg_per_ml]").fill("10")
    plan_form.locator("[name=start_dose]").fill("0.5")
    plan_form.locator("[name=start_dose]").dispatch_event("change")
    preview = plan_form.locator("#plan-preview")
    expect(preview).to_contain_text("35 mg")
    expect(preview).to_contain_text("3.5 mL at 10 mg/mL")
    expect(preview).to_contain_text("5.25 mL/h over 40 min")
    expect(preview).to_contain_text("dosed on actual weight")
    plan_form.get_by_role("button", name="Create plan and book sessions").click()

    expect(page.locator(".messages")).to_contain_text("Plan created")
    calendar = page.locator("table.plan-calendar")
    expect(calendar.locator(".plan-session")).to_have_count(6)
    expect(calendar.locator("tbody tr")).to_have_count(2)  # 3 a week for 2 weeks
    expect(calendar).to_contain_text(f"Mon {monday.isoformat()} 09:00")
    expect(page.locator(".plan-summary")).to_contain_text(
        "IV racemic ketamine · 0/6 sessions given"
    )
    assert TreatmentPlan.objects.get().protocol_code == "iv_ketamine"

    order_form = page.locator("#order-form")
    order_form.locator("[name=protocol_code]").select_option("iv_ketamine")
    order_form.locator("[name=concentration_mg_per_ml]").fill("10")
    order_form.locator("[name=dose]").fill("0.5")
    order_form.locator("[name=dose]").dispatch_event("change")
    expect(order_form.locator("#order-preview")).to_contain_text("35 mg")
    order_form.get_by_role("button", name="Order dose").click()
    order_row = page.locator("table.orders tbody tr").first
    expect(order_row).to_contain_text("35 mg")
    expect(order_row).to_contain_text("3.5 mL at 5.25 mL/h")
    expect(order_row).to_contain_text("Awaiting double-check")
    expect(order_row.get_by_role("button", name="Confirm double-check")).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "plan.png"), full_page=True)

    log_out(page)
    log_in(page, "nurse.lee")
    page.goto(f"/c/riverside/patients/{patient.pk}/plan/")
    expect(page.locator("#order-form")).to_have_count(0)  # nurses do not order doses
    order_row = page.locator("table.orders tbody tr").first
    order_row.get_by_label("Note").fill("Vial, pump and line checked")
    order_row.get_by_role("button", name="Confirm double-check").click()
    expect(page.locator("table.orders tbody tr").first).to_contain_text("Checked by nurse.lee")
    expect(page).to_have_url(re.compile(rf"/patients/{patient.pk}/plan/$"))
    order = DoseOrder.objects.get()
    assert order.checked_by is not None and order.checked_by.username == "nurse.lee"
    assert order.ordered_by.username == "dr.okafor"
