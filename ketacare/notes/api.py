"""/api/v1/patients/{patient_id}/notes (list and search, read, create, autosave a draft,
sign, addenda) and /api/v1/notes/templates, over the same services as the web pages. A
note flagged as psychotherapy notes is absent from the lists, and answers 404, for a role
that may not read it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from ketacare.accounts.policy import Permission
from ketacare.api.auth import access_of
from ketacare.notes import core, selectors, services
from ketacare.notes.models import Note

router = Router(tags=["notes"])
NOTES = "/patients/{patient_id}/notes"


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class NoteSectionOut(Schema):
    key: str
    label: str
    prompt: str
    text: str


class NoteAddendumOut(Schema):
    id: uuid.UUID
    text: str
    reason: str
    entered_by: str
    created_at: dt.datetime


class NoteSummaryOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    note_type: str
    type_label: str
    title: str
    status: str
    restricted: bool
    author: str
    created_at: dt.datetime
    updated_at: dt.datetime
    signed_at: dt.datetime | None
    session_id: uuid.UUID | None
    plan_id: uuid.UUID | None
    course: str


class NoteDetailOut(NoteSummaryOut):
    template_version: int
    sections: list[NoteSectionOut]
    signed_by: str
    addenda: list[NoteAddendumOut]


class NoteSearchQuery(Schema):
    q: str = Field("", max_length=200, description="Words to find in the notes")


class NoteIn(Strict):
    note_type: str = Field(..., description=", ".join(t.value for t in core.NoteType))
    title: str = Field("", max_length=200)
    sections: dict[str, str] = Field(default_factory=dict)
    restricted: bool = Field(False, description="Psychotherapy notes (HIPAA §164.501)")
    session_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    course: str = Field("", max_length=60, description="'plan:<plan id>' or 'outside-plan'")


class NoteDraftIn(Strict):
    title: str | None = Field(None, max_length=200)
    sections: dict[str, str] | None = None
    restricted: bool | None = None
    session_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    course: str | None = Field(None, max_length=60)


class NoteAddendumIn(Strict):
    text: str = Field(..., min_length=1, max_length=20_000)
    reason: str = Field(..., min_length=1, max_length=300)


class NoteTemplateSectionIn(Strict):
    label: str = Field(..., max_length=120)
    prompt: str = Field("", max_length=300)
    key: str = Field("", max_length=40)


class NoteTemplateIn(Strict):
    sections: list[NoteTemplateSectionIn] = Field(..., max_length=core.MAX_SECTIONS)


class NoteTemplateSectionOut(Schema):
    key: str
    label: str
    prompt: str


class NoteTemplateOut(Schema):
    note_type: str
    label: str
    version: int
    sections: list[NoteTemplateSectionOut]


def summary(note: Note) -> dict[str, Any]:
    return {
        "id": note.pk,
        "patient_id": note.patient_id,
        "note_type": note.note_type,
        "type_label": note.type_label,
        "title": note.title,
        "status": note.status,
        "restricted": note.restricted,
        "author": str(note.author),
        "created_at": note.created_at,
        "updated_at": note.updated_at,
        "signed_at": note.signed_at,
        "session_id": note.session_id,
        "plan_id": note.plan_id,
        "course": note.course,
    }


def full(note: Note) -> dict[str, Any]:
    return summary(note) | {
        "template_version": note.template_version,
        "sections": [
            {"key": h.key, "label": h.label, "prompt": h.prompt, "text": text}
            for h, text in selectors.note_sections(note)
        ],
        "signed_by": str(note.signed_by) if note.signed_by else "",
        "addenda": [
            {
                "id": a.pk,
                "text": a.text,
                "reason": a.reason,
                "entered_by": str(a.entered_by),
                "created_at": a.created_at,
            }
            for a in selectors.addenda_of(note)
        ],
    }


@router.get(NOTES, response=list[NoteSummaryOut], summary="The patient's notes, or a search")
def notes_list(request: HttpRequest, patient_id: uuid.UUID, query: Query[NoteSearchQuery]) -> Any:
    found = services.notes_search_audited(
        access=access_of(request), patient_id=patient_id, query=query.q
    )
    return [summary(n) for n in found]


@router.post(NOTES, response={201: NoteDetailOut}, summary="Start a note (a draft)")
def note_create(request: HttpRequest, patient_id: uuid.UUID, payload: NoteIn) -> Any:
    data = payload.dict()
    note_type = data.pop("note_type")
    if not data["course"]:
        data.pop("course")
    note = services.note_create(
        access=access_of(request), patient_id=patient_id, note_type=note_type, **data
    )
    return Status(201, full(note))


@router.get(NOTES + "/{note_id}", response=NoteDetailOut, summary="A note with its addenda")
def note_get(request: HttpRequest, patient_id: uuid.UUID, note_id: uuid.UUID) -> Any:
    return full(
        services.note_view(access=access_of(request), patient_id=patient_id, note_id=note_id)
    )


@router.patch(NOTES + "/{note_id}", response=NoteDetailOut, summary="Save a draft (autosave)")
def note_update(
    request: HttpRequest, patient_id: uuid.UUID, note_id: uuid.UUID, payload: NoteDraftIn
) -> Any:
    note = services.note_draft_save(
        access=access_of(request),
        patient_id=patient_id,
        note_id=note_id,
        data=payload.dict(exclude_unset=True),
    )
    return full(note)


@router.post(NOTES + "/{note_id}/sign", response=NoteDetailOut, summary="Sign: the note locks")
def note_sign(request: HttpRequest, patient_id: uuid.UUID, note_id: uuid.UUID) -> Any:
    return full(
        services.note_sign(access=access_of(request), patient_id=patient_id, note_id=note_id)
    )


@router.post(
    NOTES + "/{note_id}/addenda", response={201: NoteAddendumOut}, summary="Add an addendum"
)
def addendum_add(
    request: HttpRequest, patient_id: uuid.UUID, note_id: uuid.UUID, payload: NoteAddendumIn
) -> Any:
    addendum = services.note_addendum_add(
        access=access_of(request), patient_id=patient_id, note_id=note_id, **payload.dict()
    )
    return Status(
        201,
        {
            "id": addendum.pk,
            "text": addendum.text,
            "reason": addendum.reason,
            "entered_by": str(addendum.entered_by),
            "created_at": addendum.created_at,
        },
    )


def _template_rows(request: HttpRequest) -> list[dict[str, Any]]:
    access = access_of(request)
    if not access.can(Permission.WRITE_NOTES):
        access.require(Permission.MANAGE_NOTE_TEMPLATES)
    return [
        {
            "note_type": row["note_type"],
            "label": row["label"],
            "version": row["version"],
            "sections": [
                {"key": s.key, "label": s.label, "prompt": s.prompt} for s in row["sections"]
            ],
        }
        for row in selectors.templates_of(access.clinic)
    ]


@router.get(
    "/notes/templates", response=list[NoteTemplateOut], summary="The clinic's note templates"
)
def templates(request: HttpRequest) -> Any:
    return _template_rows(request)


@router.put(
    "/notes/templates/{note_type}", response=NoteTemplateOut, summary="Save a template's sections"
)
def template_save(request: HttpRequest, note_type: str, payload: NoteTemplateIn) -> Any:
    services.note_template_save(
        access=access_of(request),
        note_type=note_type,
        sections=[s.dict() for s in payload.sections],
    )
    return next(r for r in _template_rows(request) if r["note_type"] == note_type)
