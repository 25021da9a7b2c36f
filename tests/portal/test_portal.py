"""The patient's own view: sent from the Measures tab or the API, opened through its link
(no login) with the next sessions, the scores and the signed consents, revocable, and
nothing of another patient."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import PermissionDenied, ValidationFailed
from ketacare.consent import services as consent
from ketacare.measures import services as measures
from ketacare.measures.models import SelfReportLink
from ketacare.messaging.models import OutboundMessage
from ketacare.patients import services as patients
from ketacare.patients.models import Patient
from ketacare.portal import services
from tests.measures.conftest import Team, register
from tests.outcomes.conftest import A_MONDAY, write_recent_two_week_relief

pytestmark = pytest.mark.django_db


def send(team: Team, patient: Patient, channel: str = "none") -> SelfReportLink:
    return services.portal_link_send(
        access=team.nurse, patient_id=patient.pk, channel=channel, now=timezone.now()
    )


def signed_consent(team: Team, patient: Patient) -> Any:
    econsent = consent.consent_send(
        access=team.prescriber, patient_id=patient.pk, treatment_form="im", channel="none"
    )
    token = measures.link_token(econsent.link)
    consent.consent_check(token=token, chosen=[q["correct"] for q in econsent.version.questions])
    return consent.consent_sign(token=token, typed_name="Test Patient")


def test_the_page_shows_sessions_scores_consents_and_help(team: Team, patient: Patient) -> None:
    write_recent_two_week_relief(team.nurse, patient)
    econsent = signed_consent(team, patient)
    link = send(team, patient)
    # Open for 30 days (the clock stands at A_MONDAY, ticking).
    assert dt.timedelta(days=30) <= link.expires_at - A_MONDAY < dt.timedelta(days=30, hours=1)
    page = Client().get(f"/r/{measures.link_token(link)}/", follow=True)
    html = page.content.decode()
    assert page.status_code == 200 and page.redirect_chain[-1][0].endswith("/me/")
    assert "Need help now?" in html  # crisis help at the top
    assert html.index("Need help now?") < html.index("Your next sessions")
    assert 'class="portal-chart"' in html and "<polyline" in html and "PHQ-9" in html
    assert econsent.version.title in html
    pdf = Client().get(reverse("portal_consent_pdf", args=[measures.link_token(link), econsent.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    opened = AuditEvent.objects.filter(object_type="patient_view", patient_id=patient.pk)
    assert opened.count() == 1 and opened.get().actor is None  # the patient, not staff


def test_another_patients_consent_is_not_reachable(team: Team, patient: Patient) -> None:
    other = register(team.nurse, mrn="M-2002")
    theirs = signed_consent(team, other)
    token = measures.link_token(send(team, patient))
    assert theirs.version.title not in Client().get(f"/r/{token}/me/").content.decode()
    assert Client().get(reverse("portal_consent_pdf", args=[token, theirs.pk])).status_code == 404


def test_a_revoked_or_expired_link_opens_nothing(team: Team, patient: Patient) -> None:
    link = send(team, patient)
    token = measures.link_token(link)
    measures.link_revoke(access=team.nurse, link_id=link.pk)
    assert Client().get(f"/r/{token}/me/").status_code == 410
    later = send(team, patient)
    with pytest.raises(measures.LinkRefused):
        expired = later.expires_at + dt.timedelta(seconds=1)
        services.portal_open(token=measures.link_token(later), now=expired)


def test_a_questionnaire_link_does_not_open_the_page(team: Team, patient: Patient) -> None:
    link = measures.link_create(
        access=team.nurse,
        patient_id=patient.pk,
        instruments=["phq9"],
        context="between_sessions",
        channel="none",
    )
    assert Client().get(f"/r/{measures.link_token(link)}/me/").status_code == 404


def test_sending_needs_the_right_and_a_contact(team: Team, patient: Patient) -> None:
    with pytest.raises(PermissionDenied):
        services.portal_link_send(
            access=team.researcher, patient_id=patient.pk, channel="none", now=A_MONDAY
        )
    patient.email = ""
    patient.save()
    with pytest.raises(ValidationFailed) as refused:
        send(team, patient, channel="email")
    assert list(refused.value.errors) == ["channel"]


def test_the_measures_tab_sends_it_lists_it_and_revokes_it(team: Team, patient: Patient) -> None:
    client = Client()
    client.force_login(team.nurse.user)
    sent = client.post(
        reverse("portal_link_send", args=[team.clinic.slug, patient.pk]),
        {"channel": "none"},
        follow=True,
    )
    html = sent.content.decode()
    assert "Link created: copy it below." in html and "The patient&#x27;s own view" in html
    link = SelfReportLink.objects.get(purpose="patient_view")
    assert measures.link_url(link) in html


def test_the_api_sends_it(
    team: Team, patient: Patient, api_client: Callable[[ClinicAccess], Client]
) -> None:
    got = api_client(team.nurse).post(
        f"/api/v1/patients/{patient.pk}/own-view-link", {"channel": "none"}, "application/json"
    )
    assert got.status_code == 201, got.content
    assert got.json()["url"].endswith("/") and "/r/" in got.json()["url"]
    bad = api_client(team.nurse).post(
        f"/api/v1/patients/{patient.pk}/own-view-link", {"channel": "fax"}, "application/json"
    )
    assert bad.status_code == 422


def test_a_spanish_speaker_sees_their_page_in_spanish(team: Team, patient: Patient) -> None:
    patients.patient_update(
        access=team.prescriber, patient_id=patient.pk, data={"preferred_language": "es"}
    )
    write_recent_two_week_relief(team.nurse, patient)
    econsent = signed_consent(team, patient)
    link = send(team, patient, channel="email")
    message = OutboundMessage.objects.get(purpose="patient_view_link")
    assert message.subject == f"Su página en {team.clinic.name}"
    html = Client().get(f"/r/{measures.link_token(link)}/me/").content.decode()
    assert "¿Necesita ayuda ahora?" in html and "Sus próximas sesiones" in html
    assert "Cuestionario sobre la salud del paciente-9 (PHQ-9)" in html
    assert "Lo que suele significar" in html
    assert any(band in html for band in ("Mínima o ninguna", "Leve", "Moderada", "Grave"))
    assert econsent.version.document.language == "es" and econsent.version.title in html
    assert "Need help now?" not in html
