"""Referral import (services): a dry run, then the confirmed import in one transaction.

Both run the very same code through the patient services (patient_create, record_add),
so the dry run reports exactly what the import would do: the dry run's transaction is
rolled back at the end. An import with any error writes nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as
from ketacare.common import clock
from ketacare.common.errors import ValidationFailed
from ketacare.exchange import sources
from ketacare.exchange.models import ChartDocument
from ketacare.exchange.referral import Incoming, Letter, Parsed
from ketacare.patients.models import Allergy, Diagnosis, Medication, Patient
from ketacare.patients.selectors import patient_get
from ketacare.patients.services import patient_create, record_add


@dataclass
class RowResult:
    key: str
    label: str
    action: str  # "create" | "match" | "error"
    match_reason: str = ""
    patient_id: str = ""
    mrn: str = ""
    added: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # already on the matched chart
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ImportResult:
    rows: list[RowResult]
    errors: dict[str, list[str]]  # about the file
    ignored: dict[str, int]
    imported: bool

    @property
    def ok(self) -> bool:
        return not self.errors and all(r.action != "error" for r in self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "ok": self.ok,
            "errors": self.errors,
            "ignored": self.ignored,
            "rows": [r.__dict__ for r in self.rows],
        }


class _DryRun(Exception):
    """Raised to roll the dry run's transaction back."""


def _match(access: ClinicAccess, incoming: Incoming) -> tuple[Patient | None, str]:
    patients = Patient.objects.filter(clinic=access.clinic)
    fields = incoming.patient
    if incoming.mrn_is_ours and fields.get("mrn"):
        found = patients.filter(mrn=fields["mrn"]).first()
        if found:
            return found, "same MRN"
    if fields.get("date_of_birth") and fields.get("legal_family_name"):
        found = patients.filter(
            legal_family_name__iexact=fields["legal_family_name"],
            legal_given_name__iexact=fields.get("legal_given_name", ""),
            date_of_birth=fields["date_of_birth"],
        ).first()
        if found:
            return found, "same name and date of birth"
    return None, ""


def referral_letter_store(access: ClinicAccess, patient: Patient, letter: Letter) -> ChartDocument:
    """Keep a referral letter received on the patient's chart, audited (inside the
    caller's transaction)."""
    access.require(Permission.REGISTER_PATIENT)
    document = ChartDocument(
        clinic=access.clinic,
        patient=patient,
        entered_by=access.user,
        kind=ChartDocument.Kind.REFERRAL_IN,
        title=letter.title,
        size_bytes=len(letter.content),
        sha256=hashlib.sha256(letter.content).hexdigest(),
    )
    document.file.save(f"{document.pk}.pdf", ContentFile(letter.content), save=False)
    document.save()
    audit_as(
        access,
        action=Action.CREATE,
        object_type="chartdocument",
        object_id=document.pk,
        patient_id=patient.pk,
        details={"kind": document.kind, "title": document.title, "sha256": document.sha256},
    )
    return document


def _import_one(access: ClinicAccess, incoming: Incoming, row: RowResult) -> list[str]:
    """Write one patient and their entries; returns the storage names of files written."""
    patient, reason = _match(access, incoming)
    if patient is None:
        # The dry run shows each row's match-or-create decision to the person who then
        # confirms the import; possible duplicates are kept in the create event's details.
        patient = patient_create(access=access, data=incoming.patient, confirm_not_duplicate=True)
        row.action = "create"
    else:
        row.action, row.match_reason = "match", reason
    row.patient_id, row.mrn = str(patient.pk), patient.mrn
    existing = {
        "conditions": set(
            Diagnosis.objects.filter(patient=patient, entered_in_error_at=None).values_list(
                "icd10_code", flat=True
            )
        ),
        "medications": {
            n.lower()
            for n in Medication.objects.filter(
                patient=patient, entered_in_error_at=None
            ).values_list("name", flat=True)
        },
        "allergies": {
            s.lower()
            for s in Allergy.objects.filter(patient=patient, entered_in_error_at=None).values_list(
                "substance", flat=True
            )
        },
    }
    plan: list[tuple[str, type[Any], list[dict[str, Any]], str]] = [
        ("conditions", Diagnosis, incoming.conditions, "icd10_code"),
        ("medications", Medication, incoming.medications, "name"),
        ("allergies", Allergy, incoming.allergies, "substance"),
    ]
    for name, model, records, key in plan:
        for record in records:
            value = str(record[key])
            value = value if name == "conditions" else value.lower()
            if value in existing[name]:
                row.skipped[name] = row.skipped.get(name, 0) + 1
                continue
            try:
                record_add(access=access, patient_id=patient.pk, model=model, data=record)
            except ValidationFailed as exc:
                for where, messages in exc.errors.items():
                    row.errors.setdefault(f"{name}.{where}", []).extend(messages)
                continue
            existing[name].add(value)
            row.added[name] = row.added.get(name, 0) + 1
    files, documents = [], []
    for letter in incoming.letters:
        document = referral_letter_store(access, patient, letter)
        documents.append(document)
        files.append(document.file.name)
        row.added["letters"] = row.added.get("letters", 0) + 1
    if incoming.patient.get("referring_clinician_name"):
        # Imported here, not at the top: ketacare.referrals builds on this module.
        from ketacare.referrals.services import referral_from_import

        first_letter = documents[0] if documents else None
        made = referral_from_import(access, patient, incoming.patient, first_letter, clock.now())
        counts = row.added if made else row.skipped
        counts["referrals"] = counts.get("referrals", 0) + 1
    return files


