"""Treatment history rules: trial adequacy, treatment-resistance status, Thase-Rush
stage and Maudsley Staging Method score. Pure functions; each returns how it got there.

Sources: clinical.md section 6 (definitions [V], Maudsley table [V] with the [U]
treatment-failure sub-scoring, Thase-Rush stages [V]).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from ketacare.dosing.protocols import Source
from ketacare.eligibility.rules import TRD_DEFINITION, EligibilityRules

MAUDSLEY = Source(
    "Maudsley Staging Method (Fekadu), BMC Psychiatry 2018 standardisation, Table 3",
    "https://bmcpsychiatry.biomedcentral.com/articles/10.1186/s12888-018-1679-x/tables/3",
)
THASE_RUSH = Source(
    "Thase-Rush staging (medicalalgorithms.com)",
    "https://medicalalgorithms.com/treatment-resistant-depression-strategies",
)


class DrugClass(StrEnum):
    SSRI = "ssri"
    SNRI = "snri"
    TCA = "tca"
    MAOI = "maoi"
    NDRI = "ndri"  # bupropion
    NASSA = "nassa"  # mirtazapine
    SARI = "sari"  # trazodone
    MULTIMODAL = "multimodal"  # vortioxetine, vilazodone
    MELATONERGIC = "melatonergic"  # agomelatine
    OTHER = "other"


class Adherence(StrEnum):
    GOOD = "good"
    PARTIAL = "partial"
    POOR = "poor"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    RESPONSE = "response"
    PARTIAL_RESPONSE = "partial_response"
    NO_RESPONSE = "no_response"
    INTOLERANCE = "intolerance"


class Severity(StrEnum):
    SUBSYNDROMAL = "subsyndromal"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class OtherKind(StrEnum):
    AUGMENTATION = "augmentation"
    PSYCHOTHERAPY = "psychotherapy"
    ECT = "ect"
    TMS = "tms"


@dataclass(frozen=True)
class Trial:
    drug: str
    drug_class: DrugClass
    max_daily_dose_mg: float
    weeks_at_dose: float
    adherence: Adherence
    outcome: Outcome
    in_current_episode: bool = True


@dataclass(frozen=True)
class OtherTreatment:
    kind: OtherKind
    outcome: Outcome
    bilateral: bool = False  # ECT only
    in_current_episode: bool = True


@dataclass(frozen=True)
class Episode:
    start_date: dt.date
    severity: Severity
    psychotic_features: bool


@dataclass(frozen=True)
class Adequacy:
    adequate: bool
    reason: str


@dataclass(frozen=True)
class Derived:
    """A derived value and how it was reached."""

    value: str
    how: tuple[str, ...]
    source: Source


def trial_adequacy(trial: Trial, rules: EligibilityRules) -> Adequacy:
    drug = trial.drug.strip().lower()
    minimum = rules.min_daily_dose_mg.get(drug)
    problems = []
    if minimum is None:
        problems.append(f"no minimum dose is set for {trial.drug} (add one in the settings)")
    elif trial.max_daily_dose_mg < minimum:
        problems.append(f"{trial.max_daily_dose_mg:g} mg/day is below the {minimum:g} mg minimum")
    if trial.weeks_at_dose < rules.min_trial_weeks:
        problems.append(
            f"{trial.weeks_at_dose:g} weeks at dose is under the {rules.min_trial_weeks} weeks"
        )
    if rules.poor_adherence_is_inadequate and trial.adherence == Adherence.POOR:
        problems.append("adherence was poor")
    if problems:
        return Adequacy(False, "Not adequate: " + "; ".join(problems) + ".")
    dose = f"{trial.max_daily_dose_mg:g} mg/day (minimum {minimum:g})"
    return Adequacy(True, f"Adequate: {dose} for {trial.weeks_at_dose:g} weeks.")


def counts_as_failure(outcome: Outcome, rules: EligibilityRules) -> bool:
    return (
        outcome == Outcome.NO_RESPONSE
        or (outcome == Outcome.PARTIAL_RESPONSE and rules.partial_response_is_failure)
        or (outcome == Outcome.INTOLERANCE and rules.intolerance_is_failure)
    )


def failed_adequate_trials(trials: list[Trial], rules: EligibilityRules) -> list[Trial]:
    """Adequate trials in the current episode that failed, by the clinic's rules."""
    return [
        t
        for t in trials
        if t.in_current_episode
        and trial_adequacy(t, rules).adequate
        and counts_as_failure(t.outcome, rules)
    ]


def _drugs(trials: list[Trial]) -> list[str]:
    return sorted({t.drug.strip().lower() for t in trials})


