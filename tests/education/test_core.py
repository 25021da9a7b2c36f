"""Pure tests of patient education: every shipped article reads at grade 8 or lower
(computed with textstat here, not taken from the code under test), and the verdicts."""

from __future__ import annotations

import re

import pytest
import textstat
from hypothesis import given
from hypothesis import strategies as st
from textstat.backend import metrics

from ketacare.education import core
from ketacare.education.content import default_articles

ARTICLES = default_articles()
ENGLISH = default_articles("en")


@pytest.mark.parametrize("article", ENGLISH, ids=[a.slug for a in ENGLISH])
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
    (spravato,) = [a for a in ENGLISH if a.topic == "intranasal"]
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


# --- Spanish -------------------------------------------------------------------------------

SPANISH = default_articles("es")


@pytest.mark.parametrize("article", SPANISH, ids=[a.slug for a in SPANISH])
def test_every_spanish_article_reads_at_grade_8_or_lower(article):
    """Crawford's grade (computed here from textstat's backend with the Spanish dictionary,
    not through the code under test), and Fernandez-Huerta's ease as a cross-check: 60 or
    more is "normal" or easier, 8th grade or lower on its scale."""
    text = core.plain_text(f"{article.title}\n{article.body}")
    crawford = metrics.crawford(text, "es")
    ease = metrics.fernandez_huerta(text, "es")
    counted = core.grade_of(article.title, article.body, "es")
    print(f"{article.slug}: Crawford {counted} (raw {crawford:.2f}), Fernandez-Huerta {ease:.1f}")
    assert crawford <= 8 and counted <= 8
    assert ease >= core.FERNANDEZ_HUERTA_GRADE_8
    assert core.reading_ease_es(article.title, article.body) >= core.FERNANDEZ_HUERTA_GRADE_8
    reading = core.readability(article.title, article.body, language="es")
    assert reading.ok and "Crawford" in reading.verdict


def test_the_spanish_articles_match_the_english_ones_topic_for_topic():
    english = {a.topic: a for a in default_articles("en")}
    assert {a.topic for a in SPANISH} == set(english)
    for article in SPANISH:
        assert article.language == "es"
        assert article.slug == f"{english[article.topic].slug}-es"
        assert len(article.sources) == len(english[article.topic].sources)
    assert len({a.slug for a in ARTICLES}) == len(ARTICLES) == 12


@pytest.mark.parametrize("article", SPANISH, ids=[a.slug for a in SPANISH])
def test_spanish_articles_use_usted_and_no_reference_note_marks(article):
    text = f"{article.title} {article.body} {' '.join(article.sources)}"
    assert "clinical.md" not in text and "§" not in text
    assert " tú " not in f" {text.lower()} " and " tu " not in f" {text.lower()} "


def test_spanish_esketamine_article_says_no_driving_until_the_next_day_after_sleep():
    (spravato,) = [a for a in SPANISH if a.topic == "intranasal"]
    text = " ".join(spravato.body.split())
    assert "hasta el día siguiente" in text and "dormido bien" in text
    assert "dos horas" in text and "40 minutos" in text


def test_a_hard_spanish_text_is_above_the_limit():
    hard = (
        "La administración de esketamina requiere una monitorización institucional "
        "exhaustiva que comprende parámetros hemodinámicos, suficiencia respiratoria y "
        "fenomenología disociativa, no obstante la considerable variabilidad "
        "farmacocinética interindividual observada en investigaciones multicéntricas."
    )
    found = core.readability("Monitorización", hard, max_grade=8, language="es")
    assert not found.ok and found.grade > 8
    assert core.reading_ease_es("Monitorización", hard) < core.FERNANDEZ_HUERTA_GRADE_8


def test_grading_spanish_leaves_textstat_global_language_alone():
    before = textstat.flesch_kincaid_grade("The cat sat on the mat. It was happy to be there.")
    core.grade_of("Título", "La ketamina es un medicamento. Puede aliviar la depresión.", "es")
    after = textstat.flesch_kincaid_grade("The cat sat on the mat. It was happy to be there.")
    assert before == after


@given(st.text(max_size=400), st.integers(min_value=1, max_value=16))
def test_the_spanish_verdict_agrees_with_the_grade(body, limit):
    found = core.readability("Título", body, limit, language="es")
    assert found.grade >= 0
    assert found.ok == (found.grade <= limit)
    assert re.search(r"grade \d+\.\d", found.verdict)
