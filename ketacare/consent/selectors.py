"""Reads of e-consent records, always within the caller's clinic, and the consent rule's
evidence gathered for one patient and form of treatment."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db.models import Max, QuerySet

from ketacare.accounts.access import ClinicAccess
from ketacare.common.errors import NotFound
from ketacare.consent import core
from ketacare.consent.models import (
    ConsentDocument,
    ConsentDocumentVersion,
    ConsentSettings,
    EConsent,
)
from ketacare.patients.models import Consent, Patient


def consent_settings_for(clinic: object) -> ConsentSettings:
    """The clinic's consent settings, created from the cited defaults on first use."""
    found, _ = ConsentSettings.objects.get_or_create(
        clinic=clinic,
        defaults={
            "valid_months": settings.KETACARE_CONSENT_VALID_MONTHS,
            "new_version_supersedes": settings.KETACARE_CONSENT_NEW_VERSION_SUPERSEDES,
            "countersign_required": settings.KETACARE_CONSENT_COUNTERSIGN_REQUIRED,
        },
    )
    return found


def policy_of(clinic: object) -> core.ConsentPolicy:
    found = consent_settings_for(clinic)
    return core.ConsentPolicy(
        valid_months=found.valid_months,
        new_version_supersedes=found.new_version_supersedes,
        countersign_required=found.countersign_required,
    )


def _get(queryset: QuerySet, pk: uuid.UUID | str, what: str) -> object:
    try:
        found = queryset.filter(pk=pk).first()
    except (ValueError, TypeError, Exception) as exc:  # malformed ids answer 404 too
        raise NotFound(what) from exc
    if found is None:
        raise NotFound(what)
    return found


def document_get(*, access: ClinicAccess, document_id: uuid.UUID | str) -> ConsentDocument:
    found = _get(ConsentDocument.objects.filter(clinic=access.clinic), document_id, "document")
    assert isinstance(found, ConsentDocument)
    return found


def version_get(*, access: ClinicAccess, version_id: uuid.UUID | str) -> ConsentDocumentVersion:
    versions = ConsentDocumentVersion.objects.filter(clinic=access.clinic).select_related(
        "document"
    )
    found = _get(versions, version_id, "version")
    assert isinstance(found, ConsentDocumentVersion)
    return found


def econsent_get(
    *, access: ClinicAccess, econsent_id: uuid.UUID | str, patient_id: uuid.UUID | str | None = None
) -> EConsent:
    rows = EConsent.objects.filter(clinic=access.clinic).select_related(
        "version", "version__document", "patient", "link", "countersigned_by"
    )
    if patient_id is not None:
        rows = rows.filter(patient_id=patient_id)
    found = _get(rows, econsent_id, "consent")
    assert isinstance(found, EConsent)
    return found


def latest_version(document: ConsentDocument) -> ConsentDocumentVersion:
    found = document.versions.order_by("-number").first()
    if found is None:
        raise NotFound("version")
    return found


def econsents_of(*, patient: Patient) -> list[EConsent]:
    return list(
        EConsent.objects.filter(patient=patient).select_related(
            "version", "version__document", "link", "countersigned_by"
        )
    )


def treatment_consent_verdict(*, patient: Patient, form: str, today: dt.date) -> core.Verdict:
    """The consent rule's answer for a form of treatment (a Consent.TreatmentForm value)
    today: staff-recorded paper consents and the patient's e-consents covering the form
    (or every form), judged by `core.consent_verdict` under the clinic's settings."""
    forms = ["", form]
    paper = [
        core.PaperConsent(decision=c.decision, decided_on=c.decided_on, recorded_at=c.created_at)
        for c in Consent.objects.filter(
            patient=patient,
            kind=Consent.Kind.TREATMENT,
            treatment_form__in=forms,
            entered_in_error_at__isnull=True,
        )
    ]
    rows = EConsent.objects.filter(
        patient=patient,
        version__document__treatment_form__in=forms,
        signed_at__isnull=False,
    ).select_related("version", "version__document")
    newest = dict(
        ConsentDocumentVersion.objects.filter(document__in={r.version.document_id for r in rows})
        .values("document")
        .annotate(top=Max("number"))
        .values_list("document", "top")
    )
    clinic = patient.clinic
    electronic = [
        core.ElectronicConsent(
            signed_on=clinic.date_of(r.signed_at),
            signed_at=r.signed_at,
            version_number=r.version.number,
            current_version_number=newest.get(r.version.document_id, r.version.number),
            countersigned=r.countersigned_at is not None,
            withdrawn_on=clinic.date_of(r.withdrawn_at) if r.withdrawn_at else None,
            withdrawn_at=r.withdrawn_at,
        )
        for r in rows
        if r.signed_at is not None
    ]
    words = Consent.TreatmentForm(form).label.lower() if form else ""
    return core.consent_verdict(
        today=today, form=words, paper=paper, electronic=electronic, policy=policy_of(clinic)
    )


def treatment_consent_current(*, patient: Patient, today: dt.date, form: str | None) -> bool:
    """Whether the consent rule lets a treatment go ahead today: for `form` (a
    Consent.TreatmentForm value) when the form is known; before a plan names one, for any
    form the patient has consented to on paper or online."""
    if form is not None:
        return treatment_consent_verdict(patient=patient, form=form, today=today).ok
    paper = Consent.objects.filter(
        patient=patient, kind=Consent.Kind.TREATMENT, entered_in_error_at__isnull=True
    ).values_list("treatment_form", flat=True)
    online = EConsent.objects.filter(patient=patient, signed_at__isnull=False).values_list(
        "version__document__treatment_form", flat=True
    )
    forms = set(paper) | set(online)
    return any(treatment_consent_verdict(patient=patient, form=f, today=today).ok for f in forms)
