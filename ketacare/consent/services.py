"""Writes of e-consent: documents and versions, sending a consent link, the patient's
check, signature and withdrawal, and the staff countersignature. Each public function
runs in one transaction and writes its audit record there."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as, audit_record
from ketacare.common import clock, context
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.consent import core
from ketacare.consent.content import DefaultDocument, default_documents
from ketacare.consent.models import ConsentDocument, ConsentDocumentVersion, EConsent
from ketacare.consent.selectors import (
    consent_settings_for,
    document_get,
    econsent_get,
    latest_version,
)
from ketacare.measures import services as links
from ketacare.measures.models import SelfReportLink
from ketacare.messaging.services import message_queue
from ketacare.patients.models import Consent, Patient
from ketacare.patients.selectors import patient_get
from ketacare.web.pdf import html_to_pdf

PATIENT = "patient"  # the audit actor of what the patient does through the link

# --- documents and versions -------------------------------------------------------------


def questions_of(version: ConsentDocumentVersion) -> list[core.Question]:
    return [
        core.Question(
            text=q["text"],
            options=tuple(q["options"]),
            correct=int(q["correct"]),
            explanation=q["explanation"],
        )
        for q in version.questions
    ]


def _new_version(
    *,
    document: ConsentDocument,
    number: int,
    title: str,
    body: str,
    sources: Sequence[str],
    questions: Sequence[core.Question],
    change_note: str,
    created_by: Any,
) -> ConsentDocumentVersion:
    return ConsentDocumentVersion.objects.create(
        clinic=document.clinic,
        document=document,
        number=number,
        title=title.strip(),
        body=body.strip().replace("\r\n", "\n"),
        sources=[s.strip() for s in sources if s.strip()],
        questions=[asdict(q) | {"options": list(q.options)} for q in questions],
        text_sha256=core.document_hash(title, body),
        change_note=change_note.strip()[:300],
        created_by=created_by,
    )


def documents_seed(clinic: Clinic) -> list[ConsentDocument]:
    """Give the clinic the default document of each form it does not have yet, in each
    language shipped (version 1). Audited as the seed; run again, it adds nothing."""
    have = set(
        ConsentDocument.objects.filter(clinic=clinic).values_list("treatment_form", "language")
    )
    created = []
    for language in Patient.Language.values:
        with translation.override(language):
            defaults = default_documents()
        for default in defaults:
            if (default.treatment_form, language) in have:
                continue
            created.append(_seed_document(clinic, default, language))
    return created


def _seed_document(clinic: Clinic, default: DefaultDocument, language: str) -> ConsentDocument:
    document = ConsentDocument.objects.create(
        clinic=clinic, treatment_form=default.treatment_form, language=language
    )
    version = _new_version(
        document=document,
        number=1,
        title=default.title,
        body=default.body,
        sources=default.sources,
        questions=default.questions,
        change_note="Default document",
        created_by=None,
    )
    audit_record(
        actor=None,
        clinic=clinic,
        action=Action.CREATE,
        object_type="consentdocumentversion",
        object_id=version.pk,
        actor_label="seed",
        changes={"number": [None, 1], "text_sha256": [None, version.text_sha256]},
        details={"treatment_form": default.treatment_form, "language": language},
    )
    return document


@transaction.atomic
def documents_list(*, access: ClinicAccess) -> list[tuple[ConsentDocument, ConsentDocumentVersion]]:
    """The clinic's documents with their latest versions (seeding the defaults first)."""
    access.require(Permission.VIEW_REGISTRY)
    documents_seed(access.clinic)
    documents = ConsentDocument.objects.filter(clinic=access.clinic)
    return [(d, latest_version(d)) for d in documents]


def _clean_questions(raw: Sequence[Mapping[str, Any]]) -> list[core.Question]:
    if not raw:
        raise ValidationFailed.single(
            "questions", "Give at least one question to check understanding."
        )
    found = []
    for n, q in enumerate(raw, start=1):
        text = str(q.get("text", "")).strip()
        options = [str(o).strip() for o in q.get("options", []) if str(o).strip()]
        explanation = str(q.get("explanation", "")).strip()
        try:
            correct = int(q.get("correct", -1))
        except (TypeError, ValueError):
            correct = -1
        if not text:
            raise ValidationFailed.single(
                f"questions.{n}.text", f"Question {n}: write the question."
            )
        if len(options) < 2:
            raise ValidationFailed.single(
                f"questions.{n}.options", f"Question {n}: give at least two answers."
            )
        if not 0 <= correct < len(options):
            raise ValidationFailed.single(
                f"questions.{n}.correct", f"Question {n}: choose which answer is right."
            )
        if not explanation:
            raise ValidationFailed.single(
                f"questions.{n}.explanation",
                f"Question {n}: explain the right answer, for a patient who chose wrongly.",
            )
        found.append(core.Question(text, tuple(options), correct, explanation))
    return found


