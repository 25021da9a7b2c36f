"""Merging a duplicate patient record into the kept one, and undoing it.

Every model with a foreign key to Patient is found through Django's `_meta`, so an app
added later is moved too without a change here; a relation that must not move is listed
in EXCLUDED with the reason (a test checks that every relation is one or the other).
The rows that move are listed in a PatientMerge, so that an undo moves exactly those back.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ForeignKey, Q
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as
from ketacare.common.course_state import course_state_refresh
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.patients.models import Patient, PatientMerge
from ketacare.patients.selectors import patient_get

# "app_label.Model.field" -> why rows of that relation stay where they are.
EXCLUDED: dict[str, str] = {
    "patients.Patient.merged_into": "the merge's own pointer from the merged record",
    "patients.PatientMerge.kept": "the merge record names both patients",
    "patients.PatientMerge.merged": "the merge record names both patients",
    "outcomes.CourseState.patient": (
        "derived: recomputed for both patients after the merge (course_state_refresh)"
    ),
    "ledger.LedgerEntry.patient": (
        "append-only and hash-chained (a database trigger refuses updates): controlled-"
        "substance entries keep the record they were written against, which points to "
        "the kept record"
    ),
}


def relation_key(field: models.Field[Any, Any]) -> str:
    return f"{field.model._meta.label}.{field.name}"


def patient_relations() -> list[ForeignKey[Any, Any]]:
    """Every foreign key (one-to-one included) to Patient, in a stable order."""
    found = [
        field
        for model in apps.get_models(include_auto_created=True)
        for field in model._meta.concrete_fields
        if isinstance(field, ForeignKey) and field.related_model is Patient
    ]
    return sorted(found, key=relation_key)


def moving_relations() -> list[ForeignKey[Any, Any]]:
    return [f for f in patient_relations() if relation_key(f) not in EXCLUDED]


def _manager(field: ForeignKey[Any, Any]) -> models.Manager[Any]:
    return field.model._base_manager


def _unique_groups(field: ForeignKey[Any, Any]) -> list[tuple[tuple[str, ...], Q | None, str]]:
    """The uniqueness rules a moved row could break: (fields, condition, name)."""
    meta = field.model._meta
    groups: list[tuple[tuple[str, ...], Q | None, str]] = []
    if field.unique:
        groups.append(((field.name,), None, f"one {meta.verbose_name} per patient"))
    for constraint in meta.constraints:
        fields = tuple(getattr(constraint, "fields", ()) or ())
        if isinstance(constraint, models.UniqueConstraint) and field.name in fields:
            groups.append((fields, constraint.condition, constraint.name))
    for together in meta.unique_together:
        if field.name in together:
            groups.append((tuple(together), None, "unique together"))
    return groups


def _collisions(
    field: ForeignKey[Any, Any], source: Patient, target: Patient, pks: list[Any] | None = None
) -> list[str]:
    """Why moving `source`'s rows (or only `pks`) to `target` would break a unique rule."""
    problems: list[str] = []
    for fields, condition, name in _unique_groups(field):
        others = [f for f in fields if f != field.name]
        moving = _manager(field).filter(**{field.name: source})
        if pks is not None:
            moving = moving.filter(pk__in=pks)
        there = _manager(field).filter(**{field.name: target})
        if condition is not None:
            moving, there = moving.filter(condition), there.filter(condition)
        clash = (
            any(there.filter(**values).exists() for values in moving.values(*others))
            if others
            else moving.exists() and there.exists()
        )
        if clash:
            problems.append(
                f"Both records have a {field.model._meta.verbose_name} that may exist only "
                f"once per patient ({name}). Resolve it on one record first."
            )
    return problems


@dataclass(frozen=True)
class MergePreview:
    kept: Patient
    merged: Patient
    counts: list[tuple[str, int]]  # (what, how many rows move), rows that move only
    problems: list[str]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


def _label(field: ForeignKey[Any, Any]) -> str:
    return str(field.model._meta.verbose_name_plural).capitalize()


def _refusals(kept: Patient, merged: Patient) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kept.pk == merged.pk:
        errors["kept_id"] = ["Choose another record: a record cannot be merged into itself."]
    elif kept.merged_into_id or kept.is_archived:
        errors["kept_id"] = ["The record to keep is archived or merged; choose an active one."]
    if merged.merged_into_id:
        errors["patient"] = ["This record is already merged into another."]
    elif merged.is_archived and kept.pk != merged.pk:
        errors["patient"] = ["This record is archived; only an active record can be merged."]
    return errors


def _pair(
    access: ClinicAccess, merged_id: uuid.UUID | str, kept_id: uuid.UUID | str, lock: bool
) -> tuple[Patient, Patient]:
    # Lock in a fixed order, so two merges of the same pair cannot deadlock.
    first, second = sorted([str(merged_id), str(kept_id)])
    locked = [patient_get(access=access, patient_id=i, for_update=lock) for i in (first, second)]
    got = {str(p.pk): p for p in locked}
    try:
        return got[str(merged_id)], got[str(kept_id)]
    except KeyError as exc:  # a malformed id: the same as an unknown one
        raise NotFound("patient") from exc


def patient_merge_preview(
    *, access: ClinicAccess, patient_id: uuid.UUID | str, kept_id: uuid.UUID | str
) -> MergePreview:
    """What merging `patient_id` into `kept_id` would move, and what would stop it."""
    access.require(Permission.MERGE_PATIENTS)
    merged, kept = _pair(access, patient_id, kept_id, lock=False)
    counts: Counter[str] = Counter()
    problems = [m for msgs in _refusals(kept, merged).values() for m in msgs]
    for field in moving_relations():
        n = _manager(field).filter(**{field.name: merged}).count()
        if n:
            counts[_label(field)] += n
            problems += _collisions(field, merged, kept)
    return MergePreview(kept, merged, sorted(counts.items()), problems)


