"""Writes to the patient registry. Each service checks the role, validates,
saves and writes its audit event in one transaction, so nothing is saved half-way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Page
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.chain import diff
from ketacare.audit.services import Action, audit_as
from ketacare.common.course_state import course_state_refresh
from ketacare.common.errors import ValidationFailed
from ketacare.common.keyset import OrderedPage
from ketacare.patients import duplicates, rules
from ketacare.patients.models import (
    Allergy,
    BodyMeasurement,
    Consent,
    Diagnosis,
    Medication,
    Patient,
    PatientRecord,
)
from ketacare.patients.selectors import (
    duplicate_candidates,
    patient_get,
    patient_search,
    patient_search_after,
    record_get,
)
from ketacare.patients.signals import clinical_record_changed

PATIENT_FIELDS = (
    "mrn",
    "legal_given_name",
    "legal_family_name",
    "preferred_name",
    "date_of_birth",
    "sex_at_birth",
    "gender_identity",
    "pronouns",
    "preferred_language",
    "phone",
    "email",
    "address",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "referring_clinician_name",
    "referring_clinician_organisation",
    "referring_clinician_phone",
    "referring_clinician_email",
    "no_known_allergies",
)
# The fields of the name every list shows (`Patient.display_name`).
NAME_FIELDS = {"legal_family_name", "legal_given_name", "preferred_name"}
# Fields a caller may set on each kind of chart entry, and which of them may change later.
RECORD_FIELDS: dict[type[PatientRecord], tuple[str, ...]] = {
    BodyMeasurement: ("measured_on", "weight_kg", "height_cm"),
    Allergy: ("substance", "reaction", "severity", "status", "noted_on"),
    Medication: (
        "name",
        "dose",
        "frequency",
        "route",
        "start_date",
        "stop_date",
        "status",
        "indication",
    ),
    Diagnosis: ("icd10_code", "description", "onset_date", "status", "is_primary"),
    Consent: ("kind", "decision", "treatment_form", "document_version", "decided_on", "notes"),
}
# Measurements and consents are dated facts: a wrong one is marked in error, not edited.
UPDATABLE: dict[type[PatientRecord], tuple[str, ...]] = {
    BodyMeasurement: (),
    Allergy: ("reaction", "severity", "status", "noted_on"),
    Medication: ("dose", "frequency", "route", "start_date", "stop_date", "status", "indication"),
    Diagnosis: ("description", "onset_date", "status", "is_primary"),
    Consent: (),
}
RECORD_PERMISSION: dict[type[PatientRecord], Permission] = {
    BodyMeasurement: Permission.EDIT_CLINICAL,
    Allergy: Permission.EDIT_CLINICAL,
    Medication: Permission.EDIT_CLINICAL,
    Diagnosis: Permission.EDIT_CLINICAL,
    Consent: Permission.RECORD_CONSENT,
}

R = TypeVar("R", bound=PatientRecord)
# Entries whose change may change a patient's eligibility (screening re-runs on them).
SCREENED_RECORDS = (Allergy, Medication, Diagnosis)


def _notify_if_screened(access: ClinicAccess, record: PatientRecord) -> None:
    if isinstance(record, SCREENED_RECORDS):
        clinical_record_changed.send(
            sender=type(record), access=access, patient_id=record.patient_id
        )


def _snapshot(instance: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: getattr(instance, f) for f in fields}


def _only(data: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed({f: ["This field cannot be set here."] for f in unknown})
    return dict(data)


def _full_clean(
    instance: models.Model, rule_errors: Callable[[], dict[str, str]], exclude: list[str]
) -> None:
    """Django's field validation first (types, lengths, choices), every failing field at
    once; then, when the values are clean, our domain rules, every failing rule at once."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationFailed(
            {field: list(messages) for field, messages in exc.message_dict.items()}
        ) from exc
    if errors := rule_errors():
        raise ValidationFailed({field: [message] for field, message in errors.items()})


def _patient_rule_errors(patient: Patient) -> dict[str, str]:
    errors = {
        "mrn": rules.mrn_error(patient.mrn),
        "date_of_birth": rules.date_of_birth_error(
            patient.date_of_birth, today=patient.clinic.today()
        ),
        "legal_given_name": rules.blank_error(patient.legal_given_name, what="First name"),
        "legal_family_name": rules.blank_error(patient.legal_family_name, what="Last name"),
    }
    return {field: message for field, message in errors.items() if message}


