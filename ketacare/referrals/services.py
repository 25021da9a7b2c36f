"""Referral writes: recording a referral (with the letter received), moving it on, the
clinic's letter templates, and sending a letter to the referrer. Each runs in one
transaction with its audit event; the rules are in core.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as
from ketacare.common.errors import ValidationFailed
from ketacare.exchange.imports import referral_letter_store
from ketacare.exchange.models import ChartDocument
from ketacare.exchange.referral import Letter
from ketacare.messaging.models import OutboundMessage
from ketacare.messaging.services import message_queue
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get
from ketacare.referrals import core, selectors
from ketacare.referrals.models import LetterTemplate, Referral, ReferralLetter, ReferralStep

EDITABLE = (
    "referrer_name",
    "referrer_organisation",
    "referrer_email",
    "referrer_phone",
    "reason",
    "received_on",
)
MAX_LETTER_BYTES = 10 * 1024 * 1024
IMPORTED_REASON = "Not stated in the imported referral file."


def _raise(problems: list[core.Problem]) -> None:
    if problems:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(problem.field, []).append(problem.message)
        raise ValidationFailed(errors)


def _clean(referral: Referral) -> None:
    try:
        referral.full_clean(
            exclude=["patient", "clinic", "entered_by", "letter", "status_changed_at"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        raise ValidationFailed(
            {field: list(messages) for field, messages in exc.message_dict.items()}
        ) from None


@transaction.atomic
def referrals_open(*, access: ClinicAccess, status: str = "") -> selectors.ReferralList:
    """The referrals worklist; it names patients, so opening it is audited with them."""
    access.require(Permission.VIEW_REGISTRY)
    found = selectors.referral_list(access=access, status=status)
    audit_as(
        access,
        action=Action.VIEW,
        object_type="referrals",
        details={
            "status": status or "all",
            "patient_ids": sorted({str(r.patient_id) for r in found.referrals}),
        },
    )
    return found


@transaction.atomic
def referral_open(*, access: ClinicAccess, referral_id: uuid.UUID | str) -> Referral:
    """One referral with its steps and letters; a chart read, audited."""
    access.require(Permission.VIEW_REGISTRY)
    referral = selectors.referral_get(access=access, referral_id=referral_id)
    audit_as(
        access,
        action=Action.VIEW,
        object_type="referral",
        object_id=referral.pk,
        patient_id=referral.patient_id,
    )
    return referral


@transaction.atomic
def referral_create(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    data: Mapping[str, Any],
    now: dt.datetime,
    letter_pdf: bytes | None = None,
) -> Referral:
    """Record a referral for a registered patient, with the letter received (a PDF) kept
    on the chart."""
    access.require(Permission.REGISTER_PATIENT)
    patient = patient_get(access=access, patient_id=patient_id)
    referral = Referral(
        clinic=access.clinic,
        patient=patient,
        entered_by=access.user,
        status=core.Status.NEW,
        status_changed_at=now,
        **{key: data[key] for key in EDITABLE if key in data},
    )
    _clean(referral)
    if referral.received_on and referral.received_on > access.clinic.date_of(now):
        raise ValidationFailed.single("received_on", "The date received cannot be in the future.")
    if letter_pdf is not None:
        if not letter_pdf.startswith(b"%PDF") or len(letter_pdf) > MAX_LETTER_BYTES:
            raise ValidationFailed.single(
                "letter", "Attach the referral letter as a PDF (10 MB at most)."
            )
        title = f"Referral letter from {referral.referrer_name} ({referral.received_on:%Y-%m-%d})"
        referral.letter = referral_letter_store(access, patient, Letter(title, letter_pdf))
    referral.save()
    ReferralStep.objects.create(referral=referral, status=core.Status.NEW, at=now, by=access.user)
    audit_as(
        access,
        action=Action.CREATE,
        object_type="referral",
        object_id=referral.pk,
        patient_id=patient.pk,
        changes={key: [None, str(getattr(referral, key))] for key in EDITABLE},
        details={"letter_id": str(referral.letter_id) if referral.letter_id else None},
    )
    return referral


def referral_from_import(
    access: ClinicAccess,
    patient: Patient,
    fields: Mapping[str, Any],
    letter: ChartDocument | None,
    now: dt.datetime,
) -> Referral | None:
    """A new referral for a patient imported from a referral file that names the referrer
    (inside the import's transaction). The file carries no reason, so it says so rather
    than inventing one; the letter imported with the patient is the referral's letter.
    None when the patient already has an open referral from that referrer (a file
    imported twice)."""
    access.require(Permission.REGISTER_PATIENT)
    name = str(fields["referring_clinician_name"])
    already = Referral.objects.filter(
        clinic=access.clinic,
        patient=patient,
        referrer_name=name,
        status__in=core.OPEN,
        entered_in_error_at=None,
    )
    if already.exists():
        return None
    referral = Referral(
        clinic=access.clinic,
        patient=patient,
        entered_by=access.user,
        status=core.Status.NEW,
        status_changed_at=now,
        referrer_name=name,
        referrer_organisation=str(fields.get("referring_clinician_organisation") or ""),
        referrer_email=str(fields.get("referring_clinician_email") or ""),
        referrer_phone=str(fields.get("referring_clinician_phone") or ""),
        reason=IMPORTED_REASON + (" See the referral letter." if letter else ""),
        received_on=access.clinic.date_of(now),
        letter=letter,
    )
    _clean(referral)
    referral.save()
    ReferralStep.objects.create(referral=referral, status=core.Status.NEW, at=now, by=access.user)
    audit_as(
        access,
        action=Action.CREATE,
        object_type="referral",
        object_id=referral.pk,
        patient_id=patient.pk,
        details={"imported": True, "letter_id": str(letter.pk) if letter else None},
    )
    return referral


@transaction.atomic
def referral_move(
    *,
    access: ClinicAccess,
    referral_id: uuid.UUID,
    status: str,
    now: dt.datetime,
    reason: str = "",
) -> Referral:
    """Move a referral on (contacted, screening booked), or decide it: accepting and
    declining are a prescriber's act."""
    deciding = status in core.DECISIONS
    access.require(Permission.ORDER_DOSES if deciding else Permission.REGISTER_PATIENT)
    referral = selectors.referral_get(access=access, referral_id=referral_id, for_update=True)
    _raise(core.move_problems(referral.status, status, reason))
    before = referral.status
    referral.status, referral.status_changed_at = status, now
    referral.declined_reason = reason.strip() if status == core.Status.DECLINED else ""
    referral.save(update_fields=["status", "status_changed_at", "declined_reason", "updated_at"])
    ReferralStep.objects.create(
        referral=referral, status=status, reason=reason.strip(), at=now, by=access.user
    )
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="referral",
        object_id=referral.pk,
        patient_id=referral.patient_id,
        changes={"status": [before, status]},
        details={"reason": reason.strip()} if reason.strip() else None,
    )
    return referral


