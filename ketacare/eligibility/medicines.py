"""Interacting medicines: a drug-class catalogue (generic and brand names), the
benzodiazepine lorazepam-equivalence table, and parsing of free-text dose and frequency.

Pure data and functions, no Django. Class effects are sourced in clinical.md section 3
[V]; the names in each class and the equivalence table come from the secondary sources
named beside them ([S]: outside the shared reference; verify before relying on them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ketacare.dosing.protocols import Source

SPRAVATO_INTERACTIONS = Source(
    "Spravato interactions (clinical.md 3.3 [V])",
    "https://www.medicinenet.com/side_effects_of_esketamine_spravato/side-effects.htm",
)
ANDRADE_2017 = Source(
    "Andrade, J Clin Psychiatry 2017 (clinical.md 3.6 [V])",
    "https://www.psychiatrist.com/JCP/article/Pages/2017/v78n07/17f11738.aspx",
)
CYP_METABOLISM = Source(
    "Ketamine is metabolised by CYP2B6 and CYP3A4 (clinical.md 3.6 [V]); class members "
    "from the FDA table of substrates, inhibitors and inducers [S]",
    "https://www.fda.gov/drugs/drug-interactions-labeling/"
    "drug-development-and-drug-interactions-table-substrates-inhibitors-and-inducers",
)
ASHTON = Source(
    "Ashton Manual benzodiazepine equivalence table (~10 mg diazepam = 1 mg lorazepam); "
    "lower bound of each range [S]",
    "https://www.benzo.org.uk/manual/bzcha01.htm#24",
)


class DrugGroup(StrEnum):
    BENZODIAZEPINE = "benzodiazepine"
    MAOI = "maoi"
    PSYCHOSTIMULANT = "psychostimulant"
    OPIOID = "opioid"
    CNS_DEPRESSANT = "cns_depressant"
    LAMOTRIGINE = "lamotrigine"
    CYP3A4_INDUCER = "cyp3a4_inducer"
    CYP3A4_INHIBITOR = "cyp3a4_inhibitor"
    CYP2B6_INDUCER = "cyp2b6_inducer"
    CYP2B6_INHIBITOR = "cyp2b6_inhibitor"


@dataclass(frozen=True)
class GroupInfo:
    effect: str
    source: Source


GROUPS: dict[DrugGroup, GroupInfo] = {
    DrugGroup.BENZODIAZEPINE: GroupInfo(
        "CNS depressant: more sedation; benzodiazepines may also blunt the antidepressant "
        "effect (Andrade 2017; Andrashko 2020)",
        SPRAVATO_INTERACTIONS,
    ),
    DrugGroup.MAOI: GroupInfo("raises blood pressure", SPRAVATO_INTERACTIONS),
    DrugGroup.PSYCHOSTIMULANT: GroupInfo("raises blood pressure", SPRAVATO_INTERACTIONS),
    DrugGroup.OPIOID: GroupInfo("CNS depressant: more sedation", SPRAVATO_INTERACTIONS),
    DrugGroup.CNS_DEPRESSANT: GroupInfo("CNS depressant: more sedation", SPRAVATO_INTERACTIONS),
    DrugGroup.LAMOTRIGINE: GroupInfo(
        "may reduce adverse effects; its effect on the antidepressant action is unknown",
        ANDRADE_2017,
    ),
    DrugGroup.CYP3A4_INDUCER: GroupInfo(
        "CYP3A4 inducer: lower ketamine exposure, possibly less effect", CYP_METABOLISM
    ),
    DrugGroup.CYP3A4_INHIBITOR: GroupInfo(
        "CYP3A4 inhibitor: higher ketamine exposure, more adverse effects", CYP_METABOLISM
    ),
    DrugGroup.CYP2B6_INDUCER: GroupInfo(
        "CYP2B6 inducer: lower ketamine exposure, possibly less effect", CYP_METABOLISM
    ),
    DrugGroup.CYP2B6_INHIBITOR: GroupInfo(
        "CYP2B6 inhibitor: higher ketamine exposure, more adverse effects", CYP_METABOLISM
    ),
}

# Milligrams of each benzodiazepine equivalent to 1 mg lorazepam (ASHTON), with brands.
LORAZEPAM_EQUIVALENT_MG: dict[str, float] = {
    "alprazolam": 0.5,
    "bromazepam": 5,
    "chlordiazepoxide": 25,
    "clobazam": 20,
    "clonazepam": 0.5,
    "clorazepate": 15,
    "diazepam": 10,
    "estazolam": 1,
    "flunitrazepam": 1,
    "flurazepam": 15,
    "loprazolam": 1,
    "lorazepam": 1,
    "lormetazepam": 1,
    "nitrazepam": 10,
    "oxazepam": 20,
    "temazepam": 20,
    "triazolam": 0.5,
}
BRANDS: dict[str, str] = {
    "xanax": "alprazolam",
    "lexotan": "bromazepam",
    "librium": "chlordiazepoxide",
    "frisium": "clobazam",
    "onfi": "clobazam",
    "klonopin": "clonazepam",
    "rivotril": "clonazepam",
    "tranxene": "clorazepate",
    "valium": "diazepam",
    "ativan": "lorazepam",
    "mogadon": "nitrazepam",
    "serax": "oxazepam",
    "restoril": "temazepam",
    "halcion": "triazolam",
    "nardil": "phenelzine",
    "parnate": "tranylcypromine",
    "marplan": "isocarboxazid",
    "emsam": "selegiline",
    "eldepryl": "selegiline",
    "zelapar": "selegiline",
    "manerix": "moclobemide",
    "azilect": "rasagiline",
    "adderall": "amphetamine",
    "dexedrine": "dextroamphetamine",
    "vyvanse": "lisdexamfetamine",
    "elvanse": "lisdexamfetamine",
    "ritalin": "methylphenidate",
    "concerta": "methylphenidate",
    "medikinet": "methylphenidate",
    "focalin": "dexmethylphenidate",
    "provigil": "modafinil",
    "nuvigil": "armodafinil",
    "oxycontin": "oxycodone",
    "percocet": "oxycodone",
    "vicodin": "hydrocodone",
    "ultram": "tramadol",
    "nucynta": "tapentadol",
    "duragesic": "fentanyl",
    "subutex": "buprenorphine",
    "suboxone": "buprenorphine",
    "dilaudid": "hydromorphone",
    "ambien": "zolpidem",
    "stilnox": "zolpidem",
    "lunesta": "eszopiclone",
    "imovane": "zopiclone",
    "sonata": "zaleplon",
    "lyrica": "pregabalin",
    "neurontin": "gabapentin",
    "xyrem": "sodium oxybate",
    "lamictal": "lamotrigine",
    "tegretol": "carbamazepine",
    "dilantin": "phenytoin",
    "rifadin": "rifampicin",
    "rifampin": "rifampicin",
    "biaxin": "clarithromycin",
    "klacid": "clarithromycin",
    "nizoral": "ketoconazole",
    "sporanox": "itraconazole",
    "vfend": "voriconazole",
    "noxafil": "posaconazole",
    "norvir": "ritonavir",
    "paxlovid": "ritonavir",
    "diflucan": "fluconazole",
    "sustiva": "efavirenz",
    "plavix": "clopidogrel",
    "ticlid": "ticlopidine",
    "versed": "midazolam",
    "hypnovel": "midazolam",
    "buccolam": "midazolam",
    "nayzilam": "midazolam",
    "dexamfetamine": "dextroamphetamine",
    "mydayis": "amphetamine",
    "evekeo": "amphetamine",
    "adzenys": "amphetamine",
    "desoxyn": "methamphetamine",
    "ms contin": "morphine",
    "roxicodone": "oxycodone",
    "norco": "hydrocodone",
    "zohydro": "hydrocodone",
    "belbuca": "buprenorphine",
    "butrans": "buprenorphine",
    "dolophine": "methadone",
    "methadose": "methadone",
    "opana": "oxymorphone",
    "intermezzo": "zolpidem",
    "edluar": "zolpidem",
    "st john's wort": "st john's wort",
    "hypericum": "st john's wort",
}
GENERICS: dict[str, frozenset[DrugGroup]] = {
    **{name: frozenset({DrugGroup.BENZODIAZEPINE}) for name in LORAZEPAM_EQUIVALENT_MG},
    # Midazolam: a short-acting benzodiazepine (procedural sedation, buccal rescue); the
    # Ashton table gives it no oral equivalence, so its load is not computed.
    "midazolam": frozenset({DrugGroup.BENZODIAZEPINE}),
    **{
        name: frozenset({DrugGroup.MAOI})
        for name in (
            "phenelzine",
            "tranylcypromine",
            "isocarboxazid",
            "selegiline",
            "moclobemide",
            "rasagiline",
        )
    },
    **{
        name: frozenset({DrugGroup.PSYCHOSTIMULANT})
        for name in (
            "amphetamine",
            "dextroamphetamine",
            "lisdexamfetamine",
            "methamphetamine",
            "methylphenidate",
            "dexmethylphenidate",
            "modafinil",
            "armodafinil",
        )
    },
    **{
        name: frozenset({DrugGroup.OPIOID})
        for name in (
            "morphine",
            "oxycodone",
            "hydrocodone",
            "codeine",
            "tramadol",
            "tapentadol",
            "fentanyl",
            "buprenorphine",
            "methadone",
            "hydromorphone",
            "oxymorphone",
        )
    },
    **{
        name: frozenset({DrugGroup.CNS_DEPRESSANT})
        for name in (
            "zolpidem",
            "zopiclone",
            "eszopiclone",
            "zaleplon",
            "pregabalin",
            "gabapentin",
            "phenobarbital",
            "sodium oxybate",
        )
    },
    "lamotrigine": frozenset({DrugGroup.LAMOTRIGINE}),
    "carbamazepine": frozenset({DrugGroup.CYP3A4_INDUCER, DrugGroup.CYP2B6_INDUCER}),
    "phenytoin": frozenset({DrugGroup.CYP3A4_INDUCER}),
    "rifampicin": frozenset({DrugGroup.CYP3A4_INDUCER, DrugGroup.CYP2B6_INDUCER}),
    "st john's wort": frozenset({DrugGroup.CYP3A4_INDUCER}),
    "enzalutamide": frozenset({DrugGroup.CYP3A4_INDUCER}),
    "efavirenz": frozenset({DrugGroup.CYP2B6_INDUCER}),
    "clarithromycin": frozenset({DrugGroup.CYP3A4_INHIBITOR}),
    "ketoconazole": frozenset({DrugGroup.CYP3A4_INHIBITOR}),
    "itraconazole": frozenset({DrugGroup.CYP3A4_INHIBITOR}),
    "voriconazole": frozenset({DrugGroup.CYP3A4_INHIBITOR}),
    "posaconazole": frozenset({DrugGroup.CYP3A4_INHIBITOR}),
    "ritonavir": frozenset({DrugGroup.CYP3A4_INHIBITOR}),
    "fluconazole": frozenset({DrugGroup.CYP3A4_INHIBITOR}),
    "erythromycin": frozenset({DrugGroup.CYP3A4_INHIBITOR}),
    "diltiazem": frozenset({DrugGroup.CYP3A4_INHIBITOR}),
    "verapamil": frozenset({DrugGroup.CYP3A4_INHIBITOR}),
    "clopidogrel": frozenset({DrugGroup.CYP2B6_INHIBITOR}),
    "ticlopidine": frozenset({DrugGroup.CYP2B6_INHIBITOR}),
}


class RemsClass(StrEnum):
    """The five concomitant-medicine classes of the Spravato REMS Patient Monitoring Form
    (clinical.md 5.3 [V]: benzodiazepines, non-benzodiazepine sedative-hypnotics,
    psychostimulants, MAOIs; newer versions add opioids)."""

    BENZODIAZEPINES = "benzodiazepines"
    SEDATIVE_HYPNOTICS = "non_benzodiazepine_sedative_hypnotics"
    PSYCHOSTIMULANTS = "psychostimulants"
    MAOIS = "maois"
    OPIOIDS = "opioids"


REMS_CLASS_LABELS: dict[RemsClass, str] = {
    RemsClass.BENZODIAZEPINES: "Benzodiazepines",
    RemsClass.SEDATIVE_HYPNOTICS: "Non-benzodiazepine sedative-hypnotics",
    RemsClass.PSYCHOSTIMULANTS: "Psychostimulants",
    RemsClass.MAOIS: "MAOIs",
    RemsClass.OPIOIDS: "Opioids",
}
_REMS_BY_GROUP = {
    DrugGroup.BENZODIAZEPINE: RemsClass.BENZODIAZEPINES,
    DrugGroup.PSYCHOSTIMULANT: RemsClass.PSYCHOSTIMULANTS,
    DrugGroup.MAOI: RemsClass.MAOIS,
    DrugGroup.OPIOID: RemsClass.OPIOIDS,
}
# The "Z-drugs": hypnotics that act at the benzodiazepine receptor without being
# benzodiazepines. Other CNS depressants (pregabalin, gabapentin...) are not hypnotics.
NON_BENZODIAZEPINE_HYPNOTICS = frozenset({"zolpidem", "zopiclone", "eszopiclone", "zaleplon"})


def rems_classes(name: str) -> frozenset[RemsClass]:
    """The REMS form's medicine classes a medication name belongs to (from `identify`);
    empty when it is in none of them or not in the catalogue."""
    found = identify(name)
    if found is None:
        return frozenset()
    generic, groups = found
    classes = {_REMS_BY_GROUP[g] for g in groups if g in _REMS_BY_GROUP}
    if generic in NON_BENZODIAZEPINE_HYPNOTICS:
        classes.add(RemsClass.SEDATIVE_HYPNOTICS)
    return frozenset(classes)


def identify(name: str) -> tuple[str, frozenset[DrugGroup]] | None:
    """The generic name and groups of a medication name ("Ativan 1mg tabs" -> lorazepam),
    matching whole words of generic or brand names; None when not in the catalogue."""
    text = " " + re.sub(r"[^a-z' ]+", " ", name.lower()) + " "
    for candidate in sorted({*GENERICS, *BRANDS}, key=len, reverse=True):
        if f" {candidate} " in text:
            generic = BRANDS.get(candidate, candidate)
            return generic, GENERICS[generic]
    return None


_UNIT_MG = {"mg": 1.0, "milligram": 1.0, "milligrams": 1.0, "mcg": 0.001, "µg": 0.001, "g": 1000}
_AMOUNT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:(?:-|to)\s*(\d+(?:\.\d+)?)\s*)?(milligrams?|mg|mcg|µg|g)\b"
)


def dose_mg(text: str) -> float | None:
    """The amount per dose in mg ("0.5 mg", "1-2 mg" -> 2, the upper end); None when
    no amount with a mass unit is found."""
    match = _AMOUNT.search(text.lower())
    if not match:
        return None
    amount = float(match.group(2) or match.group(1))
    return amount * _UNIT_MG[match.group(3)]


_WORD_COUNTS = {"once": 1, "twice": 2, "three": 3, "four": 4, "thrice": 3, "one": 1, "two": 2}
_ABBREVIATIONS = {
    "od": 1.0,
    "qd": 1.0,
    "daily": 1.0,
    "nocte": 1.0,
    "qhs": 1.0,
    "at night": 1.0,
    "at bedtime": 1.0,
    "every morning": 1.0,
    "mane": 1.0,
    "bd": 2.0,
    "bid": 2.0,
    "tds": 3.0,
    "tid": 3.0,
    "qds": 4.0,
    "qid": 4.0,
    "weekly": 1 / 7,
}
_AS_NEEDED = re.compile(r"\b(prn|as needed|as required|when needed)\b")


def doses_per_day(text: str) -> float | None:
    """Doses per day from free text; None when it cannot be worked out (including
    "as needed", whose daily amount is unknown)."""
    t = " " + text.lower().strip() + " "
    if _AS_NEEDED.search(t):
        return None
    if m := re.search(r"every\s+(\d+(?:\.\d+)?)\s*(?:h|hr|hrs|hours?)\b|\bq(\d+)h\b", t):
        hours = float(m.group(1) or m.group(2))
        return 24 / hours if hours > 0 else None
    if m := re.search(
        r"\b(\d+|once|twice|thrice|one|two|three|four)\s*(?:x|times)?\s*(?:a|per|/)?\s*(day|daily|week|weekly)\b",
        t,
    ):
        count = float(_WORD_COUNTS.get(m.group(1)) or m.group(1))
        return count / 7 if m.group(2).startswith("week") else count
    for words, per_day in sorted(_ABBREVIATIONS.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{words}\b", t):
            return per_day
    return None


@dataclass(frozen=True)
class BenzodiazepineLoad:
    drug: str
    lorazepam_mg_per_day: float | None  # None: the daily dose could not be worked out
    how: str


def lorazepam_equivalent(generic: str, dose_text: str, frequency_text: str) -> BenzodiazepineLoad:
    if generic not in LORAZEPAM_EQUIVALENT_MG:
        return BenzodiazepineLoad(
            generic, None, f"{generic}: no lorazepam equivalence in the table (ASHTON)"
        )
    per_dose, per_day = dose_mg(dose_text), doses_per_day(frequency_text)
    if per_dose is None or per_day is None:
        missing = "dose" if per_dose is None else "frequency"
        return BenzodiazepineLoad(
            generic,
            None,
            f"{generic} '{dose_text}' '{frequency_text}': the daily dose cannot be worked "
            f"out from the {missing}",
        )
    daily = per_dose * per_day
    equivalent = daily / LORAZEPAM_EQUIVALENT_MG[generic]
    return BenzodiazepineLoad(
        generic,
        equivalent,
        f"{generic} {per_dose:g} mg x {per_day:g}/day = {daily:g} mg/day = "
        f"{equivalent:.2f} mg lorazepam-equivalent",
    )
