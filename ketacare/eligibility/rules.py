"""The clinic's eligibility settings: every threshold and clinical choice of the
treatment-history and screening rules, each with its default and the default's basis.

Pure data, no Django. `EligibilityRules()` holds the cited defaults; a clinic's stored
settings (ketacare.eligibility.models.EligibilitySettings) override them field by field.
Where no authoritative number exists ([NF] in clinical.md) the default is labelled a
clinic-setting default, and the basis says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from ketacare.dosing.protocols import Source

TRD_DEFINITION = Source(
    "Common TRD definition: failure of >=2 adequate antidepressant trials in the current "
    "episode (PMC11193313, 2024; CNS Drugs 2023)",
    "https://pmc.ncbi.nlm.nih.gov/articles/PMC11193313/",
)
STRICT_TRIAL_EXAMPLE = Source(
    "PMC6884875: trials of >=4 weeks at adequate dose (stricter trial example)",
    "https://pmc.ncbi.nlm.nih.gov/articles/PMC6884875/",
)
FREEMAN_ATHF = Source("Freeman 2020: <50% improvement after an adequate course (ATHF)")
NO_AUTHORITY = Source(
    "Clinic-setting default: no authoritative number exists (clinical.md section 6.1 [NF]); "
    "review before use"
)
BENZO_PMC10812090 = Source(
    "PMC10812090 exclusion: benzodiazepine >3 mg lorazepam-equivalent per day",
    "https://pmc.ncbi.nlm.nih.gov/articles/PMC10812090/",
)
BENZO_PMC6884875 = Source(
    "PMC6884875 exclusion: benzodiazepine >2 mg lorazepam-equivalent per day",
    "https://pmc.ncbi.nlm.nih.gov/articles/PMC6884875/",
)
ANDRASHKO_2020 = Source(
    "Andrashko et al., Front Psychiatry 2020: >8 mg diazepam-equivalent/day "
    "(~0.8 mg lorazepam) separated non-responders"
)
SPRAVATO_BP_WORDING = Source(
    "Spravato label, commonly quoted wording [U]: baseline BP elevated, e.g. >140 systolic "
    "or >90 diastolic; verbatim label text not found",
    "https://www.spravatohcp.com/dosing-spravato-trd",
)

# Minimum daily doses (mg/day) at which a trial counts as adequate. No authoritative
# table exists [NF]: these are the usual lowest therapeutic daily doses, shipped as a
# clinic-setting default that the clinic must review (NO_AUTHORITY).
DEFAULT_MIN_DAILY_DOSE_MG: MappingProxyType[str, float] = MappingProxyType(
    {
        "fluoxetine": 20,
        "sertraline": 50,
        "citalopram": 20,
        "escitalopram": 10,
        "paroxetine": 20,
        "fluvoxamine": 100,
        "venlafaxine": 75,
        "desvenlafaxine": 50,
        "duloxetine": 60,
        "levomilnacipran": 40,
        "bupropion": 150,
        "mirtazapine": 15,
        "vortioxetine": 10,
        "vilazodone": 20,
        "trazodone": 150,
        "agomelatine": 25,
        "amitriptyline": 75,
        "nortriptyline": 75,
        "imipramine": 75,
        "clomipramine": 75,
        "desipramine": 75,
        "doxepin": 75,
        "phenelzine": 45,
        "tranylcypromine": 30,
        "isocarboxazid": 30,
        "moclobemide": 300,
    }
)


@dataclass(frozen=True)
class Setting:
    """How one setting is shown: its label, unit and the basis of its default."""

    label: str
    source: Source
    unit: str = ""


@dataclass(frozen=True)
class EligibilityRules:
    min_failed_trials: int = 2
    min_trial_weeks: int = 4
    min_daily_dose_mg: MappingProxyType[str, float] = field(
        default_factory=lambda: DEFAULT_MIN_DAILY_DOSE_MG
    )
    partial_response_is_failure: bool = True
    intolerance_is_failure: bool = False
    poor_adherence_is_inadequate: bool = True
    benzodiazepine_max_lorazepam_mg: float = 3.0
    bp_systolic_max: int = 140
    bp_diastolic_max: int = 90
    recent_cardiovascular_days: int = 180

    def with_overrides(self, overrides: dict[str, Any]) -> EligibilityRules:
        known = {f.name for f in fields(self)}
        values = {k: v for k, v in overrides.items() if k in known and v is not None}
        if "min_daily_dose_mg" in values:
            values["min_daily_dose_mg"] = MappingProxyType(
                {str(k).lower(): float(v) for k, v in dict(values["min_daily_dose_mg"]).items()}
            )
        return EligibilityRules(**{**self.__dict__, **values})


SETTINGS: dict[str, Setting] = {
    "min_failed_trials": Setting(
        "Failed adequate trials for treatment resistance", TRD_DEFINITION, "trials"
    ),
    "min_trial_weeks": Setting(
        "Minimum weeks at dose for an adequate trial",
        Source(f"{STRICT_TRIAL_EXAMPLE.label}; {NO_AUTHORITY.label}", STRICT_TRIAL_EXAMPLE.url),
        "weeks",
    ),
    "min_daily_dose_mg": Setting(
        "Minimum daily dose for an adequate trial, per drug", NO_AUTHORITY, "mg/day"
    ),
    "partial_response_is_failure": Setting(
        "A partial response (<50% improvement) counts as a failed trial", FREEMAN_ATHF
    ),
    "intolerance_is_failure": Setting(
        "Stopping for intolerance counts as a failed trial",
        Source(
            "Off by default: the common definition counts trials of adequate dose and "
            "duration (PMC11193313); clinic choice"
        ),
    ),
    "poor_adherence_is_inadequate": Setting(
        "Poor adherence makes a trial inadequate",
        Source("Clinic-setting default: adequacy presumes the drug was taken [NF]"),
    ),
    "benzodiazepine_max_lorazepam_mg": Setting(
        "Benzodiazepine load above which screening raises a caution",
        Source(
            f"{BENZO_PMC10812090.label}; alternatives: 2 mg ({BENZO_PMC6884875.label}), "
            f"0.8 mg ({ANDRASHKO_2020.label})",
            BENZO_PMC10812090.url,
        ),
        "mg/day lorazepam-equivalent",
    ),
    "bp_systolic_max": Setting(
        "Uncontrolled hypertension: systolic above", SPRAVATO_BP_WORDING, "mmHg"
    ),
    "bp_diastolic_max": Setting(
        "Uncontrolled hypertension: diastolic above", SPRAVATO_BP_WORDING, "mmHg"
    ),
    "recent_cardiovascular_days": Setting(
        "A cardiovascular event counts as recent within",
        Source("Clinic-setting default: no source defines 'recent' [NF]"),
        "days",
    ),
}
