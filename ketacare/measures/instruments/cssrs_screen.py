"""C-SSRS Screener (Columbia Suicide Severity Rating Scale), clinician-entered.

Facts: instruments.md 2.6. Electronic use needs a Clario sublicence: short labels only.
Answers are 7 booleans (or None where skip logic does not ask): Q1-Q6 and Q6b, which asks
whether the Q6 behaviour was within the past 3 months (Blueprint's 7-question form).
"""

from __future__ import annotations

from .base import AnswerOption, FlagRule, Instrument, Item

REF = "instruments.md 2.6"
RISK_SOURCE = "Blueprint help article risk mapping [S]; Columbia triage guidelines [S]"
FLOW_SOURCE = (
    "C-SSRS scoring guide and flow: Q1, Q2 always asked; Q2 'No' skips to Q6; Q2 'Yes' asks "
    "Q3-Q5 then Q6 [S]; Millisecond manual records a timespan for Q6"
)
YES_NO = (AnswerOption(True, "Yes"), AnswerOption(False, "No"))

CSSRS_SCREEN = Instrument(
    code="cssrs_screen",
    name="Columbia Suicide Severity Rating Scale, Screener (C-SSRS Screen)",
    version="1.0",
    respondent="clinician",
    recall=(
        "Past month for ideation (Q1-Q5); Q6 behaviour lifetime, then Q6b within the past 3 months"
    ),
    preamble=(
        "Clinician-entered. Electronic use of the C-SSRS needs a sublicence from Clario: "
        "KetaCare ships short labels only. The clinic uses its licensed wording."
    ),
    items=(
        Item(1, "cssrs_1", "Wish to be dead", None, YES_NO),
        Item(2, "cssrs_2", "Non-specific active suicidal thoughts", None, YES_NO),
        Item(3, "cssrs_3", "Thoughts with method", None, YES_NO, asked_when=("cssrs_2", True)),
        Item(
            4,
            "cssrs_4",
            "Intent without a specific plan",
            None,
            YES_NO,
            asked_when=("cssrs_2", True),
        ),
        Item(5, "cssrs_5", "Plan and intent", None, YES_NO, asked_when=("cssrs_2", True)),
        Item(6, "cssrs_6", "Suicidal behaviour (lifetime)", None, YES_NO),
        Item(
            7,
            "cssrs_6b",
            "Suicidal behaviour within the past 3 months (Q6b)",
            None,
            YES_NO,
            asked_when=("cssrs_6", True),
        ),
    ),
    total_rule="none",
    total_range=None,
    bands=(),
    loinc_panel=None,
    loinc_total=None,
    loinc_note=(
        "[NF] in an authoritative source. Two third-party repositories name 93373-9 (a mock "
        "EMR, 'C-SSRS Screener-Recent') and 73831-0 (panel); both [U], so neither is used. "
        "Check on loinc.org."
    ),
    licence="electronic_sublicence_required",
    licence_note=(
        "LICENCE REQUIRED FOR ELECTRONIC USE. eResearch Technology, Inc., a Clario company, "
        "holds an exclusive licence for electronic implementations from the Research "
        "Foundation for Mental Hygiene (RFMH), which controls the copyright "
        "(clario.com C-SSRS licensing application [V]). Electronic use requires a "
        "sublicence, certification of each version, language and platform, and "
        "per-administration fees. KetaCare ships only short labels and the risk rule, for "
        "clinician entry; a deployer must hold its own licence before showing the scale "
        "electronically."
    ),
    full_wording=False,
    sources=(RISK_SOURCE, FLOW_SOURCE, "Clario C-SSRS licensing application [V]", REF),
    flags=(
        FlagRule(
            flag="suicide_risk_high",
            rule="Q4 or Q5 yes, or Q6 yes with Q6b yes (behaviour within the past 3 months)",
            safety=True,
            finding_severity="high",
            source=RISK_SOURCE,
        ),
        FlagRule(
            flag="suicide_risk_moderate",
            rule="not high, and Q3 yes, or Q6 yes with Q6b no (lifetime / more than 3 months ago)",
            safety=True,
            finding_severity="moderate",
            source=RISK_SOURCE,
        ),
    ),
    notes=(
        "No total score. Risk: high if Q4 or Q5 or (Q6 and Q6b); moderate if Q3 or (Q6 and "
        "not Q6b); low if Q1 or Q2; else none.",
        "Columbia triage: 'yes' to Q4 or Q5 in the past month, or any behaviour in the past "
        "3 months, means severe risk and triggers immediate referral [S].",
        "Blueprint recommends administering the C-SSRS Screen monthly [S].",
    ),
)
