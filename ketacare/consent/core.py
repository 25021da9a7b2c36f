"""The consent rule and the understanding check, pure (no Django).

`consent_verdict` decides whether a patient's consent covers a form of treatment today,
and says why not. It reads two kinds of evidence: consents staff recorded from paper
(patients.Consent) and e-consents the patient signed through a link. The latest
decision wins; an e-consent then also needs to be countersigned (if the clinic requires
it), within its validity and not superseded by a newer version of its document."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PaperConsent:
    """A consent staff recorded in the chart (granted, declined or withdrawn)."""

    decision: str  # "granted" | "declined" | "withdrawn"
    decided_on: dt.date
    recorded_at: dt.datetime  # orders decisions of the same day


@dataclass(frozen=True)
class ElectronicConsent:
    """An e-consent the patient signed; the dates are the clinic's dates."""

    signed_on: dt.date
    signed_at: dt.datetime
    version_number: int
    current_version_number: int  # the document's latest version
    countersigned: bool
    withdrawn_on: dt.date | None = None
    withdrawn_at: dt.datetime | None = None


@dataclass(frozen=True)
class ConsentPolicy:
    """The clinic's settings (cited defaults in settings.py)."""

    valid_months: int  # 0 = does not expire
    new_version_supersedes: bool
    countersign_required: bool


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""  # why not, in words, naming the form of treatment


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it has no such day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expires_on(signed_on: dt.date, policy: ConsentPolicy) -> dt.date | None:
    """The first day an e-consent no longer counts, or None when it does not expire."""
    return add_months(signed_on, policy.valid_months) if policy.valid_months > 0 else None


def consent_verdict(
    *,
    today: dt.date,
    form: str,
    paper: Sequence[PaperConsent],
    electronic: Sequence[ElectronicConsent],
    policy: ConsentPolicy,
) -> Verdict:
    """Does the patient's consent cover `form` (words, e.g. "intravenous infusion") today?

    Decisions dated after today are ignored. The latest decision wins: by its date, then,
    on the same day, by the moment it was recorded (at the same moment a withdrawal counts
    as the later)."""
    covering = f" covering {form}" if form else ""
    events: list[tuple[dt.date, dt.datetime, str, ElectronicConsent | PaperConsent]] = []
    for p in paper:
        if p.decided_on <= today:
            events.append((p.decided_on, p.recorded_at, "paper", p))
    for e in electronic:
        if e.signed_on <= today:
            events.append((e.signed_on, e.signed_at, "signed", e))
        if e.withdrawn_on is not None and e.withdrawn_on <= today:
            events.append((e.withdrawn_on, e.withdrawn_at or e.signed_at, "withdrawn", e))
    if not events:
        return Verdict(False, f"the patient has no current treatment consent{covering}")
    rank = {"paper": 0, "signed": 1, "withdrawn": 2}  # at the very same moment
    day, _, kind, record = max(events, key=lambda ev: (ev[0], ev[1], rank[ev[2]]))
    if kind == "withdrawn":
        return Verdict(False, f"the patient withdrew consent{covering} on {day:%d %b %Y}")
    if isinstance(record, PaperConsent):
        if record.decision == "granted":
            return Verdict(True)
        # Declined or withdrawn on paper: worded as the chart's flag is.
        return Verdict(False, f"the patient has no current treatment consent{covering}")
    assert isinstance(record, ElectronicConsent)
    end = expires_on(record.signed_on, policy)
    if end is not None and today >= end:
        return Verdict(False, f"the patient's consent{covering} expired on {end:%d %b %Y}")
    if policy.new_version_supersedes and record.version_number < record.current_version_number:
        return Verdict(
            False,
            f"the consent{covering} was signed on version {record.version_number}; "
            f"version {record.current_version_number} must be signed",
        )
    if policy.countersign_required and not record.countersigned:
        return Verdict(False, f"the patient's consent{covering} is not yet countersigned by staff")
    return Verdict(True)


# --- the understanding check --------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    text: str
    options: tuple[str, ...]
    correct: int  # index into options
    explanation: str  # shown when the answer is wrong


@dataclass(frozen=True)
class Marked:
    question: Question
    chosen: int | None
    right: bool


def mark_answers(questions: Sequence[Question], chosen: Sequence[int | None]) -> list[Marked]:
    """Each question with the option chosen (None = unanswered) and whether it is right."""
    padded = list(chosen) + [None] * (len(questions) - len(chosen))
    return [
        Marked(q, c, c is not None and c == q.correct)
        for q, c in zip(questions, padded, strict=False)
    ]


def passed(marked: Sequence[Marked]) -> bool:
    return bool(marked) and all(m.right for m in marked)


# --- text hashing ---------------------------------------------------------------------------


def document_hash(title: str, body: str) -> str:
    """SHA-256 of the document as the patient reads it (title and body, LF line ends)."""
    text = f"{title.strip()}\n\n{body.strip()}".replace("\r\n", "\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def bytes_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
