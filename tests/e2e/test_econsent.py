"""Issue 17's e-consent in the browser, on a 390×844 phone as the patient: open the
consent link, fail and then pass the understanding check, sign (typed name and a drawn
signature), see the signed PDF. Then the nurse's dosing check: refused before the
signature, refused until a nurse countersigns (countersigning is required by default), and
allowed after; the countersigned PDF's hash matches the stored one. Every page passes
axe-core. The same flow runs for a patient who reads English and for one who reads
Spanish (the patient's preferred language on the chart)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from ketacare.accounts.policy import Role
from ketacare.common.errors import ValidationFailed
from ketacare.consent import services as consent
from ketacare.consent.models import EConsent
from ketacare.measures.services import link_url
from ketacare.patients import services as patients
from ketacare.patients.models import Consent
from tests.clock import fix_clock
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, log_in, make_clinic, make_staff, register
from tests.sessions.build import T0, esketamine_pre_dose, start_esketamine

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}  # a current mid-size phone, portrait

# What the patient reads and presses, in each language.
WORDS = {
    "en": {
        "title": "Consent to esketamine nasal spray (Spravato)",
        "rems": "The Spravato safety program (REMS)",
        "drive_wrong": "Yes, once I leave the clinic",
        "home_right": "No, only at a certified clinic",
        "withdraw_right": "Yes, at any time",
        "check": "Check my answers",
        "not_right": "One answer is not right yet",
        "why": "Do not drive until the next day, after a restful sleep.",
        "sign": "Sign the consent",
        "drive_right": "No, not until the next day after a restful sleep",
        "all_right": "All your answers are right.",
        "name": "Type your full name",
        "signed": "You have signed this consent",
        "pdf": "See your signed consent (PDF)",
        "pdf_title": "Consent to esketamine nasal spray (Spravato)",
    },
    "es": {
        "title": "Consentimiento para el aerosol nasal de esketamina (Spravato)",
        "rems": "El programa de seguridad de Spravato (REMS)",
        "drive_wrong": "Sí, en cuanto salga de la clínica",
        "home_right": "No, solo en una clínica certificada",
        "withdraw_right": "Sí, en cualquier momento",
        "check": "Revisar mis respuestas",
        "not_right": "Una respuesta todavía no es correcta",
        "why": "No maneje hasta el día siguiente, después de haber dormido bien.",
        "sign": "Firmar el consentimiento",
        "drive_right": "No, hasta el día siguiente, después de haber dormido bien",
        "all_right": "Todas sus respuestas son correctas.",
        "name": "Escriba su nombre completo",
        "signed": "Usted firmó este consentimiento",
        "pdf": "Ver su consentimiento firmado (PDF)",
        "pdf_title": "Consentimiento para el aerosol nasal de esketamina",
    },
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_patient_signs_an_esketamine_consent_on_a_phone(
    open_page: OpenPage, language: str
) -> None:
    words = WORDS[language]
    fix_clock(T0 - dt.timedelta(hours=1))
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse_user = make_staff("nurse.lee", {clinic: Role.NURSE}, "Jordan Lee RN")
    doctor = make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    doctor.email = "a.okafor@riverside.example.org"  # the REMS form asks for it
    doctor.save()
    nurse, prescriber = access_for(nurse_user, clinic), access_for(doctor, clinic)
    patient = register(nurse, "RKC-0401", "Bea", "Lindqvist", email="bea@example.org")
    patients.patient_update(
        access=nurse, patient_id=patient.pk, data={"preferred_language": language}
    )
    session = esketamine_pre_dose(nurse, prescriber, patient)
    for paper in Consent.objects.filter(patient=patient):  # this patient consents online
        patients.record_mark_entered_in_error(
            access=prescriber,
            patient_id=patient.pk,
            model=Consent,
            record_id=paper.pk,
            reason="Consent is taken online",
        )

    def dosing_refusal() -> str:
        with pytest.raises(ValidationFailed) as exc:
            start_esketamine(nurse, session)
        return exc.value.errors["status"][0]

    assert "no current treatment consent covering intranasal (esketamine)" in dosing_refusal()
    econsent = consent.consent_send(
        access=nurse, patient_id=patient.pk, treatment_form="intranasal", channel="email"
    )
    address = link_url(econsent.link)
    path = address[address.index("/r/") :]

    phone = open_page(viewport=PHONE)
    phone.goto(path)
    expect(phone.get_by_role("heading", name=words["title"])).to_be_visible()
    expect(phone.get_by_text(words["rems"])).to_be_visible()
    assert_accessible(phone)

    # A wrong answer about driving is explained, and signing is not offered yet.
    phone.get_by_label(words["drive_wrong"]).check()
    phone.get_by_label(words["home_right"]).check()
    phone.get_by_label(words["withdraw_right"]).check()
    phone.get_by_role("button", name=words["check"]).click()
    expect(phone.locator("#error-summary")).to_contain_text(words["not_right"])
    expect(phone.locator("#question-1")).to_contain_text(words["why"])
    expect(phone.get_by_role("button", name=words["sign"])).to_have_count(0)
    assert_accessible(phone)

    phone.get_by_label(words["drive_right"]).check()
    phone.get_by_role("button", name=words["check"]).click()
    expect(phone.get_by_text(words["all_right"])).to_be_visible()
    assert_accessible(phone)

    phone.get_by_label(words["name"]).fill("Bea Lindqvist")
    pad = phone.locator("#signature-canvas")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    phone.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.6)
    phone.mouse.down()
    for step in range(1, 9):
        phone.mouse.move(
            box["x"] + 20 + step * 25, box["y"] + box["height"] * (0.3 + 0.05 * (step % 3))
        )
    phone.mouse.up()
    phone.get_by_role("button", name=words["sign"]).click()
    expect(phone.get_by_role("heading", name=words["signed"])).to_be_visible()
    assert_accessible(phone)

    signed = EConsent.objects.get(pk=econsent.pk)
    assert signed.status == EConsent.Status.SIGNED and signed.check_attempts == 2
    assert signed.typed_name == "Bea Lindqvist"
    assert signed.signature_svg.startswith("<svg") and '<path d="M' in signed.signature_svg
    # The signed PDF, from the link on the page.
    href = phone.get_by_role("link", name=words["pdf"]).get_attribute("href")
    assert href
    pdf = phone.request.get(href)
    assert pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.body()).hexdigest() == signed.signed_pdf_sha256
    assert words["pdf_title"] in PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text()

    # The nurse: dosing still waits for the countersignature, shown on the chart's tab.
    assert "is not yet countersigned by staff" in dosing_refusal()
    desk = open_page()
    log_in(desk, "nurse.lee")
    desk.goto(f"/c/riverside/patients/{patient.pk}/econsent/")
    verdict = desk.locator('[data-consent-verdict="Intranasal (esketamine)"]')
    expect(verdict).to_contain_text("not yet countersigned")
    assert_accessible(desk)
    desk.get_by_role("button", name="Countersign").click()
    expect(verdict).to_contain_text("covered")
    expect(verdict).not_to_contain_text("not covered")
    assert_accessible(desk)
    countersigned = EConsent.objects.get(pk=econsent.pk)
    shown = desk.locator("[data-countersigned-hash]").get_attribute("data-countersigned-hash")
    assert shown == countersigned.countersigned_pdf_sha256
    link = desk.get_by_role("link", name="Countersigned PDF").get_attribute("href")
    assert link
    download = desk.request.get(link)
    assert hashlib.sha256(download.body()).hexdigest() == countersigned.countersigned_pdf_sha256

    start_esketamine(nurse, session)  # the dosing check passes now
    session.refresh_from_db()
    assert session.status == "dosing"
