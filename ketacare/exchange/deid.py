"""De-identification for the research export. Pure: no Django.

HIPAA Safe Harbor, 45 CFR §164.514(b)(2): none of the 18 identifiers leave; ages over 89
are grouped as 90+; every date becomes a day number from the patient's own day 0 (a
per-patient offset, so intervals within a patient stay true, and no date element is
left); the research id is random per export. The quasi-identifiers
(age band, sex, site) are then made k-anonymous: a cell smaller than k is generalised
step by step (broad age band, any age, any sex) and, if still smaller, left out.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace

AGE_TOP = 90  # §164.514(b)(2)(i)(C): ages over 89 are aggregated into one "90 or older"
ANY = "any"
# Generalisation ladder for the age band: decades, then broad bands, then any age.
BROAD_BANDS = ((0, 39, "<40"), (40, 64, "40-64"), (65, AGE_TOP - 1, "65-89"))


def age_band(age: int) -> str:
    """Decade bands (18-29 for adults under 30), and 90+ for every age over 89."""
    if age >= AGE_TOP:
        return "90+"
    if age < 18:
        return "<18"
    if age < 30:
        return "18-29"
    low = age // 10 * 10
    return f"{low}-{low + 9}"


def broad_band(age: int) -> str:
    if age >= AGE_TOP:
        return "90+"
    return next(label for low, high, label in BROAD_BANDS if low <= age <= high)


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def research_id() -> str:
    """A random id for one patient in one export; never reused, never derived."""
    return "R-" + secrets.token_hex(6).upper()


def day_number(day: dt.date, anchor: dt.date) -> int:
    """A date as the number of days from the patient's anchor (their day 0): every date
    of one patient moves by the same offset, so intervals stay true, and no calendar
    date is left to match (a shifted calendar date can still equal a real one)."""
    return (day - anchor).days


@dataclass(frozen=True)
class QuasiIdentifiers:
    age: int
    sex: str
    site: str
    age_label: str = ""

    def cell(self) -> tuple[str, str, str]:
        return (self.age_label, self.sex, self.site)


def _counts(groups: Mapping[str, QuasiIdentifiers]) -> Counter[tuple[str, str, str]]:
    return Counter(q.cell() for q in groups.values())


def k_anonymise(
    people: Mapping[str, QuasiIdentifiers], k: int
) -> tuple[dict[str, QuasiIdentifiers], list[str]]:
    """Generalise the quasi-identifiers until every cell (age band, sex, site) has at
    least k people; people still in a smaller cell are left out. Returns the kept
    people's generalised values and the ids left out."""
    ladder = (
        lambda q: replace(q, age_label=age_band(q.age)),
        lambda q: replace(q, age_label=broad_band(q.age)),
        lambda q: replace(q, age_label=ANY),
        lambda q: replace(q, age_label=ANY, sex=ANY),
    )
    current = {pid: ladder[0](q) for pid, q in people.items()}
    for step in ladder[1:]:
        counts = _counts(current)
        small = [pid for pid, q in current.items() if counts[q.cell()] < k]
        if not small:
            break
        for pid in small:
            current[pid] = step(people[pid])
    counts = _counts(current)
    left_out = sorted(pid for pid, q in current.items() if counts[q.cell()] < k)
    kept = {pid: q for pid, q in current.items() if pid not in left_out}
    return kept, left_out
