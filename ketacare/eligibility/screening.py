"""Eligibility screening for one protocol. Pure: the caller gathers the checklist
answers, the chart (diagnoses, allergies, active medicines), the history's indication
and resistance status, and the clinic's rules; `screen` returns the outcome and every
reason with its source.

A contraindication (or a fact the screening still needs, or an indication the protocol
does not cover) makes the patient not eligible and cannot be overridden. A caution may
be accepted by a prescriber with a written justification; notes change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ketacare.dosing.protocols import DEPRESSION, Drug, Indication, ProtocolDefinition, Source
from ketacare.eligibility import medicines
from ketacare.eligibility.medicines import DrugGroup
from ketacare.eligibility.rules import (
    BENZO_PMC10812090,
    SETTINGS,
    TRD_DEFINITION,
    EligibilityRules,
)

SPRAVATO_CONTRAINDICATIONS = Source(
    "Spravato label contraindications (clinical.md 3.1 [V])",
    "https://www.usmedicine.com/2021online-dir/inc/html/30.html",
)
SPRAVATO_WARNINGS = Source("Spravato label warnings and cautions (clinical.md 3.2 [V])")
KETALAR_WARNINGS = Source("Ketalar label warnings, via drugcentral.org (clinical.md 3.4 [V])")
EXAMPLE_EXCLUSIONS = Source(
    "Exclusions of example protocol PMC10812090 (clinical.md 3.5 [V])",
    "https://pmc.ncbi.nlm.nih.gov/articles/PMC10812090/",
)
SPRAVATO_REMS = Source(
    "Spravato REMS: patient enrollment before the first treatment (clinical.md 5.2 [V])",
    "https://www.spravatorems.com",
)
ICD10 = Source(
    "ICD-10 (WHO 2019) code blocks; the mapping to screening items is KetaCare's",
    "https://icd.who.int/browse10/2019/en",
)
PROTOCOL_SOURCE = Source("The protocol's definition (indications, research-only flag)")


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Item(StrEnum):
    ANEURYSM = "aneurysmal_vascular_disease"
    AVM = "arteriovenous_malformation"
    INTRACEREBRAL_HAEMORRHAGE = "intracerebral_haemorrhage"
    HYPERSENSITIVITY = "hypersensitivity"
    PSYCHOSIS = "psychosis_history"
    SUBSTANCE_USE = "substance_use_disorder"
    PREGNANCY = "pregnancy_or_breastfeeding"
    HYPERTENSION = "uncontrolled_hypertension"
    RAISED_ICP = "raised_intracranial_pressure"
    HEPATIC = "hepatic_impairment"
    CARDIOVASCULAR = "recent_cardiovascular_event"


# A checklist with every item answered "no" (nothing present), as stored answers.
NOTHING_PRESENT: dict[str, str] = {item.value: Answer.NO.value for item in Item}


@dataclass(frozen=True)
class ItemInfo:
    question: str
    contraindication: bool
    sources: tuple[Source, ...]
    icd10_prefixes: tuple[str, ...] = ()


ITEMS: dict[Item, ItemInfo] = {
    Item.ANEURYSM: ItemInfo(
        "Aneurysmal vascular disease (aorta, intracranial or peripheral arteries)",
        True,
        (SPRAVATO_CONTRAINDICATIONS,),
        ("I71", "I72", "I67.1"),
    ),
    Item.AVM: ItemInfo(
        "Arteriovenous malformation",
        True,
        (SPRAVATO_CONTRAINDICATIONS,),
        ("Q28.0", "Q28.2", "Q27.3", "I77.0"),
    ),
    Item.INTRACEREBRAL_HAEMORRHAGE: ItemInfo(
        "History of intracerebral haemorrhage",
        True,
        (SPRAVATO_CONTRAINDICATIONS,),
        ("I60", "I61", "I62", "I69.0", "I69.1"),
    ),
    Item.HYPERSENSITIVITY: ItemInfo(
        "Hypersensitivity to ketamine, esketamine or an excipient",
        True,
        (SPRAVATO_CONTRAINDICATIONS,),
    ),
    Item.PSYCHOSIS: ItemInfo(
        "History of psychosis",
        False,
        (SPRAVATO_WARNINGS, EXAMPLE_EXCLUSIONS),
        (
            "F20",
            "F21",
            "F22",
            "F23",
            "F24",
            "F25",
            "F28",
            "F29",
            "F30.2",
            "F31.2",
            "F31.5",
            "F32.3",
            "F33.3",
        ),
    ),
    Item.SUBSTANCE_USE: ItemInfo(
        "Substance use disorder, including alcohol",
        False,
        (SPRAVATO_WARNINGS,),
        ("F10", "F11", "F12", "F13", "F14", "F15", "F16", "F18", "F19"),
    ),
    Item.PREGNANCY: ItemInfo(
        "Pregnant or breastfeeding",
        False,
        (SPRAVATO_WARNINGS, EXAMPLE_EXCLUSIONS),
        ("O", "Z33", "Z34", "Z39.1"),
    ),
    Item.HYPERTENSION: ItemInfo(
        "Uncontrolled hypertension",
        False,
        (EXAMPLE_EXCLUSIONS, KETALAR_WARNINGS),
    ),
    Item.RAISED_ICP: ItemInfo(
        "Raised intracranial pressure",
        False,
        (KETALAR_WARNINGS,),
        ("G91", "G93.2", "G93.5", "G93.6"),
    ),
    Item.HEPATIC: ItemInfo(
        "Significant hepatic impairment",
        False,
        (KETALAR_WARNINGS,),
        ("K70", "K71", "K72", "K74", "K76.6", "K76.7"),
    ),
    Item.CARDIOVASCULAR: ItemInfo(
        "Recent cardiovascular event (myocardial infarction, stroke, unstable angina)",
        False,
        (KETALAR_WARNINGS, EXAMPLE_EXCLUSIONS),
        ("I20.0", "I21", "I22", "I46", "I63", "I64", "G45"),
    ),
}
HYPERSENSITIVITY_WORDS = ("ketamine", "esketamine", "spravato", "ketalar")
# Protocols whose label indication does not require treatment resistance.
NO_RESISTANCE_REQUIREMENT = frozenset({"esketamine_mdsi"})


class Kind(StrEnum):
    CONTRAINDICATION = "contraindication"
    PROTOCOL = "protocol"  # the protocol does not cover this patient
    UNRESOLVED = "unresolved"  # screening needs a fact it does not have
    CAUTION = "caution"
    NOTE = "note"


BLOCKING = frozenset({Kind.CONTRAINDICATION, Kind.PROTOCOL, Kind.UNRESOLVED})


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    ELIGIBLE_WITH_CAUTIONS = "eligible_with_cautions"
    NOT_ELIGIBLE = "not_eligible"

    @property
    def rank(self) -> int:
        return list(Outcome).index(self)


@dataclass(frozen=True)
class Reason:
    code: str
    kind: Kind
    text: str
    sources: tuple[Source, ...]
    detail: str = ""  # the evidence; an acceptance holds for this exact evidence

    @property
    def acceptable(self) -> bool:
        return self.kind == Kind.CAUTION


@dataclass(frozen=True)
class ChartDiagnosis:
    icd10_code: str
    description: str
    onset_date: dt.date | None = None


@dataclass(frozen=True)
class ChartMedication:
    name: str
    dose: str
    frequency: str


@dataclass(frozen=True)
class ScreeningInput:
    protocol: ProtocolDefinition
    indication: Indication | None
    treatment_resistant: bool | None  # None: no treatment history recorded
    today: dt.date
    answers: Mapping[Item, Answer] = field(default_factory=dict)
    bp: tuple[int, int] | None = None  # systolic, diastolic
    diagnoses: tuple[ChartDiagnosis, ...] = ()
    allergies: tuple[str, ...] = ()
    medications: tuple[ChartMedication, ...] = ()


@dataclass(frozen=True)
class ScreeningResult:
    outcome: Outcome
    reasons: tuple[Reason, ...]


def _matches(code: str, prefix: str) -> bool:
    return code.replace(".", "").upper().startswith(prefix.replace(".", "").upper())


def _diagnosis_evidence(
    item: Item, diagnoses: tuple[ChartDiagnosis, ...], rules: EligibilityRules, today: dt.date
) -> list[str]:
    found = []
    for d in diagnoses:
        if not any(_matches(d.icd10_code, p) for p in ITEMS[item].icd10_prefixes):
            continue
        if (
            item == Item.CARDIOVASCULAR
            and d.onset_date is not None
            and (today - d.onset_date).days > rules.recent_cardiovascular_days
        ):
            continue  # an old event is history, not a recent one
        onset = f", onset {d.onset_date}" if d.onset_date else ""
        found.append(f"diagnosis {d.icd10_code} {d.description}{onset}")
    return found


def _allergy_evidence(allergies: tuple[str, ...]) -> list[str]:
    return [
        f"allergy to {a}"
        for a in allergies
        if any(word in a.lower() for word in HYPERSENSITIVITY_WORDS)
    ]


def _item_reasons(data: ScreeningInput, rules: EligibilityRules) -> list[Reason]:
    reasons = []
    for item, info in ITEMS.items():
        evidence = _diagnosis_evidence(item, data.diagnoses, rules, data.today)
        if item == Item.HYPERSENSITIVITY:
            evidence += _allergy_evidence(data.allergies)
        answer = data.answers.get(item, Answer.UNKNOWN)
        if answer == Answer.YES:
            evidence.insert(0, "checklist: yes")
        sources = info.sources + ((ICD10,) if evidence and info.icd10_prefixes else ())
        kind = Kind.CONTRAINDICATION if info.contraindication else Kind.CAUTION
        if evidence:
            reasons.append(Reason(item.value, kind, info.question, sources, "; ".join(evidence)))
        elif answer == Answer.UNKNOWN and item != Item.HYPERTENSION:
            # A contraindication not yet excluded blocks; an unasked caution cautions.
            reasons.append(
                Reason(
                    f"unanswered:{item.value}",
                    Kind.UNRESOLVED if info.contraindication else Kind.CAUTION,
                    f"Not yet answered: {info.question}",
                    info.sources,
                    "checklist: unknown",
                )
            )
    return reasons


def _blood_pressure_reasons(data: ScreeningInput, rules: EligibilityRules) -> list[Reason]:
    info = ITEMS[Item.HYPERTENSION]
    threshold = SETTINGS["bp_systolic_max"].source
    answer = data.answers.get(Item.HYPERTENSION, Answer.UNKNOWN)
    if answer == Answer.YES:
        return [
            Reason(
                Item.HYPERTENSION.value, Kind.CAUTION, info.question, info.sources, "checklist: yes"
            )
        ]
    if data.bp is None:
        return [
            Reason(
                "no_blood_pressure",
                Kind.CAUTION,
                "No blood pressure reading: uncontrolled hypertension not excluded",
                (*info.sources, threshold),
            )
        ]
    systolic, diastolic = data.bp
    if systolic > rules.bp_systolic_max or diastolic > rules.bp_diastolic_max:
        return [
            Reason(
                Item.HYPERTENSION.value,
                Kind.CAUTION,
                f"Blood pressure {systolic}/{diastolic} mmHg is above the clinic's threshold "
                f"of {rules.bp_systolic_max}/{rules.bp_diastolic_max}",
                (*info.sources, threshold),
                f"BP {systolic}/{diastolic}",
            )
        ]
    return []


def _benzodiazepine_reasons(
    load: medicines.BenzodiazepineLoad, rules: EligibilityRules
) -> list[Reason]:
    source = SETTINGS["benzodiazepine_max_lorazepam_mg"].source
    limit = rules.benzodiazepine_max_lorazepam_mg
    if load.lorazepam_mg_per_day is None:
        return [
            Reason(
                f"benzodiazepine_dose_unknown:{load.drug}",
                Kind.CAUTION,
                f"Benzodiazepine load unknown: {load.how}; check it against the "
                f"{limit:g} mg/day lorazepam-equivalent threshold",
                (source, medicines.ASHTON),
                load.how,
            )
        ]
    if load.lorazepam_mg_per_day > limit:
        return [
            Reason(
                f"benzodiazepine_load:{load.drug}",
                Kind.CAUTION,
                f"Benzodiazepine load {load.lorazepam_mg_per_day:.2f} mg/day "
                f"lorazepam-equivalent is above the {limit:g} mg/day threshold; "
                "benzodiazepines may blunt ketamine's effect",
                (source, BENZO_PMC10812090, medicines.ASHTON),
                load.how,
            )
        ]
    return [
        Reason(
            f"benzodiazepine_load:{load.drug}",
            Kind.NOTE,
            f"Benzodiazepine load {load.lorazepam_mg_per_day:.2f} mg/day lorazepam-equivalent, "
            f"within the {limit:g} mg/day threshold",
            (source, medicines.ASHTON),
            load.how,
        )
    ]


def _medication_reasons(data: ScreeningInput, rules: EligibilityRules) -> list[Reason]:
    reasons = []
    for med in data.medications:
        found = medicines.identify(med.name)
        if found is None:
            continue
        generic, groups = found
        evidence = f"{med.name} {med.dose} {med.frequency}".strip()
        for group in sorted(groups):
            info = medicines.GROUPS[group]
            reasons.append(
                Reason(
                    f"{group.value}:{generic}",
                    Kind.CAUTION,
                    f"{med.name} ({generic}, {group.value.replace('_', ' ')}): {info.effect}",
                    (info.source,),
                    evidence,
                )
            )
        if DrugGroup.BENZODIAZEPINE in groups:
            load = medicines.lorazepam_equivalent(generic, med.dose, med.frequency)
            reasons += _benzodiazepine_reasons(load, rules)
    return reasons


def _protocol_reasons(data: ScreeningInput) -> list[Reason]:
    protocol = data.protocol
    reasons = []
    if data.indication is None:
        reasons.append(
            Reason(
                "no_indication",
                Kind.UNRESOLVED,
                "No current episode with an indication is recorded",
                (PROTOCOL_SOURCE,),
            )
        )
    elif data.indication not in protocol.indications:
        covered = ", ".join(sorted(i.value for i in protocol.indications))
        reasons.append(
            Reason(
                "indication_not_covered",
                Kind.PROTOCOL,
                f"The indication {data.indication.value} is not one of this protocol's ({covered})",
                (PROTOCOL_SOURCE, *protocol.sources),
                data.indication.value,
            )
        )
    if protocol.research_only:
        reasons.append(
            Reason(
                "research_only",
                Kind.CAUTION,
                f"{protocol.name} is research-only: use it only within an approved study",
                (PROTOCOL_SOURCE, *protocol.sources),
                protocol.code,
            )
        )
    needs_resistance = (
        data.indication in DEPRESSION and protocol.code not in NO_RESISTANCE_REQUIREMENT
    )
    if needs_resistance and not data.treatment_resistant:
        reasons.append(
            Reason(
                "not_treatment_resistant",
                Kind.CAUTION,
                "Not treatment-resistant by the clinic's rule"
                if data.treatment_resistant is False
                else "No treatment history recorded: treatment resistance not established",
                (TRD_DEFINITION,),
                "no history" if data.treatment_resistant is None else "not resistant",
            )
        )
    if protocol.drug == Drug.ESKETAMINE:
        reasons.append(
            Reason(
                "rems_enrollment",
                Kind.NOTE,
                "Esketamine: REMS patient enrollment before the first dose; given in clinic "
                "only, never for home use",
                (SPRAVATO_REMS,),
            )
        )
    return reasons


def outcome_of(reasons: tuple[Reason, ...] | list[Reason]) -> Outcome:
    kinds = {r.kind for r in reasons}
    if kinds & BLOCKING:
        return Outcome.NOT_ELIGIBLE
    if Kind.CAUTION in kinds:
        return Outcome.ELIGIBLE_WITH_CAUTIONS
    return Outcome.ELIGIBLE


def screen(data: ScreeningInput, rules: EligibilityRules) -> ScreeningResult:
    reasons = (
        _protocol_reasons(data)
        + _item_reasons(data, rules)
        + _blood_pressure_reasons(data, rules)
        + _medication_reasons(data, rules)
    )
    order = {Kind.CONTRAINDICATION: 0, Kind.PROTOCOL: 1, Kind.UNRESOLVED: 2, Kind.CAUTION: 3}
    reasons.sort(key=lambda r: order.get(r.kind, 4))
    return ScreeningResult(outcome_of(reasons), tuple(reasons))
