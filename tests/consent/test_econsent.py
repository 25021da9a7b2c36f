"""E-consent through the services and the patient's pages: documents and versions, the
link, the understanding check, the signature and its PDF, countersigning, withdrawal,
and the dosing check reading it all."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.consent import selectors, services
from ketacare.consent.models import ConsentDocument, ConsentDocumentVersion, EConsent
from ketacare.measures.models import SelfReportLink
from ketacare.messaging.models import OutboundMessage
from tests.api.world import member
from tests.clock import advance_clock
from tests.consent.conftest import (
    Team,
    esketamine_waiting_for_consent,
    page,
    send,
    sign_through_the_link,
    token_of,
    without_paper_consent,
    wrong_answers,
)
from tests.factories import ClinicFactory
from tests.sessions.build import start_esketamine


def test_each_clinic_gets_a_document_per_form_of_treatment_and_language(team: Team) -> None:
    everything = services.documents_list(access=team.nurse)
    forms = {"iv", "im", "intranasal", "oral", "sublingual", "oral_er"}
    assert {(d.treatment_form, d.language) for d, _v in everything} == {
        (form, language) for form in forms for language in ("en", "es")
    }
    listed = [(d, v) for d, v in everything if d.language == "en"]
    for _document, version in listed:
        assert version.number == 1
        assert version.sources and version.questions
    esketamine = next(v for d, v in listed if d.treatment_form == "intranasal")
    assert "REMS" in esketamine.body
    assert "next day" in esketamine.body
    assert esketamine.questions[0]["text"] == "Can you drive after an esketamine session?"
    iv = next(v for d, v in listed if d.treatment_form == "iv")
    assert "off-label" in iv.body and "bladder" in iv.body
    spanish = next(
        v for d, v in everything if (d.treatment_form, d.language) == ("intranasal", "es")
    )
    assert spanish.title == "Consentimiento para el aerosol nasal de esketamina (Spravato)"
    assert "hasta el día siguiente, después de haber dormido bien" in spanish.body
    assert spanish.questions[0]["text"] == "¿Puede manejar después de una sesión de esketamina?"
    services.documents_list(access=team.nurse)  # seeding twice adds nothing
    assert ConsentDocument.objects.filter(clinic=team.clinic).count() == 12


def test_an_edit_is_a_new_version_and_old_versions_never_change(team: Team) -> None:
    document, first = next(
        (d, v) for d, v in services.documents_list(access=team.admin) if d.treatment_form == "iv"
    )
    second = services.document_edit(
        access=team.admin,
        document_id=document.pk,
        title=first.title,
        body=first.body + "\n\nA new paragraph.",
        sources=first.sources,
        questions=first.questions,
        change_note="Added a paragraph",
    )
    assert second.number == 2 and second.text_sha256 != first.text_sha256
    assert ConsentDocumentVersion.objects.get(pk=first.pk).body == first.body
    first.body = "changed"
    with pytest.raises(ValueError):
        first.save()
    with pytest.raises(ValidationFailed) as exc:
        services.document_edit(
            access=team.admin,
            document_id=document.pk,
            title=second.title,
            body=second.body,
            sources=second.sources,
            questions=[{"text": "Q?", "options": ["only one"], "correct": 0, "explanation": "x"}],
        )
    assert list(exc.value.errors) == ["questions.1.options"]
    with pytest.raises(PermissionDenied):
        services.document_edit(
            access=team.nurse,
            document_id=document.pk,
            title="t",
            body="b",
            sources=["s"],
            questions=first.questions,
        )
    other = member(ClinicFactory.create(), Role.CLINIC_ADMIN)
    with pytest.raises(NotFound):
        services.document_edit(
            access=other,
            document_id=document.pk,
            title="t",
            body="b",
            sources=["s"],
            questions=first.questions,
        )


def test_the_patient_reads_fails_then_passes_the_check_and_signs(team: Team) -> None:
    econsent = send(team.nurse, team.patient)
    assert econsent.link.purpose == SelfReportLink.Purpose.CONSENT
    message = OutboundMessage.objects.get(purpose="consent_link")
    assert "consent form" in message.body and token_of(econsent) in message.body
    client = Client()
    url = page(econsent)
    # The questionnaire address of the same link leads to the consent page.
    assert (
        client.get(reverse("selfreport", kwargs={"token": token_of(econsent)}))["Location"] == url
    )
    shown = client.get(url)
    assert shown.status_code == 200
    assert b"Spravato" in shown.content and b"Check your understanding" in shown.content
    refused = client.post(url, {"action": "sign", "typed_name": "Mira Marlow"})
    assert refused.status_code == 422
    wrong = client.post(url, {"action": "check", **wrong_answers(econsent)})
    assert wrong.status_code == 422
    assert b"Not quite." in wrong.content
    assert b"Do not drive until the next day" in wrong.content
    signed = sign_through_the_link(econsent, client)
    assert signed.status == EConsent.Status.SIGNED
    assert signed.check_attempts == 2
    assert signed.typed_name == "Mira Marlow"
    assert (
        signed.signature_svg.startswith("<svg")
        and 'd="M10 10 L50 40 L90 20"' in signed.signature_svg
    )
    assert signed.signed_ip == "127.0.0.1"
    assert signed.document_sha256 == signed.version.text_sha256
    assert signed.signed_pdf is not None
    pdf = bytes(signed.signed_pdf)
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == signed.signed_pdf_sha256
    after = client.get(url)
    assert b"You have signed this consent" in after.content
    download = client.get(reverse("consent_link_pdf", kwargs={"token": token_of(econsent)}))
    assert download["Content-Type"] == "application/pdf" and download.content == pdf
    events = AuditEvent.objects.filter(object_type="econsent", object_id=str(econsent.pk))
    assert [
        e.details.get("event") for e in events.order_by("sequence") if e.actor_username == "patient"
    ] == [
        "check_failed",
        "check_passed",
        "signed",
        None,  # the patient's view of the PDF
    ]


def test_a_drawn_signature_is_path_data_only(team: Team) -> None:
    assert services.signature_svg([""]) == ""
    with pytest.raises(ValidationFailed) as exc:
        services.signature_svg(['M0 0"/><script>alert(1)</script>'])
    assert list(exc.value.errors) == ["signature"]


def test_dosing_waits_for_a_signed_and_countersigned_econsent(team: Team) -> None:
    session = esketamine_waiting_for_consent(team)

    def refusal() -> str:
        with pytest.raises(ValidationFailed) as exc:
            start_esketamine(team.nurse, session)
        return exc.value.errors["status"][0]

    assert "no current treatment consent covering intranasal (esketamine)" in refusal()
    econsent = sign_through_the_link(send(team.nurse, team.patient))
    assert "is not yet countersigned by staff" in refusal()
    with pytest.raises(PermissionDenied):
        services.consent_countersign(
            access=team.front_desk, patient_id=team.patient.pk, econsent_id=econsent.pk
        )
    countersigned = services.consent_countersign(
        access=team.nurse, patient_id=team.patient.pk, econsent_id=econsent.pk
    )
    assert countersigned.status == EConsent.Status.COUNTERSIGNED
    assert countersigned.countersigned_pdf is not None
    data = bytes(countersigned.countersigned_pdf)
    assert hashlib.sha256(data).hexdigest() == countersigned.countersigned_pdf_sha256
    assert services.hashes_verified(countersigned) == {
        "document": True,
        "signed_pdf": True,
        "countersigned_pdf": True,
    }
    start_esketamine(team.nurse, session)  # now allowed


def test_a_withdrawal_through_the_link_alerts_the_clinic_and_blocks_dosing(team: Team) -> None:
    econsent = sign_through_the_link(send(team.nurse, team.patient))
    services.consent_countersign(
        access=team.prescriber, patient_id=team.patient.pk, econsent_id=econsent.pk
    )
    without_paper_consent(team)
    today = team.clinic.today()
    assert selectors.treatment_consent_verdict(
        patient=team.patient, form="intranasal", today=today
    ).ok
    # A month on, long after the 72 hours a link first has, the signed consent's link
    # still opens: it stays open for as long as the consent counts.
    advance_clock(days=30)
    today = team.clinic.today()
    client = Client()
    refused = client.post(page(econsent), {"action": "withdraw", "reason": "Changed my mind"})
    assert refused.status_code == 422  # the box was not ticked
    response = client.post(
        page(econsent), {"action": "withdraw", "reason": "Changed my mind", "confirm": "yes"}
    )
    assert response.status_code == 302
    econsent.refresh_from_db()
    assert econsent.status == EConsent.Status.WITHDRAWN
    assert econsent.withdrawal_reason == "Changed my mind"
    assert b"You have withdrawn this consent" in client.get(page(econsent)).content
    alerts = OutboundMessage.objects.filter(purpose="consent_withdrawn")
    assert {m.to for m in alerts} == {"admin@clinic.example.org"}
    assert team.patient.mrn in alerts[0].body
    verdict = selectors.treatment_consent_verdict(
        patient=team.patient, form="intranasal", today=today
    )
    assert not verdict.ok
    assert verdict.reason.startswith(
        "the patient withdrew consent covering intranasal (esketamine) on"
    )
    assert AuditEvent.objects.filter(
        object_id=str(econsent.pk), actor_username="patient", details__event="withdrawn"
    ).exists()


def test_a_new_version_needs_a_new_signature(team: Team) -> None:
    econsent = sign_through_the_link(send(team.nurse, team.patient, form="iv"))
    services.consent_countersign(
        access=team.prescriber, patient_id=team.patient.pk, econsent_id=econsent.pk
    )
    without_paper_consent(team)
    today = team.clinic.today()
    assert selectors.treatment_consent_verdict(patient=team.patient, form="iv", today=today).ok
    version = econsent.version
    services.document_edit(
        access=team.admin,
        document_id=version.document_id,
        title=version.title,
        body=version.body + "\n\nUpdated.",
        sources=version.sources,
        questions=version.questions,
    )
    verdict = selectors.treatment_consent_verdict(patient=team.patient, form="iv", today=today)
    assert verdict.reason.endswith("was signed on version 1; version 2 must be signed")
    services.settings_update(
        access=team.admin, valid_months=12, new_version_supersedes=False, countersign_required=True
    )
    assert selectors.treatment_consent_verdict(patient=team.patient, form="iv", today=today).ok


def test_links_of_other_kinds_and_bad_tokens_do_not_open_a_consent(team: Team) -> None:
    client = Client()
    bad = client.get(reverse("consent_link", kwargs={"token": "nonsense"}))
    assert bad.status_code == 404
    econsent = send(team.nurse, team.patient)
    econsent.link.revoked_at = econsent.created_at
    econsent.link.save(update_fields=["revoked_at"])
    cancelled = client.get(page(econsent))
    assert cancelled.status_code == 410 and b"no longer opens the consent form" in cancelled.content
    unsigned = send(team.nurse, team.patient)
    advance_clock(hours=73)
    expired = client.get(page(unsigned))
    assert expired.status_code == 410 and b"read and sign this consent form" in expired.content


def test_the_typed_name_alone_signs_for_a_patient_who_cannot_draw(team: Team) -> None:
    econsent = send(team.nurse, team.patient, form="oral")
    token = token_of(econsent)
    chosen = [q["correct"] for q in econsent.version.questions]
    assert all(m.right for m in services.consent_check(token=token, chosen=chosen))
    with pytest.raises(ValidationFailed) as exc:
        services.consent_sign(token=token, typed_name="   ")
    assert list(exc.value.errors) == ["typed_name"]
    signed = services.consent_sign(token=token, typed_name="  Mira   Marlow ")
    assert signed.typed_name == "Mira Marlow" and signed.signature_svg == ""
    assert signed.signed_pdf is not None and bytes(signed.signed_pdf).startswith(b"%PDF")
    with pytest.raises(ValidationFailed):
        services.consent_sign(token=token, typed_name="Mira Marlow")  # signed once only
