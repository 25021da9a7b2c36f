"""Screens cite published sources, never the project's reference notes or evidence tags."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.common.citations import plain_citation
from tests.screen_words import REFERENCE_FILE


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        (
            "Sanacora et al., JAMA Psychiatry 2017 (APA consensus), via Medscape "
            "[clinical.md §1.1]",
            "Sanacora et al., JAMA Psychiatry 2017 (APA consensus), via Medscape",
        ),
        (
            "No maximum dose for depression is published [NF, clinical.md §1.1]. The default "
            "cap is 300 mg.",
            "No maximum dose for depression is published. The default cap is 300 mg.",
        ),
        (
            "84 mg is the highest labelled dose (Spravato label, clinical.md §2.1).",
            "84 mg is the highest labelled dose (Spravato label).",
        ),
        ("No liquids for 30 minutes (Spravato, §2.1).", "No liquids for 30 minutes (Spravato)."),
        (
            "Clinical choice (no published source in instruments.md)",
            "Clinical choice (no published source)",
        ),
        ("instruments.md 2.8 cut-off 31-33", "Cut-off 31-33"),
        ("Spravato interactions (clinical.md 3.3 [V])", "Spravato interactions"),
        (
            "Leave it blank for the default. See docs/eligibility.md.",
            "Leave it blank for the default.",
        ),
        ("Snaith: 0-6 absent, 7-19 mild [S] (instruments.md 2.3)", "Snaith: 0-6 absent, 7-19 mild"),
        ("Ketalar label, section 2.2", "Ketalar label, section 2.2"),  # a label's own section stays
    ],
)
def test_worked_examples(source: str, shown: str) -> None:
    assert plain_citation(source) == shown


NOTE = st.sampled_from(
    [
        "clinical.md §1.1",
        "instruments.md 2.3",
        "[clinical.md §4.2 [NF]]",
        "[V]",
        "[NF]",
        "docs/x.md",
    ]
)
WORDS = st.text(st.sampled_from("abc Spravato label,;.()0123-"), max_size=40)


@given(st.lists(st.one_of(WORDS, NOTE), max_size=6))
def test_no_pointer_or_tag_survives(parts: list[str]) -> None:
    assert not REFERENCE_FILE.search(plain_citation(" ".join(parts)))


@given(st.text(st.sampled_from("abc label 0123-,."), max_size=40))
def test_plain_words_keep_their_meaning(words: str) -> None:
    """Without pointers, nothing but spacing and the first letter's case changes."""
    assert plain_citation(words).replace(" ", "").lower() == words.replace(" ", "").lower()
