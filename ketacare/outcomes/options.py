"""Clinic-level choices around the outcome rules: which instrument the worklist and the
dashboard judge by, how long induction lasts (when response and remission are read for
the dashboard), and the minimum spacing of sessions for courses without a protocol (a
course with one uses the protocol's `min_days_between_sessions`). Pure Python, no
Django; defaults with their sources, as in `rules`.
"""

from __future__ import annotations

from dataclasses import dataclass

JUDGED_INSTRUMENTS = ("phq9", "madrs", "qids_sr16", "hamd17")  # those with remission cut-offs


@dataclass(frozen=True)
class ClinicOptions:
    primary_instrument: str = "phq9"
    induction_days: int = 28
    min_spacing_hours: int = 72


OPTION_SOURCES: dict[str, str] = {
    "primary_instrument": (
        "Clinical choice: PHQ-9 is the scale the default measurement plan collects before "
        "and 24 hours after every session, so it has the most points; MADRS is the trial "
        "standard (clinical.md §7.1 [V]) and can be chosen when the clinic rates it often."
    ),
    "induction_days": (
        "Spravato TRD induction is weeks 1-4, with benefit evaluated at the end of "
        "induction (clinical.md §2.1 [V]); IV induction series are about 6 infusions over "
        "2-3 weeks (§1.3). Response and remission on the dashboard are read on day 28."
    ),
    "min_spacing_hours": (
        "For courses without a protocol only (a course with one keeps the protocol's own "
        "minimum days between sessions, ketacare.dosing.protocols): twice weekly in "
        "Spravato induction (clinical.md §2.1 [V]) means sessions about 3 days apart. A "
        "recommended session is never sooner than this after the last one."
    ),
}


def option_problems(options: ClinicOptions) -> dict[str, str]:
    problems: dict[str, str] = {}
    if options.primary_instrument not in JUDGED_INSTRUMENTS:
        problems["primary_instrument"] = f"must be one of {', '.join(JUDGED_INSTRUMENTS)}"
    if not 1 <= options.induction_days <= 365:
        problems["induction_days"] = "must be between 1 and 365"
    if not 0 <= options.min_spacing_hours <= 24 * 90:
        problems["min_spacing_hours"] = "must be between 0 and 2160"
    return problems
