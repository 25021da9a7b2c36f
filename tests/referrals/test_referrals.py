"""Referrals through the services, the API and the pages: recording one with its letter,
the worklist by status, who may move it and decide it, letters to the referrer filled
from the chart and sent as PDF, and the clinic's templates."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import PermissionDenied, ValidationFailed
from ketacare.exchange.models import ChartDocument
from ketacare.patients.models import Patient
from ketacare.referrals import services
from ketacare.referrals.models import Referral, ReferralLetter
from tests.factories import clinic_today
from tests.measures.conftest import Team
from tests.outcomes.conftest import A_MONDAY, write_recent_two_week_relief

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a referral letter\n%%EOF\n"
REFERRAL = {
    "referrer_name": "Dr Ada Ames",
    "referrer_organisation": "Riverside Family Practice",
    "referrer_email": "ames@gp.example",
    "referrer_phone": "+1 503 555 0117",
    "reason": "Treatment-resistant depression after three antidepressant trials.",
}


def record(team: Team, patient: Patient, **extra: Any) -> Referral:
    data = {**REFERRAL, "received_on": A_MONDAY.date(), **extra}
    return services.referral_create(
        access=team.front_desk, patient_id=patient.pk, data=data, now=A_MONDAY, letter_pdf=PDF
    )


def web(access: ClinicAccess) -> Client:
    client = Client()
    client.force_login(access.user)
    return client


def test_the_front_desk_records_a_referral_with_its_letter_on_the_chart(
    team: Team, patient: Patient
) -> None:
    referral = record(team, patient)
    assert referral.status == "new" and referral.letter is not None
    assert referral.letter.kind == ChartDocument.Kind.REFERRAL_IN
    assert referral.letter.title == "Referral letter from Dr Ada Ames (2026-03-09)"
    event = AuditEvent.objects.get(object_type="referral", object_id=str(referral.pk))
    assert event.patient_id == patient.pk and event.changes["referrer_name"] == [
        None,
        "Dr Ada Ames",
    ]


def test_bad_input_names_the_field_and_saves_nothing(team: Team, patient: Patient) -> None:
    with pytest.raises(ValidationFailed) as refused:
        record(team, patient, referrer_email="not an address", reason="")
    assert set(refused.value.errors) == {"referrer_email", "reason"}
    with pytest.raises(ValidationFailed) as refused:
        services.referral_create(
            access=team.front_desk,
            patient_id=patient.pk,
            data={**REFERRAL, "received_on": A_MONDAY.date()},
            now=A_MONDAY,
            letter_pdf=b"<html>not a pdf</html>",
        )
    assert set(refused.value.errors) == {"letter"}
    assert not Referral.objects.exists() and not ChartDocument.objects.exists()


def test_the_front_desk_moves_a_referral_on_but_only_a_prescriber_decides(
    team: Team, patient: Patient
) -> None:
    referral = record(team, patient)
    for status in ("contacted", "screening_booked"):
        services.referral_move(
            access=team.front_desk, referral_id=referral.pk, status=status, now=A_MONDAY
        )
    with pytest.raises(PermissionDenied):
        services.referral_move(
            access=team.front_desk, referral_id=referral.pk, status="accepted", now=A_MONDAY
        )
    with pytest.raises(ValidationFailed) as refused:
        services.referral_move(
            access=team.prescriber, referral_id=referral.pk, status="declined", now=A_MONDAY
        )
    assert list(refused.value.errors) == ["reason"]
    services.referral_move(
        access=team.prescriber, referral_id=referral.pk, status="accepted", now=A_MONDAY
    )
    referral.refresh_from_db()
    assert [s.status for s in referral.steps.all()] == [
        "new",
        "contacted",
        "screening_booked",
        "accepted",
    ]


def test_the_worklist_lists_by_status_with_counts(team: Team, patient: Patient) -> None:
    first = record(team, patient)
    record(team, patient, referrer_name="Dr Bo Berg")
    services.referral_move(
        access=team.front_desk, referral_id=first.pk, status="contacted", now=A_MONDAY
    )
    client = web(team.front_desk)
    url = reverse("referral_list", args=[team.clinic.slug])
    page = client.get(url, {"status": "contacted"}).content.decode()
    assert "Dr Ada Ames" in page and "Dr Bo Berg" not in page
    assert 'Contacted <span class="badge">1</span>' in page
    assert 'New <span class="badge">1</span>' in page
    event = AuditEvent.objects.filter(object_type="referrals").latest("sequence")
    assert event.details["patient_ids"] == [str(patient.pk)]


def test_an_acceptance_letter_goes_to_the_referrer_as_pdf_and_stays_on_the_chart(
    team: Team, patient: Patient, django_capture_on_commit_callbacks: Any
) -> None:
    referral = record(team, patient)
    with pytest.raises(ValidationFailed) as refused:  # not accepted yet
        services.referral_letter_send(
            access=team.prescriber, referral_id=referral.pk, kind="acceptance", now=A_MONDAY
        )
    assert list(refused.value.errors) == ["kind"]
    services.referral_move(
        access=team.prescriber, referral_id=referral.pk, status="accepted", now=A_MONDAY
    )
    with django_capture_on_commit_callbacks(execute=True):
        letter = services.referral_letter_send(
            access=team.prescriber, referral_id=referral.pk, kind="acceptance", now=A_MONDAY
        )
    assert letter.document.kind == ChartDocument.Kind.LETTER_OUT
    assert letter.document.sent_to == "ames@gp.example"
    (email,) = mail.outbox
    assert email.to == ["ames@gp.example"] and patient.legal_family_name not in email.body
    (_name, content, content_type) = email.attachments[0]
    assert content_type == "application/pdf" and content.startswith(b"%PDF-")
    event = AuditEvent.objects.get(object_type="referral_letter")
    assert event.details["sha256"] == letter.document.sha256


def test_a_course_summary_fills_from_the_course(team: Team, patient: Patient) -> None:
    referral = record(team, patient)
    services.referral_move(
        access=team.prescriber, referral_id=referral.pk, status="accepted", now=A_MONDAY
    )
    referral.refresh_from_db()
    before = services.letter_preview(access=team.prescriber, referral=referral, kind="discharge")
    assert [p.field for p in before.problems] == ["kind"]  # no session given yet
    write_recent_two_week_relief(team.nurse, patient)
    preview = services.letter_preview(
        access=team.prescriber, referral=referral, kind="course_summary", now=A_MONDAY
    )
    assert preview.problems == []
    assert "Dear Dr Ada Ames" in preview.body and "On the PHQ-9" in preview.body
    assert "not recorded" not in preview.body and "{" not in preview.body


def test_templates_are_the_clinics_own_and_refuse_unknown_fields(
    team: Team, patient: Patient, api_client: Callable[[ClinicAccess], Client]
) -> None:
    client = api_client(team.admin)
    url = "/api/v1/referrals/letter-templates/acceptance"
    refused = client.put(
        url, {"subject": "Re {patient}", "body": "Dear {referrer_name}"}, "application/json"
    )
    assert refused.status_code == 422 and "subject" in str(refused.json()["detail"])
    saved = client.put(
        url,
        {"subject": "Accepted: {patient_name}", "body": "Dear {referrer_name}, yes."},
        "application/json",
    )
    assert saved.status_code == 200 and saved.json()["subject"] == "Accepted: {patient_name}"
    referral = record(team, patient)
    preview = services.letter_preview(access=team.prescriber, referral=referral, kind="acceptance")
    assert preview.body == "Dear Dr Ada Ames, yes."
    unchanged = {"subject": "Accepted", "body": "Yes."}
    assert api_client(team.nurse).put(url, unchanged, "application/json").status_code == 403


def test_the_api_records_moves_and_sends(
    team: Team,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
    other_team: Team,
) -> None:
    desk = api_client(team.front_desk)
    body = {
        **REFERRAL,
        "patient_id": str(patient.pk),
        "received_on": str(clinic_today(team.clinic)),
        "letter_pdf_base64": base64.b64encode(PDF).decode(),
    }
    created = desk.post("/api/v1/referrals", body, "application/json")
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    assert created.json()["letter_id"] and created.json()["mrn"] == patient.mrn
    bad = desk.post("/api/v1/referrals", {**body, "letter_pdf_base64": "!!"}, "application/json")
    assert bad.status_code == 422 and "letter_pdf_base64" in str(bad.json()["detail"])
    moved = desk.post(
        f"/api/v1/referrals/{rid}/status", {"status": "contacted"}, "application/json"
    )
    assert moved.status_code == 200 and moved.json()["status"] == "contacted"
    decide = desk.post(
        f"/api/v1/referrals/{rid}/status", {"status": "accepted"}, "application/json"
    )
    assert decide.status_code == 403
    listed = desk.get("/api/v1/referrals", {"status": "contacted"}).json()
    assert listed["counts"]["contacted"] == 1 and [r["id"] for r in listed["referrals"]] == [rid]
    # Another clinic's staff: 404 for everything.
    other = api_client(other_team.prescriber)
    assert other.get(f"/api/v1/referrals/{rid}").status_code == 404
    assert (
        other.post(
            f"/api/v1/referrals/{rid}/letters", {"kind": "acceptance"}, "application/json"
        ).status_code
        == 404
    )
    assert ReferralLetter.objects.count() == 0


def test_the_pages_record_move_and_send(team: Team, patient: Patient) -> None:
    desk = web(team.front_desk)
    new = reverse("referral_new", args=[team.clinic.slug, patient.pk])
    form = desk.get(new)
    assert form.status_code == 200 and b"Referral letter (PDF)" in form.content
    refused = desk.post(new, {**REFERRAL, "referrer_email": "x", "received_on": "2026-03-09"})
    assert refused.status_code == 200 and "Referrer&#x27;s e-mail" in refused.content.decode()
    done = desk.post(new, {**REFERRAL, "received_on": "2026-03-09"}, follow=True)
    assert "Referral recorded." in done.content.decode()
    referral = Referral.objects.get()
    detail = reverse("referral_detail", args=[team.clinic.slug, referral.pk])
    page = desk.get(detail).content.decode()
    assert "Move the referral on" in page and "Screening booked" in page
    declined = desk.post(
        reverse("referral_move", args=[team.clinic.slug, referral.pk]),
        {"status": "contacted"},
        follow=True,
    )
    assert "Referral marked contacted." in declined.content.decode()
    prescriber = web(team.prescriber)
    no_reason = prescriber.post(
        reverse("referral_move", args=[team.clinic.slug, referral.pk]),
        {"status": "declined"},
        follow=True,
    )
    assert "Reason: Give the reason for declining the referral." in no_reason.content.decode()
    prescriber.post(
        reverse("referral_move", args=[team.clinic.slug, referral.pk]), {"status": "accepted"}
    )
    sent = prescriber.post(
        reverse("referral_letter", args=[team.clinic.slug, referral.pk]),
        {"kind": "acceptance"},
        follow=True,
    )
    assert "Acceptance letter sent to ames@gp.example." in sent.content.decode()
    letters = prescriber.get(reverse("patient_letters", args=[team.clinic.slug, patient.pk]))
    assert "Acceptance letter to Dr Ada Ames" in letters.content.decode()
