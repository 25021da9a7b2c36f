"""A prescriber registers a person already on the registry: the existing record is shown
first; they register anyway, then find it was the same person and merge the two."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from ketacare.patients.models import Allergy, Patient, PatientMerge
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, make_clinic, make_staff, register
from tests.factories import AllergyFactory

pytestmark = pytest.mark.e2e


def test_a_duplicate_is_shown_first_registered_anyway_then_merged(open_page: OpenPage) -> None:
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    doctor = make_staff("dr.osei", {clinic: Role.PRESCRIBER}, "Dr Ama Osei")
    existing = register(access_for(doctor, clinic), "RKC-0001", "Priya", "Natarajan")

    page = open_page()
    log_in(page, "dr.osei")
    page.goto("/c/riverside/patients/new/")
    page.get_by_label("MRN").fill("RKC-0101")
    page.get_by_label("Legal given name").fill("PRIYA")
    page.get_by_label("Legal family name").fill(" natarajan")
    page.get_by_label("Date of birth").fill("1984-03-09")
    page.get_by_label("Sex at birth").select_option("female")
    page.get_by_role("button", name="Save").click()

    # The existing record comes first, with a way to it and a choice to go on.
    warning = page.get_by_role("alert").filter(has_text="may already be registered")
    expect(warning).to_contain_text("Natarajan, Priya · MRN RKC-0001 · born 1984-03-09")
    expect(warning.get_by_role("link", name="Natarajan, Priya")).to_have_attribute(
        "href", f"/c/riverside/patients/{existing.pk}/"
    )
    assert_accessible(page)
    assert not Patient.objects.filter(mrn="RKC-0101").exists()
    page.get_by_label("This is a different person — register anyway").check()
    page.get_by_role("button", name="Register").click()

    duplicate = Patient.objects.get(mrn="RKC-0101")
    expect(page).to_have_url(re.compile(rf"/c/riverside/patients/{duplicate.pk}/$"))
    AllergyFactory.create(patient=duplicate, clinic=clinic, substance="Latex")

    # It was the same person after all: merge the new record into the first one.
    page.reload()
    page.get_by_role("link", name="Merge into…").click()
    page.get_by_label("MRN of the record to keep").fill("RKC-0001")
    page.get_by_role("button", name="Compare the two records").click()
    expect(page.locator("table.merge-compare")).to_contain_text("RKC-0101")
    expect(page.locator("table.merge-compare")).to_contain_text("RKC-0001")
    expect(page.locator(".merge-counts")).to_have_text("Allergies: 1")
    assert_accessible(page)
    page.get_by_label("Why these records are the same person").fill("Registered twice")
    page.get_by_role("button", name="Merge RKC-0101 into RKC-0001").click()

    expect(page).to_have_url(re.compile(rf"/c/riverside/patients/{existing.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text("Merged RKC-0101 into this record")
    expect(page.get_by_role("note", name="Allergies")).to_contain_text("Latex")
    expect(page.locator(".merges")).to_contain_text("was merged into this record")
    assert_accessible(page)
    assert Allergy.objects.get().patient_id == existing.pk
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == existing.pk
    assert PatientMerge.objects.get().moved_count == 1