def _validate_patient(patient: Patient) -> None:
    _full_clean(
        patient,
        lambda: _patient_rule_errors(patient),
        exclude=["clinic", "created_by", "archived_by", "merged_into"],
    )


def _save_patient(patient: Patient) -> None:
    _validate_patient(patient)
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:
        taken = Patient.objects.filter(clinic=patient.clinic, mrn=patient.mrn).exclude(
            pk=patient.pk
        )
        if not taken.exists():
            raise  # not the MRN: don't disguise another fault as a duplicate
        raise ValidationFailed.single("mrn", "This MRN is already used in this clinic.") from exc


CONFIRM_FIELD = "confirm_not_duplicate"


class DuplicateSuspected(ValidationFailed):
    """The person being registered may already have a record: the caller shows the
    candidates and registers only when told it is a different person."""

    def __init__(self, candidates: list[duplicates.Candidate[Patient]]) -> None:
        self.candidates = candidates
        listed = "; ".join(
            f"{c.key.display_name} (MRN {c.key.mrn}, born {c.key.date_of_birth:%Y-%m-%d}): "
            f"{c.reason_text}"
            for c in candidates
        )
        super().__init__(
            {
                CONFIRM_FIELD: [
                    f"This person may already be registered: {listed}. Open the existing "
                    "record, or confirm that this is a different person to register anyway."
                ]
            }
        )


def patient_create(
    *, access: ClinicAccess, data: Mapping[str, Any], confirm_not_duplicate: bool = False
) -> Patient:
    """Register a patient. When a record may be the same person (patients/duplicates.py)
    it is refused with DuplicateSuspected, naming them, unless the caller confirms that
    this is a different person; the confirmation is kept in the create event's details.
    The candidates shown are audited as a registry read."""
    try:
        return _patient_create(
            access=access, data=data, confirm_not_duplicate=confirm_not_duplicate
        )
    except DuplicateSuspected as exc:
        _audit_candidates_shown(access, exc.candidates)
        raise


@transaction.atomic
def _audit_candidates_shown(
    access: ClinicAccess, candidates: list[duplicates.Candidate[Patient]]
) -> None:
    audit_as(
        access,
        action=Action.SEARCH,
        object_type="patient",
        details={
            "duplicate_check": True,
            "results": len(candidates),
            "patient_ids": [c.key.pk for c in candidates],
        },
    )


@transaction.atomic
def _patient_create(
    *, access: ClinicAccess, data: Mapping[str, Any], confirm_not_duplicate: bool
) -> Patient:
    access.require(Permission.REGISTER_PATIENT)
    patient = Patient(clinic=access.clinic, created_by=access.user, **_only(data, PATIENT_FIELDS))
    _validate_patient(patient)
    candidates = duplicate_candidates(access=access, patient=patient)
    if candidates and not confirm_not_duplicate:
        raise DuplicateSuspected(candidates)
    _save_patient(patient)
    details: dict[str, Any] = {}
    if candidates:
        details = {
            CONFIRM_FIELD: True,
            "possible_duplicates": [
                {"patient_id": c.key.pk, "mrn": c.key.mrn, "reasons": list(c.reasons)}
                for c in candidates
            ],
        }
    audit_as(
        access,
        action=Action.CREATE,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        changes=diff({}, _snapshot(patient, PATIENT_FIELDS)),
        details=details or None,
    )
    return patient


def _writable_patient(access: ClinicAccess, patient_id: uuid.UUID) -> Patient:
    patient = patient_get(access=access, patient_id=patient_id, for_update=True)
    if patient.is_archived:
        raise ValidationFailed.single(
            "patient", "This patient is archived; the record is read-only."
        )
    return patient


@transaction.atomic
def patient_update(
    *, access: ClinicAccess, patient_id: uuid.UUID, data: Mapping[str, Any]
) -> Patient:
    access.require(Permission.REGISTER_PATIENT)
    patient = _writable_patient(access, patient_id)
    before = _snapshot(patient, PATIENT_FIELDS)
    for field, value in _only(data, PATIENT_FIELDS).items():
        setattr(patient, field, value)
    changes = diff(before, _snapshot(patient, PATIENT_FIELDS))
    if changes:
        _save_patient(patient)
        if changes.keys() & NAME_FIELDS:  # the worklist sorts the courses by name
            course_state_refresh(access.clinic, patient.pk)
        audit_as(
            access,
            action=Action.UPDATE,
            object_type="patient",
            object_id=patient.pk,
            patient_id=patient.pk,
            changes=changes,
        )
    return patient


