"""E-consent through /api/v1 and the staff's web pages: documents, versions, sending,
status, countersigning, PDFs; another clinic's records answer 404."""

from __future__ import annotations

import hashlib
import json

from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Role
from ketacare.consent import services
from ketacare.consent.models import EConsent
from tests.api.world import member
from tests.consent.conftest import Team, sign_through_the_link
from tests.factories import ClinicFactory
from tests.web_measures.conftest import new_patient


def api(access: ClinicAccess) -> Client:
    client = Client(headers={"X-Clinic": access.clinic.slug})
    client.force_login(access.user)
    return client


def web(access: ClinicAccess) -> Client:
    client = Client()
    client.force_login(access.user)
    return client


def test_documents_and_versions_through_the_api(team: Team) -> None:
    client = api(team.admin)
    listed = client.get("/api/v1/consent/documents").json()
    assert {
        (d["treatment_form"], d["language"]) for d in listed if d["treatment_form"] == "iv"
    } == {
        ("iv", "en"),
        ("iv", "es"),
    }
    iv = next(d for d in listed if (d["treatment_form"], d["language"]) == ("iv", "en"))
    latest = iv["latest_version"]
    assert latest["number"] == 1 and len(latest["text_sha256"]) == 64
    made = client.post(
        f"/api/v1/consent/documents/{iv['id']}/versions",
        {
            "title": latest["title"],
            "body": latest["body"] + "\n\nMore.",
            "sources": latest["sources"],
            "questions": latest["questions"],
            "change_note": "More",
        },
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["number"] == 2
    versions = client.get(f"/api/v1/consent/documents/{iv['id']}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    bad = client.post(
        f"/api/v1/consent/documents/{iv['id']}/versions",
        {"title": "", "body": "", "sources": [], "questions": []},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert "title" in bad.content.decode()
    assert client.get(f"/api/v1/consent/versions/{versions[1]['id']}").json()["number"] == 1
    other = api(member(ClinicFactory.create(), Role.CLINIC_ADMIN))
    assert other.get(f"/api/v1/consent/documents/{iv['id']}/versions").status_code == 404
    assert other.get(f"/api/v1/consent/versions/{versions[1]['id']}").status_code == 404


def test_send_status_countersign_and_pdfs_through_the_api(team: Team) -> None:
    client = api(team.nurse)
    base = f"/api/v1/patients/{team.patient.pk}"
    sent = client.post(
        f"{base}/econsents",
        {"treatment_form": "intranasal", "channel": "none"},
        content_type="application/json",
    )
    assert sent.status_code == 201
    body = sent.json()
    assert body["status"] == "sent" and "/r/" in body["url"]
    econsent = EConsent.objects.get(pk=body["id"])
    early = client.post(f"{base}/econsents/{econsent.pk}/countersign")
    assert early.status_code == 422 and "econsent" in early.content.decode()
    assert client.get(f"{base}/econsents/{econsent.pk}/pdf").status_code == 404
    sign_through_the_link(econsent)
    status = {s["treatment_form"]: s for s in client.get(f"{base}/consent-status").json()}
    assert not status["intranasal"]["covered"]
    assert status["intranasal"]["reason"].endswith("is not yet countersigned by staff")
    done = client.post(f"{base}/econsents/{econsent.pk}/countersign")
    assert done.status_code == 200
    assert done.json()["status"] == "countersigned"
    assert done.json()["hashes_verified"] == {
        "document": True,
        "signed_pdf": True,
        "countersigned_pdf": True,
    }
    status = {s["treatment_form"]: s for s in client.get(f"{base}/consent-status").json()}
    assert status["intranasal"]["covered"] and not status["iv"]["covered"]
    pdf = client.get(f"{base}/econsents/{econsent.pk}/pdf?countersigned=true")
    assert pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == done.json()["countersigned_pdf_sha256"]
    listed = client.get(f"{base}/econsents").json()
    assert [e["id"] for e in listed] == [str(econsent.pk)]
    bad_form = client.post(
        f"{base}/econsents", {"treatment_form": "smoke"}, content_type="application/json"
    )
    assert bad_form.status_code == 422 and "treatment_form" in bad_form.content.decode()


def test_another_clinics_patient_and_econsent_answer_404(team: Team) -> None:
    econsent = services.consent_send(
        access=team.nurse, patient_id=team.patient.pk, treatment_form="iv", channel="none"
    )
    other_clinic = ClinicFactory.create()
    outsider = member(other_clinic, Role.PRESCRIBER)
    own_patient = new_patient(outsider, mrn="B-1")
    client = api(outsider)
    base = f"/api/v1/patients/{team.patient.pk}"
    assert client.get(f"{base}/econsents").status_code == 404
    assert client.get(f"{base}/consent-status").status_code == 404
    assert (
        client.post(
            f"{base}/econsents", {"treatment_form": "iv"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.post(f"{base}/econsents/{econsent.pk}/countersign").status_code == 404
    mixed = f"/api/v1/patients/{own_patient.pk}/econsents/{econsent.pk}"
    assert client.post(f"{mixed}/countersign").status_code == 404
    assert client.get(f"{mixed}/pdf").status_code == 404
    browser = web(outsider)
    chart = f"/c/{team.clinic.slug}/patients/{team.patient.pk}/econsent/"
    assert browser.get(chart).status_code == 404
    own = f"/c/{other_clinic.slug}/patients/{own_patient.pk}/econsent/{econsent.pk}/pdf/"
    assert browser.get(own).status_code == 404


def test_the_chart_tab_sends_countersigns_and_shows_the_hashes(team: Team) -> None:
    client = web(team.nurse)
    tab = reverse(
        "patient_chart_section",
        kwargs={
            "clinic_slug": team.clinic.slug,
            "patient_id": team.patient.pk,
            "section": "econsent",
        },
    )
    shown = client.get(tab)
    assert shown.status_code == 200
    assert b"E-consent" in shown.content and b"Consent for dosing today" in shown.content
    sent = client.post(
        reverse("econsent_send", args=[team.clinic.slug, team.patient.pk]),
        {"treatment_form": "iv", "channel": "none"},
    )
    assert sent.status_code == 302
    econsent = EConsent.objects.get(patient=team.patient)
    assert b"data-consent-url" in client.get(tab).content
    sign_through_the_link(econsent)
    assert b"Countersign" in client.get(tab).content
    done = client.post(
        reverse("econsent_countersign", args=[team.clinic.slug, team.patient.pk, econsent.pk])
    )
    assert done.status_code == 302
    econsent.refresh_from_db()
    page = client.get(tab).content.decode()
    assert f'data-countersigned-hash="{econsent.countersigned_pdf_sha256}"' in page
    assert "(does not match)" not in page
    pdf = client.get(
        reverse("econsent_pdf", args=[team.clinic.slug, team.patient.pk, econsent.pk])
        + "?countersigned=1"
    )
    assert hashlib.sha256(pdf.content).hexdigest() == econsent.countersigned_pdf_sha256


def test_the_document_editor_saves_a_new_version(team: Team) -> None:
    client = web(team.admin)
    listing = client.get(reverse("consent_documents", args=[team.clinic.slug]))
    assert listing.status_code == 200 and b"Consent documents" in listing.content
    document, version = next(
        (d, v) for d, v in services.documents_list(access=team.admin) if d.treatment_form == "im"
    )
    url = reverse("consent_document_edit", args=[team.clinic.slug, document.pk])
    editor = client.get(url)
    assert editor.status_code == 200 and version.title.encode() in editor.content
    bad = client.post(
        url,
        {
            "title": version.title,
            "body": version.body,
            "sources": "\n".join(version.sources),
            "questions": "not json",
            "change_note": "x",
        },
    )
    assert bad.status_code == 422

    saved = client.post(
        url,
        {
            "title": version.title + " (2026)",
            "body": version.body,
            "sources": "\n".join(version.sources),
            "questions": json.dumps(version.questions),
            "change_note": "New title",
        },
    )
    assert saved.status_code == 302
    assert document.versions.count() == 2
    nurse_post = web(team.nurse).post(url, {"title": "x"})
    assert nurse_post.status_code == 403
    settings_saved = client.post(
        reverse("consent_documents", args=[team.clinic.slug]),
        {"valid_months": "6", "new_version_supersedes": "on", "countersign_required": "on"},
    )
    assert settings_saved.status_code == 302
    outsider = web(member(ClinicFactory.create(), Role.CLINIC_ADMIN))
    assert outsider.get(url).status_code == 404