@transaction.atomic
def document_edit(
    *,
    access: ClinicAccess,
    document_id: uuid.UUID | str,
    title: str,
    body: str,
    sources: Sequence[str],
    questions: Sequence[Mapping[str, Any]],
    change_note: str = "",
) -> ConsentDocumentVersion:
    """Save an edit as the document's next version; earlier versions stay as signed."""
    access.require(Permission.MANAGE_PROTOCOLS)
    document = document_get(access=access, document_id=document_id)
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Give the document a title."
    elif len(title.strip()) > 200:
        errors["title"] = "Keep the title under 200 characters."
    if not body.strip():
        errors["body"] = "Write the document's text."
    if not [s for s in sources if s.strip()]:
        errors["sources"] = "List the sources of the document's statements."
    if errors:
        raise ValidationFailed({k: [v] for k, v in errors.items()})
    checked = _clean_questions(questions)
    current = ConsentDocument.objects.select_for_update().get(pk=document.pk)
    previous = latest_version(current)
    if (
        core.document_hash(title, body) == previous.text_sha256
        and checked == questions_of(previous)
        and list(sources) == previous.sources
    ):
        raise ValidationFailed.single("body", "Nothing changed: no new version was made.")
    version = _new_version(
        document=current,
        number=previous.number + 1,
        title=title,
        body=body,
        sources=sources,
        questions=checked,
        change_note=change_note,
        created_by=access.user,
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="consentdocumentversion",
        object_id=version.pk,
        changes={
            "number": [previous.number, version.number],
            "text_sha256": [previous.text_sha256, version.text_sha256],
        },
        details={"treatment_form": current.treatment_form, "change_note": version.change_note},
    )
    return version


@transaction.atomic
def settings_update(
    *,
    access: ClinicAccess,
    valid_months: int,
    new_version_supersedes: bool,
    countersign_required: bool,
) -> Any:
    access.require(Permission.MANAGE_PROTOCOLS)
    if not 0 <= valid_months <= 120:
        raise ValidationFailed.single("valid_months", "Give 0 (never expires) to 120 months.")
    found = consent_settings_for(access.clinic)
    changes = {
        name: [getattr(found, name), value]
        for name, value in (
            ("valid_months", valid_months),
            ("new_version_supersedes", new_version_supersedes),
            ("countersign_required", countersign_required),
        )
        if getattr(found, name) != value
    }
    for name, (_old, value) in changes.items():
        setattr(found, name, value)
    found.save()
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="consentsettings",
        object_id=found.pk,
        changes=changes,
    )
    return found


# --- sending a consent link ----------------------------------------------------------------


def document_for_form(
    clinic: Clinic, treatment_form: str, language: str = Patient.Language.ENGLISH
) -> ConsentDocument:
    """The clinic's document for a form of treatment in the patient's language, else in
    English; else its every-form document, in the same order. (The form's own document
    comes first: it holds that form's risks and status.)"""
    documents_seed(clinic)
    for form in (treatment_form, ""):
        for wanted in dict.fromkeys((language, Patient.Language.ENGLISH)):
            found = ConsentDocument.objects.filter(
                clinic=clinic, treatment_form=form, language=wanted, retired_at__isnull=True
            ).first()
            if found is not None:
                return found
    raise ValidationFailed.single("treatment_form", "The clinic has no consent document for this.")


@transaction.atomic
def consent_send(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID | str,
    treatment_form: str,
    channel: str = "email",
) -> EConsent:
    """Send the patient a link to read, check and sign the latest version of the
    document for this form of treatment."""
    access.require(Permission.RECORD_CONSENT)
    patient = patient_get(access=access, patient_id=patient_id)
    if patient.is_archived:
        raise ValidationFailed.single("patient", "This patient is archived.")
    if treatment_form not in Consent.TreatmentForm.values:
        raise ValidationFailed.single("treatment_form", "Choose a form of treatment.")
    document = document_for_form(access.clinic, treatment_form, patient.preferred_language)
    version = latest_version(document)
    link = links.patient_link_issue(
        clinic=access.clinic,
        patient=patient,
        channel=channel,
        now=clock.now(),
        created_by=access.user,
        purpose=SelfReportLink.Purpose.CONSENT,
    )
    econsent = EConsent.objects.create(
        clinic=access.clinic, patient=patient, version=version, link=link
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="econsent",
        object_id=econsent.pk,
        patient_id=patient.pk,
        changes={"status": [None, econsent.status], "version": [None, version.number]},
        details={
            "link": str(link.pk),
            "treatment_form": document.treatment_form,
            "language": document.language,
        },
    )
    return econsent