@transaction.atomic
def patient_archive(*, access: ClinicAccess, patient_id: uuid.UUID, reason: str) -> Patient:
    access.require(Permission.ARCHIVE_PATIENT)
    if not reason.strip():
        raise ValidationFailed.single("reason", "Give a reason for archiving.")
    patient = _writable_patient(access, patient_id)
    patient.archived_at, patient.archived_by = timezone.now(), access.user
    patient.archive_reason = reason.strip()[:300]
    patient.save(update_fields=["archived_at", "archived_by", "archive_reason", "updated_at"])
    audit_as(
        access,
        action=Action.ARCHIVE,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        changes={
            "archived_at": [None, patient.archived_at],
            "archive_reason": [None, patient.archive_reason],
        },
    )
    return patient


# --- chart entries -------------------------------------------------------------------------


def _record_rule_errors(record: PatientRecord) -> dict[str, str]:
    """Domain rules for one chart entry; its fields have already passed type validation."""
    today = record.clinic.today()
    if isinstance(record, BodyMeasurement):
        return rules.measurement_errors(
            weight_kg=record.weight_kg,
            height_cm=record.height_cm,
            measured_on=record.measured_on,
            today=today,
            weight_range=rules.Range(
                settings.KETACARE_WEIGHT_MIN_KG, settings.KETACARE_WEIGHT_MAX_KG, "kg"
            ),
            height_range=rules.Range(
                settings.KETACARE_HEIGHT_MIN_CM, settings.KETACARE_HEIGHT_MAX_CM, "cm"
            ),
            born=record.patient.date_of_birth,
        )
    if isinstance(record, Diagnosis):
        record.icd10_code = rules.normalise_icd10(record.icd10_code) or record.icd10_code
        return {"icd10_code": msg} if (msg := rules.icd10_error(record.icd10_code)) else {}
    if isinstance(record, Medication):
        return rules.medication_errors(start_date=record.start_date, stop_date=record.stop_date)
    if isinstance(record, Consent):
        errors = {}
        if msg := rules.not_future_error(record.decided_on, today=today, what="Consent date"):
            errors["decided_on"] = msg
        if record.treatment_form and record.kind != Consent.Kind.TREATMENT:
            errors["treatment_form"] = "Only a treatment consent names a form of treatment."
        return errors
    return {}


def _validate_record(record: PatientRecord) -> None:
    _full_clean(
        record,
        lambda: _record_rule_errors(record),
        exclude=["patient", "clinic", "entered_by"],
    )


def _object_type(model: type[models.Model]) -> str:
    return model._meta.model_name or model.__name__.lower()


@transaction.atomic
def record_add(
    *, access: ClinicAccess, patient_id: uuid.UUID, model: type[R], data: Mapping[str, Any]
) -> R:
    """Add a weight, allergy, medication, diagnosis or consent to a patient's chart."""
    access.require(RECORD_PERMISSION[model])
    patient = _writable_patient(access, patient_id)
    fields = RECORD_FIELDS[model]
    record = model(
        patient=patient, clinic=access.clinic, entered_by=access.user, **_only(data, fields)
    )
    _validate_record(record)
    record.save()
    if isinstance(record, Allergy) and patient.no_known_allergies:
        _clear_no_known_allergies(access, patient)
    audit_as(
        access,
        action=Action.CREATE,
        object_type=_object_type(model),
        object_id=record.pk,
        patient_id=patient.pk,
        changes=diff({}, _snapshot(record, fields)),
    )
    _notify_if_screened(access, record)
    return record


def _clear_no_known_allergies(access: ClinicAccess, patient: Patient) -> None:
    patient.no_known_allergies = False
    patient.save(update_fields=["no_known_allergies", "updated_at"])
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        changes={"no_known_allergies": [True, False]},
    )


def _locked_record(
    access: ClinicAccess, patient_id: uuid.UUID, model: type[R], record_id: uuid.UUID
) -> R:
    _writable_patient(access, patient_id)
    return record_get(
        access=access, patient_id=patient_id, model=model, record_id=record_id, for_update=True
    )


@transaction.atomic
def record_update(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    model: type[R],
    record_id: uuid.UUID,
    data: Mapping[str, Any],
) -> R:
    access.require(RECORD_PERMISSION[model])
    record = _locked_record(access, patient_id, model, record_id)
    if record.entered_in_error_at:
        raise ValidationFailed.single("record", "This entry is marked as entered in error.")
    fields = RECORD_FIELDS[model]
    before = _snapshot(record, fields)
    for field, value in _only(data, UPDATABLE[model]).items():
        setattr(record, field, value)
    _validate_record(record)
    changes = diff(before, _snapshot(record, fields))
    if changes:
        record.save()
        audit_as(
            access,
            action=Action.UPDATE,
            object_type=_object_type(model),
            object_id=record.pk,
            patient_id=record.patient_id,
            changes=changes,
        )
        _notify_if_screened(access, record)
    return record


