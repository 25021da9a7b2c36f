"""Reads of notes, always within the caller's clinic and the psychotherapy-notes rule: a
note flagged as psychotherapy notes is absent from every list and search of a reader whose
role may not read it, and answers NotFound (404) to them, as if it did not exist."""

from __future__ import annotations

import uuid
import zoneinfo
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Permission
from ketacare.common.errors import NotFound
from ketacare.notes import core
from ketacare.notes.models import Note, NoteAddendum, NoteTemplate


def reads_psychotherapy_notes(access: ClinicAccess) -> bool:
    return access.can(Permission.READ_PSYCHOTHERAPY_NOTES)


def notes_visible(access: ClinicAccess) -> QuerySet[Note]:
    """Every note of the clinic the caller may read (none without view_chart)."""
    access.require(Permission.VIEW_CHART)
    notes = Note.objects.filter(clinic=access.clinic)
    if not reads_psychotherapy_notes(access):
        notes = notes.filter(restricted=False)
    return notes.select_related("author", "signed_by", "session", "plan")


def note_get(
    access: ClinicAccess,
    *,
    patient_id: uuid.UUID | str,
    note_id: uuid.UUID | str,
    for_update: bool = False,
) -> Note:
    notes = notes_visible(access).filter(patient_id=patient_id)
    if for_update:
        notes = notes.select_for_update(of=("self",))
    try:
        found = notes.filter(pk=note_id).first()
    except (ValueError, TypeError) as exc:
        raise NotFound("note") from exc
    if found is None:
        raise NotFound("note")
    return found


def addenda_of(note: Note) -> list[NoteAddendum]:
    return list(NoteAddendum.objects.filter(note=note).select_related("entered_by"))


def search_words(query: str) -> list[str]:
    return [w for w in query.split() if w][:12]


def notes_matching(notes: QuerySet[Note], query: str) -> QuerySet[Note]:
    """Notes whose title, sections or addenda hold the query. PostgreSQL: full-text search
    (English stemming, so "sleeping" finds "sleep"; websearch syntax: "quoted phrases",
    -excluded words, or) over `search_text`, best match first, answered by the GIN index of
    migration 0002. SQLite: every word must occur (case-insensitive substring), newest
    first."""
    words = search_words(query)
    if not words:
        return notes
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("search_text", config="english")
        wanted = SearchQuery(" ".join(words), config="english", search_type="websearch")
        return (
            notes.annotate(vector=vector, rank=SearchRank(vector, wanted))
            .filter(vector=wanted)
            .order_by("-rank", "-created_at")
        )
    for word in words:
        notes = notes.filter(search_text__icontains=word)
    return notes


def template_current(clinic: Clinic, note_type: str) -> NoteTemplate | None:
    return (
        NoteTemplate.objects.filter(clinic=clinic, note_type=note_type).order_by("-version").first()
    )


def sections_of(template: NoteTemplate | None, note_type: str) -> tuple[core.Section, ...]:
    if template is None:
        return core.DEFAULT_SECTIONS[core.NoteType(note_type)]
    return tuple(core.Section(s["key"], s["label"], s.get("prompt", "")) for s in template.sections)


def templates_of(clinic: Clinic) -> list[dict[str, Any]]:
    """Each kind of note with its current sections and version (0: the built-in default)."""
    rows = []
    for note_type in core.NoteType:
        template = template_current(clinic, note_type)
        rows.append(
            {
                "note_type": note_type.value,
                "label": note_type.label,
                "version": template.version if template else 0,
                "sections": sections_of(template, note_type),
                "template": template,
            }
        )
    return rows


def note_sections(note: Note) -> list[tuple[core.Section, str]]:
    """The note's sections under the headings it was written with, each with its text."""
    heads = [
        core.Section(s["key"], s["label"], s.get("prompt", "")) for s in note.template_sections
    ]
    return [(head, note.sections.get(head.key, "")) for head in heads]


# --- what a note may link to, and the scores of its course ------------------------------


def _protocol_name(code: str) -> str:
    from ketacare.dosing.protocols import SHIPPED

    found = SHIPPED.get(code)
    return found.name if found else code.replace("_", " ")


def link_choices(access: ClinicAccess, patient: Any) -> dict[str, list[tuple[str, str]]]:
    """The patient's sessions (latest first), treatment plans and courses, as (value,
    label) pairs for a form."""
    from ketacare.dosing.models import TreatmentPlan
    from ketacare.outcomes.models import CourseState
    from ketacare.treatment.models import TreatmentSession

    zone = zoneinfo.ZoneInfo(access.clinic.time_zone)
    sessions = TreatmentSession.objects.filter(clinic=access.clinic, patient=patient).order_by(
        "-scheduled_start"
    )[:30]

    def when(at: Any) -> str:
        return f"{timezone.localtime(at, zone):%a %d %b %Y %H:%M}"

    plans = TreatmentPlan.objects.filter(clinic=access.clinic, patient=patient)
    courses = CourseState.objects.filter(clinic=access.clinic, patient=patient).order_by(
        "-first_dose_at"
    )
    return {
        "sessions": [
            (str(s.pk), f"{when(s.scheduled_start)} · {s.get_status_display()}") for s in sessions
        ],
        "plans": [
            (
                str(p.pk),
                f"{_protocol_name(p.protocol_code)} from {p.start_date:%d %b %Y}"
                f" · {p.get_status_display()}",
            )
            for p in plans
        ],
        "courses": [
            (
                core.course_key(c.plan_id),
                f"Course from {c.first_dose_date:%d %b %Y}, {c.sessions} sessions"
                + (" (current)" if c.is_current else ""),
            )
            for c in courses
        ],
    }


def course_scores(access: ClinicAccess, note: Note) -> dict[str, Any] | None:
    """The scores of the note's course (its linked course, else the course of its linked
    session or plan, else the patient's current course): each judged instrument with its
    scores in time order. None when the patient has no course yet."""
    from ketacare.measures import get_instrument
    from ketacare.outcomes.sources import all_courses

    courses = all_courses(access.clinic, patient_ids=[note.patient_id])
    if not courses:
        return None
    wanted: Any = None
    is_key, plan_id = core.course_plan(note.course)
    if is_key:
        wanted = plan_id or ""
    elif note.plan_id:
        wanted = str(note.plan_id)
    elif note.session_id and note.session is not None:
        wanted = str(note.session.plan_id) if note.session.plan_id else ""
    chosen = None
    if wanted is not None:
        chosen = next((pc for pc in courses if str(pc.plan_id or "") == wanted), None)
    if chosen is None:
        chosen = max(courses, key=lambda pc: pc.last_session.given_at)
    rows = [
        {
            "instrument": get_instrument(code).name,
            "scores": [(timezone.localtime(s.taken_at), s.value) for s in points],
        }
        for code, points in chosen.course.scores.items()
        if points
    ]
    return {
        "first_dose_at": chosen.course.first_dose_at,
        "sessions": len(chosen.course.sessions),
        "key": core.course_key(chosen.plan_id),
        "rows": rows,
    }