def referral_import(
    *, access: ClinicAccess, parsed: Parsed, source: str, confirm: bool
) -> ImportResult:
    """Dry run (confirm=False) or import. Either way nothing is kept unless confirm is
    True and no row has an error; then everything commits in one transaction."""
    access.require(Permission.REGISTER_PATIENT)
    rows: list[RowResult] = []
    files: list[str] = []
    try:
        with transaction.atomic():
            for incoming in parsed.patients:
                row = RowResult(key=incoming.key, label=incoming.label, action="error")
                rows.append(row)
                if incoming.errors:
                    row.errors = dict(incoming.errors)
                    continue
                try:
                    with transaction.atomic():
                        files += _import_one(access, incoming, row)
                        if row.errors:
                            raise ValidationFailed(row.errors)
                except ValidationFailed as exc:
                    row.action = "error"
                    row.errors = {k: list(v) for k, v in exc.errors.items()}
            result = ImportResult(rows, parsed.errors, parsed.ignored, imported=False)
            if not (confirm and result.ok and rows):
                raise _DryRun
            result.imported = True
            audit_as(
                access,
                action=Action.CREATE,
                object_type="referral.import",
                object_id=uuid.uuid4(),
                details={
                    "source": source,
                    "patients": [
                        {"patient_id": r.patient_id, "action": r.action, "added": r.added}
                        for r in rows
                    ],
                },
            )
    except _DryRun:
        _remove_files(files)  # letters saved during the dry run
        return ImportResult(rows, parsed.errors, parsed.ignored, imported=False)
    return result


def _remove_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)


@transaction.atomic
def patient_bundle(*, access: ClinicAccess, patient_id: str, base_url: str) -> dict[str, Any]:
    """Patient/$everything: the patient's resources as one searchset Bundle (the form a
    referral Bundle takes; the import reads it back)."""
    access.require(Permission.VIEW_CHART)
    patient = patient_get(access=access, patient_id=patient_id)
    scope = sources.Scope(access.clinic, patient_ids={str(patient.pk)})
    entries = [
        entry
        for resource_type in sources.PATIENT_COMPARTMENT
        for entry in sources.entries(resource_type, scope)
    ]
    letters = ChartDocument.objects.filter(
        clinic=access.clinic, patient=patient, entered_in_error_at=None
    )
    documents = [_document_reference(d) for d in letters]
    audit_as(
        access,
        action=Action.EXPORT,
        object_type="fhir.Patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        details={"operation": "$everything", "resources": len(entries) + len(documents)},
    )
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(entries) + len(documents),
        "entry": [
            {"fullUrl": f"{base_url}/{e.resource_type}/{e.id}", "resource": e.resource}
            for e in entries
        ]
        + [
            {"fullUrl": f"{base_url}/DocumentReference/{d['id']}", "resource": d} for d in documents
        ],
    }


def _document_reference(document: ChartDocument) -> dict[str, Any]:
    import base64

    from fhir.resources.R4B.documentreference import DocumentReference

    with document.file.open("rb") as handle:
        data = base64.b64encode(handle.read()).decode()
    resource = DocumentReference.model_validate(
        {
            "resourceType": "DocumentReference",
            "id": str(document.pk),
            "status": "current",
            "description": document.title,
            "subject": {"reference": f"Patient/{document.patient_id}"},
            "content": [
                {
                    "attachment": {
                        "contentType": "application/pdf",
                        "title": document.title,
                        "data": data,
                    }
                }
            ],
        }
    )
    out: dict[str, Any] = resource.model_dump(mode="json", exclude_none=True)
    return out
