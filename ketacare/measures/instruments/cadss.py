"""CADSS (Clinician-Administered Dissociative States Scale) subjective items, and the
CADSS-6 short form. Facts: instruments.md 2.7, clinical.md 4.4. Licence not covered:
neutral labels only, no wording."""

from __future__ import annotations

from .base import AnswerOption, FlagRule, Instrument, Item, Setting

REF = "instruments.md 2.7"
OPTIONS = (
    AnswerOption(0, "0 (normal)"),
    AnswerOption(1, "1"),
    AnswerOption(2, "2"),
    AnswerOption(3, "3"),
    AnswerOption(4, "4"),
)
LICENCE_NOTE = (
    "Licence not covered by the project's reference (instruments.md). KetaCare ships "
    "neutral item labels only; the clinic loads the wording of the version it uses."
)
TIMING = (
    "Trials typically rate ~40 min after infusion start (clinical.md 4.4, openscience.ink "
    "summary of an RCT)."
)

CADSS = Instrument(
    code="cadss",
    name="Clinician-Administered Dissociative States Scale, 23 subjective items (CADSS)",
    version="1.0",
    respondent="clinician",
    recall="Current state, rated after dosing",
    preamble=(
        "Clinician-administered. KetaCare ships neutral labels only; the clinic loads the "
        "wording of the 23 subjective items."
    ),
    items=tuple(
        Item(number=n, key=f"cadss_{n}", label=f"Subjective item {n}", text=None, options=OPTIONS)
        for n in range(1, 24)
    ),
    total_range=(0, 92),
    bands=(),
    loinc_panel=None,
    loinc_total=None,
    loinc_note="[NF] no LOINC codes found; use local codes plus Questionnaire.url.",
    licence="not_covered",
    licence_note=LICENCE_NOTE,
    full_wording=False,
    sources=(
        "Bremner et al. 1998 (original scale)",
        "23 subjective items 0 (normal) to 4, total 0-92: NCT04226963 outcome text [S]",
        "Peak CADSS > 4 treated as dissociation: TRANSFORM-2/SUSTAIN-1 post hoc analysis, "
        "physiciansweekly summary [S]",
        REF,
    ),
    settings=(
        Setting(
            key="dissociation_threshold",
            default=4,
            description="A total above (strictly greater than) this value raises the "
            "dissociation flag.",
            source="TRANSFORM-2/SUSTAIN-1 post hoc analysis: peak CADSS > 4 treated as "
            "dissociation (physiciansweekly summary [S])",
            basis="post hoc analysis [S]; configurable",
            minimum=0,
            maximum=91,
        ),
    ),
    flags=(
        FlagRule(
            flag="dissociation",
            rule="total > dissociation_threshold (informational, not a safety finding)",
            safety=False,
            source="TRANSFORM-2/SUSTAIN-1 post hoc [S]",
        ),
    ),
    notes=(
        "The post hoc rule is about the peak over a session's ratings; score() sees one "
        "rating, so the caller compares the session's peak.",
        "Current instructions (Bremner 2014) have 28 items, subjective and observer-rated "
        "[S]; ketamine and esketamine studies use the 23 subjective items.",
        TIMING,
        "No prorating: all 23 items must be rated.",
    ),
)

CADSS6_ITEMS = (1, 2, 6, 7, 15, 22)

CADSS6 = Instrument(
    code="cadss6",
    name="CADSS-6 short form (Rodrigues et al. 2021)",
    version="1.0",
    respondent="clinician",
    recall="Current state, rated after dosing",
    preamble=(
        "Clinician-administered. Items 1, 2, 6, 7, 15 and 22 of the CADSS; KetaCare ships "
        "neutral labels only."
    ),
    items=tuple(
        Item(
            number=n,
            key=f"cadss6_{n}",
            label=f"CADSS item {source}",
            text=None,
            options=OPTIONS,
            source_item=source,
        )
        for n, source in enumerate(CADSS6_ITEMS, start=1)
    ),
    total_range=(0, 24),
    bands=(),
    loinc_panel=None,
    loinc_total=None,
    loinc_note="[NF] no LOINC codes found; use local codes plus Questionnaire.url.",
    licence="not_covered",
    licence_note=LICENCE_NOTE,
    full_wording=False,
    sources=(
        "Rodrigues et al., J Affect Disord 2021 (regionh.dk abstract) [V]: items 1, 2, 6, 7, "
        "15, 22 of the full CADSS; derived in 260 TRD patients on IV ketamine (not "
        "esketamine); rho 0.91-0.95 against the full scale",
        "Range 0-24 computed (6 items x 0-4), not stated in the source",
        REF,
    ),
    notes=(
        "Not validated prospectively (Rodrigues et al. 2021 [V]).",
        "Derived in IV ketamine, not esketamine.",
        "No published cut-off, so no bands and no flags.",
        TIMING,
        "No prorating: all 6 items must be rated.",
    ),
)