@transaction.atomic
def letter_template_save(
    *, access: ClinicAccess, kind: str, subject: str, body: str, now: dt.datetime
) -> LetterTemplate:
    """The clinic's own wording of a letter; unknown fields are refused before saving."""
    access.require(Permission.MANAGE_PROTOCOLS)
    if kind not in {k.value for k in core.LetterKind}:
        raise ValidationFailed.single("kind", f"Unknown letter {kind!r}.")
    _raise(core.template_problems(subject, body))
    current = selectors.letter_template(access.clinic, kind)
    template, _ = LetterTemplate.objects.update_or_create(
        clinic=access.clinic,
        kind=kind,
        defaults={"subject": subject, "body": body, "updated_at": now, "updated_by": access.user},
    )
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="letter_template",
        object_id=kind,
        changes={
            key: [old, new]
            for key, old, new in (
                ("subject", current.subject, subject),
                ("body", current.body, body),
            )
            if old != new
        },
    )
    return template


def render_letter_pdf(*, subject: str, body: str, letterhead: Mapping[str, str]) -> bytes:
    """A filled letter as PDF (WeasyPrint, which needs Pango: see the README)."""
    from weasyprint import HTML  # imported late: only the PDF needs it

    html = render_to_string(
        "web/referrals/letter_print.html",
        {"subject": subject, "paragraphs": body.split("\n\n"), "letterhead": letterhead},
    )
    return HTML(string=html).write_pdf()


