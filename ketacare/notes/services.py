"""Writes of notes: create a draft, autosave it, sign it (which locks it), add addenda to a
signed note, and save a clinic's note templates; and the audited reads (opening a note,
listing or searching a patient's notes). Each write runs in one transaction with its audit
event, as the session's signature and addenda do (ketacare.treatment.services)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as
from ketacare.common import clock
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.dosing.selectors import plan_get
from ketacare.notes import core, selectors
from ketacare.notes.models import Note, NoteAddendum, NoteTemplate
from ketacare.outcomes.models import CourseState
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get
from ketacare.treatment.selectors import session_get

OBJECT = "note"
EDITABLE = ("title", "sections", "restricted", "session_id", "plan_id", "course")


def _writable_patient(access: ClinicAccess, patient_id: uuid.UUID | str) -> Patient:
    patient = patient_get(access=access, patient_id=patient_id)
    if patient.is_archived:
        raise ValidationFailed.single(
            "patient", "This patient is archived; the record is read-only."
        )
    return patient


def _require_writer(access: ClinicAccess, note_type: str) -> None:
    access.require(Permission.WRITE_NOTES)
    if not core.may_write(access.role, note_type):
        raise PermissionDenied(
            f"A {access.role.label.lower()} may not write a "
            f"{core.NoteType(note_type).label.lower()}."
        )


WORDS = ("title", "text")  # with every "sections.<key>": what a note says


def _sealed(note: Note, changes: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    """A psychotherapy note's words stay out of the audit trail, which compliance officers
    and administrators read: each changed text is recorded by its SHA-256 (core.seal), so a
    copy can still be matched to the trail without the trail disclosing it."""
    if not note.restricted:
        return dict(changes)
    return {
        key: [core.seal(v) for v in pair] if key in WORDS or key.startswith("sections.") else pair
        for key, pair in changes.items()
    }


def _audit(
    access: ClinicAccess,
    note: Note,
    *,
    action: str = Action.UPDATE,
    object_type: str = OBJECT,
    object_id: Any = None,
    changes: Mapping[str, list[Any]] | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    audit_as(
        access,
        action=action,
        object_type=object_type,
        object_id=object_id or note.pk,
        patient_id=note.patient_id,
        changes=_sealed(note, changes) if changes else None,
        details={"note_id": str(note.pk), "note_type": note.note_type, **(details or {})},
    )


def _links(access: ClinicAccess, note: Note, data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Apply the session, plan and course links in `data` to the note; errors by field."""
    errors: dict[str, list[str]] = {}
    if "session_id" in data:
        try:
            note.session = (
                session_get(
                    access=access, patient_id=note.patient_id, session_id=data["session_id"]
                )
                if data["session_id"]
                else None
            )
        except NotFound:
            errors["session_id"] = ["Choose one of this patient's sessions."]
    if "plan_id" in data:
        try:
            note.plan = (
                plan_get(access=access, patient_id=note.patient_id, plan_id=data["plan_id"])
                if data["plan_id"]
                else None
            )
        except NotFound:
            errors["plan_id"] = ["Choose one of this patient's treatment plans."]
    if "course" in data:
        key = (data["course"] or "").strip()
        is_key, plan_id = core.course_plan(key)
        if key and not (is_key and _course_exists(access, note.patient_id, plan_id)):
            errors["course"] = ["Choose one of this patient's courses."]
        else:
            note.course = key
    return errors


def _course_exists(access: ClinicAccess, patient_id: uuid.UUID, plan_id: str | None) -> bool:
    try:
        return CourseState.objects.filter(
            clinic=access.clinic, patient_id=patient_id, plan_id=plan_id
        ).exists()
    except (DjangoValidationError, ValueError):
        return False


def _values(note: Note) -> dict[str, Any]:
    return {
        "title": note.title,
        "restricted": note.restricted,
        "session_id": str(note.session_id) if note.session_id else None,
        "plan_id": str(note.plan_id) if note.plan_id else None,
        "course": note.course,
        **{f"sections.{k}": v for k, v in note.sections.items()},
    }


