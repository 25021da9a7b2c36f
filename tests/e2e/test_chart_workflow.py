"""A prescriber finds a patient, records a weight on the chart; compliance sees it audited."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Response, expect

from ketacare.accounts.policy import Role
from ketacare.patients import services as patients
from ketacare.patients.models import Allergy, BodyMeasurement
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import (
    SCREENSHOTS,
    access_for,
    log_in,
    log_out,
    make_clinic,
    make_staff,
    open_patients,
    register,
)

pytestmark = pytest.mark.e2e


def _is_htmx(path_part: str, method: str = "GET") -> Callable[[Response], bool]:
    return lambda response: (
        path_part in response.url
        and response.request.method == method
        and response.request.headers.get("hx-request") == "true"
    )


def _audit_rows(page: Page) -> list[list[str]]:
    return page.locator("table.audit tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))"
    )


def test_prescriber_records_a_weight_and_compliance_sees_it_in_the_audit_trail(
    open_page: OpenPage,
) -> None:
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    prescriber = make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    make_staff("compliance.novak", {clinic: Role.COMPLIANCE}, "Petra Novak")
    access = access_for(prescriber, clinic)
    patient = register(access, "RKC-0042", "Amara", "Okonkwo")
    register(access, "RKC-0043", "Thomas", "Byrne")
    patients.record_add(
        access=access,
        patient_id=patient.pk,
        model=Allergy,
        data={"substance": "Penicillin", "reaction": "Hives", "severity": "severe"},
    )
    today = dt.datetime.now(zoneinfo.ZoneInfo(clinic.time_zone)).date()

    page = open_page()
    log_in(page, "dr.okafor")
    expect(page).to_have_url(re.compile(r"/c/riverside/dashboard/$"))
    open_patients(page)
    expect(page.locator("#results")).to_contain_text("2 patients")

    # Live search: htmx swaps the results in place; the page itself is not reloaded.
    page.evaluate("window.__notReloaded = true")
    with page.expect_response(_is_htmx("/c/riverside/patients/?")):
        page.get_by_role("searchbox").fill("okonk")
    results = page.locator("#results")
    expect(results).to_contain_text("1 patient matching “okonk”")
    expect(results).to_contain_text("Okonkwo, Amara")
    expect(results).not_to_contain_text("Byrne")
    assert page.evaluate("window.__notReloaded") is True
    expect(page).to_have_url(re.compile(r"\?q=okonk"))

    results.get_by_role("link", name="Okonkwo, Amara").click()
    expect(page).to_have_url(re.compile(rf"/c/riverside/patients/{patient.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Okonkwo, Amara")
    banner = page.get_by_role("note", name="Allergies")
    expect(banner).to_have_class(re.compile(r"\bhas-allergies\b"))
    expect(banner).to_contain_text("Penicillin (Hives) — Severe")
    expect(page.locator('[data-flag="no_weight"]')).to_have_text("No weight on record")
    expect(page.locator('[data-flag="no_treatment_consent"]')).to_be_visible()
    expect(page.locator('[data-flag="allergies_unknown"]')).to_have_count(0)

    with page.expect_response(_is_htmx(f"/patients/{patient.pk}/weights/")):
        page.get_by_role("tab", name="Weight & height").click()
    tab = page.locator("#chart-tab")
    expect(tab.get_by_role("heading", name="Weight & height")).to_be_visible()
    expect(tab.locator("table.entries")).to_contain_text("Nothing recorded yet.")
    expect(page).to_have_url(re.compile(rf"/patients/{patient.pk}/weights/$"))

    form = tab.locator("form.add-entry")
    form.get_by_label("Measured on").fill(today.isoformat())
    form.get_by_label("Weight kg").fill("81.5")
    form.get_by_label("Height cm").fill("172")
    with page.expect_response(_is_htmx("/weights/add/", "POST")):
        form.get_by_role("button", name="Save").click()
    rows = tab.locator("table.entries tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("81.5")
    expect(rows.first).to_contain_text("172.0")
    expect(rows.first).to_contain_text("Dr Adaeze Okafor")
    # The saved entry triggers a refresh of the chart header.
    expect(page.locator(".latest-weight")).to_contain_text("81.5 kg · 172.0 cm · BMI 27.5")
    expect(page.locator('[data-flag="no_weight"]')).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "chart.png"), full_page=True)

    # A typing slip: 700 kg is refused next to the weight field and nothing is saved.
    form = tab.locator("form.add-entry")
    form.get_by_label("Measured on").fill(today.isoformat())
    form.get_by_label("Weight kg").fill("700")
    form.get_by_label("Height cm").fill("")
    with page.expect_response(_is_htmx("/weights/add/", "POST")):
        form.get_by_role("button", name="Save").click()
    weight_field = tab.locator(".field", has=page.locator("#id_weight_kg"))
    expect(weight_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(weight_field.locator(".field-error")).to_have_text(
        "Weight of 700 kg is outside the plausible range 20-350 kg."
    )
    expect(tab.locator(".field-error")).to_have_count(1)
    expect(tab.locator("#id_weight_kg")).to_have_value("700")
    expect(rows).to_have_count(1)
    assert list(
        BodyMeasurement.objects.filter(patient=patient).values_list("weight_kg", flat=True)
    ) == [pytest.approx(81.5)]

    log_out(page)
    log_in(page, "compliance.novak")
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Audit trail — Riverside Ketamine Clinic"
    )
    page.get_by_label("Patient MRN").fill("RKC-0042")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"patient_mrn=RKC-0042"))

    rows_seen = _audit_rows(page)
    # columns: # | When | Who | Action | Record | Patient | Changes | IP · request
    assert rows_seen, "the filtered audit trail is empty"
    assert {row[5] for row in rows_seen} == {str(patient.pk)[:8]}
    by_prescriber = [row for row in rows_seen if row[2] == "dr.okafor"]
    views = [row for row in by_prescriber if row[3] == "view"]
    creates = [row for row in by_prescriber if row[3] == "create"]
    assert "Patient / overview" in {row[4] for row in views}
    assert "Patient / weights" in {row[4] for row in views}
    weight_creates = [row for row in creates if row[4] == "Bodymeasurement"]
    assert len(weight_creates) == 1, "the refused 700 kg entry must not be audited as saved"
    assert "Weight kg: ∅ → 81.5" in weight_creates[0][6]
