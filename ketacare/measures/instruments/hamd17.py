"""HAM-D17 (Hamilton Depression Rating Scale, 17 items), clinician-rated.

Facts: instruments.md 2.5 (total 0-52 and bands only). The per-item ranges and labels
are from the project brief (Hamilton 1960 structure); instruments.md does not cover them.
"""

from __future__ import annotations

from .base import AnswerOption, Band, FlagRule, Instrument, Item, Setting

REF = "instruments.md 2.5"
BAND_SOURCE = "ids-qids.org conversion table [V]"
ITEM_SOURCE = (
    "Item ranges (0-4 or 0-2) and labels: project brief, Hamilton 1960 structure; not in "
    "instruments.md"
)

# (short label, highest value); items score from 0.
_ITEMS = (
    ("Depressed mood", 4),
    ("Guilt", 4),
    ("Suicide", 4),
    ("Insomnia: early", 2),
    ("Insomnia: middle", 2),
    ("Insomnia: late", 2),
    ("Work and activities", 4),
    ("Retardation", 4),
    ("Agitation", 4),
    ("Anxiety: psychic", 4),
    ("Anxiety: somatic", 4),
    ("Somatic symptoms: gastrointestinal", 2),
    ("Somatic symptoms: general", 2),
    ("Genital symptoms", 2),
    ("Hypochondriasis", 4),
    ("Loss of weight", 2),
    ("Insight", 2),
)

HAMD17 = Instrument(
    code="hamd17",
    name="Hamilton Depression Rating Scale, 17 items (HAM-D17)",
    version="1.0",
    respondent="clinician",
    recall="Not stated in instruments.md; the rater's protocol applies",
    preamble=(
        "Clinician-rated. KetaCare ships short labels only; the clinic loads the wording "
        "and anchors of the version it uses."
    ),
    items=tuple(
        Item(
            number=n,
            key=f"hamd17_{n}",
            label=label,
            text=None,
            options=tuple(AnswerOption(v, str(v)) for v in range(high + 1)),
        )
        for n, (label, high) in enumerate(_ITEMS, start=1)
    ),
    total_range=(0, 52),
    bands=(
        Band("none", "None", 0, 7, BAND_SOURCE),
        Band("mild", "Mild", 8, 13, BAND_SOURCE),
        Band("moderate", "Moderate", 14, 19, BAND_SOURCE),
        Band("severe", "Severe", 20, 25, BAND_SOURCE),
        Band("very_severe", "Very severe", 26, 52, BAND_SOURCE),
    ),
    loinc_panel=None,
    loinc_total=None,
    loinc_note="Not covered by instruments.md; no codes shipped.",
    licence="not_covered",
    licence_note=(
        "Licence not covered by the project's reference (instruments.md). Until it is "
        "checked, KetaCare ships short labels only, no item wording or anchors."
    ),
    full_wording=False,
    sources=(
        "17 items, total 0-52; bands " + BAND_SOURCE,
        ITEM_SOURCE,
        REF,
    ),
    settings=(
        Setting(
            key="suicidal_ideation_threshold",
            default=1,
            description="Item 3 (suicide) at or above this value raises the flag.",
            source="Clinical choice (instruments.md gives no HAM-D item-3 threshold)",
            basis="clinical choice",
            minimum=1,
            maximum=4,
        ),
        Setting(
            key="suicidal_ideation_high_threshold",
            default=3,
            description=(
                "When the flag is raised, item 3 at or above this value makes the finding "
                "'high', below it 'moderate'."
            ),
            source="Clinical choice",
            basis="clinical choice",
            minimum=1,
            maximum=4,
        ),
    ),
    flags=(
        FlagRule(
            flag="suicidal_ideation",
            rule="item 3 >= suicidal_ideation_threshold",
            safety=True,
            finding_severity="high when item 3 >= suicidal_ideation_high_threshold, else moderate",
            source="clinical choice",
        ),
    ),
    notes=("No prorating: all 17 items must be rated.",),
)
