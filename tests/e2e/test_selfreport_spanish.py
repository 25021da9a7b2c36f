"""A Spanish-speaking patient answers the PHQ-9 on a 390×844 phone, in Pfizer's official
Spanish wording, by tapping the Spanish answers; the score stored is the score of the same
answers in English. The page passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ketacare.accounts.policy import Role
from ketacare.measures import score
from ketacare.measures import services as measures
from ketacare.measures.models import QuestionnaireResponse, Score
from ketacare.patients import services as patients
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import access_for, make_clinic, make_staff, register

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
# Per item, the answer tapped: items 1-4 "Más de la mitad de los días", 5-8 "Varios días",
# item 9 "Ningún día", item 10 "Un poco difícil".
TAPPED = {
    **dict.fromkeys(range(1, 5), "Más de la mitad de los días"),
    **dict.fromkeys(range(5, 9), "Varios días"),
    9: "Ningún día",
    10: "Un poco difícil",
}
SAME_IN_ENGLISH = [2, 2, 2, 2, 1, 1, 1, 1, 0, 1]  # the values of those positions


def test_a_phq9_answered_in_spanish_is_scored_as_in_english(open_page: OpenPage) -> None:
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    nurse = access_for(make_staff("nurse.lee", {clinic: Role.NURSE}), clinic)
    patient = register(nurse, "RKC-0402", "Lucía", "Rivera", email="lucia@example.org")
    patients.patient_update(access=nurse, patient_id=patient.pk, data={"preferred_language": "es"})
    link = measures.link_create(
        access=nurse,
        patient_id=patient.pk,
        instruments=["phq9"],
        context="between_sessions",
        channel="none",
    )

    phone = open_page(viewport=PHONE)
    phone.goto(f"/r/{measures.link_token(link)}/")
    expect(
        phone.get_by_role("heading", name="Cuestionario sobre la salud del paciente-9 (PHQ-9)")
    ).to_be_visible()
    expect(phone.get_by_text("Poco interés o placer en hacer cosas")).to_be_visible()
    assert_accessible(phone)
    for number, answer in TAPPED.items():
        phone.locator(f"#item-{number}").get_by_label(answer, exact=True).check()
    phone.get_by_role("button", name="Enviar").click()
    expect(phone.get_by_role("heading", name="Gracias")).to_be_visible()
    assert_accessible(phone)

    response = QuestionnaireResponse.objects.get(patient=patient)
    assert response.answers == SAME_IN_ENGLISH and response.language == "es"
    stored = Score.objects.get(patient=patient)
    english = score("phq9", SAME_IN_ENGLISH)
    assert (stored.total, stored.severity) == (english.total, english.severity) == (12, "moderate")
