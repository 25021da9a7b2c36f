"""A patient whose preferred language is Spanish: their questionnaire links, pages,
errors and messages are in Spanish; the PHQ-9 and GAD-7 in their official Spanish wording,
scored exactly as in English; other questionnaires in English with a note saying so."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from ketacare.measures import services as measures
from ketacare.measures.models import QuestionnaireResponse, Score, SelfReportLink
from ketacare.messaging.models import OutboundMessage
from ketacare.patients import services as patients
from ketacare.patients.models import Patient
from tests.web_measures.conftest import Team, link_path, new_patient

pytestmark = pytest.mark.django_db

# The same answer positions as English's "Several days" for items 1-8, "Not at all" for
# item 9 and "Somewhat difficult" for item 10: the labels differ, the values do not.
PHQ9_ANSWERS = {f"item_{n}": "1" for n in range(1, 9)} | {"item_9": "0", "item_10": "1"}
GAD7_ANSWERS = {f"item_{n}": "2" for n in range(1, 8)}


def _spanish(team: Team, mrn: str = "M-0002") -> Patient:
    patient = new_patient(team.prescriber, mrn=mrn, family="Rivera")
    return patients.patient_update(
        access=team.prescriber, patient_id=patient.pk, data={"preferred_language": "es"}
    )


def _link(
    team: Team, patient: Patient, instruments: tuple[str, ...], channel: str = "none"
) -> SelfReportLink:
    return measures.link_create(
        access=team.nurse,
        patient_id=patient.pk,
        instruments=list(instruments),
        context="between_sessions",
        channel=channel,
    )


def _html(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def test_the_phq9_page_is_in_spanish_with_pfizers_wording(team: Team) -> None:
    page = Client().get(link_path(_link(team, _spanish(team), ("phq9", "gad7"))))
    html = _html(page)
    assert page.status_code == 200 and page["Content-Language"] == "es"
    assert '<html lang="es">' in html
    assert "Cuestionario 1 de 2" in html
    assert "Cuestionario sobre la salud del paciente-9 (PHQ-9)" in html
    assert "¿qué tan seguido ha tenido molestias" in html
    assert "Poco interés o placer en hacer cosas" in html
    assert "<span>Más de la mitad de los días</span>" in html
    assert "Guardar y terminar después" in html and ">Siguiente<" in html
    assert 'id="english-only"' not in html
    for english in ("Little interest", "Several days", "Save and finish later"):
        assert english not in html


def test_spanish_answers_are_scored_as_the_same_answers_in_english(team: Team) -> None:
    english_patient = team.patient
    spanish_patient = _spanish(team)
    for patient in (english_patient, spanish_patient):
        path = link_path(_link(team, patient, ("phq9", "gad7")))
        client = Client()
        assert client.post(path, {"step": "1", "action": "next", **PHQ9_ANSWERS}).status_code == 302
        done = client.post(path, {"step": "2", "action": "next", **GAD7_ANSWERS})
        assert done.status_code == 200
    thanks = _html(done)
    assert "Gracias" in thanks and "Sus respuestas se enviaron a" in thanks

    def scores(patient: Patient) -> dict[str, tuple[int | None, str]]:
        return {
            s.instrument: (s.total, s.severity)
            for s in Score.objects.filter(patient=patient, is_current=True)
        }

    assert (
        scores(spanish_patient)
        == scores(english_patient)
        == {
            "phq9": (8, "mild"),
            "gad7": (14, "moderate"),
        }
    )
    languages = dict(
        QuestionnaireResponse.objects.filter(patient=spanish_patient).values_list(
            "instrument", "language"
        )
    )
    assert languages == {"phq9": "es", "gad7": "es"}
    assert set(
        QuestionnaireResponse.objects.filter(patient=english_patient).values_list(
            "language", flat=True
        )
    ) == {"en"}


def test_a_questionnaire_without_a_validated_translation_says_it_is_english_only(
    team: Team,
) -> None:
    patient = _spanish(team)
    link = _link(team, patient, ("pcl5",))
    html = _html(Client().get(link_path(link)))
    assert "Este cuestionario solo está disponible en inglés" in html
    assert re.search(r'<fieldset class="sr-item" id="item-1" lang="en"', html)
    assert "Guardar y terminar después" in html  # the page around it stays Spanish


def test_missing_answers_are_named_in_spanish(team: Team) -> None:
    path = link_path(_link(team, _spanish(team), ("phq9",)))
    response = Client().post(path, {"step": "1", "action": "next", "item_1": "1"})
    html = _html(response)
    assert response.status_code == 422
    assert "Por favor, conteste estas 8 preguntas" in html
    assert "Pregunta 2: Se ha sentido decaído(a)" in html
    assert "Por favor, conteste esta pregunta." in html


def test_the_crisis_resources_default_reads_in_spanish(team: Team) -> None:
    path = link_path(_link(team, _spanish(team), ("phq9",)))
    answers = PHQ9_ANSWERS | {"item_9": "2"}
    saved = Client().post(path, {"step": "1", "action": "save", **answers})
    html = _html(saved)
    assert "Si está pensando en hacerse daño, hay ayuda disponible ahora" in html
    assert "Si está pensando en el suicidio o en hacerse daño, busque ayuda ahora" in html
    assert "988" in html


def test_a_clinics_own_crisis_text_is_shown_as_written(team: Team) -> None:
    config = measures.measure_settings_for(team.clinic)
    config.crisis_resources = "Call the Riverside crisis line: 0800 000 000."
    config.save()
    assert measures.crisis_text_for(team.clinic) == "Call the Riverside crisis line: 0800 000 000."


def test_the_link_message_is_in_the_patients_language(team: Team) -> None:
    _link(team, team.patient, ("phq9",), channel="email")
    _link(team, _spanish(team), ("phq9",), channel="email")
    english, spanish = OutboundMessage.objects.order_by("created_at")
    assert english.subject.startswith("Questionnaire from ")
    assert "asks you to answer a short questionnaire before" in english.body
    assert spanish.subject == f"Cuestionario de {team.clinic.name}"
    assert spanish.body.startswith(f"{team.clinic.name} le pide que conteste un cuestionario breve")
    assert " antes del " in spanish.body and "/r/" in spanish.body


def test_a_refused_link_speaks_the_patients_language(team: Team) -> None:
    link = _link(team, _spanish(team), ("phq9",))
    measures.link_revoke(access=team.nurse, link_id=link.pk)
    html = _html(Client().get(link_path(link)))
    assert "Este enlace se canceló" in html


def test_a_broken_link_follows_the_browsers_language() -> None:
    spanish = Client(headers={"accept-language": "es-MX,es;q=0.9"}).get("/r/not-a-token/")
    english = Client(headers={"accept-language": "en-GB"}).get("/r/not-a-token/")
    assert spanish.status_code == english.status_code == 404
    assert "Este enlace no funciona" in _html(spanish)
    assert "This link does not work" in _html(english)


def test_the_chart_header_tells_staff_the_patient_reads_spanish(team: Team) -> None:
    from tests.web_measures.conftest import signed_in

    patient = _spanish(team)
    client = signed_in(team.nurse)
    spanish = client.get(f"/c/{team.clinic.slug}/patients/{patient.pk}/").content.decode()
    english = client.get(f"/c/{team.clinic.slug}/patients/{team.patient.pk}/").content.decode()
    assert "Reads Spanish: links and messages go out in Spanish" in spanish
    assert 'data-language="es"' in spanish and "Reads " not in english
