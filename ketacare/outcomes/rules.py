"""The settings of the outcome and maintenance rules, their defaults and their sources.

Pure Python, no Django. Every threshold the rules use is a field here; a clinic overrides
them (the integrator stores the overrides in a per-clinic settings model) and the user is
shown the value in force next to its source from RULE_SOURCES or MAINTENANCE_SOURCES.
Sources marked "Clinical choice" are not published facts: they are the project's default
for a decision a clinic should make. Marks follow the reference files: [V] verified,
[S] secondary, [U] unverified or conflicting, [NF] not found.

Per-instrument settings are mappings keyed by instrument code; their sources are keyed
"field.instrument" (e.g. "remission_at_or_below.madrs").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum


class RelapseRule(StrEnum):
    # Two consecutive measurements at least N days apart that no longer meet response,
    # or one score back at a set share of baseline (the default).
    LOSS_OF_RESPONSE = "loss_of_response"
    # SUSTAIN-1 (Daly 2019): MADRS at or above a threshold (default 22) on 2 consecutive
    # visits 5-15 days apart, or a recorded hospitalisation for worsening depression,
    # suicide attempt or other clinically relevant event to prevent suicide.
    MADRS_THRESHOLD = "madrs_threshold"


def _remission_defaults() -> dict[str, int]:
    # Stored as "at or below" so every cut-off reads the same way; PHQ-9 < 5 is ≤ 4.
    return {"madrs": 12, "phq9": 4, "qids_sr16": 5, "hamd17": 7}


def _warning_defaults() -> dict[str, int]:
    return {"madrs": 6, "phq9": 5, "qids_sr16": 4}


@dataclass(frozen=True)
class OutcomeRules:
    """How a course is judged: baseline, response, remission, rapid and sustained
    response, relapse and futility."""

    baseline_window_days: int = 14
    response_reduction_percent: int = 50
    remission_at_or_below: Mapping[str, int] = field(default_factory=_remission_defaults)
    rapid_24h_target_hours: float = 24.0
    rapid_24h_tolerance_hours: float = 6.0
    rapid_4h_target_hours: float = 4.0
    rapid_4h_tolerance_hours: float = 1.0
    sustained_consecutive: int = 2
    relapse_rule: RelapseRule = RelapseRule.LOSS_OF_RESPONSE
    relapse_consecutive: int = 2
    relapse_min_span_days: int = 5
    relapse_back_to_baseline_percent: int | None = 100
    relapse_madrs_at_or_above: int = 22
    relapse_visit_min_days: int = 5
    relapse_visit_max_days: int = 15
    futility_after_sessions: int = 3
    futility_min_improvement_percent: int = 25


@dataclass(frozen=True)
class MaintenanceRules:
    """How relief is followed between maintenance sessions: the early warning, the
    estimate of how long relief lasts, the next-session recommendation and tapering."""

    warning_rise_points: Mapping[str, int] = field(default_factory=_warning_defaults)
    warning_band_steps: int | None = 1
    relief_lookback_intervals: int = 2
    lead_days: int = 3
    taper_stable_intervals: int = 2
    taper_step_days: int = 7
    taper_max_interval_days: int | None = None


RULE_SOURCES: dict[str, str] = {
    "baseline_window_days": (
        "Clinical choice: the last score of the instrument within 14 days before the first "
        "dose. No published window for clinic practice [NF]; the self-report scales ask "
        "about the last 7 days (QIDS-SR16) or 2 weeks (PHQ-9), so an older score no longer "
        "describes the state at the start of treatment."
    ),
    "response_reduction_percent": (
        "≥50% reduction from baseline: Phillips et al. 2019; Murrough et al. 2013; "
        "esketamine trials (clinical.md §7.1 [V]; instruments.md §2.3 [V])."
    ),
    "remission_at_or_below.madrs": (
        "MADRS ≤ 12: ASPIRE, SUSTAIN-3, R-107 (Glue 2024) and PMC10769130 (clinical.md "
        "§7.1 [V]). The alternative cut-off MADRS ≤ 10 is available; its source was not "
        "found [NF], so choosing it is a clinical choice."
    ),
    "remission_at_or_below.phq9": (
        "PHQ-9 < 5 (stored as ≤ 4): the minimal/none band 0-4 of Kroenke's cut-points "
        "(instruments.md §2.1 [V])."
    ),
    "remission_at_or_below.qids_sr16": (
        "QIDS-SR16 ≤ 5: as used in STAR*D, Trivedi et al. 2006 (instruments.md §2.4 [S]); "
        "also the upper end of the 'none' band 0-5 [V]."
    ),
    "remission_at_or_below.hamd17": (
        "HAM-D 17 ≤ 7: the most used remission cut-off (Zimmerman, Chelminski & Posternak, "
        "J Nerv Ment Dis 2004;192:595-601, a review of HAM-D scores in healthy controls and "
        "of the thresholds used in treatment studies [S]); also the upper end of the 'none' "
        "band 0-7 (ids-qids.org conversion table, instruments.md §2.5 [V]). Response on "
        "HAM-D 17 is the same ≥50% reduction from baseline as for the other scales."
    ),
    "rapid_24h_target_hours": (
        "Response about 24 hours after the first dose: Phillips 2019 primary endpoint; "
        "esketamine monotherapy effect seen by 24 h (clinical.md §7.1 [V])."
    ),
    "rapid_24h_tolerance_hours": (
        "Clinical choice: a score 18-30 hours after the first dose counts as the 24-hour "
        "measurement (no published tolerance [NF])."
    ),
    "rapid_4h_target_hours": (
        "Response at 4 hours where measured: Murrough 2013 rated at 2 h and 4 h "
        "(clinical.md §7.1 [V])."
    ),
    "rapid_4h_tolerance_hours": (
        "Clinical choice: a score 3-5 hours after the first dose counts as the 4-hour "
        "measurement (no published tolerance [NF])."
    ),
    "sustained_consecutive": (
        "Clinical choice: response on 2 consecutive measurements, by analogy with ASPIRE's "
        "consistent remission (MADRS ≤ 12 on 2 consecutive visits, clinical.md §7.1 [V])."
    ),
    "relapse_rule": (
        "Clinical choice (issue default): loss of response. The option 'MADRS threshold' is "
        "SUSTAIN-1's relapse definition (Daly et al., JAMA Psychiatry 2019;76:893-903, "
        "PMC6551577): MADRS ≥ 22 on 2 consecutive assessments 5-15 days apart, or "
        "hospitalisation for worsening depression, a suicide attempt or any other clinically "
        "relevant event to prevent suicide, recorded as clinical events (the reference file "
        "marks the exact wording [U], so check it against the paper)."
    ),
    "relapse_consecutive": (
        "Clinical choice (issue default): two consecutive measurements no longer meeting "
        "response (or, under the 'MADRS threshold' option, at or above the MADRS threshold) [U]."
    ),
    "relapse_min_span_days": (
        "Clinical choice (issue default): the consecutive measurements span at least 5 days, "
        "so one bad day is not a relapse."
    ),
    "relapse_back_to_baseline_percent": (
        "Clinical choice (issue default 'or a score back above a threshold'): one score at "
        "or above 100% of baseline is a relapse at once. Empty turns the rule off."
    ),
    "relapse_madrs_at_or_above": (
        "Option 'MADRS threshold' only: MADRS ≥ 22, SUSTAIN-1 (Daly 2019); the reference file "
        "marks the wording [U] (clinical.md §7.1)."
    ),
    "relapse_visit_min_days": (
        "Option 'MADRS threshold' only: the consecutive MADRS assessments at or above the "
        "threshold are at least 5 days apart (SUSTAIN-1, Daly 2019), so two scores a day "
        "apart are not a relapse."
    ),
    "relapse_visit_max_days": (
        "Option 'MADRS threshold' only: and at most 15 days apart (SUSTAIN-1, Daly 2019); "
        "a later score starts a new count."
    ),
    "futility_after_sessions": (
        "APA consensus (Sanacora 2017): few reports show a response after more than 3 "
        "infusions when there was none before (clinical.md §1.2 [V]); Phillips 2019 "
        "responders needed a median of 3 infusions (§1.3 [V]). The flag asks for a review; "
        "it does not stop treatment."
    ),
    "futility_min_improvement_percent": (
        "Clinical choice: 'meaningful improvement' is a reduction of at least 25% from "
        "baseline (half the response threshold; no published figure [NF]). Set it to 50 to "
        "flag every patient without a response, the APA wording."
    ),
}

MAINTENANCE_SOURCES: dict[str, str] = {
    "warning_rise_points.madrs": (
        "Clinical choice: a rise of 6 MADRS points from the post-session nadir (the issue's "
        "worked example); no published early-warning rise [NF]."
    ),
    "warning_rise_points.phq9": (
        "Clinical choice: a rise of 5 PHQ-9 points, one severity band's width "
        "(bands 5 points wide, instruments.md §2.1 [V])."
    ),
    "warning_rise_points.qids_sr16": (
        "Clinical choice: a rise of 4 QIDS-SR16 points (bands 5 points wide, "
        "instruments.md §2.4 [V]); no published figure [NF]."
    ),
    "warning_band_steps": (
        "Clinical choice: moving 1 severity band worse than the band at the nadir warns. "
        "Empty turns the band rule off."
    ),
    "relief_lookback_intervals": (
        "Clinical choice: how long relief lasts is estimated from the intervals after the "
        "last 2 sessions where scores rose again; the shortest of them is used, to err "
        "towards dosing early."
    ),
    "lead_days": (
        "Andrade 2017 (clinical.md §1.4 [V]): individualise and dose a little before the "
        "previous effect wears off; 'a little' as 3 days is a clinical choice [NF]."
    ),
    "taper_stable_intervals": (
        "Clinical choice: suggest a longer interval after 2 intervals with stable scores. "
        "Spravato maintenance runs at the lowest frequency that keeps remission or "
        "response (clinical.md §2.1 [V]); no standard maintenance schedule [NF] (§1.4)."
    ),
    "taper_step_days": (
        "Clinical choice: lengthen the interval by 7 days, as the Spravato schedule steps "
        "from weekly to every 2 weeks (clinical.md §2.1 [V])."
    ),
    "taper_max_interval_days": "Clinical choice: no upper limit unless the clinic sets one.",
}

# Alternatives a settings form should offer beside the default.
ALTERNATIVES: dict[str, tuple[object, ...]] = {
    "remission_at_or_below.madrs": (10,),
    "remission_at_or_below.hamd17": (6, 10),
    "relapse_rule": (RelapseRule.MADRS_THRESHOLD,),
}


def setting_keys(settings: OutcomeRules | MaintenanceRules) -> list[str]:
    """Every setting of the object, per-instrument entries as 'field.instrument'."""
    keys = []
    for f in fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, Mapping):
            keys += [f"{f.name}.{code}" for code in value]
        else:
            keys.append(f.name)
    return keys


def rule_problems(rules: OutcomeRules) -> dict[str, str]:
    """Settings a clinic must not save, by field name, each with the reason."""
    problems: dict[str, str] = {}
    if not 1 <= rules.response_reduction_percent <= 100:
        problems["response_reduction_percent"] = "must be between 1 and 100"
    if not 0 <= rules.futility_min_improvement_percent <= 100:
        problems["futility_min_improvement_percent"] = "must be between 0 and 100"
    for name in (
        "baseline_window_days",
        "sustained_consecutive",
        "relapse_consecutive",
        "futility_after_sessions",
    ):
        if getattr(rules, name) < 1:
            problems[name] = "must be at least 1"
    for name in ("relapse_min_span_days", "relapse_visit_min_days"):
        if getattr(rules, name) < 0:
            problems[name] = "must not be negative"
    if rules.relapse_visit_max_days < max(rules.relapse_visit_min_days, 1):
        # A pair: name both, so the one that was changed is always among the fields named.
        problems["relapse_visit_max_days"] = (
            f"must be at least 1 and at least relapse_visit_min_days "
            f"({rules.relapse_visit_min_days})"
        )
        if rules.relapse_visit_min_days > rules.relapse_visit_max_days:
            problems["relapse_visit_min_days"] = (
                f"must not be more than relapse_visit_max_days ({rules.relapse_visit_max_days})"
            )
    for name in ("rapid_24h_tolerance_hours", "rapid_4h_tolerance_hours"):
        if getattr(rules, name) < 0:
            problems[name] = "must not be negative"
    share = rules.relapse_back_to_baseline_percent
    if share is not None and not (100 - rules.response_reduction_percent < share <= 200):
        # At or below the response level a score could be a response and a relapse at once.
        problems["relapse_back_to_baseline_percent"] = (
            f"must be above {100 - rules.response_reduction_percent} (the response level) "
            "and at most 200, or empty"
        )
    for code, cutoff in rules.remission_at_or_below.items():
        if cutoff < 0:
            problems[f"remission_at_or_below.{code}"] = "must not be negative"
    return problems


def maintenance_problems(rules: MaintenanceRules) -> dict[str, str]:
    """Maintenance settings a clinic must not save, by field name, each with the reason."""
    problems: dict[str, str] = {}
    for name in ("relief_lookback_intervals", "taper_stable_intervals", "taper_step_days"):
        if getattr(rules, name) < 1:
            problems[name] = "must be at least 1"
    if rules.lead_days < 0:
        problems["lead_days"] = "must not be negative"
    if rules.warning_band_steps is not None and rules.warning_band_steps < 1:
        problems["warning_band_steps"] = "must be at least 1, or empty"
    if rules.taper_max_interval_days is not None and rules.taper_max_interval_days < 1:
        problems["taper_max_interval_days"] = "must be at least 1, or empty"
    for code, points in rules.warning_rise_points.items():
        if points < 1:
            problems[f"warning_rise_points.{code}"] = "must be at least 1"
    return problems
