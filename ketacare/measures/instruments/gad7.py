"""GAD-7 (Generalized Anxiety Disorder, 7 items). Facts: instruments.md 2.2 and 3."""

from __future__ import annotations

from .base import AnswerOption, Band, Instrument, Item
from .spanish import GAD7_ES

REF = "instruments.md 2.2"
BAND_SOURCE = (
    "[S] multiple implementations agree, e.g. CIRG severityBands 15/10/5/0 (instruments.md 2.2)"
)


def _options(item: int) -> tuple[AnswerOption, ...]:
    # LHC form quirk [V]: item 2 (68509-9) codes the score-2 answer LA18938-3 (LOINC display
    # "More days than not") instead of LA6570-1. The label shown stays the Pfizer form's.
    two = "LA18938-3" if item == 2 else "LA6570-1"
    return (
        AnswerOption(0, "Not at all", "LA6568-5"),
        AnswerOption(1, "Several days", "LA6569-3"),
        AnswerOption(2, "More than half the days", two),
        AnswerOption(3, "Nearly every day", "LA6571-9"),
    )


# (LOINC [V], short label, wording of the Pfizer form)
_ITEMS = (
    ("69725-0", "Nervous, anxious, on edge", "Feeling nervous, anxious, or on edge"),
    ("68509-9", "Cannot stop worrying", "Not being able to stop or control worrying"),
    ("69733-4", "Worrying too much", "Worrying too much about different things"),
    ("69734-2", "Trouble relaxing", "Trouble relaxing"),
    ("69735-9", "Restless", "Being so restless that it is hard to sit still"),
    ("69689-8", "Annoyed or irritable", "Becoming easily annoyed or irritable"),
    ("69736-7", "Afraid", "Feeling afraid, as if something awful might happen"),
)

GAD7 = Instrument(
    code="gad7",
    name="Generalized Anxiety Disorder-7 (GAD-7)",
    version="1.0",
    respondent="patient",
    recall="Over the last 2 weeks",
    preamble=("Over the last 2 weeks, how often have you been bothered by the following problems?"),
    items=tuple(
        Item(number=n, key=f"gad7_{n}", label=label, text=text, options=_options(n), loinc=loinc)
        for n, (loinc, label, text) in enumerate(_ITEMS, start=1)
    ),
    total_range=(0, 21),
    bands=(
        Band("minimal", "Minimal", 0, 4, BAND_SOURCE),
        Band("mild", "Mild", 5, 9, BAND_SOURCE),
        Band("moderate", "Moderate", 10, 14, BAND_SOURCE),
        Band("severe", "Severe", 15, 21, BAND_SOURCE),
    ),
    loinc_panel="69737-5",
    loinc_total="70274-6",
    loinc_note=(
        "[V] panel 69737-5 and total 70274-6 (LHC GAD-7 Questionnaire; HL7 PHR IG ValueSet); "
        "items 69725-0, 68509-9, 69733-4, 69734-2, 69735-9, 69689-8 (item 6, irritable), "
        "69736-7 (item 7, afraid). One repository swaps items 6 and 7, another has the typo "
        "69689-6. Item 2's score-2 answer is LA18938-3 'More days than not' in the LHC form."
    ),
    licence="free_with_copyright",
    licence_note=(
        "Copyright Pfizer Inc.; 'No permission required to reproduce, translate, display or "
        "distribute' (NLM LHC-Forms GAD-7 text [V]). KetaCare ships the full wording and "
        "keeps the copyright notice."
    ),
    full_wording=True,
    sources=(
        BAND_SOURCE,
        "NLM LHC-Forms GAD-7 Questionnaire: LOINC codes, licence text [V]",
        REF,
    ),
    notes=("No prorating: all 7 items must be answered.",),
    translations=(GAD7_ES,),
)
