"""Clinical and therapy notes: pure rules. No Django.

- `NoteType` and `DEFAULT_SECTIONS`: the kinds of note and the sections each starts with
  (a clinic edits its own templates; these are the defaults).
- `may_write` and `may_read`: which roles write each kind, and who reads a note flagged as
  psychotherapy notes (HIPAA 45 CFR §164.501: notes of a mental-health professional kept
  apart from the rest of the record) — the therapist and the prescribers only.
- `sign_blockers` and `addendum_blockers`: a draft is signed once, by its author, with some
  text; a signed note is locked and corrected by addenda, as a signed session is.
- `search_text`: the one text column a note is searched by.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class NoteType(StrEnum):
    INTAKE = "intake"
    PROGRESS = "progress"
    NURSE = "nurse"
    THERAPY = "therapy"
    KAP_PREPARATION = "kap_preparation"
    KAP_INTEGRATION = "kap_integration"

    @property
    def label(self) -> str:
        return TYPE_LABELS[self]


TYPE_LABELS: Mapping[NoteType, str] = {
    NoteType.INTAKE: "Intake assessment",
    NoteType.PROGRESS: "Progress note (SOAP)",
    NoteType.NURSE: "Nurse note",
    NoteType.THERAPY: "Therapy note",
    NoteType.KAP_PREPARATION: "KAP preparation session",
    NoteType.KAP_INTEGRATION: "KAP integration session",
}

# Kinds that record psychotherapy and so may be flagged as psychotherapy notes.
THERAPY_TYPES = frozenset({NoteType.THERAPY, NoteType.KAP_PREPARATION, NoteType.KAP_INTEGRATION})


@dataclass(frozen=True)
class Section:
    key: str  # a slug, the key of the section's text in a note
    label: str
    prompt: str = ""


S = Section
DEFAULT_SECTIONS: Mapping[NoteType, tuple[Section, ...]] = {
    NoteType.INTAKE: (
        S("reason", "Reason for referral", "Who referred, and why now."),
        S("history", "History of the present illness", "Episode, trials, treatments so far."),
        S("psychiatric", "Psychiatric and substance history"),
        S("medical", "Medical history", "Blood pressure, cardiac, neurological, pregnancy."),
        S("mental_state", "Mental state examination"),
        S("risk", "Risk assessment", "Suicidal thoughts, self-harm, safety plan."),
        S("formulation", "Formulation and plan"),
    ),
    NoteType.PROGRESS: (
        S("subjective", "Subjective", "What the patient reports."),
        S("objective", "Objective", "Observations, vital signs, scores."),
        S("assessment", "Assessment"),
        S("plan", "Plan"),
    ),
    NoteType.NURSE: (
        S("observations", "Observations"),
        S("care_given", "Care given"),
        S("handover", "Handover", "What the next person needs to know."),
    ),
    NoteType.THERAPY: (
        S("presentation", "Presentation"),
        S("content", "Session content"),
        S("interventions", "Interventions"),
        S("plan", "Plan"),
    ),
    NoteType.KAP_PREPARATION: (
        S("intentions", "Intentions", "What the patient hopes to explore."),
        S("set_setting", "Set and setting", "Expectations, music, support, what to expect."),
        S("safety", "Safety and consent to touch", "Agreements, grounding, who to call."),
        S("plan", "Plan"),
    ),
    NoteType.KAP_INTEGRATION: (
        S("experience", "Experience", "What the patient recalls of the session."),
        S("themes", "Themes and insights"),
        S("integration", "Integration practices", "What the patient will carry forward."),
        S("risk", "Mood and risk"),
        S("plan", "Plan"),
    ),
}

# Which roles write each kind of note (ketacare.accounts.policy.Role values). The permission
# to write notes at all is policy's WRITE_NOTES; this narrows it by kind: nurses do not
# write therapy notes, therapists do not write nurse notes.
WRITERS: Mapping[NoteType, frozenset[str]] = {
    NoteType.INTAKE: frozenset({"prescriber", "nurse", "therapist"}),
    NoteType.PROGRESS: frozenset({"prescriber", "nurse", "therapist"}),
    NoteType.NURSE: frozenset({"prescriber", "nurse"}),
    NoteType.THERAPY: frozenset({"prescriber", "therapist"}),
    NoteType.KAP_PREPARATION: frozenset({"prescriber", "therapist"}),
    NoteType.KAP_INTEGRATION: frozenset({"prescriber", "therapist"}),
}

MAX_SECTIONS = 20
MAX_SECTION_CHARS = 20_000


def may_write(role: str, note_type: str) -> bool:
    return note_type in NoteType._value2member_map_ and role in WRITERS[NoteType(note_type)]


def may_read(*, restricted: bool, reads_chart: bool, reads_psychotherapy_notes: bool) -> bool:
    """A note is read by whoever reads the chart; one flagged as psychotherapy notes only by
    those whose role reads psychotherapy notes (the therapist and prescribers)."""
    if not reads_chart:
        return False
    return reads_psychotherapy_notes or not restricted


def may_restrict(note_type: str) -> bool:
    return note_type in THERAPY_TYPES


def sign_blockers(
    *, status: str, author_id: int, signer_id: int, sections: Mapping[str, str]
) -> tuple[str, ...]:
    """Why the note cannot be signed now (empty: it can)."""
    if status != "draft":
        return ("The note is already signed: add an addendum instead.",)
    found = []
    if author_id != signer_id:
        found.append("Only the author signs a note.")
    if not any(text.strip() for text in sections.values()):
        found.append("Write something in at least one section before signing.")
    return tuple(found)


def edit_blockers(*, status: str, author_id: int, editor_id: int) -> tuple[str, ...]:
    if status != "draft":
        return ("The note is signed and locked: add an addendum instead.",)
    if author_id != editor_id:
        return ("Only the author edits a draft.",)
    return ()


def addendum_blockers(*, status: str) -> tuple[str, ...]:
    if status != "signed":
        return ("The note is not signed yet: correct the draft itself.",)
    return ()


def clean_sections(
    sections: Mapping[str, str], allowed: Iterable[str]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The note's sections restricted to the template's keys, each stripped of trailing
    space; errors by field (`sections.<key>`) for unknown or overlong sections."""
    keys = list(allowed)
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    for key, text in sections.items():
        if key not in keys:
            errors[f"sections.{key}"] = ["This note's template has no such section."]
        elif len(text) > MAX_SECTION_CHARS:
            errors[f"sections.{key}"] = [f"Keep a section under {MAX_SECTION_CHARS} characters."]
        else:
            clean[key] = text.rstrip()
    return {k: clean.get(k, "") for k in keys if k in clean}, errors