# --- the patient, through the link ---------------------------------------------------------


def econsent_open(*, token: str, for_update: bool = False) -> EConsent:
    """The e-consent of a live consent link, or links.LinkRefused saying why not."""
    link = links.link_open(token=token, for_update=for_update)
    if link.purpose != SelfReportLink.Purpose.CONSENT:
        raise links.LinkRefused("invalid")
    rows = EConsent.objects.select_related("version", "version__document", "patient", "clinic")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    found = rows.filter(link=link).first()
    if found is None:
        raise links.LinkRefused("invalid")
    found.link = link
    return found


def _patient_audit(econsent: EConsent, event: str, changes: dict[str, list[Any]]) -> None:
    audit_record(
        actor=None,
        clinic=econsent.clinic,
        action=Action.UPDATE,
        object_type="econsent",
        object_id=econsent.pk,
        patient_id=econsent.patient_id,
        actor_label=PATIENT,
        changes=changes,
        details={"event": event, "link": str(econsent.link_id)},
    )


@transaction.atomic
def consent_check(*, token: str, chosen: Sequence[int | None]) -> list[core.Marked]:
    """Mark the patient's answers to the understanding check; all right opens signing."""
    econsent = econsent_open(token=token, for_update=True)
    if econsent.status != EConsent.Status.SENT:
        raise ValidationFailed.single("answers", _("This consent is already signed."))
    marked = core.mark_answers(questions_of(econsent.version), chosen)
    econsent.check_attempts += 1
    ok = core.passed(marked)
    if ok and econsent.check_passed_at is None:
        econsent.check_passed_at = clock.now()
    econsent.save(update_fields=["check_attempts", "check_passed_at", "updated_at"])
    _patient_audit(
        econsent,
        "check_passed" if ok else "check_failed",
        {"check_attempts": [econsent.check_attempts - 1, econsent.check_attempts]},
    )
    return marked


PATH_DATA = re.compile(r"^[ML0-9 .,\-]*$")
MAX_PATH = 60_000


def signature_svg(paths: Sequence[str]) -> str:
    """An SVG of the drawn strokes. Only path data of moves and lines (M, L, numbers) is
    taken, and the SVG is built here, so nothing the browser sends becomes markup."""
    kept = [p.strip() for p in paths if p.strip()]
    if not kept:
        return ""
    if sum(len(p) for p in kept) > MAX_PATH or not all(PATH_DATA.match(p) for p in kept):
        raise ValidationFailed.single("signature", _("The drawn signature could not be read."))
    strokes = "".join(f'<path d="{p}"/>' for p in kept)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 200" width="300" '
        'height="100" fill="none" stroke="#000" stroke-width="3" stroke-linecap="round" '
        f'stroke-linejoin="round">{strokes}</svg>'
    )


def _pdf(econsent: EConsent, *, countersigned: bool) -> bytes:
    version = econsent.version
    with translation.override(version.document.language):  # the words the patient signed
        html = _pdf_html(econsent, version, countersigned=countersigned)
    return html_to_pdf(html)


def _pdf_html(econsent: EConsent, version: ConsentDocumentVersion, *, countersigned: bool) -> str:
    return render_to_string(
        "web/consent/pdf.html",
        {
            "clinic": econsent.clinic,
            "patient": econsent.patient,
            "econsent": econsent,
            "version": version,
            "paragraphs": paragraphs(version.body),
            "countersigned": countersigned,
            "zone": econsent.clinic.time_zone,
        },
    )


def paragraphs(body: str) -> list[tuple[str, str | list[str]]]:
    """The body as ("h", text), ("p", text) and ("ul", [items]) blocks, for pages and PDFs."""
    blocks: list[tuple[str, str | list[str]]] = []
    for chunk in body.replace("\r\n", "\n").split("\n\n"):
        text = chunk.strip()
        if not text:
            continue
        if text.startswith("## "):
            blocks.append(("h", text[3:].strip()))
        elif all(line.strip().startswith("- ") for line in text.splitlines()):
            blocks.append(("ul", [line.strip()[2:] for line in text.splitlines()]))
        else:
            blocks.append(("p", " ".join(line.strip() for line in text.splitlines())))
    return blocks


