"""Citations as people read them.

Sources in the code carry two things: the published source a clinician can look up
("Spravato label", "Sanacora et al., JAMA Psychiatry 2017") and, for developers, where the
fact sits in the project's reference notes ("clinical.md §2.1") with its evidence tag
("[V]" verified, "[S]" secondary, "[U]" unverified, "[NF]" not found). Screens show only
the first: `plain_citation` removes the second. Pure, no Django.
"""

from __future__ import annotations

import re

_NOTE_FILE = r"\b\w+\.md\b(?:\s*(?:§|section|sections)?\s*\d+(?:\.\d+)*)?"
_TAG = r"\[(?:V|S|U|NF)\]"
_STEPS = (
    # A bracketed pointer or tag, whole: "[clinical.md §1.1]", "[NF, clinical.md §1.1]".
    (re.compile(r"\s*\[(?:V|S|U|NF)?,?[^\[\]]*\.md[^\[\]]*\]"), ""),
    (re.compile(rf"\s*{_TAG}"), ""),
    # A pointer inside other words: "(Spravato label, clinical.md §2.1)", "see docs/x.md".
    (re.compile(rf",?\s*(?:see\s+|in\s+)?(?:docs/)?{_NOTE_FILE}"), ""),
    # A bare section number of the notes: "(Spravato, §2.1)".
    (re.compile(r",?\s*§\s*\d+(?:\.\d+)*"), ""),
    # What the removals leave behind: "()", "( ", " )", "(; ", "See ." and doubled spaces.
    (re.compile(r"\(\s*[,;]?\s*\)"), ""),
    (re.compile(r"\(\s*[,;]\s*"), "("),
    (re.compile(r"\s+\)"), ")"),
    (re.compile(r"\bSee\s*\.(?=\s|$)"), ""),
    (re.compile(r"\s+([.,;:])"), r"\1"),
    (re.compile(r"\s{2,}"), " "),
)


def plain_citation(text: str) -> str:
    """`text` without pointers into the project's reference notes or evidence tags."""
    for pattern, replacement in _STEPS:
        text = pattern.sub(replacement, text)
    text = text.strip()
    return text[:1].upper() + text[1:]
