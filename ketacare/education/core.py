"""Pure rules of patient education: the reading level of an article and what it means.
No Django here."""

from __future__ import annotations

import re
from dataclasses import dataclass

import textstat
from textstat.backend import metrics

# Common health-literacy guidance is that patient materials be written at or below an 8th
# grade reading level (e.g. the US National Institutes of Health and the AMA advise 6th to
# 8th grade; CDC Clear Communication Index). The clinic can change it.
DEFAULT_MAX_GRADE = 8

ENGLISH, SPANISH = "en", "es"

# The formula behind "grade" in each language. English: Flesch-Kincaid grade level (Kincaid
# et al., 1975), a US school grade. Spanish: Crawford's formula (Crawford, A. N., 1984, "A
# Spanish language Fry-type readability procedure: elementary level", Bilingual Education
# Paper Series 7(8), California State University, Los Angeles; legible.es/blog/
# formula-de-crawford): grade = -0.205 x sentences per 100 words + 0.049 x syllables per
# 100 words - 3.407, which gives the years of schooling needed to read the text directly,
# so the clinic's one grade limit applies to both languages unchanged. Crawford was
# calibrated on primary-school texts (grades 1 to 6): at the limit of 8 it extrapolates a
# little, so the tests also check the Spanish defaults with Fernandez-Huerta (1959).
FORMULAS = {ENGLISH: "Flesch-Kincaid", SPANISH: "Crawford"}

# Fernandez-Huerta's reading ease (Flesch's ease adapted to Spanish, 0 to 100, higher is
# easier). On its scale (the Flesch table it adapts; legible.es/blog/
# lecturabilidad-fernandez-huerta) 60 to 70 is "normal", 7th to 8th grade, and 70 or more
# is "bastante facil" (6th grade and below): a cross-check, not the clinic's limit.
FERNANDEZ_HUERTA_GRADE_8 = 60.0


@dataclass(frozen=True)
class Readability:
    grade: float  # school grade (FORMULAS[language]), rounded to one decimal
    max_grade: int
    ok: bool
    verdict: str
    language: str = ENGLISH


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


def grade_of(title: str, body: str, language: str = ENGLISH) -> float:
    """The school grade of the title and body (0.0 for no words): Flesch-Kincaid for
    English, Crawford for Spanish (FORMULAS). Spanish syllables are counted with the
    Spanish hyphenation dictionary, passed to textstat's backend explicitly: textstat's
    `set_lang` is process-wide state, which this never touches."""
    text = plain_text(f"{title}\n{body}")
    if not text.strip():
        return 0.0
    if language == SPANISH:
        found = metrics.crawford(text, SPANISH)
    else:
        found = textstat.flesch_kincaid_grade(text)
    return round(max(0.0, float(found)), 1)


def reading_ease_es(title: str, body: str) -> float:
    """Fernandez-Huerta reading ease of a Spanish title and body (the cross-check)."""
    text = plain_text(f"{title}\n{body}")
    if not text.strip():
        return 100.0
    return round(float(metrics.fernandez_huerta(text, SPANISH)), 1)


def readability(
    title: str, body: str, max_grade: int = DEFAULT_MAX_GRADE, language: str = ENGLISH
) -> Readability:
    grade = grade_of(title, body, language)
    ok = grade <= max_grade
    formula = FORMULAS.get(language, FORMULAS[ENGLISH])
    if ok:
        verdict = (
            f"Reading level ({formula}): grade {grade:.1f}, within the clinic's limit of "
            f"grade {max_grade}."
        )
    else:
        verdict = (
            f"Reading level ({formula}): grade {grade:.1f}, above the clinic's limit of "
            f"grade {max_grade}. Use shorter sentences and common words."
        )
    return Readability(grade=grade, max_grade=max_grade, ok=ok, verdict=verdict, language=language)
