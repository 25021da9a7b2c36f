"""Issue 17 part 3 in the browser: after an esketamine session is discharged, the worker's
tick sends the aftercare guide; the patient opens it on a 390×844 phone and reads that
they must not drive until the next day after a restful sleep; the nurse sees the send on
the session's guides page. Both pages pass axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from ketacare.common import clock
from ketacare.guides.core import DRIVING_SENTENCE
from ketacare.guides.services import guides_send_due
from ketacare.measures.services import link_url
from tests.clock import fix_clock
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, make_clinic, make_staff, register
from tests.sessions.build import T0, esketamine_discharged

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def test_the_patient_reads_the_esketamine_aftercare_on_a_phone(open_page: OpenPage) -> None:
    fix_clock(T0)
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse_user = make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    doctor = make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    doctor.email = "a.okafor@riverside.example.org"
    doctor.save()
    nurse, prescriber = access_for(nurse_user, clinic), access_for(doctor, clinic)
    patient = register(nurse, "RKC-0501", "Bea", "Lindqvist", email="bea@example.org")
    session = esketamine_discharged(nurse, prescriber, patient)
    [send] = guides_send_due(now=clock.now())
    assert send.kind == "aftercare"
    address = link_url(send.link)

    phone = open_page(viewport=PHONE)
    phone.goto(address[address.index("/r/") :])
    expect(phone.get_by_role("heading", name="After your session")).to_be_visible()
    expect(phone.get_by_text(DRIVING_SENTENCE)).to_be_visible()
    assert_accessible(phone)

    staff = open_page()
    log_in(staff, "nurse.lee")
    staff.goto(f"/c/riverside/patients/{patient.pk}/sessions/{session.pk}/guides/")
    expect(staff.locator("#guide-sends")).to_contain_text("Aftercare")
    expect(staff.locator("#guide-sends")).to_contain_text("Scheduled")
    assert_accessible(staff)
