"""Pure tests of patient education: every shipped article reads at grade 8 or lower
(computed with textstat here, not taken from the code under test), and the verdicts."""

from __future__ import annotations

import re

import pytest
import textstat
from hypothesis import given
from hypothesis import strategies as st

from ketacare.education import core
from ketacare.education.content import default_articles

ARTICLES = default_articles()


@pytest.mark.parametrize("article", ARTICLES, ids=[a.slug for a in ARTICLES])
def test_every_shipped_article_reads_at_grade_8_or_lower(article):
    raw = textstat.flesch_kincaid_grade(f"{article.title}. {article.body}")
    counted = core.grade_of(article.title, article.body)
    print(f"{article.slug}: grade {counted} (raw text {raw})")
    assert raw <= 8
    assert counted <= 8
    assert core.readability(article.title, article.body).ok


def test_one_article_for_each_form_of_treatment():
    assert {a.topic for a in ARTICLES} == {"iv", "im", "intranasal", "oral", "oral_er", "kap"}
    assert len({a.slug for a in ARTICLES}) == len(ARTICLES)


@pytest.mark.parametrize("article", ARTICLES, ids=[a.slug for a in ARTICLES])
def test_sources_are_published_sources_in_words(article):
    assert article.sources
    for source in article.sources:
        assert "clinical.md" not in source and "§" not in source
    assert "clinical.md" not in article.body and "§" not in article.body


def test_esketamine_article_says_no_driving_until_the_next_day_after_sleep():
    (spravato,) = [a for a in ARTICLES if a.topic == "intranasal"]
    text = " ".join(spravato.body.split())
    assert "until the next day" in text and "sleep" in text
    assert "two hours" in text and "40 minutes" in text


def test_a_hard_text_is_above_the_limit_and_says_what_to_do():
    hard = (
        "Esketamine administration necessitates comprehensive institutional monitoring "
        "encompassing hemodynamic parameters, respiratory sufficiency and dissociative "
        "phenomenology, notwithstanding considerable interindividual pharmacokinetic variability."
    )
    found = core.readability("Monitoring", hard, max_grade=8)
    assert not found.ok and found.grade > 8
    assert "above the clinic's limit of grade 8" in found.verdict
    assert "shorter sentences" in found.verdict


def test_an_empty_text_is_grade_zero():
    assert core.grade_of("", "") == 0.0


def test_plain_text_ends_headings_and_list_items_as_sentences():
    assert core.plain_text("## Side effects\n\n- Dizzy\n- Sleepy") == "Side effects. Dizzy. Sleepy."


@given(st.text(max_size=400), st.integers(min_value=1, max_value=16))
def test_the_verdict_agrees_with_the_grade(body, limit):
    found = core.readability("Title", body, limit)
    assert found.grade >= 0
    assert found.ok == (found.grade <= limit)
    assert re.search(r"grade \d+\.\d", found.verdict)
