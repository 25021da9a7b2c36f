"""Pure rules of patient education: the reading level of an article and what it means.
No Django here."""

from __future__ import annotations

import re
from dataclasses import dataclass

import textstat

# Common health-literacy guidance is that patient materials be written at or below an 8th
# grade reading level (e.g. the US National Institutes of Health and the AMA advise 6th to
# 8th grade; CDC Clear Communication Index). The clinic can change it.
DEFAULT_MAX_GRADE = 8


@dataclass(frozen=True)
class Readability:
    grade: float  # Flesch-Kincaid grade level, rounded to one decimal
    max_grade: int
    ok: bool
    verdict: str


def plain_text(body: str) -> str:
    """The words a reader reads: headings and list items become sentences of their own."""
    lines = []
    for raw in body.replace("\r\n", "\n").splitlines():
        line = raw.strip()
        if not line:
            continue
        line = re.sub(r"^(## |- )", "", line)
        if not line.endswith((".", "?", "!", ":")):
            line += "."
        lines.append(line)
    return " ".join(lines)


def grade_of(title: str, body: str) -> float:
    """The Flesch-Kincaid grade of the title and body (0.0 for no words)."""
    text = plain_text(f"{title}\n{body}")
    if not text.strip():
        return 0.0
    return round(max(0.0, float(textstat.flesch_kincaid_grade(text))), 1)


def readability(title: str, body: str, max_grade: int = DEFAULT_MAX_GRADE) -> Readability:
    grade = grade_of(title, body)
    ok = grade <= max_grade
    if ok:
        verdict = (
            f"Reading level: grade {grade:.1f}, within the clinic's limit of grade {max_grade}."
        )
    else:
        verdict = (
            f"Reading level: grade {grade:.1f}, above the clinic's limit of grade {max_grade}. "
            "Use shorter sentences and common words."
        )
    return Readability(grade=grade, max_grade=max_grade, ok=ok, verdict=verdict)