@transaction.atomic
def record_mark_entered_in_error(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    model: type[R],
    record_id: uuid.UUID,
    reason: str,
) -> R:
    """Retract a wrong entry. It stays on the chart, struck through, with who and why."""
    access.require(RECORD_PERMISSION[model])
    if not reason.strip():
        raise ValidationFailed.single("reason", "Say why this entry is in error.")
    record = _locked_record(access, patient_id, model, record_id)
    if record.entered_in_error_at:
        raise ValidationFailed.single("record", "This entry is already marked as in error.")
    record.entered_in_error_at = timezone.now()
    record.entered_in_error_reason = reason.strip()[:300]
    record.save(update_fields=["entered_in_error_at", "entered_in_error_reason", "updated_at"])
    audit_as(
        access,
        action=Action.UPDATE,
        object_type=_object_type(model),
        object_id=record.pk,
        patient_id=record.patient_id,
        changes={
            "entered_in_error_at": [None, record.entered_in_error_at],
            "entered_in_error_reason": ["", record.entered_in_error_reason],
        },
    )
    _notify_if_screened(access, record)
    return record


# --- audited reads ------------------------------------------------------------------------
# Reads of a chart are record-level audit events (not SQL logs), written in the same
# transaction as the read so the trail stays small and complete.

CHART_SECTIONS: dict[str, Permission] = {
    "overview": Permission.VIEW_REGISTRY,
    "weights": Permission.VIEW_CHART,
    "allergies": Permission.VIEW_CHART,
    "medications": Permission.VIEW_CHART,
    "diagnoses": Permission.VIEW_CHART,
    "consents": Permission.VIEW_REGISTRY,
    "measures": Permission.VIEW_CHART,
    "sessions": Permission.VIEW_REGISTRY,
    "history": Permission.VIEW_CHART,
    "eligibility": Permission.VIEW_CHART,
    "plan": Permission.VIEW_CHART,  # plans and dose orders (ketacare.dosing)
    "outcomes": Permission.VIEW_CHART,
    "econsent": Permission.VIEW_CHART,  # e-consents (ketacare.consent)
    "notes": Permission.VIEW_CHART,  # clinical and therapy notes (ketacare.notes)
    "education": Permission.VIEW_REGISTRY,  # articles sent (ketacare.education)
}


@transaction.atomic
def patient_view(
    *, access: ClinicAccess, patient_id: uuid.UUID | str, section: str = "overview"
) -> Patient:
    """Open a patient's record (or one section of it) and audit the view."""
    access.require(CHART_SECTIONS[section])
    patient = patient_get(access=access, patient_id=patient_id)
    audit_as(
        access,
        action=Action.VIEW,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        details={"section": section},
    )
    return patient


@transaction.atomic
def patient_search_audited(
    *,
    access: ClinicAccess,
    query: str,
    include_archived: bool = False,
    page: int = 1,
    page_size: int | None = None,
) -> Page:
    """Search the registry; one audit event per search, not one per row listed."""
    access.require(Permission.VIEW_REGISTRY)
    results = patient_search(
        access=access,
        query=query,
        include_archived=include_archived,
        page=page,
        page_size=page_size,
    )
    where = {"page": results.number, "results": results.paginator.count}
    _audit_search(access, query, where, list(results.object_list))
    return results


def patient_search_after_audited(
    *,
    access: ClinicAccess,
    query: str,
    include_archived: bool = False,
    cursor: str | None = None,
    page_size: int | None = None,
) -> OrderedPage[Patient]:
    """The registry page after a cursor (keyset), audited like any search."""
    access.require(Permission.VIEW_REGISTRY)
    results = patient_search_after(
        access=access,
        query=query,
        include_archived=include_archived,
        cursor=cursor,
        page_size=page_size,
    )
    _audit_search(access, query, {"cursor": cursor or ""}, results.items)
    return results


def _audit_search(
    access: ClinicAccess, query: str, where: dict[str, Any], patients: list[Patient]
) -> None:
    audit_as(
        access,
        action=Action.SEARCH,
        object_type="patient",
        details={"query": query, **where, "patient_ids": [p.pk for p in patients]},
    )
