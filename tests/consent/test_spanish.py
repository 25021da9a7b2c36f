"""E-consent for a patient whose preferred language is Spanish: the Spanish document of the
form is sent, with a Spanish message; the page, the understanding check's explanations and
the signed PDF are in Spanish; a nurse countersigns from the English staff pages and the
countersigned PDF keeps the words signed; the dosing check then passes as for English."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.test import Client
from pypdf import PdfReader

from ketacare.consent import services
from ketacare.consent.models import EConsent
from ketacare.messaging.models import OutboundMessage
from ketacare.patients import services as patients
from tests.consent.conftest import (
    Team,
    esketamine_waiting_for_consent,
    page,
    send,
    sign_through_the_link,
    wrong_answers,
)
from tests.sessions.build import start_esketamine

pytestmark = pytest.mark.django_db


def _pdf_text(data: bytes) -> str:
    words = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return " ".join(words.split())  # the PDF's line breaks fall where the page is full


@pytest.fixture
def spanish(team: Team) -> Team:
    patients.patient_update(
        access=team.prescriber, patient_id=team.patient.pk, data={"preferred_language": "es"}
    )
    team.patient.refresh_from_db()
    return team


def test_a_spanish_speaker_reads_checks_and_signs_in_spanish(spanish: Team) -> None:
    team = spanish
    econsent = send(team.nurse, team.patient)
    assert econsent.version.document.language == "es"
    assert econsent.version.title == "Consentimiento para el aerosol nasal de esketamina (Spravato)"
    message = OutboundMessage.objects.get(purpose="consent_link")
    assert message.subject == f"Formulario de consentimiento de {team.clinic.name}"
    assert "le pide que lea y firme un formulario de consentimiento" in message.body

    client = Client()
    shown = client.get(page(econsent))
    html = shown.content.decode()
    assert shown["Content-Language"] == "es" and '<html lang="es">' in html
    assert "El programa de seguridad de Spravato (REMS)" in html
    assert "Compruebe lo que entendió" in html
    wrong = client.post(page(econsent), {"action": "check", **wrong_answers(econsent)})
    assert wrong.status_code == 422
    assert "No del todo." in wrong.content.decode()
    assert "No maneje hasta el día siguiente, después de haber dormido bien." in (
        wrong.content.decode()
    )

    signed = sign_through_the_link(econsent, client)
    assert signed.status == EConsent.Status.SIGNED and signed.check_attempts == 2
    text = _pdf_text(bytes(signed.signed_pdf or b""))
    assert "Consentimiento para el aerosol nasal de esketamina (Spravato)" in text
    assert "Nombre escrito" in text and "Typed name" not in text


def test_the_countersigned_pdf_keeps_the_spanish_and_dosing_then_passes(spanish: Team) -> None:
    team = spanish
    session = esketamine_waiting_for_consent(team)
    econsent = sign_through_the_link(send(team.nurse, team.patient))
    countersigned = services.consent_countersign(
        access=team.nurse, patient_id=team.patient.pk, econsent_id=econsent.pk
    )
    data = bytes(countersigned.countersigned_pdf or b"")
    assert hashlib.sha256(data).hexdigest() == countersigned.countersigned_pdf_sha256
    text = _pdf_text(data)
    assert "Refrendado por" in text and "Countersigned by" not in text
    start_esketamine(team.nurse, session)  # the consent rule accepts the Spanish consent
    session.refresh_from_db()
    assert session.status == "dosing"


def test_an_english_speaker_still_gets_the_english_document(team: Team) -> None:
    econsent = send(team.nurse, team.patient, form="iv")
    assert econsent.version.document.language == "en"
    assert econsent.version.title == "Consent to ketamine infusions (IV)"


def test_without_a_spanish_document_the_english_one_is_sent(spanish: Team) -> None:
    team = spanish
    services.documents_seed(team.clinic)
    spanish_iv = services.document_for_form(team.clinic, "iv", "es")
    assert spanish_iv.language == "es"
    spanish_iv.retired_at = spanish_iv.created_at
    spanish_iv.save(update_fields=["retired_at"])
    econsent = send(team.nurse, team.patient, form="iv")
    assert econsent.version.document.language == "en"
