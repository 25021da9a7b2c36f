"""Validated translations change only the words: the Spanish PHQ-9 and GAD-7 keep every
item, answer value, band range and flag of the English instrument, so a patient who picks
the Spanish answer in the same place is scored exactly as in English."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.measures import INSTRUMENTS, get_instrument, score
from ketacare.measures.instruments.base import Wording
from ketacare.measures.instruments.spanish import GAD7_ES, PHQ9_ES

TRANSLATED = ("phq9", "gad7")


def test_only_the_phq9_and_gad7_ship_a_spanish_wording() -> None:
    spanish = {code for code, i in INSTRUMENTS.items() if "es" in i.languages()}
    assert spanish == set(TRANSLATED)
    for code in set(INSTRUMENTS) - spanish:
        assert get_instrument(code).in_language("es") is get_instrument(code)


def test_the_spanish_phq9_reads_as_pfizers_form() -> None:
    phq9 = get_instrument("phq9").in_language("es")
    assert phq9.language == "es" and phq9.abbreviation == "PHQ-9"
    assert phq9.preamble.startswith("Durante las últimas 2 semanas")
    assert phq9.items[0].text == "Poco interés o placer en hacer cosas"
    assert (phq9.items[8].text or "").startswith("Pensamientos de que estaría mejor muerto(a)")
    assert [o.label for o in phq9.items[0].options] == [
        "Ningún día",
        "Varios días",
        "Más de la mitad de los días",
        "Casi todos los días",
    ]
    assert phq9.items[9].options[3].label == "Extremadamente difícil"
    assert [b.label for b in phq9.bands][-1] == "Grave"
    gad7 = get_instrument("gad7").in_language("es")
    assert gad7.items[0].options[0].label == "Nunca"
    assert gad7.items[6].text == "Sentir miedo como si algo terrible pudiera pasar"


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_translation_keeps_everything_but_the_words(code: str) -> None:
    english, spanish = get_instrument(code), get_instrument(code).in_language("es")
    assert spanish.code == english.code and spanish.version == english.version
    for en_item, es_item in zip(english.items, spanish.items, strict=True):
        assert (es_item.key, es_item.loinc, es_item.scored, es_item.required) == (
            en_item.key,
            en_item.loinc,
            en_item.scored,
            en_item.required,
        )
        assert [o.value for o in es_item.options] == [o.value for o in en_item.options]
        assert [o.loinc_answer for o in es_item.options] == [
            o.loinc_answer for o in en_item.options
        ]
        assert es_item.text != en_item.text
    assert [(b.key, b.low, b.high) for b in spanish.bands] == [
        (b.key, b.low, b.high) for b in english.bands
    ]
    assert spanish.flags == english.flags and spanish.settings == english.settings
    assert spanish.licence_note == english.licence_note


@pytest.mark.parametrize("code", TRANSLATED)
@given(data=st.data())
def test_the_same_answer_positions_score_the_same_in_both_languages(
    code: str, data: st.DataObject
) -> None:
    english, spanish = get_instrument(code), get_instrument(code).in_language("es")
    positions = [
        data.draw(st.integers(0, len(item.options) - 1), label=f"item {item.number}")
        for item in english.items
    ]
    as_english = [item.options[p].value for item, p in zip(english.items, positions, strict=True)]
    as_spanish = [item.options[p].value for item, p in zip(spanish.items, positions, strict=True)]
    assert as_spanish == as_english
    assert score(code, as_spanish) == score(code, as_english)


def test_a_wording_that_does_not_fit_the_instrument_is_refused() -> None:
    phq9 = get_instrument("phq9")
    short = dataclasses.replace(PHQ9_ES, items=PHQ9_ES.items[:-1])
    with pytest.raises(ValueError, match="one text and one set of answers per item"):
        dataclasses.replace(phq9, translations=(short,))
    three_answers = dataclasses.replace(
        PHQ9_ES, options=(PHQ9_ES.options[0][:3], *PHQ9_ES.options[1:])
    )
    with pytest.raises(ValueError, match="item 1 has 4 answers"):
        dataclasses.replace(phq9, translations=(three_answers,))
    renamed: Wording = dataclasses.replace(GAD7_ES, name="Ansiedad")
    with pytest.raises(ValueError, match=r"must end with \(GAD-7\)"):
        dataclasses.replace(get_instrument("gad7"), translations=(renamed,))
    with pytest.raises(ValueError, match="only an instrument shipped in full"):
        dataclasses.replace(get_instrument("madrs"), translations=(GAD7_ES,))