def _apply(access: ClinicAccess, note: Note, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(EDITABLE)
    errors: dict[str, list[str]] = {k: ["Not a field of a note."] for k in sorted(unknown)}
    if "title" in data:
        title = (data["title"] or "").strip()
        if len(title) > 200:
            errors["title"] = ["Keep the title under 200 characters."]
        note.title = title[:200]
    if "sections" in data:
        keys = [s["key"] for s in note.template_sections]
        clean, section_errors = core.clean_sections(data["sections"] or {}, keys)
        errors |= section_errors
        note.sections = {k: clean.get(k, note.sections.get(k, "")) for k in keys}
    if "restricted" in data:
        restricted = bool(data["restricted"])
        if restricted and not core.may_restrict(note.note_type):
            errors["restricted"] = ["Only therapy notes can be kept as psychotherapy notes."]
        elif restricted and not selectors.reads_psychotherapy_notes(access):
            errors["restricted"] = ["Your role may not keep psychotherapy notes."]
        else:
            note.restricted = restricted
    errors |= _links(access, note, data)
    if errors:
        raise ValidationFailed(errors)
    note.search_text = core.search_text(note.title, note.sections)


@transaction.atomic
def note_create(
    *, access: ClinicAccess, patient_id: uuid.UUID | str, note_type: str, **data: Any
) -> Note:
    """A new draft on the clinic's current template for its kind."""
    if note_type not in core.NoteType._value2member_map_:
        raise ValidationFailed.single("note_type", "Choose a kind of note.")
    _require_writer(access, note_type)
    patient = _writable_patient(access, patient_id)
    template = selectors.template_current(access.clinic, note_type)
    heads = selectors.sections_of(template, note_type)
    note = Note(
        clinic=access.clinic,
        patient=patient,
        note_type=note_type,
        author=access.user,
        template_version=template.version if template else 0,
        template_sections=[{"key": s.key, "label": s.label, "prompt": s.prompt} for s in heads],
        sections={s.key: "" for s in heads},
    )
    _apply(access, note, data)
    note.save()
    after = _values(note)
    _audit(
        access,
        note,
        action=Action.CREATE,
        changes={k: [None, v] for k, v in after.items() if v not in (None, "", False)},
        details={"template_version": note.template_version},
    )
    return note


def _note_to_write(
    access: ClinicAccess,
    patient_id: uuid.UUID | str,
    note_id: uuid.UUID | str,
    blockers: Callable[[Note], tuple[str, ...]],
) -> Note:
    """The note, locked for the write, once the caller may write notes, the patient is not
    archived and the rule of this write (`blockers`) lets it through (field `status`)."""
    access.require(Permission.WRITE_NOTES)
    note = selectors.note_get(access, patient_id=patient_id, note_id=note_id, for_update=True)
    _writable_patient(access, patient_id)
    found = blockers(note)
    if found:
        raise ValidationFailed({"status": list(found)})
    return note


@transaction.atomic
def note_draft_save(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID | str,
    note_id: uuid.UUID | str,
    data: Mapping[str, Any],
) -> Note:
    """Autosave: the fields given change, the rest stay; audited as an update with what
    changed (nothing changed: nothing written)."""
    note = _note_to_write(
        access,
        patient_id,
        note_id,
        lambda n: core.edit_blockers(
            status=n.status, author_id=n.author_id, editor_id=access.user.pk
        ),
    )
    before = _values(note)
    _apply(access, note, data)
    after = _values(note)
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        note.save()
        _audit(access, note, changes=changes, details={"autosave": True})
    return note


@transaction.atomic
def note_sign(
    *, access: ClinicAccess, patient_id: uuid.UUID | str, note_id: uuid.UUID | str
) -> Note:
    """The author signs: the note locks; corrections are addenda from now on."""
    note = _note_to_write(
        access,
        patient_id,
        note_id,
        lambda n: core.sign_blockers(
            status=n.status, author_id=n.author_id, signer_id=access.user.pk, sections=n.sections
        ),
    )
    note.status = Note.Status.SIGNED
    note.signed_at = clock.now()
    note.signed_by = access.user
    note.save()
    _audit(
        access,
        note,
        changes={"status": [Note.Status.DRAFT, Note.Status.SIGNED]},
        details={"signed_at": note.signed_at.isoformat()},
    )
    return note


@transaction.atomic
def note_addendum_add(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID | str,
    note_id: uuid.UUID | str,
    text: str,
    reason: str,
) -> NoteAddendum:
    """A correction or late entry on a signed note: who, when and why; the note itself is
    untouched and stays visible."""
    note = _note_to_write(
        access, patient_id, note_id, lambda n: core.addendum_blockers(status=n.status)
    )
    missing = {k: ["Required."] for k, v in (("text", text), ("reason", reason)) if not v.strip()}
    if missing:
        raise ValidationFailed(missing)
    if len(reason.strip()) > 300:
        raise ValidationFailed.single("reason", "Keep the reason under 300 characters.")
    addendum = NoteAddendum.objects.create(
        clinic=access.clinic,
        note=note,
        entered_by=access.user,
        text=text.strip(),
        reason=reason.strip(),
    )
    texts = [a.text for a in selectors.addenda_of(note)]
    Note.objects.filter(pk=note.pk).update(
        search_text=core.search_text(note.title, note.sections, texts)
    )
    _audit(
        access,
        note,
        action=Action.CREATE,
        object_type="noteaddendum",
        object_id=addendum.pk,
        changes={"text": [None, addendum.text], "reason": [None, addendum.reason]},
    )
    return addendum


# --- audited reads ---------------------------------------------------------------------


@transaction.atomic
def note_view(
    *, access: ClinicAccess, patient_id: uuid.UUID | str, note_id: uuid.UUID | str
) -> Note:
    note = selectors.note_get(access, patient_id=patient_id, note_id=note_id)
    _audit(access, note, action=Action.VIEW)
    return note


@transaction.atomic
def notes_search_audited(
    *, access: ClinicAccess, patient_id: uuid.UUID | str, query: str = "", limit: int = 100
) -> list[Note]:
    """The patient's notes the caller may read, newest first, or those matching `query`
    (selectors.notes_matching); one audit event with the query and the notes listed."""
    patient = patient_get(access=access, patient_id=patient_id)
    notes = selectors.notes_visible(access).filter(patient=patient)
    found = list(selectors.notes_matching(notes, query)[:limit])
    audit_as(
        access,
        action=Action.SEARCH if query.strip() else Action.VIEW,
        object_type=OBJECT,
        patient_id=patient.pk,
        details={
            "section": "notes",
            "query": query.strip()[:200],
            "count": len(found),
            "notes": [str(n.pk) for n in found],
        },
    )
    return found


# --- the clinic's templates ------------------------------------------------------------


@transaction.atomic
def note_template_save(
    *, access: ClinicAccess, note_type: str, sections: Sequence[Mapping[str, str]]
) -> NoteTemplate:
    """A new version of the clinic's template for a kind of note. `sections` are headings
    with an optional prompt; a heading kept from the current version keeps its key, so
    drafts go on reading their text under it."""
    access.require(Permission.MANAGE_NOTE_TEMPLATES)
    if note_type not in core.NoteType._value2member_map_:
        raise ValidationFailed.single("note_type", "Choose a kind of note.")
    current = selectors.template_current(access.clinic, note_type)
    old = selectors.sections_of(current, note_type)
    keys_by_label = {s.label.strip().lower(): s.key for s in old}
    heads = []
    for row in sections:
        label = (row.get("label") or "").strip()
        if not label:
            continue
        key = row.get("key") or keys_by_label.get(label.lower()) or core.slug(label)
        heads.append(core.Section(key, label[:120], (row.get("prompt") or "").strip()[:300]))
    errors = core.template_errors(heads)
    if errors:
        raise ValidationFailed(errors)
    template = NoteTemplate.objects.create(
        clinic=access.clinic,
        note_type=note_type,
        version=(current.version if current else 0) + 1,
        sections=[{"key": s.key, "label": s.label, "prompt": s.prompt} for s in heads],
        created_by=access.user,
    )
    audit_as(
        access,
        action=Action.UPDATE if current else Action.CREATE,
        object_type="notetemplate",
        object_id=template.pk,
        changes={
            "sections": [
                [s.label for s in old],
                [s.label for s in heads],
            ],
            "version": [current.version if current else 0, template.version],
        },
        details={"note_type": note_type},
    )
    return template
