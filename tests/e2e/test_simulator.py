"""A prescriber simulates an IV regimen, sees the chart, then adds a nasal-spray regimen to
compare."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import SCREENSHOTS, log_in, make_clinic, make_staff

pytestmark = pytest.mark.e2e


def test_prescriber_compares_two_regimens(open_page: OpenPage) -> None:
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")

    page = open_page()
    log_in(page, "dr.okafor")
    page.locator("nav.mainnav").get_by_role("link", name="Simulator").click()
    expect(page).to_have_url(re.compile(r"/c/riverside/simulator/$"))
    expect(page.get_by_role("note")).to_contain_text("not a measurement and not dosing advice")

    # Regimen 1: IV 0.5 mg/kg over 40 min (the form's defaults), a population of 100.
    page.get_by_label("Subjects").fill("100")
    page.get_by_label("Hours shown").fill("4")
    page.get_by_role("button", name="Simulate").click()
    chart = page.locator("#sim-chart")
    expect(chart).to_have_attribute("data-rendered", "true")
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(page.locator("table.sim-summary tbody tr")).to_have_count(1)
    expect(page.locator("table.sim-summary")).to_contain_text(
        "IV infusion (racemic ketamine) 0.5 mg/kg"
    )
    # The IV default is the venous model, and the page says which blood each curve means.
    expect(page.locator("table.sim-summary")).to_contain_text(
        "Blood: probably venous blood (not confirmed)"
    )
    expect(page.locator("ul.sim-sampling")).to_contain_text("Clements 250 µg/kg")
    expect(page.locator("#id_r0-model")).to_contain_text(
        "Kamp 2020 (3-compartment, racemic IV) — arterial blood"
    )

    # Add a second regimen: the form grows one, prefilled with a nasal-spray dose.
    page.get_by_role("button", name="Add a regimen to compare").click()
    second = page.locator('fieldset[data-regimen="2"]')
    expect(second).to_be_visible()
    expect(page.locator("table.sim-summary tbody tr")).to_have_count(1)  # regimen 1 stays
    expect(second.locator("#id_r1-form")).to_have_value("intranasal")
    second.locator("#id_r1-dose").fill("84")
    page.get_by_role("button", name="Simulate").click()

    rows = page.locator("table.sim-summary tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("Nasal spray (esketamine) 84 mg")
    expect(rows.nth(1)).to_contain_text("Perez-Ruixo et al. 2021")
    expect(page.locator("#sim-chart")).to_have_attribute("data-rendered", "true")
    legend = page.locator("#sim-chart .legend")
    expect(legend).to_contain_text(
        "Nasal spray (esketamine) 84 mg: Cp, probably venous blood (median)"
    )
    expect(legend).to_contain_text(
        "IV infusion (racemic ketamine) 0.5 mg/kg: Cp, probably venous blood (median)"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "simulator-two-regimens.png"), full_page=True)