def template_errors(sections: Sequence[Section]) -> dict[str, list[str]]:
    """A clinic's template: 1 to MAX_SECTIONS sections, each with a label, keys unique."""
    errors: dict[str, list[str]] = {}
    if not sections:
        errors["sections"] = ["Give the template at least one section."]
    if len(sections) > MAX_SECTIONS:
        errors["sections"] = [f"A template has at most {MAX_SECTIONS} sections."]
    seen: set[str] = set()
    for n, section in enumerate(sections):
        if not section.label.strip():
            errors[f"sections.{n}.label"] = ["Give the section a heading."]
        elif not section.key:
            errors[f"sections.{n}.label"] = ["Use letters or digits in the heading."]
        elif section.key in seen:
            errors[f"sections.{n}.label"] = ["Two sections have the same heading."]
        seen.add(section.key)
    return errors


def slug(label: str) -> str:
    """A section key from its heading: lower-case letters and digits joined by '_'."""
    out: list[str] = []
    gap = False
    for ch in label.strip().lower():
        if ch.isascii() and ch.isalnum():
            if gap and out:
                out.append("_")
            out.append(ch)
            gap = False
        else:
            gap = True
    return "".join(out)[:40]


def seal(value: object) -> object:
    """A text as the audit trail keeps it for a psychotherapy note: its SHA-256, never the
    words (None and "" stay as they are)."""
    if not isinstance(value, str) or not value:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def search_text(title: str, sections: Mapping[str, str], addenda: Iterable[str] = ()) -> str:
    """Everything a note's search reads, in one column."""
    parts = [title, *sections.values(), *addenda]
    return "\n".join(p.strip() for p in parts if p.strip())


def course_key(plan_id: object | None) -> str:
    """How a note names a course. Courses are the sessions of one treatment plan, or a
    patient's sessions outside any plan (ketacare.outcomes.sources)."""
    return f"plan:{plan_id}" if plan_id else OUTSIDE_PLAN


OUTSIDE_PLAN = "outside-plan"


def course_plan(key: str) -> tuple[bool, str | None]:
    """(is a course key, the plan id it names or None for sessions outside any plan)."""
    if key == OUTSIDE_PLAN:
        return True, None
    if key.startswith("plan:") and len(key) > 5:
        return True, key[5:]
    return False, None
