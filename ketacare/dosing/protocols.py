"""The protocol catalogue: the shared vocabulary of drugs, routes and indications, and
the protocols KetaCare ships. Pure data, no Django.

Every fact carries its source (see /work/shared/reference/clinical.md, cited by section);
where a value is a clinical choice rather than a published fact, the protocol says so in
its `notes`, and the value is one a clinic may adjust in its own copy
(`ADJUSTABLE_FIELDS`). A clinic copies a shipped protocol and adjusts the copy;
`ketacare.dosing.selectors.protocol_definition` answers the clinic's current version.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any


class Drug(StrEnum):
    KETAMINE = "ketamine"  # racemic
    ESKETAMINE = "esketamine"


class Route(StrEnum):
    IV = "iv"
    IM = "im"
    INTRANASAL = "intranasal"
    ORAL = "oral"
    SUBLINGUAL = "sublingual"
    ORAL_ER = "oral_er"  # extended-release tablet


class Indication(StrEnum):
    MAJOR_DEPRESSION = "major_depression"
    BIPOLAR_DEPRESSION = "bipolar_depression"
    ANXIETY_DISORDER = "anxiety_disorder"  # research protocols only
    PTSD = "ptsd"  # research protocols only


class DoseUnit(StrEnum):
    MG_PER_KG = "mg_per_kg"  # weight-based: scaled by the weight the basis policy picks
    MG = "mg"  # a fixed dose


@dataclass(frozen=True)
class Source:
    label: str
    url: str = ""


@dataclass(frozen=True)
class Note:
    """A fact or a clinical choice about a protocol, shown to the prescriber."""

    text: str
    source: Source | None = None
    clinical_choice: bool = False  # True: KetaCare's default, not a published rule


@dataclass(frozen=True)
class Phase:
    """A stretch of a course: `sessions` sessions in each period of `period_weeks` weeks,
    for `weeks` weeks. Twice weekly for 4 weeks is Phase("Induction", 4, 2)."""

    label: str
    weeks: int
    sessions: int = 1
    period_weeks: int = 1


@dataclass(frozen=True)
class ProtocolDefinition:
    """One version of one protocol. Screening needs only the first eight fields; the
    rest drive dose calculation and scheduling."""

    code: str
    version: int
    name: str
    drug: Drug
    route: Route
    indications: frozenset[Indication]
    research_only: bool = False
    sources: tuple[Source, ...] = field(default_factory=tuple)
    # Dose: the usual dose, its usual range (outside it: a warning), the hard cap (above
    # it: refused). All in dose_unit.
    dose_unit: DoseUnit = DoseUnit.MG_PER_KG
    default_dose: Decimal = Decimal("0.5")
    dose_min: Decimal = Decimal("0.1")
    dose_max: Decimal = Decimal("0.75")
    hard_max: Decimal = Decimal("0.75")
    hard_max_basis: str = ""
    first_dose: Decimal | None = None  # a fixed first dose (Spravato day 1: 56 mg)
    dose_step: Decimal | None = None  # doses must be a multiple (28 mg devices)
    infusion_minutes: int | None = None  # None: not an infusion
    # Titration: start low and step up per session to a ceiling (all optional).
    titration_start: Decimal | None = None
    titration_step: Decimal | None = None
    titration_ceiling: Decimal | None = None
    # Scheduling.
    # Left out of the hash (a dict is unhashable); still compared for equality.
    schedules: Mapping[str, tuple[Phase, ...]] = field(default_factory=dict, hash=False)
    min_days_between_sessions: int = 1  # 1: not twice on one day; 2: nor on consecutive days
    futility_review_after: int | None = None
    # Setting of care.
    clinic_only: bool = True
    home_dosing_allowed: bool = False
    requires_rems_enrollment: bool = False
    preparation: str = ""
    device_mg: Decimal | None = None
    device_interval_minutes: int | None = None
    integration_sessions: bool = False  # ketamine-assisted psychotherapy
    notes: tuple[Note, ...] = field(default_factory=tuple)
    clinic_copy: bool = False  # a clinic's adjusted copy, not the shipped version

    @property
    def weight_based(self) -> bool:
        return self.dose_unit == DoseUnit.MG_PER_KG

    @property
    def is_infusion(self) -> bool:
        return self.infusion_minutes is not None

    def planned_dose(self, number: int, start: Decimal, step: Decimal | None = None) -> Decimal:
        """The dose of session `number` (1-based): a fixed first dose where the label sets
        one, else start + step per session, never above the titration ceiling or cap."""
        if number == 1 and self.first_dose is not None:
            return self.first_dose
        if not step:
            return start
        ceiling = min(self.titration_ceiling or self.hard_max, self.hard_max)
        return min(start + step * (number - 1), ceiling)


def _frequency(phase: Phase) -> str:
    if phase.period_weeks > 1:
        return f"every {phase.period_weeks} weeks"
    return {1: "weekly", 2: "twice a week"}.get(phase.sessions, f"{phase.sessions} times a week")


def schedule_label(phases: tuple[Phase, ...]) -> str:
    """A schedule in words: "3 times a week for 2 weeks, then weekly for 2 weeks"."""
    return ", then ".join(f"{_frequency(p)} for {p.weeks} weeks" for p in phases).capitalize()


# --- sources (clinical.md section in brackets) ------------------------------------------

APA_CONSENSUS = Source(
    "Sanacora et al., JAMA Psychiatry 2017 (APA consensus), via Medscape [clinical.md §1.1]",
    "https://reference.medscape.com/viewarticle/913357_3",
)
ANDRADE_2017 = Source(
    "Andrade, J Clin Psychiatry 2017 [clinical.md §1.1]",
    "https://www.psychiatrist.com/JCP/article/Pages/2017/v78n07/17f11738.aspx",
)
LOO_2016 = Source(
    "Loo et al., Acta Psychiatr Scand 2016 [clinical.md §1.1]",
    "https://www.ncbi.nlm.nih.gov/pubmed/27028832",
)
MURROUGH_2013 = Source(
    "Murrough et al., Biol Psychiatry 2013 [clinical.md §1.3]",
    "https://pmc.ncbi.nlm.nih.gov/articles/PMC3725185",
)
SINGH_2016 = Source(
    "Singh et al., Am J Psychiatry 2016 [clinical.md §1.3]",
    "https://psychiatryonline.org/doi/abs/10.1176/appi.ajp.2016.16010037",
)
KETALAR_LABEL = Source("Ketalar (ketamine) label [clinical.md §1.1]")
SPRAVATO_LABEL = Source(
    "Spravato prescribing information and dosing pages [clinical.md §2.1]",
    "https://www.spravatohcp.com/dosing-and-administration",
)
SPRAVATO_REMS = Source(
    "Spravato REMS [clinical.md §5]",
    "https://www.accessdata.fda.gov/scripts/cder/rems/index.cfm?event=IndvRemsDetails.page&REMS=386",
)
ANDRADE_2019 = Source(
    "Andrade, J Clin Psychiatry 2019, oral ketamine [clinical.md §2.4]",
    "https://www.psychiatrist.com/jcp/depression/oral-ketamine-for-depression-practical-considerations/",
)
LARA_2013 = Source("Lara et al., Int J Neuropsychopharmacol 2013 [clinical.md §2.4]")
GLUE_2024 = Source(
    "Glue et al., Nature Medicine 2024, R-107 [clinical.md §2.5]",
    "https://drugs.com/news/extended-release-oral-ketamine-effective-resistant-depression-120301.html",
)
ASA_GUIDANCE = Source(
    "ASA guidance on ketamine safe use [clinical.md §1.5]",
    "https://asahq.org/advocating-for-you/guidance/ketamine-safe-use",
)

DEPRESSION = frozenset({Indication.MAJOR_DEPRESSION, Indication.BIPOLAR_DEPRESSION})
RESEARCH_INDICATIONS = frozenset({Indication.ANXIETY_DISORDER, Indication.PTSD})
NO_CAP_PUBLISHED = (
    "No maximum dose for depression is published [NF, clinical.md §1.1]. The default cap "
    "is {what}, a clinical choice: adjust it in the clinic's copy."
)

# IV: induction 2-3 a week to 6 infusions (Murrough 2013: 3/week; Singh 2016: 2 or 3/week
# equally effective); maintenance taper is a clinical choice (no standard, §1.4).
IV_TAPER = (
    Phase("Maintenance, weekly", 2),
    Phase("Maintenance, every 2 weeks", 4, 1, 2),
    Phase("Maintenance, monthly", 8, 1, 4),
)
IV_SCHEDULES: dict[str, tuple[Phase, ...]] = {
    "3_per_week": (Phase("Induction", 2, 3),),
    "2_per_week": (Phase("Induction", 3, 2),),
    "3_per_week_then_taper": (Phase("Induction", 2, 3), *IV_TAPER),
    "2_per_week_then_taper": (Phase("Induction", 3, 2), *IV_TAPER),
}
ESKETAMINE_TRD_SCHEDULES: dict[str, tuple[Phase, ...]] = {
    # Label: weeks 1-4 twice weekly, 5-8 weekly, 9+ every 2 weeks or weekly (§2.1). The
    # length generated for week 9 onward (8 weeks) is a clinical choice.
    "label_then_every_2_weeks": (
        Phase("Induction", 4, 2),
        Phase("Optimisation", 4, 1),
        Phase("Maintenance, every 2 weeks", 8, 1, 2),
    ),
    "label_then_weekly": (
        Phase("Induction", 4, 2),
        Phase("Optimisation", 4, 1),
        Phase("Maintenance, weekly", 8, 1),
    ),
}
ESKETAMINE_NOTES = (
    Note("28 mg per device; wait 5 minutes after each device.", SPRAVATO_LABEL),
    Note("Given in clinic only; never dispensed for home use.", SPRAVATO_REMS),
    Note("REMS patient enrollment is required before the first dose.", SPRAVATO_REMS),
    Note(
        "Never two sessions on the same or consecutive days: a clinical reading of the "
        "label's twice-weekly schedule.",
        SPRAVATO_LABEL,
        clinical_choice=True,
    ),
    Note("Observe for at least 2 hours after every session.", SPRAVATO_LABEL),
)
ESKETAMINE_COMMON: dict[str, Any] = {
    "drug": Drug.ESKETAMINE,
    "route": Route.INTRANASAL,
    "dose_unit": DoseUnit.MG,
    "default_dose": Decimal("56"),
    "dose_min": Decimal("56"),
    "dose_max": Decimal("84"),
    "hard_max": Decimal("84"),
    "hard_max_basis": "84 mg is the highest labelled dose (Spravato label, clinical.md §2.1).",
    "dose_step": Decimal("28"),
    "min_days_between_sessions": 2,
    "requires_rems_enrollment": True,
    "preparation": "No food for 2 hours and no liquids for 30 minutes before dosing; "
    "nasal corticosteroids or decongestants at least 1 hour before (Spravato, §2.1).",
    "device_mg": Decimal("28"),
    "device_interval_minutes": 5,
}
ORAL_COMMON: dict[str, Any] = {
    "drug": Drug.KETAMINE,
    "dose_unit": DoseUnit.MG,
    "hard_max": Decimal("300"),
    "hard_max_basis": NO_CAP_PUBLISHED.format(
        what="300 mg, the largest fixed oral dose reported (Andrade 2019, clinical.md §2.4)"
    ),
    "home_dosing_allowed": False,
    "min_days_between_sessions": 2,
    "schedules": {"every_3_days": (Phase("Course", 4, 2),), "weekly": (Phase("Course", 4, 1),)},
}


def _shipped() -> tuple[ProtocolDefinition, ...]:
    return (
        ProtocolDefinition(
            code="iv_ketamine",
            version=1,
            name="IV racemic ketamine",
            drug=Drug.KETAMINE,
            route=Route.IV,
            indications=DEPRESSION,
            sources=(APA_CONSENSUS, ANDRADE_2017, LOO_2016, MURROUGH_2013, SINGH_2016),
            default_dose=Decimal("0.5"),
            dose_min=Decimal("0.1"),
            dose_max=Decimal("0.75"),
            hard_max=Decimal("0.75"),
            hard_max_basis=NO_CAP_PUBLISHED.format(
                what="0.75 mg/kg, the top of the dose range reported to help (Andrade 2017)"
            ),
            infusion_minutes=40,
            titration_start=Decimal("0.1"),
            titration_step=Decimal("0.1"),
            titration_ceiling=Decimal("0.75"),
            schedules=IV_SCHEDULES,
            futility_review_after=3,
            notes=(
                Note("0.5 mg/kg over 40 minutes is the standard dose.", APA_CONSENSUS),
                Note(
                    "Titration: start at 0.1 mg/kg and step 0.1 mg/kg per session (Loo 2016 "
                    "stopped at 0.5 mg/kg); the 0.75 mg/kg ceiling is the top of Andrade's "
                    "reported range.",
                    LOO_2016,
                    clinical_choice=True,
                ),
                Note(
                    "Induction: 6 infusions over 2-3 weeks, 2-3 a week; 2 and 3 a week "
                    "were equally effective.",
                    SINGH_2016,
                ),
                Note(
                    "Futility review after 3 infusions without response: few respond "
                    "after 3 without an earlier response (APA consensus).",
                    APA_CONSENSUS,
                    clinical_choice=True,
                ),
                Note(
                    "Maintenance has no standard schedule: taper weekly, then every 2 weeks, "
                    "then monthly, or dose when symptoms return.",
                    ANDRADE_2017,
                    clinical_choice=True,
                ),
                Note("The 100 mg/mL strength must be diluted before IV use.", KETALAR_LABEL),
            ),
        ),
        ProtocolDefinition(
            code="im_ketamine",
            version=1,
            name="IM racemic ketamine",
            drug=Drug.KETAMINE,
            route=Route.IM,
            indications=DEPRESSION,
            sources=(ANDRADE_2017, LOO_2016),
            default_dose=Decimal("0.5"),
            dose_min=Decimal("0.1"),
            dose_max=Decimal("0.5"),
            hard_max=Decimal("0.75"),
            hard_max_basis=NO_CAP_PUBLISHED.format(
                what="0.75 mg/kg, the top of the IV range (IM practice ranges are [NF], "
                "clinical.md §2.3)"
            ),
            titration_start=Decimal("0.1"),
            titration_step=Decimal("0.1"),
            titration_ceiling=Decimal("0.5"),
            schedules={"weekly": (Phase("Course", 6, 1),), "2_per_week": (Phase("Course", 3, 2),)},
            notes=(
                Note("An IM bolus is safe and effective.", ANDRADE_2017),
                Note(
                    "The usual range 0.1-0.5 mg/kg follows Loo 2016's titration; IM-specific "
                    "ranges are not published.",
                    LOO_2016,
                    clinical_choice=True,
                ),
            ),
        ),
        ProtocolDefinition(
            code="esketamine_trd",
            version=1,
            name="Intranasal esketamine (Spravato), treatment-resistant depression",
            indications=frozenset({Indication.MAJOR_DEPRESSION}),
            sources=(SPRAVATO_LABEL, SPRAVATO_REMS),
            first_dose=Decimal("56"),
            schedules=ESKETAMINE_TRD_SCHEDULES,
            notes=(
                Note("Day 1: 56 mg; 84 mg only after a 56 mg start.", SPRAVATO_LABEL),
                Note(
                    "Weeks 1-4: 56 or 84 mg twice weekly; weeks 5-8: weekly; week 9 on: "
                    "every 2 weeks or weekly, at the lowest frequency that keeps the response.",
                    SPRAVATO_LABEL,
                ),
                *ESKETAMINE_NOTES,
            ),
            **ESKETAMINE_COMMON,
        ),
        ProtocolDefinition(
            code="esketamine_mdsi",
            version=1,
            name="Intranasal esketamine (Spravato), depression with acute suicidal ideation",
            indications=frozenset({Indication.MAJOR_DEPRESSION}),
            sources=(SPRAVATO_LABEL, SPRAVATO_REMS),
            schedules={"label": (Phase("Course", 4, 2),)},
            notes=(
                Note(
                    "84 mg twice weekly for 4 weeks (56 mg for tolerability), with an oral "
                    "antidepressant; use beyond 4 weeks not systematically evaluated.",
                    SPRAVATO_LABEL,
                ),
                *ESKETAMINE_NOTES,
            ),
            **{**ESKETAMINE_COMMON, "default_dose": Decimal("84")},
        ),
        ProtocolDefinition(
            code="oral_ketamine",
            version=1,
            name="Oral racemic ketamine (compounded)",
            route=Route.ORAL,
            indications=DEPRESSION,
            sources=(ANDRADE_2019,),
            default_dose=Decimal("50"),
            dose_min=Decimal("25"),
            dose_max=Decimal("300"),
            titration_start=Decimal("50"),
            titration_step=Decimal("25"),
            titration_ceiling=Decimal("300"),
            notes=(
                Note(
                    "Oral bioavailability is 20-25%, so about 2.0-2.5 mg/kg by mouth matches "
                    "the IV dose; fixed doses of 25-300 mg have been used.",
                    ANDRADE_2019,
                ),
                Note(
                    "50 mg every 3 days, raised by 25 mg every 3 days (Al Shirawi 2017).",
                    ANDRADE_2019,
                ),
                Note(
                    "Home dosing only where clinic policy allows it: the APA consensus "
                    "strongly discourages unsupervised use.",
                    APA_CONSENSUS,
                    clinical_choice=True,
                ),
            ),
            **ORAL_COMMON,
        ),
        ProtocolDefinition(
            code="sublingual_ketamine",
            version=1,
            name="Sublingual racemic ketamine (compounded)",
            route=Route.SUBLINGUAL,
            indications=DEPRESSION,
            sources=(LARA_2013, ANDRADE_2019),
            default_dose=Decimal("10"),
            dose_min=Decimal("10"),
            dose_max=Decimal("100"),
            notes=(
                Note(
                    "10 mg sublingual (100 mg/mL held 5 minutes, then swallowed) every 2-3 "
                    "days or weekly; sublingual bioavailability is about 30%, so about "
                    "1.7 mg/kg sublingual matches the IV dose of 0.5 mg/kg.",
                    LARA_2013,
                ),
                Note(
                    "Home dosing only where clinic policy allows it.",
                    APA_CONSENSUS,
                    clinical_choice=True,
                ),
            ),
            **ORAL_COMMON,
        ),
        ProtocolDefinition(
            code="er_oral_ketamine",
            version=1,
            name="Extended-release oral ketamine (R-107), investigational",
            drug=Drug.KETAMINE,
            route=Route.ORAL_ER,
            indications=DEPRESSION,
            research_only=True,
            sources=(GLUE_2024,),
            dose_unit=DoseUnit.MG,
            default_dose=Decimal("120"),
            dose_min=Decimal("30"),
            dose_max=Decimal("180"),
            hard_max=Decimal("180"),
            hard_max_basis="180 mg, the highest dose studied (Glue 2024, clinical.md §2.5).",
            dose_step=Decimal("30"),
            min_days_between_sessions=2,
            clinic_only=False,
            home_dosing_allowed=True,
            schedules={"twice_weekly_12_weeks": (Phase("Course", 12, 2),)},
            notes=(
                Note(
                    "Investigational: 30, 60, 120 or 180 mg twice weekly for 12 weeks after "
                    "an open-label 120 mg/day lead-in; mostly home dosing. Research only.",
                    GLUE_2024,
                ),
            ),
        ),
        ProtocolDefinition(
            code="kap",
            version=1,
            name="Ketamine-assisted psychotherapy (sublingual dosing sessions)",
            route=Route.SUBLINGUAL,
            indications=DEPRESSION | RESEARCH_INDICATIONS,
            sources=(ASA_GUIDANCE, LARA_2013),
            integration_sessions=True,
            **{
                **ORAL_COMMON,
                "schedules": {"weekly": (Phase("Dosing sessions", 6, 1),)},
                "default_dose": Decimal("100"),
                "dose_min": Decimal("10"),
                "dose_max": Decimal("300"),
                "min_days_between_sessions": 2,
            },
            notes=(
                Note(
                    "A therapist's integration session is scheduled the day after each "
                    "dosing session (clinic may move it).",
                    clinical_choice=True,
                ),
                Note(
                    "Dosing route and doses for KAP are not standardised; the sublingual "
                    "defaults are a clinical choice.",
                    LARA_2013,
                    clinical_choice=True,
                ),
                Note(
                    "A comprehensive plan, face-to-face visits, a therapeutic endpoint and a "
                    "defined course.",
                    ASA_GUIDANCE,
                ),
            ),
        ),
    )


SHIPPED: dict[str, ProtocolDefinition] = {p.code: p for p in _shipped()}

# Fields a clinic may change in its copy, and how each is parsed. The schedule shapes and
# label facts (first dose, device size, REMS) are not adjustable.
DECIMAL_FIELDS = (
    "default_dose",
    "dose_min",
    "dose_max",
    "hard_max",
    "titration_start",
    "titration_step",
    "titration_ceiling",
)
INT_FIELDS = ("infusion_minutes", "futility_review_after", "min_days_between_sessions")
BOOL_FIELDS = ("home_dosing_allowed",)
TEXT_FIELDS = ("name", "hard_max_basis")
ADJUSTABLE_FIELDS = (*TEXT_FIELDS, *DECIMAL_FIELDS, *INT_FIELDS, *BOOL_FIELDS)
NULLABLE_FIELDS = (
    "titration_start",
    "titration_step",
    "titration_ceiling",
    "futility_review_after",
)


def _parse(name: str, value: Any) -> Any:
    if value is None:
        if name in NULLABLE_FIELDS:
            return None
        raise ValueError("This value is required.")
    if name in DECIMAL_FIELDS:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError("Give a number.") from None
        if not number.is_finite() or number < 0:
            raise ValueError("Give a number of zero or more.")
        return number
    if name in INT_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            raise ValueError("Give a whole number.")
        return int(value)
    if name in BOOL_FIELDS:
        if not isinstance(value, bool):
            raise ValueError("Give true or false.")
        return value
    text = str(value).strip()
    if not text:
        raise ValueError("This value is required.")
    return text[:300]


def _consistency_errors(p: ProtocolDefinition) -> dict[str, str]:
    errors: dict[str, str] = {}
    if p.dose_min > p.dose_max:
        errors["dose_min"] = "The usual minimum is above the usual maximum."
    if p.hard_max <= 0:
        errors["hard_max"] = "The cap must be above zero."
    if p.default_dose > p.hard_max:
        errors["default_dose"] = "The usual dose is above the cap."
    if p.titration_ceiling is not None and p.titration_ceiling > p.hard_max:
        errors["titration_ceiling"] = "The titration ceiling is above the cap."
    if p.infusion_minutes is not None and p.infusion_minutes <= 0:
        errors["infusion_minutes"] = "An infusion takes at least one minute."
    if p.min_days_between_sessions < 1:
        errors["min_days_between_sessions"] = "At least one day (never two on one day)."
    if p.home_dosing_allowed and p.route in (Route.IV, Route.IM, Route.INTRANASAL):
        errors["home_dosing_allowed"] = "This route is given in clinic only."
    return errors


def adjusted(
    base: ProtocolDefinition, overrides: Mapping[str, Any], *, version: int
) -> ProtocolDefinition:
    """The clinic's copy of `base` with `overrides` applied. Raises ProtocolError with a
    message per field when a value is unknown, malformed or inconsistent."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, value in overrides.items():
        if name not in ADJUSTABLE_FIELDS:
            errors[name] = "This field cannot be adjusted."
            continue
        if name == "infusion_minutes" and not base.is_infusion:
            errors[name] = "This protocol is not an infusion."
            continue
        try:
            values[name] = _parse(name, value)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise ProtocolError(errors)
    copy = dataclasses.replace(base, version=version, clinic_copy=True, **values)
    if errors := _consistency_errors(copy):
        raise ProtocolError(errors)
    return copy


class ProtocolError(ValueError):
    """A clinic's adjustment of a protocol is refused; messages per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def adjustable_values(p: ProtocolDefinition) -> dict[str, Any]:
    return {name: getattr(p, name) for name in ADJUSTABLE_FIELDS}