@dataclass(frozen=True)
class LetterPreview:
    subject: str
    body: str
    problems: list[core.Problem]  # why it cannot be sent now (empty: it can)


def letter_preview(
    *, access: ClinicAccess, referral: Referral, kind: str, now: dt.datetime | None = None
) -> LetterPreview:
    """The letter as it would go out now, filled from the chart, and what stops it."""
    facts = selectors.letter_facts(access=access, referral=referral, now=now or timezone.now())
    problems = core.letter_problems(
        kind,
        referral.status,
        sessions_given=int(facts["sessions_given"]),
        referrer_email=referral.referrer_email,
    )
    if any(p.field == "kind" and p.message.startswith("Unknown") for p in problems):
        return LetterPreview("", "", problems)
    template = selectors.letter_template(access.clinic, kind)
    return LetterPreview(
        core.fill(template.subject, facts), core.fill(template.body, facts), problems
    )


@transaction.atomic
def referral_letter_send(
    *, access: ClinicAccess, referral_id: uuid.UUID, kind: str, now: dt.datetime
) -> ReferralLetter:
    """Fill the clinic's template from the chart, keep the PDF on the chart, and e-mail it
    to the referrer through the messaging app (delivered after commit)."""
    access.require(Permission.EDIT_CLINICAL)
    referral = selectors.referral_get(access=access, referral_id=referral_id)
    preview = letter_preview(access=access, referral=referral, kind=kind, now=now)
    _raise(preview.problems)
    subject, body = preview.subject, preview.body
    pdf = render_letter_pdf(
        subject=subject,
        body=body,
        letterhead={"clinic": access.clinic.name, "phone": access.clinic.site_phone},
    )
    today = access.clinic.date_of(now)
    label = core.LETTER_LABELS[core.LetterKind(kind)]
    document = ChartDocument(
        clinic=access.clinic,
        patient=referral.patient,
        entered_by=access.user,
        kind=ChartDocument.Kind.LETTER_OUT,
        title=f"{label} to {referral.referrer_name} ({today:%Y-%m-%d})",
        size_bytes=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        sent_to=referral.referrer_email,
    )
    document.file.save(f"{document.pk}.pdf", ContentFile(pdf), save=False)
    message = message_queue(
        clinic=access.clinic,
        channel=OutboundMessage.Channel.EMAIL,
        to=referral.referrer_email,
        # The e-mail's text carries no clinical content: the letter is the attachment.
        subject=f"{label} from {access.clinic.name}",
        body=(
            f"Dear {referral.referrer_name},\n\nPlease find our letter attached.\n\n"
            f"{access.clinic.name}\n{access.clinic.site_phone}\n"
        ),
        purpose="referral_letter",
        patient_id=referral.patient_id,
        attachments=[
            {
                "path": document.file.name,
                "filename": f"{kind.replace('_', '-')}-{referral.patient.mrn}.pdf",
                "content_type": "application/pdf",
            }
        ],
    )
    document.message_id = message.pk
    document.save()
    letter = ReferralLetter.objects.create(
        referral=referral, kind=kind, document=document, sent_at=now
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="referral_letter",
        object_id=letter.pk,
        patient_id=referral.patient_id,
        details={
            "kind": kind,
            "referral_id": str(referral.pk),
            "document_id": str(document.pk),
            "sha256": document.sha256,
            "sent_to": referral.referrer_email,
            "message_id": str(message.pk),
        },
    )
    return letter
