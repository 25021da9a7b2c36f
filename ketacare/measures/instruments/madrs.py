"""MADRS (Montgomery-Asberg Depression Rating Scale), clinician-rated.

Facts: instruments.md 2.3. Licence required and rights holder not found: labels only.
"""

from __future__ import annotations

from .base import AnswerOption, Band, BandSet, FlagRule, Instrument, Item, Setting

REF = "instruments.md 2.3"
SNAITH = "Snaith [S]"
SNAITH_SOURCE = (
    "Snaith: 0-6 absent, 7-19 mild, 20-34 moderate, 35-60 severe [S] (instruments.md 2.3)"
)
CUTPOINTS = "cut-points 12/24/35 [S]"
CUTPOINTS_SOURCE = (
    "Alternative cut-points '12 mild, 24 moderate, 35 severe' [S] (instruments.md 2.3), each "
    "read as the lowest total of its band: absent 0-11, mild 12-23, moderate 24-34, severe "
    "35-60; severe >= 35 also Mueller et al. 2000 [V]"
)
OPTIONS = tuple(AnswerOption(v, str(v)) for v in range(7))

_LABELS = (  # strokengine.ca item list (instruments.md 2.3)
    "Apparent sadness",
    "Reported sadness",
    "Inner tension",
    "Reduced sleep",
    "Reduced appetite",
    "Concentration difficulties",
    "Lassitude",
    "Inability to feel",
    "Pessimistic thoughts",
    "Suicidal thoughts",
)

SNAITH_BANDS = (
    Band("absent", "Absent", 0, 6, SNAITH),
    Band("mild", "Mild", 7, 19, SNAITH),
    Band("moderate", "Moderate", 20, 34, SNAITH),
    Band("severe", "Severe", 35, 60, SNAITH),
)
CUTPOINT_BANDS = (
    Band("absent", "Absent", 0, 11, CUTPOINTS),
    Band("mild", "Mild", 12, 23, CUTPOINTS),
    Band("moderate", "Moderate", 24, 34, CUTPOINTS),
    Band("severe", "Severe", 35, 60, CUTPOINTS),
)

MADRS = Instrument(
    code="madrs",
    name="Montgomery-Asberg Depression Rating Scale (MADRS)",
    version="1.0",
    respondent="clinician",
    recall="Not stated in instruments.md; the rater's protocol applies",
    preamble=(
        "Clinician-rated. KetaCare does not ship the MADRS wording or anchors; the clinic "
        "loads its licensed version."
    ),
    items=tuple(
        Item(number=n, key=f"madrs_{n}", label=label, text=None, options=OPTIONS)
        for n, label in enumerate(_LABELS, start=1)
    ),
    total_range=(0, 60),
    bands=SNAITH_BANDS,
    band_sets=(
        BandSet("snaith", "Snaith", SNAITH_BANDS, SNAITH_SOURCE),
        BandSet("cutpoints_12_24_35", "Cut-points 12/24/35", CUTPOINT_BANDS, CUTPOINTS_SOURCE),
    ),
    loinc_panel=None,
    loinc_total=None,
    loinc_note="[NF] no LOINC codes found; use local codes plus Questionnaire.url.",
    licence="licence_required",
    licence_note=(
        "The German Psychiatric Data Set FHIR IG lists MADRS under 'License required' "
        "(simplifier.net GPDS Licenses page [V]). The holder of the English-language rights "
        "was not found [NF]. Do not ship item text until the rights are cleared: KetaCare "
        "ships short labels only."
    ),
    full_wording=False,
    sources=(
        "10 items 0-6, total 0-60: PMC7894501 tables [V]",
        "Item list: strokengine.ca [S]",
        SNAITH_SOURCE,
        CUTPOINTS_SOURCE,
        "Mueller et al. 2000, J Affect Disord 60:137: moderate/severe cut at >= 35 [V]",
        "Mueller et al. 2003, J Affect Disord 77:255: 31 gave the best moderate/severe "
        "separation against CGI [V]",
        REF,
    ),
    settings=(
        Setting(
            key="bands",
            default="snaith",
            description="Which published band set names the severity.",
            source=f"{SNAITH_SOURCE}; {CUTPOINTS_SOURCE}",
            basis="clinical choice between published band sets",
            choices=("snaith", "cutpoints_12_24_35"),
        ),
        Setting(
            key="suicidal_ideation_threshold",
            default=2,
            description=(
                "Item 10 (suicidal thoughts, anchors 0-6) at or above this value raises the "
                "suicidal_ideation flag. Default 2, the anchor 'weary of life, only fleeting "
                "suicidal thoughts' (Montgomery & Asberg 1979, item 10). Why 2: PHQ-9 item 9, "
                "QIDS-SR16 item 12 and HAM-D item 3 alert at any answer above 0, and on their "
                "0-3 or 0-4 scales 1 already names fleeting thoughts of death. MADRS item 10 "
                "has 7 steps, and its odd anchors (1, 3, 5) are in-between ratings without "
                "wording; 2 is the first anchor that names suicidal thoughts, so it is the "
                "MADRS equivalent of 'any answer above 0'. The former default 4 ('suicidal "
                "thoughts common, suicide considered as a possible solution') missed fleeting "
                "thoughts that the other scales flag. A clinic may choose 1 (stricter) or up "
                "to 6."
            ),
            source=(
                "Clinical choice, issue #12 finding 13: aligned with PHQ-9 item 9 > 0 "
                "(calcipedia [S]); anchors from Montgomery & Asberg 1979 (Br J Psychiatry "
                "134:382), item 10; instruments.md gives no MADRS item-10 threshold"
            ),
            basis="clinical choice",
            minimum=1,
            maximum=6,
        ),
    ),
    flags=(
        FlagRule(
            flag="suicidal_ideation",
            rule="item 10 >= suicidal_ideation_threshold",
            safety=True,
            finding_severity="high",
            source="clinical choice",
        ),
    ),
    notes=(
        "Response = >= 50% improvement in MADRS from baseline; remission = MADRS <= 12 "
        "(PMC7894501 Table 2 footnotes; PMC8921149 Table 4 [V]). Both need more than one "
        "score and are outside this single-score core.",
        "TRANSFORM-3 required baseline MADRS > 28; TRANSFORM-1/2 baseline means were about 37 [V].",
        "Under the cut-points 12/24/35 set, a total of 12 is 'mild' although trials call "
        "<= 12 remission.",
        "Mueller et al. 2003: 31 gave the best moderate/severe separation against CGI [V]; "
        "not offered as a band set.",
        "MADRS-24hr: a 24-hour-recall variant validated for rapid-onset TRD trials (Johnson "
        "et al., J Clin Psychiatry) [S].",
        "No prorating: all 10 items must be rated.",
    ),
)
