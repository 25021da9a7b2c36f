"""Letters out: the course report e-mailed as PDF to the referrer, kept on the chart."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from ketacare.exchange.models import ChartDocument
from ketacare.messaging.models import OutboundMessage
from tests.exchange.world import Charted

pytestmark = pytest.mark.django_db


def test_the_course_report_goes_to_the_referrer_as_pdf_and_stays_on_the_chart(
    charted: Charted, django_capture_on_commit_callbacks: Any
) -> None:
    patient = charted.patient
    patient.referring_clinician_name = "Dr Ames"
    patient.referring_clinician_email = "ames@gp.example"
    patient.save()
    page = Client()
    page.force_login(charted.access.user)
    url = f"/c/clinic-a/patients/{patient.pk}/letters/"
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(url)
    assert response.status_code == 302
    document = ChartDocument.objects.get(patient=patient, kind="letter_out")
    assert document.sent_to == "ames@gp.example"
    assert document.message_id is not None
    message = OutboundMessage.objects.get(pk=document.message_id)
    assert message.status == "sent"
    (email,) = mail.outbox
    assert email.to == ["ames@gp.example"]
    (_name, content, content_type) = email.attachments[0]
    assert content_type == "application/pdf" and content.startswith(b"%PDF-")
    listing = page.get(url)
    assert b"Course report" in listing.content
    pdf = page.get(f"{url}{document.pk}/")
    assert pdf["Content-Type"] == "application/pdf"


def test_without_a_referrer_email_the_refusal_names_the_field(charted: Charted) -> None:
    page = Client()
    page.force_login(charted.access.user)
    url = f"/c/clinic-a/patients/{charted.patient.pk}/letters/"
    response = page.post(url, follow=True)
    assert b"Referring clinician e-mail" in response.content
    assert not ChartDocument.objects.exists()


def test_another_clinics_letters_are_404(charted: Charted, charted_other: Charted) -> None:
    page = Client()
    page.force_login(charted.access.user)
    assert page.get(f"/c/clinic-a/patients/{charted_other.patient.pk}/letters/").status_code == 404
