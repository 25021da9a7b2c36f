"""The chart fits a tablet held upright: no sideways scrolling, every tab in view."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from ketacare.accounts.policy import Role
from ketacare.patients import services as patients
from ketacare.patients.models import Allergy, BodyMeasurement, Consent, Diagnosis, Medication
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import (
    SCREENSHOTS,
    TABLET,
    access_for,
    log_in,
    make_clinic,
    make_staff,
    register,
)
from tests.factories import clinic_today

pytestmark = pytest.mark.e2e

# tab label -> the heading of its panel
TABS = {
    "Overview": "Overview",
    "Weight & height": "Weight & height",
    "Allergies": "Allergies",
    "Medications": "Medications",
    "Diagnoses": "Diagnoses",
    "Consents": "Consents",
    "Measures": "Measures",
    "E-consent": "E-consent",
    "Sessions": "Sessions",
    "Plan & orders": "Plan & orders",
    "Education": "Education",
    "History": "History",
    "Eligibility": "Eligibility",
    "Notes": "Notes",
    "Outcomes": "Outcomes",
}


def _page_width(page: Page) -> dict[str, int]:
    return page.evaluate("""() => ({scroll: document.documentElement.scrollWidth,
                                    client: document.documentElement.clientWidth})""")


def test_chart_fits_a_tablet_viewport_on_every_tab(open_page: OpenPage) -> None:
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    prescriber = make_staff("dr.lindqvist", {clinic: Role.PRESCRIBER}, "Dr Erik Lindqvist")
    access = access_for(prescriber, clinic)
    # A chart with long names and many entries: the worst case for a narrow screen.
    patient = register(
        access,
        "RKC-0007",
        "Maximiliana",
        "Fernandes-Kowalski-Okonkwo",
        preferred_name="Maxi",
        gender_identity="Non-binary",
        pronouns="they/them",
        address="Flat 12, Riverside Court, 140 Embankment Road, London SE1 7XX",
        emergency_contact_name="Jonah Fernandes-Kowalski",
        emergency_contact_relationship="Sibling",
        emergency_contact_phone="+44 7700 900123",
        referring_clinician_name="Dr Harriet Montgomery-Whitfield",
        referring_clinician_organisation="Southwark Community Mental Health Team",
        referring_clinician_email="h.montgomery-whitfield@example.nhs.uk",
    )
    today = clinic_today(clinic) - dt.timedelta(days=1)
    for substance, reaction, severity in [
        ("Penicillin", "Anaphylaxis with widespread urticaria", "life_threatening"),
        ("Sulfamethoxazole-trimethoprim", "Stevens-Johnson syndrome", "severe"),
        ("Latex", "Contact dermatitis", "moderate"),
        ("Chlorhexidine", "Rash", "mild"),
    ]:
        patients.record_add(
            access=access,
            patient_id=patient.pk,
            model=Allergy,
            data={"substance": substance, "reaction": reaction, "severity": severity},
        )
    for days_ago, weight in [(1, "96.4"), (40, "98.0"), (90, "101.2")]:
        patients.record_add(
            access=access,
            patient_id=patient.pk,
            model=BodyMeasurement,
            data={
                "measured_on": today - dt.timedelta(days=days_ago - 1),
                "weight_kg": weight,
                "height_cm": "168.5",
            },
        )
    for name, dose, frequency in [
        ("Venlafaxine XL", "225 mg", "once daily in the morning"),
        ("Lamotrigine", "100 mg", "twice daily"),
        ("Mirtazapine", "30 mg", "at night"),
    ]:
        patients.record_add(
            access=access,
            patient_id=patient.pk,
            model=Medication,
            data={
                "name": name,
                "dose": dose,
                "frequency": frequency,
                "route": "oral",
                "indication": "Treatment-resistant depression",
                "start_date": dt.date(2023, 1, 9),
            },
        )
    for code, description, primary in [
        ("F33.2", "Major depressive disorder, recurrent, severe without psychotic features", True),
        ("F43.10", "Post-traumatic stress disorder, unspecified", False),
    ]:
        patients.record_add(
            access=access,
            patient_id=patient.pk,
            model=Diagnosis,
            data={
                "icd10_code": code,
                "description": description,
                "is_primary": primary,
                "onset_date": dt.date(2016, 5, 1),
            },
        )
    patients.record_add(
        access=access,
        patient_id=patient.pk,
        model=Consent,
        data={
            "kind": "treatment",
            "decision": "granted",
            "document_version": "KC-TX-2024.2",
            "decided_on": today,
            "notes": "Discussed dissociation, blood pressure monitoring and "
            "transport home after each session.",
        },
    )

    page = open_page(viewport=TABLET)
    log_in(page, "dr.lindqvist")
    page.goto(f"/c/riverside/patients/{patient.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fernandes-Kowalski-Okonkwo, Maxi")
    expect(page.get_by_role("note", name="Allergies")).to_contain_text("Chlorhexidine")

    tabs = page.get_by_role("tab")
    expect(tabs).to_have_text(list(TABS))
    for label, heading in TABS.items():
        tab = page.get_by_role("tab", name=label, exact=True)
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")
        expect(page.locator("#chart-tab h2")).to_have_text(heading)
        page.wait_for_load_state("networkidle")
        size = _page_width(page)
        assert size["scroll"] <= size["client"], f"{label}: page scrolls sideways: {size}"
        for other in TABS:
            other_tab = page.get_by_role("tab", name=other, exact=True)
            expect(other_tab).to_be_visible()
            box = other_tab.bounding_box()
            assert box is not None
            assert box["x"] >= 0 and box["x"] + box["width"] <= TABLET["width"], (
                f"tab {other!r} is outside the viewport on {label}: {box}"
            )
        # Chart tables scroll inside their card if they must; on a tablet they need not.
        for table in page.locator(".table-scroll").all():
            widths = table.evaluate("e => [e.scrollWidth, e.clientWidth]")
            assert widths[0] <= widths[1], f"{label}: a table scrolls sideways: {widths}"
        if label == "Overview":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "chart-tablet.png"), full_page=True)
