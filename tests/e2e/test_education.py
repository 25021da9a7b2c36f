"""Issue 17's education library in the browser: a nurse opens the clinic's Education page
(every article with its reading grade), sends the esketamine article from the patient's
chart (link shown on screen), and the patient reads it on a 390×844 phone, no login. The
opening is recorded on the chart. Every page passes axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.education.models import EducationSend
from tests.clock import fix_clock
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, make_clinic, make_staff, register
from tests.sessions.build import T0

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}  # a current mid-size phone, portrait


def test_a_nurse_sends_an_article_and_the_patient_reads_it_on_a_phone(
    open_page: OpenPage,
) -> None:
    fix_clock(T0 - dt.timedelta(hours=1))
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse_user = make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    nurse = access_for(nurse_user, clinic)
    patient = register(nurse, "RKC-0402", "Bea", "Lindqvist", email="bea@example.org")

    desk = open_page()
    log_in(desk, "nurse.lee")
    desk.locator("nav.mainnav").get_by_role("link", name="Education", exact=True).click()
    row = desk.locator('tr[data-article="esketamine-nasal-spray"]')
    expect(row).to_contain_text("Esketamine nasal spray (Spravato)")
    grade = row.locator("[data-grade]").get_attribute("data-grade")
    assert grade is not None and float(grade) <= 8
    assert_accessible(desk)

    desk.goto(f"/c/riverside/patients/{patient.pk}/education/")
    desk.get_by_label("Esketamine nasal spray (Spravato)").check()
    desk.get_by_label("Send by").select_option("none")
    desk.get_by_role("button", name="Send education").click()
    expect(desk.get_by_text("Education link sent.")).to_be_visible()
    assert_accessible(desk)
    address = desk.locator("[data-education-url]").input_value()
    path = address[address.index("/r/") :]

    phone = open_page(viewport=PHONE)
    phone.goto(path)
    expect(phone.get_by_role("heading", name="Reading about your treatment")).to_be_visible()
    expect(phone.get_by_role("heading", name="Esketamine nasal spray (Spravato)")).to_be_visible()
    expect(phone.get_by_text("after you have had a good night's sleep")).to_be_visible()
    expect(phone.get_by_text("Spravato (esketamine) prescribing information")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # no sideways scrolling on the phone
    assert_accessible(phone)

    sent = EducationSend.objects.get(patient=patient)
    assert sent.open_count == 1
    assert AuditEvent.objects.filter(
        object_type="educationsend", object_id=str(sent.pk), action="view"
    ).exists()
    desk.reload()
    expect(desk.locator("[data-opened]")).to_contain_text("(1 time)")
    assert_accessible(desk)


def test_a_spanish_speaking_patient_reads_the_spanish_article_on_a_phone(
    open_page: OpenPage,
) -> None:
    """The nurse ticks the topic; the patient, who prefers Spanish, reads the Spanish
    article (its own lang attribute), and the page passes axe-core."""
    fix_clock(T0 - dt.timedelta(hours=1))
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse_user = make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    nurse = access_for(nurse_user, clinic)
    patient = register(
        nurse, "RKC-0403", "Lucía", "Ramírez", email="lucia@example.org", preferred_language="es"
    )
    assert patient.preferred_language == "es"

    desk = open_page()
    log_in(desk, "nurse.lee")
    desk.goto(f"/c/riverside/patients/{patient.pk}/education/")
    expect(desk.locator("[data-patient-language]")).to_contain_text("Spanish")
    desk.get_by_label("Esketamine nasal spray (Spravato)").check()
    desk.get_by_label("Send by").select_option("none")
    desk.get_by_role("button", name="Send education").click()
    expect(desk.get_by_text("Education link sent.")).to_be_visible()
    address = desk.locator("[data-education-url]").input_value()

    phone = open_page(viewport=PHONE)
    phone.goto(address[address.index("/r/") :])
    heading = phone.get_by_role("heading", name="Esketamina en aerosol nasal (Spravato)")
    expect(heading).to_be_visible()
    expect(phone.locator('article[lang="es"]')).to_have_count(1)
    expect(phone.get_by_text("después de haber dormido bien")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert_accessible(phone)
    sent = EducationSend.objects.get(patient=patient)
    assert sent.language == "es"
    assert [v.article.slug for v in sent.versions.all()] == ["esketamine-nasal-spray-es"]