@transaction.atomic
def consent_sign(*, token: str, typed_name: str, signature_paths: Sequence[str] = ()) -> EConsent:
    """The patient signs (typed name, and a drawn signature if they drew one): the signed
    PDF is made and stored with its hash, the document text's hash, the version, the time,
    the IP and the link."""
    econsent = econsent_open(token=token, for_update=True)
    if econsent.status != EConsent.Status.SENT:
        raise ValidationFailed.single("typed_name", _("This consent is already signed."))
    if econsent.check_passed_at is None:
        raise ValidationFailed.single(
            "answers", _("Answer the questions about the document correctly before signing.")
        )
    name = " ".join(typed_name.split())
    if not name:
        raise ValidationFailed.single("typed_name", _("Type your full name to sign."))
    if len(name) > 200:
        raise ValidationFailed.single("typed_name", _("Keep your name under 200 characters."))
    econsent.signature_svg = signature_svg(signature_paths)
    econsent.typed_name = name
    econsent.signed_at = clock.now()
    econsent.signed_ip = context.current().ip_address
    econsent.document_sha256 = econsent.version.text_sha256
    econsent.status = EConsent.Status.SIGNED
    econsent.signed_pdf = _pdf(econsent, countersigned=False)
    econsent.signed_pdf_sha256 = core.bytes_hash(econsent.signed_pdf)
    econsent.save()
    kept_until = _keep_link_open(econsent)
    _patient_audit(
        econsent,
        "signed",
        {
            "status": [EConsent.Status.SENT, econsent.status],
            "signed_at": [None, econsent.signed_at],
            "signed_pdf_sha256": [None, econsent.signed_pdf_sha256],
            "document_sha256": [None, econsent.document_sha256],
            "version": [None, econsent.version.number],
            "drawn_signature": [None, bool(econsent.signature_svg)],
            "link_expires_at": [None, kept_until],
        },
    )
    return econsent


def _keep_link_open(econsent: EConsent) -> dt.datetime:
    """Once signed, the link stays open for as long as the consent counts (or 12 months
    if it never expires), so the patient can see the PDF and withdraw through it."""
    link = econsent.link
    months = consent_settings_for(econsent.clinic).valid_months or 12
    now = clock.now()
    day = core.add_months(now.date(), months)
    until = max(link.expires_at, now.replace(year=day.year, month=day.month, day=day.day))
    if until != link.expires_at:
        link.expires_at = until
        link.save(update_fields=["expires_at", "updated_at"])
    return until


def withdrawal_recipients(clinic: Clinic) -> list[Any]:
    """Who hears of a withdrawal: the people who hear of an ignored safety alert."""
    return links.escalation_recipients(clinic)


@transaction.atomic
def consent_withdraw(*, token: str, reason: str = "") -> EConsent:
    """The patient takes back a signed consent: recorded, audited, and the clinic told
    (the administrators and on-call prescribers, by email and SMS)."""
    econsent = econsent_open(token=token, for_update=True)
    if econsent.status == EConsent.Status.WITHDRAWN:
        raise ValidationFailed.single("reason", _("This consent was already withdrawn."))
    if econsent.status == EConsent.Status.SENT:
        raise ValidationFailed.single(
            "reason", _("Nothing to withdraw: this consent is not signed.")
        )
    before = econsent.status
    econsent.status = EConsent.Status.WITHDRAWN
    econsent.withdrawn_at = clock.now()
    econsent.withdrawn_ip = context.current().ip_address
    econsent.withdrawal_reason = reason.strip()[:500]
    econsent.save(
        update_fields=["status", "withdrawn_at", "withdrawn_ip", "withdrawal_reason", "updated_at"]
    )
    _patient_audit(
        econsent,
        "withdrawn",
        {"status": [before, econsent.status], "withdrawn_at": [None, econsent.withdrawn_at]},
    )
    _notify_withdrawal(econsent)
    return econsent


