"""Front desk registers a patient; a date of birth in the future is refused at the field."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.patients.models import Patient
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import log_in, make_clinic, make_staff
from tests.factories import clinic_today

pytestmark = pytest.mark.e2e


def test_front_desk_registers_a_patient_after_fixing_a_future_date_of_birth(
    open_page: OpenPage,
) -> None:
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    make_staff("frontdesk.khan", {clinic: Role.FRONT_DESK}, "Imran Khan")
    next_year = clinic_today(clinic) + dt.timedelta(days=366)

    page = open_page()
    log_in(page, "frontdesk.khan")
    page.get_by_role("link", name="Register patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a patient")
    page.get_by_label("MRN").fill("RKC-0100")
    page.get_by_label("Legal given name").fill("Priya")
    page.get_by_label("Legal family name").fill("Natarajan")
    page.get_by_label("Preferred name").fill("Pri")
    page.get_by_label("Date of birth").fill(next_year.isoformat())
    page.get_by_label("Sex at birth").select_option("female")
    page.get_by_label("Phone").first.fill("+44 20 7946 0100")
    page.get_by_role("button", name="Save").click()

    dob_field = page.locator(".field", has=page.locator("#id_date_of_birth"))
    expect(dob_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(dob_field.locator(".field-error")).to_have_text("Date of birth cannot be in the future.")
    expect(page.locator(".field-error")).to_have_count(1)
    # What was typed is kept, so only the wrong field needs fixing.
    expect(page.get_by_label("Legal family name")).to_have_value("Natarajan")
    assert not Patient.objects.exists()

    page.get_by_label("Date of birth").fill("1991-07-14")
    page.get_by_role("button", name="Save").click()

    patient = Patient.objects.get(clinic=clinic, mrn="RKC-0100")
    expect(page).to_have_url(re.compile(rf"/c/riverside/patients/{patient.pk}/$"))
    expect(page.get_by_role("status")).to_have_text("Registered Natarajan, Pri.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Natarajan, Pri")
    expect(page.locator(".chart-header")).to_contain_text("MRN RKC-0100 · born 1991-07-14")
    # Front desk sees the registry only: no chart tabs, no allergy banner, no weight or the
    # flags about them; the missing treatment consent is theirs to chase.
    # The front desk may send patient links, education articles among them.
    expect(page.get_by_role("tab")).to_have_text(["Overview", "Consents", "Sessions", "Education"])
    expect(page.get_by_role("note", name="Allergies")).to_have_count(0)
    expect(page.locator(".latest-weight")).to_have_count(0)
    expect(page.locator(".flags li")).to_have_text(["No current treatment consent"])
    assert patient.date_of_birth == dt.date(1991, 7, 14)
    assert patient.created_by.get_username() == "frontdesk.khan"
    assert (
        AuditEvent.objects.filter(
            patient_id=patient.pk, action="create", object_type="patient"
        ).count()
        == 1
    )
