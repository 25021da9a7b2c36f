"""PCL-5 (PTSD Checklist for DSM-5). Facts: instruments.md 2.8. Public domain (VA)."""

from __future__ import annotations

from .base import AnswerOption, FlagRule, Instrument, Item, Setting, Subscore

REF = "instruments.md 2.8"
RULE_SOURCE = "VA PCL-5 form hosted on medafile; onlinemedicaltools"
OPTIONS = (
    AnswerOption(0, "Not at all"),
    AnswerOption(1, "A little bit"),
    AnswerOption(2, "Moderately"),
    AnswerOption(3, "Quite a bit"),
    AnswerOption(4, "Extremely"),
)

# (short label, wording of the VA form)
_ITEMS = (
    (
        "Unwanted memories",
        "Repeated, disturbing, and unwanted memories of the stressful experience?",
    ),
    ("Disturbing dreams", "Repeated, disturbing dreams of the stressful experience?"),
    (
        "Reliving",
        "Suddenly feeling or acting as if the stressful experience were actually happening "
        "again (as if you were actually back there reliving it)?",
    ),
    (
        "Upset at reminders",
        "Feeling very upset when something reminded you of the stressful experience?",
    ),
    (
        "Physical reactions to reminders",
        "Having strong physical reactions when something reminded you of the stressful "
        "experience (for example, heart pounding, trouble breathing, sweating)?",
    ),
    (
        "Avoiding memories, thoughts, feelings",
        "Avoiding memories, thoughts, or feelings related to the stressful experience?",
    ),
    (
        "Avoiding external reminders",
        "Avoiding external reminders of the stressful experience (for example, people, "
        "places, conversations, activities, objects, or situations)?",
    ),
    (
        "Trouble remembering",
        "Trouble remembering important parts of the stressful experience?",
    ),
    (
        "Negative beliefs",
        "Having strong negative beliefs about yourself, other people, or the world (for "
        "example, having thoughts such as: I am bad, there is something seriously wrong with "
        "me, no one can be trusted, the world is completely dangerous)?",
    ),
    (
        "Blame",
        "Blaming yourself or someone else for the stressful experience or what happened after it?",
    ),
    (
        "Strong negative feelings",
        "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
    ),
    ("Loss of interest", "Loss of interest in activities that you used to enjoy?"),
    ("Feeling distant", "Feeling distant or cut off from other people?"),
    (
        "Trouble with positive feelings",
        "Trouble experiencing positive feelings (for example, being unable to feel "
        "happiness or have loving feelings for people close to you)?",
    ),
    (
        "Irritable, angry, aggressive",
        "Irritable behavior, angry outbursts, or acting aggressively?",
    ),
    ("Risk taking", "Taking too many risks or doing things that could cause you harm?"),
    ("Superalert", 'Being "superalert" or watchful or on guard?'),
    ("Jumpy, easily startled", "Feeling jumpy or easily startled?"),
    ("Difficulty concentrating", "Having difficulty concentrating?"),
    ("Trouble sleeping", "Trouble falling or staying asleep?"),
)

PCL5 = Instrument(
    code="pcl5",
    name="PTSD Checklist for DSM-5 (PCL-5)",
    version="1.0",
    respondent="patient",
    recall="In the past month",
    preamble=(
        "Below is a list of problems that people sometimes have in response to a very "
        "stressful experience. Please read each problem carefully and then choose one of the "
        "answers to indicate how much you have been bothered by that problem in the past "
        "month. In the past month, how much were you bothered by:"
    ),
    items=tuple(
        Item(number=n, key=f"pcl5_{n}", label=label, text=text, options=OPTIONS)
        for n, (label, text) in enumerate(_ITEMS, start=1)
    ),
    subscores=(
        Subscore("B", "Cluster B: intrusion", (1, 2, 3, 4, 5), min_endorsed=1),
        Subscore("C", "Cluster C: avoidance", (6, 7), min_endorsed=1),
        Subscore(
            "D",
            "Cluster D: negative alterations in cognitions and mood",
            (8, 9, 10, 11, 12, 13, 14),
            min_endorsed=2,
        ),
        Subscore(
            "E",
            "Cluster E: alterations in arousal and reactivity",
            (15, 16, 17, 18, 19, 20),
            min_endorsed=2,
        ),
    ),
    total_range=(0, 80),
    bands=(),
    loinc_panel=None,
    loinc_total=None,
    loinc_note=(
        "[U] One repository gives 91006-2, but the same repository mis-assigns 89204-2 "
        "(which is the PHQ-9 Teen total), so it is not used. Use a local code plus "
        "Questionnaire.url until confirmed on loinc.org."
    ),
    licence="public_domain",
    licence_note=(
        "VA National Center for PTSD: 'public domain and not copyrighted' (mhscales.com "
        "[S]). KetaCare ships the full wording. The form's 'circle one of the numbers' is "
        "rendered as 'choose one of the answers' for on-screen use."
    ),
    full_wording=True,
    sources=(
        f"Clusters and provisional-diagnosis rule: {RULE_SOURCE}",
        "Cut-off total 31-33; an older VA note suggested 38",
        "Reliable change 5-10 points; clinically meaningful change 10-20 points [S]",
        REF,
    ),
    settings=(
        Setting(
            key="probable_ptsd_cutoff",
            default=33,
            description="A total at or above this value raises the probable_ptsd flag.",
            source="Cut-off 31-33 (instruments.md 2.8); default the top of the range; an "
            "older VA note suggested 38",
            basis="published range 31-33; choice within it is the clinic's",
            minimum=1,
            maximum=80,
        ),
        Setting(
            key="endorsed_at",
            default=2,
            description="An item scored at or above this value counts as endorsed for the "
            "cluster rule.",
            source=RULE_SOURCE,
            basis="published rule",
            configurable=False,
        ),
    ),
    flags=(
        FlagRule(
            flag="probable_ptsd",
            rule="total >= probable_ptsd_cutoff (informational, not a safety finding)",
            safety=False,
            source="instruments.md 2.8 cut-off 31-33",
        ),
    ),
    notes=(
        "Provisional diagnosis: items scored >= 2 are endorsed; needs >= 1 in B, >= 1 in C, "
        ">= 2 in D and >= 2 in E.",
        "Reliable change 5-10 points; clinically meaningful change 10-20 points [S]. These "
        "compare two scores and are outside this single-score core.",
        "No prorating: all 20 items must be answered.",
    ),
)
