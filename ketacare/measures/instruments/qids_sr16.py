"""QIDS-SR16 (Quick Inventory of Depressive Symptomatology, self-report, 16 items).

Facts: instruments.md 2.4. The total is the sum of 9 domain scores, not of the 16 items.
"""

from __future__ import annotations

from .base import AnswerOption, Band, FlagRule, Instrument, Item, Setting, Subscore

REF = "instruments.md 2.4"
BAND_SOURCE = "ids-qids.org/interpretation.html conversion table [V]"
DOMAIN_SOURCE = "Millisecond QIDS manual formula; rdrr.io cliot::qids_depression_score"
OPTIONS = tuple(AnswerOption(v, str(v)) for v in range(4))

# KetaCare's short labels; not the official item text or anchors.
_LABELS = (
    "Falling asleep",
    "Sleep during the night",
    "Waking up too early",
    "Sleeping too much",
    "Feeling sad",
    "Decreased appetite",
    "Increased appetite",
    "Decreased weight",
    "Increased weight",
    "Concentration and decisions",
    "View of self",
    "Thoughts of death or suicide",
    "General interest",
    "Energy",
    "Feeling slowed down",
    "Feeling restless",
)

QIDS_SR16 = Instrument(
    code="qids_sr16",
    name="Quick Inventory of Depressive Symptomatology, Self-Report (QIDS-SR16)",
    version="1.0",
    respondent="patient",
    recall="The last 7 days (ids-qids.org/administration)",
    preamble=(
        "KetaCare does not ship the QIDS-SR16 wording. The clinic loads the official paper "
        "version's instructions, items and answer anchors."
    ),
    items=tuple(
        Item(number=n, key=f"qids_sr16_{n}", label=label, text=None, options=OPTIONS)
        for n, label in enumerate(_LABELS, start=1)
    ),
    total_rule="subscores",
    subscores=(
        Subscore("sleep", "Sleep", (1, 2, 3, 4), rule="max"),
        Subscore("sad_mood", "Sad mood", (5,), rule="max"),
        Subscore("appetite_weight", "Appetite/weight", (6, 7, 8, 9), rule="max"),
        Subscore("concentration", "Concentration", (10,), rule="max"),
        Subscore("self_view", "Self-view", (11,), rule="max"),
        Subscore("suicidal_ideation", "Suicidal ideation", (12,), rule="max"),
        Subscore("interest", "Interest", (13,), rule="max"),
        Subscore("energy", "Energy", (14,), rule="max"),
        Subscore("psychomotor", "Psychomotor", (15, 16), rule="max"),
    ),
    total_range=(0, 27),
    bands=(
        Band("none", "None", 0, 5, BAND_SOURCE),
        Band("mild", "Mild", 6, 10, BAND_SOURCE),
        Band("moderate", "Moderate", 11, 15, BAND_SOURCE),
        Band("severe", "Severe", 16, 20, BAND_SOURCE),
        Band("very_severe", "Very severe", 21, 27, BAND_SOURCE),
    ),
    loinc_panel=None,
    loinc_total=None,
    loinc_note="[NF] no LOINC codes found; use local codes plus Questionnaire.url.",
    licence="paper_free_electronic_unclear",
    licence_note=(
        "Paper versions are free to clinicians and researchers and may be used without "
        "permission; the IVR version is exclusively licensed to Healthcare Technology "
        "Systems (docsbay summary of ids-qids.org [S]). Whether embedding it in electronic "
        "or commercial software needs permission is not known [NF]: ask the rights holder. "
        "KetaCare therefore ships short labels only; the clinic loads the official paper "
        "wording."
    ),
    full_wording=False,
    sources=(
        f"Domain scoring: {DOMAIN_SOURCE}",
        f"Bands: {BAND_SOURCE}",
        "Remission <= 5 as used in STAR*D (Trivedi et al. 2006) [S]",
        REF,
    ),
    settings=(
        Setting(
            key="suicidal_ideation_threshold",
            default=1,
            description="Item 12 at or above this value raises the suicidal_ideation flag.",
            source="Clinical choice mirroring PHQ-9 item 9 > 0 (calcipedia [S])",
            basis="clinical choice",
            minimum=1,
            maximum=3,
        ),
        Setting(
            key="suicidal_ideation_high_threshold",
            default=2,
            description=(
                "When the flag is raised, item 12 at or above this value makes the finding "
                "'high', below it 'moderate'."
            ),
            source="Clinical choice (no published source in instruments.md)",
            basis="clinical choice",
            minimum=1,
            maximum=3,
        ),
    ),
    flags=(
        FlagRule(
            flag="suicidal_ideation",
            rule="item 12 >= suicidal_ideation_threshold",
            safety=True,
            finding_severity=(
                "high when item 12 >= suicidal_ideation_high_threshold, else moderate"
            ),
            source="clinical choice mirroring PHQ-9 item 9 > 0",
        ),
    ),
    notes=(
        "Remission: total <= 5, as used in STAR*D (Trivedi et al. 2006) [S].",
        "No prorating: all 16 items must be answered.",
    ),
)
