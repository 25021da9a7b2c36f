"""Referrals and letters to the referrer: pure rules. No Django.

- A referral moves through `Status`: new, contacted, screening booked, then accepted or
  declined (with the reason). Accepting and declining are a prescriber's decision
  (`DECISIONS`); a declined referral can be reopened, with the reason, but an accepted one
  is final (the course that follows has its own record).
- Letters (`LetterKind`) fill a clinic's template from the chart. A template names its
  fields in braces, "{patient_name}"; `template_problems` refuses a field that does not
  exist or a stray brace before it is saved, so a letter never goes out half-filled.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    SCREENING_BOOKED = "screening_booked"
    ACCEPTED = "accepted"
    DECLINED = "declined"


STATUS_LABELS: Mapping[Status, str] = {
    Status.NEW: "New",
    Status.CONTACTED: "Contacted",
    Status.SCREENING_BOOKED: "Screening booked",
    Status.ACCEPTED: "Accepted",
    Status.DECLINED: "Declined",
}

# Where a referral may go from each status.
NEXT: Mapping[Status, frozenset[Status]] = {
    Status.NEW: frozenset(
        {Status.CONTACTED, Status.SCREENING_BOOKED, Status.ACCEPTED, Status.DECLINED}
    ),
    Status.CONTACTED: frozenset({Status.SCREENING_BOOKED, Status.ACCEPTED, Status.DECLINED}),
    Status.SCREENING_BOOKED: frozenset({Status.CONTACTED, Status.ACCEPTED, Status.DECLINED}),
    Status.ACCEPTED: frozenset(),
    Status.DECLINED: frozenset({Status.NEW}),  # reopened, with the reason
}
DECISIONS = frozenset({Status.ACCEPTED, Status.DECLINED})  # a prescriber's act
OPEN = frozenset({Status.NEW, Status.CONTACTED, Status.SCREENING_BOOKED})  # not yet decided
NEEDS_REASON = frozenset({Status.DECLINED})


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def move_problems(current: str, target: str, reason: str) -> list[Problem]:
    """Why a referral cannot move from `current` to `target` (empty: it can)."""
    try:
        now, to = Status(current), Status(target)
    except ValueError:
        return [Problem("status", f"Unknown status {target!r}.")]
    if to not in NEXT[now]:
        if now is Status.ACCEPTED:
            why = "An accepted referral is final."
        elif to is now:
            why = f"The referral is already {STATUS_LABELS[now].lower()}."
        else:
            why = (
                f"A referral that is {STATUS_LABELS[now].lower()} cannot become "
                f"{STATUS_LABELS[to].lower()}."
            )
        return [Problem("status", why)]
    reopening = now is Status.DECLINED
    if (to in NEEDS_REASON or reopening) and not reason.strip():
        what = "reopening" if reopening else "declining"
        return [Problem("reason", f"Give the reason for {what} the referral.")]
    return []


class LetterKind(StrEnum):
    ACCEPTANCE = "acceptance"
    COURSE_SUMMARY = "course_summary"
    DISCHARGE = "discharge"


LETTER_LABELS: Mapping[LetterKind, str] = {
    LetterKind.ACCEPTANCE: "Acceptance letter",
    LetterKind.COURSE_SUMMARY: "Course summary",
    LetterKind.DISCHARGE: "Discharge letter",
}

# What a template may name, and what each is (shown to whoever edits the templates).
FIELDS: Mapping[str, str] = {
    "referrer_name": "The referrer's name",
    "patient_name": "The patient's name",
    "patient_date_of_birth": "The patient's date of birth",
    "mrn": "The patient's MRN",
    "referral_date": "The date the referral was received",
    "referral_reason": "The reason for referral, as the referrer gave it",
    "clinic_name": "The clinic's name",
    "clinic_phone": "The clinic's phone number",
    "today": "Today's date",
    "signed_by": "The name of the clinician sending the letter",
    "first_session": "The date of the first treatment session (or 'not yet')",
    "latest_session": "The date of the latest treatment session (or 'not yet')",
    "sessions_given": "How many treatment sessions were given",
    "scale": "The clinic's primary rating scale (for example PHQ-9)",
    "baseline_score": "The score before the first session (or 'not recorded')",
    "latest_score": "The latest score (or 'not recorded')",
    "response": "Whether the patient responded, in words",
    "remission": "Whether the patient reached remission, in words",
}

DEFAULT_TEMPLATES: Mapping[LetterKind, tuple[str, str]] = {
    LetterKind.ACCEPTANCE: (
        "Referral accepted: {patient_name}",
        "Dear {referrer_name},\n\n"
        "Thank you for referring {patient_name} (born {patient_date_of_birth}) to "
        "{clinic_name}, received on {referral_date}.\n\n"
        "We have accepted the referral. We will assess {patient_name} for ketamine "
        "treatment, agree a treatment plan with them, and write to you when the first "
        "course ends.\n\n"
        "Please continue to prescribe the patient's usual medicines unless we write to "
        "you otherwise.\n\n"
        "Yours sincerely,\n{signed_by}\n{clinic_name}, {clinic_phone}",
    ),
    LetterKind.COURSE_SUMMARY: (
        "Course summary: {patient_name}",
        "Dear {referrer_name},\n\n"
        "{patient_name} (born {patient_date_of_birth}) has had {sessions_given} treatment "
        "sessions at {clinic_name}, from {first_session} to {latest_session}.\n\n"
        "On the {scale}, the score before treatment was {baseline_score} and the latest "
        "is {latest_score}. Response: {response}. Remission: {remission}.\n\n"
        "Relief from ketamine is often temporary, so we review each patient for "
        "maintenance sessions before it fades. We will write again if the plan changes.\n\n"
        "Yours sincerely,\n{signed_by}\n{clinic_name}, {clinic_phone}",
    ),
    LetterKind.DISCHARGE: (
        "Discharge: {patient_name}",
        "Dear {referrer_name},\n\n"
        "{patient_name} (born {patient_date_of_birth}) is discharged from {clinic_name} "
        "today, {today}, after {sessions_given} treatment sessions ({first_session} to "
        "{latest_session}).\n\n"
        "On the {scale}, the score before treatment was {baseline_score} and the latest "
        "is {latest_score}. Response: {response}. Remission: {remission}.\n\n"
        "Please watch for a return of depressive symptoms or suicidal thoughts, and refer "
        "again if they come back: relapse after ketamine treatment is common.\n\n"
        "Yours sincerely,\n{signed_by}\n{clinic_name}, {clinic_phone}",
    ),
}


def letter_problems(
    kind: str, status: str, *, sessions_given: int, referrer_email: str
) -> list[Problem]:
    """Why this letter cannot be sent for this referral now (empty: it can)."""
    try:
        letter = LetterKind(kind)
    except ValueError:
        return [Problem("kind", f"Unknown letter {kind!r}.")]
    problems = []
    if not referrer_email.strip():
        problems.append(Problem("referrer_email", "Record the referrer's e-mail first."))
    if status != Status.ACCEPTED:
        problems.append(
            Problem(
                "kind", f"Send the {LETTER_LABELS[letter].lower()} once the referral is accepted."
            )
        )
    elif letter is not LetterKind.ACCEPTANCE and sessions_given == 0:
        problems.append(
            Problem("kind", f"The {LETTER_LABELS[letter].lower()} needs a treatment session given.")
        )
    return problems


def template_problems(subject: str, body: str) -> list[Problem]:
    """A template's unknown fields and stray braces, by the field they are in."""
    problems = []
    for where, text in (("subject", subject), ("body", body)):
        if not text.strip():
            problems.append(Problem(where, "Write the text of the letter."))
            continue
        try:
            named = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
        except ValueError:
            problems.append(
                Problem(where, "A brace is not closed: write fields as {patient_name}.")
            )
            continue
        unknown = sorted({name for name in named if name not in FIELDS})
        if unknown:
            listed = ", ".join("{" + name + "}" for name in unknown)
            problems.append(Problem(where, f"Unknown field {listed}: see the list of fields."))
    return problems


def fill(text: str, values: Mapping[str, str]) -> str:
    """The template with its fields filled in. Every field must have a value: a letter
    never goes out with a blank where a fact should be (KeyError names the field)."""
    missing = [
        name
        for _, name, _, _ in string.Formatter().parse(text)
        if name is not None and name not in values
    ]
    if missing:
        raise KeyError(missing[0])
    return text.format_map(values)
