"""A user in two clinics switches between them; other clinics' charts answer 404."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, make_clinic, make_staff, open_patients, register

pytestmark = pytest.mark.e2e


def _expect_not_found(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.locator("main")).to_contain_text(
        "There is nothing here, or you do not have access to it."
    )


def test_clinic_switcher_shows_the_other_clinics_patients_and_foreign_charts_are_404(
    open_page: OpenPage,
) -> None:
    clinic_a = make_clinic("clinic-a", "Alder Clinic")
    clinic_b = make_clinic("clinic-b", "Birch Clinic")
    clinic_c = make_clinic("clinic-c", "Cedar Clinic")
    user = make_staff("dr.two", {clinic_a: Role.PRESCRIBER, clinic_b: Role.NURSE})
    other = make_staff("dr.cedar", {clinic_c: Role.PRESCRIBER})
    patient_a = register(access_for(user, clinic_a), "A-001", "Alice", "Ashdown")
    register(access_for(user, clinic_b), "B-001", "Bruno", "Bramley")
    register(access_for(other, clinic_c), "C-001", "Carla", "Cheston")

    page = open_page()
    log_in(page, "dr.two")
    # Two clinics and no clinic chosen yet: the user picks one.
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a clinic")
    page.get_by_role("button", name="Alder Clinic").click()
    expect(page).to_have_url(re.compile(r"/c/clinic-a/dashboard/$"))
    open_patients(page)
    results = page.locator("#results")
    expect(results).to_contain_text("Ashdown, Alice")
    expect(results).not_to_contain_text("Bramley")

    switcher = page.get_by_label("Clinic", exact=True)
    expect(switcher).to_have_value("clinic-a")
    expect(switcher.locator("option")).to_have_text(
        ["Alder Clinic — Prescriber", "Birch Clinic — Nurse"]
    )
    switcher.select_option("clinic-b")
    expect(page).to_have_url(re.compile(r"/c/clinic-b/dashboard/$"))
    expect(page.get_by_label("Clinic", exact=True)).to_have_value("clinic-b")
    open_patients(page)
    results = page.locator("#results")
    expect(results).to_contain_text("Bramley, Bruno")
    expect(results).not_to_contain_text("Ashdown")
    expect(results).not_to_contain_text("Cheston")

    # Clinic A's patient, addressed through a clinic the user is not a member of, through
    # a clinic they are a member of, and a patient id that exists nowhere: all the same 404.
    _expect_not_found(page, f"/c/{clinic_c.slug}/patients/{patient_a.pk}/")
    _expect_not_found(page, f"/c/{clinic_c.slug}/patients/")
    _expect_not_found(page, f"/c/{clinic_b.slug}/patients/{patient_a.pk}/")
    _expect_not_found(page, f"/c/{clinic_a.slug}/patients/{uuid.uuid4()}/")
    assert not AuditEvent.objects.filter(patient_id=patient_a.pk, action="view").exists()

    # The real address still works for the clinic the patient belongs to.
    page.goto(f"/c/{clinic_a.slug}/patients/{patient_a.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ashdown, Alice")
