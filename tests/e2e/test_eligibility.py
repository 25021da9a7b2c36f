"""A prescriber records a patient's antidepressant trials, sees the resistance status,
runs screening for IV ketamine (answering "No" to every item still unknown in one click)
and accepts the benzodiazepine and blood-pressure cautions at once, each with its reason."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from ketacare.eligibility import services as eligibility
from ketacare.eligibility.models import CautionAcceptance, Episode, ScreeningResult
from ketacare.eligibility.selectors import open_cautions
from ketacare.patients import services as patients
from ketacare.patients.models import Medication
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, make_clinic, make_staff, register, said

pytestmark = pytest.mark.e2e


def _add_trial(page: object, drug: str, drug_class: str, dose: str, weeks: str) -> None:
    form = page.locator("form[data-kind=trials]")  # type: ignore[attr-defined]
    form.locator("[name=drug]").fill(drug)
    form.locator("[name=drug_class]").select_option(drug_class)
    form.locator("[name=max_daily_dose_mg]").fill(dose)
    form.locator("[name=weeks_at_dose]").fill(weeks)
    form.locator("[name=outcome]").select_option("no_response")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Antidepressant trial saved.")).to_be_visible()  # type: ignore[attr-defined]


def test_trials_resistance_screening_and_accepting_a_caution(open_page: OpenPage) -> None:
    clinic = make_clinic("harbour", "Harbour Ketamine Clinic")
    prescriber = make_staff("dr.lind", {clinic: Role.PRESCRIBER}, "Dr Maja Lind")
    access = access_for(prescriber, clinic)
    patient = register(access, "HKC-0007", "Iris", "Moreau")
    eligibility.history_add(
        access=access,
        patient_id=patient.pk,
        model=Episode,
        data={
            "start_date": dt.date(2024, 6, 1),
            "severity": "moderate",
            "psychotic_features": False,
            "indication": "major_depression",
        },
    )
    patients.record_add(
        access=access,
        patient_id=patient.pk,
        model=Medication,
        data={"name": "Lorazepam", "dose": "2 mg", "frequency": "twice daily"},
    )

    page = open_page()
    log_in(page, "dr.lind")
    page.goto(f"{page.url.split('/c/')[0]}/c/harbour/patients/{patient.pk}/history/")
    expect(page.locator("[data-derived=resistance]")).to_contain_text("not treatment-resistant")

    _add_trial(page, "Sertraline", "ssri", "150", "8")
    _add_trial(page, "Venlafaxine", "snri", "225", "6")
    resistance = page.locator("[data-derived=resistance]")
    expect(resistance).to_contain_text("Treatment resistance: treatment-resistant")
    expect(resistance).to_contain_text("sertraline, venlafaxine")
    expect(page.locator("[data-derived=thase_rush]")).to_contain_text("II")
    expect(page.locator("tr[data-trial=Venlafaxine] td.adequacy")).to_contain_text("Adequate")

    assert_accessible(page)

    page.get_by_role("tab", name="Eligibility").click()
    expect(page).to_have_url(re.compile(r"/eligibility/$"))
    form = page.locator("form.screening-form")
    form.get_by_label("Protocol").select_option("iv_ketamine")
    # Every question starts "Unknown"; one click answers all still unknown with "No",
    # each answer still shown and changeable.
    items = form.locator(".checklist-item")
    expect(items.first.get_by_label("Unknown", exact=True)).to_be_checked()
    form.get_by_role("button", name="No to all still unknown").click()
    for item in items.all():
        expect(item.get_by_label("No", exact=True)).to_be_checked()
    expect(form.locator("[data-answer-unknown-status]")).to_have_text(
        f"{items.count()} answers set to “No”."
    )
    first = items.first
    first.get_by_label("Yes", exact=True).check()  # still changeable after the bulk answer
    first.get_by_label("No", exact=True).check()
    form.get_by_label("Systolic").fill("152")
    form.get_by_label("Diastolic").fill("96")
    assert_accessible(page)
    form.get_by_role("button", name="Screen").click()

    expect(page.get_by_text("Screened: eligible with cautions.")).to_be_visible()
    benzo = page.locator("li.reason[data-code='benzodiazepine_load:lorazepam']")
    expect(benzo).to_contain_text("4.00 mg/day")
    expect(benzo).to_contain_text("PMC10812090")
    expect(page.locator(".screening-summary")).to_contain_text(
        "IV racemic ketamine: eligible with cautions"
    )
    screening = ScreeningResult.objects.filter(patient=patient).latest("screened_at")
    codes = [r["code"] for r in open_cautions(screening)]
    assert len(codes) >= 2 and "benzodiazepine_load:lorazepam" in codes
    assert_accessible(page)

    # Two (or more) cautions accepted at once, each with its own justification.
    accept = page.locator("form.accept-cautions")
    for code in codes:
        reason = page.locator(f"li.reason[data-code='{code}']")
        reason.get_by_label("Justification to accept this caution").fill(
            f"Reviewed with the patient ({code}); plan agreed before the first infusion."
        )
    accept.get_by_role("button", name=re.compile("^Accept cautions")).click()
    said(page, f"{len(codes)} cautions accepted.")
    for code in codes:
        expect(page.locator(f"li.reason[data-code='{code}']")).to_contain_text("Accepted by")
    assert sorted(CautionAcceptance.objects.values_list("code", flat=True)) == sorted(codes)