def _notify_withdrawal(econsent: EConsent) -> None:
    clinic = econsent.clinic
    url = (
        f"{settings.KETACARE_PUBLIC_URL.rstrip('/')}/c/{clinic.slug}/patients/"
        f"{econsent.patient_id}/econsent/"
    )
    body = (
        f"CONSENT WITHDRAWN at {clinic.name}: patient MRN {econsent.patient.mrn} withdrew "
        f"consent to {econsent.version.title} (version {econsent.version.number}). No further "
        f"doses may be given on it. Review: {url}"
    )
    for membership in withdrawal_recipients(clinic):
        user = membership.user
        for channel, to in (("email", user.email), ("sms", user.mobile_phone)):
            if to:
                message_queue(
                    clinic=clinic,
                    channel=channel,
                    to=to,
                    body=body,
                    subject="KetaCare: a patient withdrew consent" if channel == "email" else "",
                    purpose="consent_withdrawn",
                    patient_id=econsent.patient_id,
                    recipient_user=user,
                )


# --- staff -----------------------------------------------------------------------------------


@transaction.atomic
def consent_countersign(
    *, access: ClinicAccess, patient_id: uuid.UUID | str, econsent_id: uuid.UUID | str
) -> EConsent:
    """A prescriber or nurse countersigns a signed e-consent; the countersigned PDF is
    made and its hash stored."""
    access.require(Permission.RECORD_CONSENT)
    access.require(Permission.EDIT_CLINICAL)  # a clinician: prescriber or nurse
    found = econsent_get(access=access, econsent_id=econsent_id, patient_id=patient_id)
    econsent = (
        EConsent.objects.select_for_update(of=("self",))
        .select_related("version", "version__document", "patient", "clinic")
        .get(pk=found.pk)
    )
    if econsent.status != EConsent.Status.SIGNED:
        raise ValidationFailed.single(
            "econsent",
            "Only a consent the patient has signed, and not withdrawn, can be countersigned.",
        )
    econsent.countersigned_by = access.user
    econsent.countersigned_at = clock.now()
    econsent.status = EConsent.Status.COUNTERSIGNED
    econsent.countersigned_pdf = _pdf(econsent, countersigned=True)
    econsent.countersigned_pdf_sha256 = core.bytes_hash(econsent.countersigned_pdf)
    econsent.save()
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="econsent",
        object_id=econsent.pk,
        patient_id=econsent.patient_id,
        changes={
            "status": [EConsent.Status.SIGNED, econsent.status],
            "countersigned_at": [None, econsent.countersigned_at],
            "countersigned_pdf_sha256": [None, econsent.countersigned_pdf_sha256],
        },
        details={"event": "countersigned"},
    )
    return econsent


@transaction.atomic
def consent_pdf(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID | str,
    econsent_id: uuid.UUID | str,
    countersigned: bool = False,
) -> tuple[EConsent, bytes]:
    """The stored PDF (signed, or countersigned), audited as a view."""
    access.require(Permission.VIEW_REGISTRY)
    econsent = econsent_get(access=access, econsent_id=econsent_id, patient_id=patient_id)
    data = econsent.countersigned_pdf if countersigned else econsent.signed_pdf
    if not data:
        raise NotFound("pdf")
    audit_as(
        access,
        action=Action.VIEW,
        object_type="econsent",
        object_id=econsent.pk,
        patient_id=econsent.patient_id,
        details={"pdf": "countersigned" if countersigned else "signed"},
    )
    return econsent, bytes(data)


def hashes_verified(econsent: EConsent) -> dict[str, bool | None]:
    """Do the stored PDFs and document text still match their stored hashes? (None:
    nothing stored yet.)"""
    version = econsent.version
    return {
        "document": core.document_hash(version.title, version.body) == econsent.document_sha256
        if econsent.document_sha256
        else None,
        "signed_pdf": core.bytes_hash(bytes(econsent.signed_pdf)) == econsent.signed_pdf_sha256
        if econsent.signed_pdf
        else None,
        "countersigned_pdf": core.bytes_hash(bytes(econsent.countersigned_pdf))
        == econsent.countersigned_pdf_sha256
        if econsent.countersigned_pdf
        else None,
    }


@transaction.atomic
def consent_pdf_for_patient(*, token: str) -> tuple[EConsent, bytes]:
    """The patient's own signed PDF (countersigned once it is), through the link; audited."""
    econsent = econsent_open(token=token)
    data = econsent.countersigned_pdf or econsent.signed_pdf
    if not data:
        raise NotFound("pdf")
    audit_record(
        actor=None,
        clinic=econsent.clinic,
        action=Action.VIEW,
        object_type="econsent",
        object_id=econsent.pk,
        patient_id=econsent.patient_id,
        actor_label=PATIENT,
        details={"pdf": "countersigned" if econsent.countersigned_pdf else "signed"},
    )
    return econsent, bytes(data)