def _move(field: ForeignKey[Any, Any], pks: list[Any], source: Patient, target: Patient) -> int:
    return _manager(field).filter(pk__in=pks, **{field.name: source}).update(**{field.name: target})


def _audit_both(
    access: ClinicAccess,
    action: str,
    merge: PatientMerge,
    details: dict[str, Any],
) -> None:
    for patient_id in (merge.kept_id, merge.merged_id):
        audit_as(
            access,
            action=action,
            object_type="patient_merge",
            object_id=merge.pk,
            patient_id=patient_id,
            details={"kept_id": merge.kept_id, "merged_id": merge.merged_id, **details},
        )


def _counts(moved: list[dict[str, Any]]) -> dict[str, int]:
    return {f"{group['model']}.{group['field']}": len(group["pks"]) for group in moved}


@transaction.atomic
def patient_merge(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID | str,
    kept_id: uuid.UUID | str,
    reason: str,
) -> PatientMerge:
    """Merge the duplicate `patient_id` into `kept_id`: every chart entry moves to the kept
    record in this one transaction; the duplicate is marked merged and archived."""
    access.require(Permission.MERGE_PATIENTS)
    if not reason.strip():
        raise ValidationFailed.single("reason", "Say why these records are the same person.")
    merged, kept = _pair(access, patient_id, kept_id, lock=True)
    if errors := _refusals(kept, merged):
        raise ValidationFailed(errors)
    relations = moving_relations()
    problems = [p for field in relations for p in _collisions(field, merged, kept)]
    if problems:
        raise ValidationFailed({"kept_id": problems})
    moved: list[dict[str, Any]] = []
    for field in relations:
        pks = list(_manager(field).filter(**{field.name: merged}).values_list("pk", flat=True))
        if pks:
            _move(field, pks, merged, kept)
            label = field.model._meta.label
            moved.append({"model": label, "field": field.name, "pks": [str(pk) for pk in pks]})
    now = timezone.now()
    merge = PatientMerge.objects.create(
        clinic=access.clinic,
        kept=kept,
        merged=merged,
        merged_by=access.user,
        reason=reason.strip()[:300],
        moved=moved,
    )
    merged.merged_into = kept
    merged.archived_at, merged.archived_by = now, access.user
    merged.archive_reason = f"Merged into {kept.mrn}: {merge.reason}"[:300]
    merged.save(
        update_fields=["merged_into", "archived_at", "archived_by", "archive_reason", "updated_at"]
    )
    for patient in (kept, merged):
        course_state_refresh(access.clinic, patient.pk)
    _audit_both(access, Action.MERGE, merge, {"reason": merge.reason, "moved": _counts(moved)})
    return merge


def merge_get(
    *, access: ClinicAccess, merge_id: uuid.UUID | str, for_update: bool = False
) -> PatientMerge:
    merges = PatientMerge.objects.filter(clinic=access.clinic).select_related("kept", "merged")
    if for_update:
        merges = merges.select_for_update(of=("self",))
    try:
        return merges.get(pk=merge_id)
    except (PatientMerge.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound("merge") from exc  # a malformed id is as unknown as a missing one


def merges_of(*, access: ClinicAccess, patient: Patient) -> list[PatientMerge]:
    """The merges this record took part in, newest first."""
    return list(
        PatientMerge.objects.filter(clinic=access.clinic)
        .filter(Q(kept=patient) | Q(merged=patient))
        .select_related("kept", "merged", "merged_by", "undone_by")
    )


@transaction.atomic
def patient_merge_undo(
    *, access: ClinicAccess, merge_id: uuid.UUID | str, reason: str
) -> PatientMerge:
    """Move exactly the rows the merge moved back to the merged record, and restore it."""
    access.require(Permission.MERGE_PATIENTS)
    merge = merge_get(access=access, merge_id=merge_id, for_update=True)
    if not reason.strip():
        raise ValidationFailed.single("reason", "Say why the merge is undone.")
    if merge.undone_at:
        raise ValidationFailed.single("merge", "This merge has already been undone.")
    merged, kept = _pair(access, merge.merged_id, merge.kept_id, lock=True)
    if kept.merged_into_id:
        raise ValidationFailed.single(
            "merge", "The kept record was merged again since; undo that merge first."
        )
    fields = {relation_key(f): f for f in patient_relations()}
    problems: list[str] = []
    for group in merge.moved:
        field = fields.get(f"{group['model']}.{group['field']}")
        if field is None:
            problems.append(f"{group['model']} no longer exists; the merge cannot be undone.")
        else:
            problems += _collisions(field, kept, merged, pks=group["pks"])
    if problems:
        raise ValidationFailed({"merge": problems})
    returned = {}
    for group in merge.moved:
        field = fields[f"{group['model']}.{group['field']}"]
        returned[f"{group['model']}.{group['field']}"] = _move(field, group["pks"], kept, merged)
    merged.merged_into = None
    merged.archived_at, merged.archived_by, merged.archive_reason = None, None, ""
    merged.save(
        update_fields=["merged_into", "archived_at", "archived_by", "archive_reason", "updated_at"]
    )
    merge.undone_at, merge.undone_by = timezone.now(), access.user
    merge.undo_reason = reason.strip()[:300]
    merge.save(update_fields=["undone_at", "undone_by", "undo_reason", "updated_at"])
    for patient in (kept, merged):
        course_state_refresh(access.clinic, patient.pk)
    details = {"reason": merge.undo_reason, "moved_back": returned}
    _audit_both(access, Action.UNMERGE, merge, details)
    return merge
