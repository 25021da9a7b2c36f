"""/api/v1/referrals: the referrals worklist, recording a referral, moving it on,
sending letters to the referrer, and the clinic's letter templates."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from ketacare.api.auth import access_of
from ketacare.common.errors import ValidationFailed
from ketacare.referrals import core, selectors, services

router = Router(tags=["referrals"])

StatusCode = Literal[tuple(s.value for s in core.Status)]  # type: ignore[valid-type]
LetterCode = Literal[tuple(k.value for k in core.LetterKind)]  # type: ignore[valid-type]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class StepOut(Schema):
    status: str
    reason: str
    at: dt.datetime
    by_id: int


class LetterOut(Schema):
    id: int
    kind: str
    document_id: uuid.UUID
    sent_at: dt.datetime


class ReferralOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    mrn: str
    referrer_name: str
    referrer_organisation: str
    referrer_email: str
    referrer_phone: str
    reason: str
    received_on: dt.date
    letter_id: uuid.UUID | None
    status: str
    status_changed_at: dt.datetime
    declined_reason: str

    @staticmethod
    def resolve_patient_name(obj: Any) -> str:
        return str(obj.patient.display_name)

    @staticmethod
    def resolve_mrn(obj: Any) -> str:
        return str(obj.patient.mrn)


class ReferralDetailOut(ReferralOut):
    steps: list[StepOut]
    letters: list[LetterOut]

    @staticmethod
    def resolve_steps(obj: Any) -> list[Any]:
        return list(obj.steps.all())

    @staticmethod
    def resolve_letters(obj: Any) -> list[Any]:
        return list(obj.letters.all())


class ReferralListOut(Schema):
    counts: dict[str, int]
    referrals: list[ReferralOut]


class ReferralIn(Strict):
    patient_id: uuid.UUID
    referrer_name: str = Field(max_length=200)
    referrer_organisation: str = Field("", max_length=200)
    referrer_email: str = Field("", max_length=254)
    referrer_phone: str = Field("", max_length=40)
    reason: str
    received_on: dt.date
    letter_pdf_base64: str | None = Field(None, description="The referral letter, a PDF")


class MoveIn(Strict):
    status: StatusCode  # type: ignore[valid-type]
    reason: str = ""


class LetterIn(Strict):
    kind: LetterCode  # type: ignore[valid-type]


class TemplateIn(Strict):
    subject: str = Field(max_length=200)
    body: str


class TemplateOut(Schema):
    kind: str
    subject: str
    body: str
    fields: dict[str, str]


class ListQuery(Schema):
    status: StatusCode | None = None  # type: ignore[valid-type]


@router.get("", response=ReferralListOut, summary="The referrals worklist")
def referrals_list(request: HttpRequest, query: Query[ListQuery]) -> Any:
    found = services.referrals_open(access=access_of(request), status=query.status or "")
    return {"counts": found.counts, "referrals": found.referrals}


def _pdf(encoded: str | None) -> bytes | None:
    if encoded is None:
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed.single("letter_pdf_base64", "Not valid base64.") from None


@router.post("", response={201: ReferralDetailOut}, summary="Record a referral")
def referral_add(request: HttpRequest, payload: ReferralIn) -> Any:
    data = payload.model_dump(exclude={"patient_id", "letter_pdf_base64"})
    referral = services.referral_create(
        access=access_of(request),
        patient_id=payload.patient_id,
        data=data,
        now=timezone.now(),
        letter_pdf=_pdf(payload.letter_pdf_base64),
    )
    return Status(201, referral)


@router.get("/letter-templates/{kind}", response=TemplateOut, summary="A letter template")
def letter_template_get(request: HttpRequest, kind: LetterCode) -> Any:  # type: ignore[valid-type]
    template = selectors.letter_template(access_of(request).clinic, kind)
    return {"kind": kind, "subject": template.subject, "body": template.body, "fields": core.FIELDS}


@router.put("/letter-templates/{kind}", response=TemplateOut, summary="Change a letter template")
def letter_template_put(request: HttpRequest, kind: LetterCode, payload: TemplateIn) -> Any:  # type: ignore[valid-type]
    template = services.letter_template_save(
        access=access_of(request),
        kind=kind,
        subject=payload.subject,
        body=payload.body,
        now=timezone.now(),
    )
    return {"kind": kind, "subject": template.subject, "body": template.body, "fields": core.FIELDS}


@router.get("/{referral_id}", response=ReferralDetailOut, summary="One referral")
def referral_detail(request: HttpRequest, referral_id: uuid.UUID) -> Any:
    return services.referral_open(access=access_of(request), referral_id=referral_id)


@router.post("/{referral_id}/status", response=ReferralDetailOut, summary="Move a referral on")
def referral_status(request: HttpRequest, referral_id: uuid.UUID, payload: MoveIn) -> Any:
    return services.referral_move(
        access=access_of(request),
        referral_id=referral_id,
        status=payload.status,
        reason=payload.reason,
        now=timezone.now(),
    )


@router.post(
    "/{referral_id}/letters", response={201: LetterOut}, summary="Send a letter to the referrer"
)
def referral_letter(request: HttpRequest, referral_id: uuid.UUID, payload: LetterIn) -> Any:
    letter = services.referral_letter_send(
        access=access_of(request), referral_id=referral_id, kind=payload.kind, now=timezone.now()
    )
    return Status(201, letter)
