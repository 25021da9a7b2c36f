"""E-consent endpoints: documents and versions, sending a consent link, a patient's
e-consents and consent status, countersigning, and the PDFs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from ketacare.api.auth import access_of
from ketacare.consent import selectors, services
from ketacare.consent.models import ConsentDocument, ConsentDocumentVersion, EConsent
from ketacare.measures.services import link_url
from ketacare.patients.models import Consent
from ketacare.patients.services import patient_view

router = Router(tags=["consent"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class ConsentQuestion(Schema):
    text: str
    options: list[str]
    correct: int
    explanation: str


class ConsentVersionOut(Schema):
    id: uuid.UUID
    document_id: uuid.UUID
    number: int
    title: str
    body: str
    sources: list[str]
    questions: list[ConsentQuestion]
    text_sha256: str
    change_note: str
    created_at: dt.datetime


class ConsentDocumentOut(Schema):
    id: uuid.UUID
    treatment_form: str
    treatment_form_label: str
    language: str = Field(description="The document's language: en or es")
    latest_version: ConsentVersionOut


def _document(document: ConsentDocument, version: ConsentDocumentVersion) -> dict[str, Any]:
    return {
        "id": document.pk,
        "treatment_form": document.treatment_form,
        "treatment_form_label": document.get_treatment_form_display(),
        "language": document.language,
        "latest_version": version,
    }


@router.get("/consent/documents", response=list[ConsentDocumentOut], summary="Consent documents")
def document_list(request: HttpRequest) -> Any:
    return [_document(d, v) for d, v in services.documents_list(access=access_of(request))]


@router.get(
    "/consent/documents/{document_id}/versions",
    response=list[ConsentVersionOut],
    summary="Every version of a consent document, newest first",
)
def version_list(request: HttpRequest, document_id: uuid.UUID) -> Any:
    document = selectors.document_get(access=access_of(request), document_id=document_id)
    return list(document.versions.order_by("-number"))


class ConsentVersionIn(Strict):
    title: str = Field(..., max_length=200)
    body: str = Field(..., max_length=50_000)
    sources: list[str]
    questions: list[dict[str, Any]]
    change_note: str = Field("", max_length=300)


@router.post(
    "/consent/documents/{document_id}/versions",
    response={201: ConsentVersionOut},
    summary="Edit a consent document: saves its next version",
)
def version_create(request: HttpRequest, document_id: uuid.UUID, payload: ConsentVersionIn) -> Any:
    version = services.document_edit(
        access=access_of(request), document_id=document_id, **payload.dict()
    )
    return Status(201, version)


@router.get(
    "/consent/versions/{version_id}",
    response=ConsentVersionOut,
    summary="One consent document version",
)
def version_detail(request: HttpRequest, version_id: uuid.UUID) -> Any:
    return selectors.version_get(access=access_of(request), version_id=version_id)


class EConsentOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    version_id: uuid.UUID
    version_number: int
    title: str
    treatment_form: str
    language: str = Field(description="The language of the document sent: en or es")
    status: str
    link_id: uuid.UUID
    link_expires_at: dt.datetime
    url: str | None = None
    check_attempts: int
    signed_at: dt.datetime | None
    signed_ip: str | None
    typed_name: str
    drawn_signature: bool
    document_sha256: str
    signed_pdf_sha256: str
    countersigned_at: dt.datetime | None
    countersigned_by: str | None
    countersigned_pdf_sha256: str
    withdrawn_at: dt.datetime | None
    withdrawal_reason: str
    hashes_verified: dict[str, bool | None]


def _econsent(e: EConsent, *, url: bool = False) -> dict[str, Any]:
    return {
        "id": e.pk,
        "patient_id": e.patient_id,
        "version_id": e.version_id,
        "version_number": e.version.number,
        "title": e.version.title,
        "treatment_form": e.version.document.treatment_form,
        "language": e.version.document.language,
        "status": e.status,
        "link_id": e.link_id,
        "link_expires_at": e.link.expires_at,
        "url": link_url(e.link) if url else None,
        "check_attempts": e.check_attempts,
        "signed_at": e.signed_at,
        "signed_ip": e.signed_ip,
        "typed_name": e.typed_name,
        "drawn_signature": bool(e.signature_svg),
        "document_sha256": e.document_sha256,
        "signed_pdf_sha256": e.signed_pdf_sha256,
        "countersigned_at": e.countersigned_at,
        "countersigned_by": e.countersigned_by.get_username() if e.countersigned_by else None,
        "countersigned_pdf_sha256": e.countersigned_pdf_sha256,
        "withdrawn_at": e.withdrawn_at,
        "withdrawal_reason": e.withdrawal_reason,
        "hashes_verified": services.hashes_verified(e),
    }


@router.get(
    "/patients/{patient_id}/econsents",
    response=list[EConsentOut],
    summary="A patient's e-consents (audited as a chart view)",
)
def econsent_list(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    patient = patient_view(access=access_of(request), patient_id=patient_id, section="econsent")
    return [_econsent(e) for e in selectors.econsents_of(patient=patient)]


class EConsentSendIn(Strict):
    treatment_form: str
    channel: str = "email"


@router.post(
    "/patients/{patient_id}/econsents",
    response={201: EConsentOut},
    summary="Send the patient a link to read, check and sign a consent document",
)
def econsent_send(request: HttpRequest, patient_id: uuid.UUID, payload: EConsentSendIn) -> Any:
    econsent = services.consent_send(
        access=access_of(request), patient_id=patient_id, **payload.dict()
    )
    return Status(201, _econsent(econsent, url=True))


class ConsentVerdictOut(Schema):
    treatment_form: str
    treatment_form_label: str
    covered: bool
    reason: str


@router.get(
    "/patients/{patient_id}/consent-status",
    response=list[ConsentVerdictOut],
    summary="Whether the patient's consent covers each form of treatment today (the "
    "dosing check's consent rule)",
)
def consent_status(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    access = access_of(request)
    patient = patient_view(access=access, patient_id=patient_id, section="econsent")
    today = access.clinic.today()
    found = []
    for form in Consent.TreatmentForm.values:
        if not form:
            continue
        verdict = selectors.treatment_consent_verdict(patient=patient, form=form, today=today)
        found.append(
            {
                "treatment_form": form,
                "treatment_form_label": Consent.TreatmentForm(form).label,
                "covered": verdict.ok,
                "reason": verdict.reason,
            }
        )
    return found


@router.post(
    "/patients/{patient_id}/econsents/{econsent_id}/countersign",
    response=EConsentOut,
    summary="Countersign a signed e-consent (prescriber or nurse)",
)
def econsent_countersign(
    request: HttpRequest, patient_id: uuid.UUID, econsent_id: uuid.UUID
) -> Any:
    econsent = services.consent_countersign(
        access=access_of(request), patient_id=patient_id, econsent_id=econsent_id
    )
    return _econsent(econsent)


@router.get(
    "/patients/{patient_id}/econsents/{econsent_id}/pdf",
    summary="The signed PDF (or, with countersigned=true, the countersigned PDF)",
    response={200: None},
)
def econsent_pdf(
    request: HttpRequest, patient_id: uuid.UUID, econsent_id: uuid.UUID, countersigned: bool = False
) -> HttpResponse:
    econsent, data = services.consent_pdf(
        access=access_of(request),
        patient_id=patient_id,
        econsent_id=econsent_id,
        countersigned=countersigned,
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="consent-{econsent.pk}.pdf"'
    return response