def resistance_status(trials: list[Trial], rules: EligibilityRules) -> Derived:
    """Treatment-resistant when at least `min_failed_trials` different drugs failed
    adequately in the current episode (two trials of one drug count once)."""
    drugs = _drugs(failed_adequate_trials(trials, rules))
    resistant = len(drugs) >= rules.min_failed_trials
    how = (
        f"{len(drugs)} different drug(s) failed an adequate trial in the current episode"
        + (f": {', '.join(drugs)}" if drugs else ""),
        f"the clinic's rule needs {rules.min_failed_trials}",
    )
    value = "treatment-resistant" if resistant else "not treatment-resistant"
    return Derived(value, how, TRD_DEFINITION)


def thase_rush_stage(
    trials: list[Trial], others: list[OtherTreatment], rules: EligibilityRules
) -> Derived:
    """Stages 0-V. Each stage needs the previous one reached by other classes: stage III
    needs two failed classes besides the TCA, stage IV two besides the TCA and MAOI."""
    classes = {t.drug_class for t in failed_adequate_trials(trials, rules)}
    ect_failed = any(
        o.kind == OtherKind.ECT
        and o.bilateral
        and o.in_current_episode
        and counts_as_failure(o.outcome, rules)
        for o in others
    )
    base = classes - {DrugClass.TCA, DrugClass.MAOI}
    how = [f"failed adequate classes: {', '.join(sorted(classes)) or 'none'}"]
    stage = 0
    if classes:
        stage = 1
    if len(classes) >= 2:
        stage = 2
    if DrugClass.TCA in classes and len(classes - {DrugClass.TCA}) >= 2:
        stage = 3
    if {DrugClass.TCA, DrugClass.MAOI} <= classes and len(base) >= 2:
        stage = 4
    if stage == 4 and ect_failed:
        stage = 5
    how.append("failed bilateral ECT in this episode" if ect_failed else "no failed bilateral ECT")
    how.append(STAGE_MEANING[stage])
    return Derived(ROMAN[stage], tuple(how), THASE_RUSH)


ROMAN = ("0", "I", "II", "III", "IV", "V")
STAGE_MEANING = (
    "stage 0: no failed adequate trial",
    "stage I: failure of an adequate trial of one major class",
    "stage II: stage I plus failure of a different class",
    "stage III: stage II plus failure of a TCA",
    "stage IV: stage III plus failure of an MAOI",
    "stage V: stage IV plus failure of bilateral ECT",
)


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from start to end (0 when end is before start)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def _duration_score(months: int) -> int:
    return 1 if months <= 12 else 2 if months <= 24 else 3


SEVERITY_SCORE = {
    Severity.SUBSYNDROMAL: 1,
    Severity.MILD: 2,
    Severity.MODERATE: 3,
    Severity.SEVERE: 4,
}


def _failure_score(drug_count: int) -> int:
    for upper, score in ((0, 0), (2, 1), (4, 2), (6, 3), (10, 4)):
        if drug_count <= upper:
            return score
    return 5


def maudsley_band(total: int) -> str:
    if total < 3:
        return "not staged"
    return "mild" if total <= 6 else "moderate" if total <= 10 else "severe"


def maudsley_score(
    episode: Episode,
    trials: list[Trial],
    others: list[OtherTreatment],
    rules: EligibilityRules,
    *,
    today: dt.date,
) -> Derived:
    months = months_between(episode.start_date, today)
    duration = _duration_score(months)
    severity = SEVERITY_SCORE[episode.severity]
    psychotic = episode.severity == Severity.SEVERE and episode.psychotic_features
    if psychotic:
        severity = 5
    drugs = _drugs(failed_adequate_trials(trials, rules))
    current = [o for o in others if o.in_current_episode]
    augmentation = int(any(o.kind == OtherKind.AUGMENTATION for o in current))
    ect = int(any(o.kind == OtherKind.ECT for o in current))
    failures = min(_failure_score(len(drugs)) + augmentation + ect, 7)
    total = duration + severity + failures
    severity_text = f"{episode.severity}{' with psychosis' if psychotic else ''}"
    how = (
        f"duration {months} months: {duration}",
        f"severity {severity_text}: {severity}",
        f"treatment failures: {len(drugs)} drug(s) ({_failure_score(len(drugs))}) "
        f"+ augmentation {augmentation} + ECT {ect} = {failures} (maximum 7) "
        "[U: sub-scoring as tabulated, unverified in the primary paper]",
        f"total {total} of 15: {maudsley_band(total)}"
        + (" (below 3: the method presumes a failed trial)" if total < 3 else ""),
    )
    return Derived(f"{total} ({maudsley_band(total)})", how, MAUDSLEY)
