"""Letters out: the course report, as PDF, e-mailed to the referring clinician through
the messaging app and kept on the chart (ChartDocument, kind letter_out)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.exchange.models import ChartDocument
from ketacare.messaging.models import OutboundMessage
from ketacare.messaging.services import message_queue
from ketacare.outcomes import report
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get

# The e-mail carries no clinical content in its text: the report is the attachment.
LETTER_BODY = (
    "Dear {name},\n\nPlease find attached the treatment course report for your patient "
    "referred to {clinic}.\n\n{clinic}\n{phone}\n"
)


@dataclass(frozen=True)
class OutgoingLetter:
    title: str  # on the chart
    to: str
    subject: str
    body: str  # the e-mail's own text: no clinical content, the letter is the attachment
    purpose: str  # of the outbound message
    filename: str  # of the attachment


def letter_out_keep_and_send(
    access: ClinicAccess, patient: Patient, pdf: bytes, letter: OutgoingLetter
) -> ChartDocument:
    """Keep a letter (PDF) on the chart and queue the e-mail that carries it (delivered
    after commit), inside the caller's transaction; the caller audits it."""
    document = ChartDocument(
        clinic=access.clinic,
        patient=patient,
        entered_by=access.user,
        kind=ChartDocument.Kind.LETTER_OUT,
        title=letter.title,
        size_bytes=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        sent_to=letter.to,
    )
    document.file.save(f"{document.pk}.pdf", ContentFile(pdf), save=False)
    message = message_queue(
        clinic=access.clinic,
        channel=OutboundMessage.Channel.EMAIL,
        to=letter.to,
        subject=letter.subject,
        body=letter.body,
        purpose=letter.purpose,
        patient_id=patient.pk,
        attachments=[
            {
                "path": document.file.name,
                "filename": letter.filename,
                "content_type": "application/pdf",
            }
        ],
    )
    document.message_id = message.pk
    document.save()
    return document


@transaction.atomic
def report_letter_send(
    *, access: ClinicAccess, patient_id: uuid.UUID, now: dt.datetime, base_url: str
) -> ChartDocument:
    """Render the course report, keep it on the chart and e-mail it to the referrer."""
    access.require(Permission.EDIT_CLINICAL)
    patient = patient_get(access=access, patient_id=patient_id)
    to = patient.referring_clinician_email
    if not to:
        raise ValidationFailed.single(
            "referring_clinician_email", "Record the referring clinician's e-mail first."
        )
    content = report.report_open(access=access, patient_id=patient.pk, now=now, export=True)
    pdf = report.render_pdf(content, base_url=base_url)
    document = letter_out_keep_and_send(
        access,
        patient,
        pdf,
        OutgoingLetter(
            title=f"Course report {now:%Y-%m-%d}",
            to=to,
            subject=f"Course report from {access.clinic.name}",
            body=LETTER_BODY.format(
                name=patient.referring_clinician_name or "colleague",
                clinic=access.clinic.name,
                phone=access.clinic.site_phone,
            ),
            purpose="report_letter",
            filename=f"course-report-{patient.mrn}.pdf",
        ),
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="chartdocument",
        object_id=document.pk,
        patient_id=patient.pk,
        details={"kind": document.kind, "sent_to": to, "message_id": document.message_id},
    )
    return document


@transaction.atomic
def chart_documents(*, access: ClinicAccess, patient_id: uuid.UUID) -> list[ChartDocument]:
    """The chart's letters; opening the list is a chart view, audited."""
    access.require(Permission.VIEW_CHART)
    patient = patient_get(access=access, patient_id=patient_id)
    audit_as(
        access,
        action=Action.VIEW,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        details={"section": "letters"},
    )
    return list(
        ChartDocument.objects.filter(
            clinic=access.clinic, patient=patient, entered_in_error_at=None
        )
    )


@transaction.atomic
def chart_document_open(
    *, access: ClinicAccess, patient_id: uuid.UUID, document_id: uuid.UUID
) -> tuple[ChartDocument, bytes]:
    """A letter's PDF; opening it is a chart view, audited."""
    access.require(Permission.VIEW_CHART)
    document = ChartDocument.objects.filter(
        clinic=access.clinic, patient_id=patient_id, pk=document_id
    ).first()
    if document is None:
        raise NotFound("document")
    audit_as(
        access,
        action=Action.VIEW,
        object_type="chartdocument",
        object_id=document.pk,
        patient_id=document.patient_id,
        details={"section": "letters"},
    )
    with document.file.open("rb") as handle:
        return document, handle.read()
