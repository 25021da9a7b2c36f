"""PHQ-9 (Patient Health Questionnaire, 9 items). Facts: instruments.md 2.1 and 3."""

from __future__ import annotations

from .base import AnswerOption, Band, FlagRule, Instrument, Item, Setting
from .spanish import PHQ9_ES

REF = "instruments.md 2.1"
FREQUENCY = (
    AnswerOption(0, "Not at all", "LA6568-5"),
    AnswerOption(1, "Several days", "LA6569-3"),
    AnswerOption(2, "More than half the days", "LA6570-1"),
    AnswerOption(3, "Nearly every day", "LA6571-9"),
)
DIFFICULTY = (
    AnswerOption(0, "Not difficult at all", "LA6572-7"),
    AnswerOption(1, "Somewhat difficult", "LA6573-5"),
    AnswerOption(2, "Very difficult", "LA6575-0"),
    AnswerOption(3, "Extremely difficult", "LA6574-3"),
)

# (LOINC [V], short label, wording of the Pfizer form)
_ITEMS = (
    ("44250-9", "Interest or pleasure", "Little interest or pleasure in doing things"),
    ("44255-8", "Feeling down", "Feeling down, depressed, or hopeless"),
    ("44259-0", "Sleep", "Trouble falling or staying asleep, or sleeping too much"),
    ("44254-1", "Tired, little energy", "Feeling tired or having little energy"),
    ("44251-7", "Appetite", "Poor appetite or overeating"),
    (
        "44258-2",
        "Feeling bad about self",
        "Feeling bad about yourself — or that you are a failure or have let yourself or "
        "your family down",
    ),
    (
        "44252-5",
        "Concentration",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
    ),
    (
        "44253-3",
        "Moving or speaking slowly, or restless",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite "
        "— being so fidgety or restless that you have been moving around a lot more than "
        "usual",
    ),
    (
        "44260-8",
        "Thoughts of death or self-harm",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
)

PHQ9 = Instrument(
    code="phq9",
    name="Patient Health Questionnaire-9 (PHQ-9)",
    version="1.0",
    respondent="patient",
    recall="Over the last 2 weeks",
    preamble=(
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    ),
    items=(
        *(
            Item(
                number=n,
                key=f"phq9_{n}",
                label=label,
                text=text,
                options=FREQUENCY,
                loinc=loinc,
                answer_list="LL358-3",
            )
            for n, (loinc, label, text) in enumerate(_ITEMS, start=1)
        ),
        Item(
            number=10,
            key="phq9_10",
            label="Difficulty caused by the problems",
            text=(
                "If you checked off any problems, how difficult have these problems made it "
                "for you to do your work, take care of things at home, or get along with "
                "other people?"
            ),
            options=DIFFICULTY,
            scored=False,
            required=False,
            loinc="69722-7",
            answer_list="LL359-1",
        ),
    ),
    total_range=(0, 27),
    bands=(
        Band("minimal", "Minimal or none", 0, 4, "Kroenke 2001 cut-points 5/10/15/20 [V]"),
        Band("mild", "Mild", 5, 9, "Kroenke 2001 cut-points 5/10/15/20 [V]"),
        Band("moderate", "Moderate", 10, 14, "Kroenke 2001 cut-points 5/10/15/20 [V]"),
        Band(
            "moderately_severe",
            "Moderately severe",
            15,
            19,
            "Kroenke 2001 cut-points 5/10/15/20 [V]",
        ),
        Band("severe", "Severe", 20, 27, "Kroenke 2001 cut-points 5/10/15/20 [V]"),
    ),
    loinc_panel="44249-1",
    loinc_total="44261-6",
    loinc_note=(
        "[V] panel 44249-1 (LHC-Forms and SDC Questionnaire.code), total 44261-6 (HL7 SDC "
        "example), items 44250-9..44260-8 (LHC-derived code lists), item 10 69722-7 with "
        "answer list LL359-1 (LHC mapping; some third-party repositories swap LA6574-3 and "
        "LA6575-0), answer list LL358-3 for items 1-9."
    ),
    licence="free_with_copyright",
    licence_note=(
        "Copyrighted by Pfizer Inc., which states that no permission is required to "
        "reproduce, translate, display or distribute the PHQ-9 (HL7 SDC example copyright "
        "text [V]). Copyrighted but free to use, not public domain. KetaCare ships the full "
        "wording and keeps the copyright notice."
    ),
    full_wording=True,
    sources=(
        "Kroenke 2001 cut-points 5/10/15/20; HL7 SDC PHQ-9 example "
        "(github.com/HL7/sdc questionnaire-sdc-profile-example-PHQ9) [V]",
        "calcipedia.org PHQ-9 calculator: bands; item 9 > 0 warrants immediate follow-up [S]",
        "LHC-Forms / NLM LOINC panel 44249-1 and answer lists LL358-3, LL359-1 [V]",
        REF,
    ),
    settings=(
        Setting(
            key="suicidal_ideation_threshold",
            default=1,
            description=(
                "Item 9 at or above this value raises the suicidal_ideation flag. "
                "Default 1, i.e. any answer above 0."
            ),
            source="calcipedia: any item 9 score above 0 always warrants immediate "
            "follow-up, whatever the total [S]",
            basis="secondary source [S]; configurable clinic choice",
            minimum=1,
            maximum=3,
        ),
    ),
    flags=(
        FlagRule(
            flag="suicidal_ideation",
            rule="item 9 >= suicidal_ideation_threshold, independent of the total",
            safety=True,
            finding_severity="high",
            source="calcipedia [S]",
        ),
    ),
    notes=(
        "Item 10 (functional difficulty) is not part of the total; it may be left "
        "unanswered (None).",
        "The HL7 SDC example's description has the typo '19-14: Moderate' for 10-14.",
        "PHQ-2 total LOINC 55758-7 [S] (not used by this instrument).",
        "No prorating: every one of items 1-9 must be answered.",
    ),
    translations=(PHQ9_ES,),
)
