"""The registry search reads what a person typed (ketacare.patients.search, pure)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.patients.search import SearchTerms, dates_meant, search_terms


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("Rossi, Ravi", ("Rossi", "Ravi")),
        ("Ravi Rossi", ("Ravi", "Rossi")),
        ("rossi,ravi", ("rossi", "ravi")),
        ("0023", ("0023",)),  # a part of an MRN
        ("RI-10023", ("RI-10023",)),
    ],
)
def test_names_and_mrn_parts_are_words(typed: str, words: tuple[str, ...]) -> None:
    assert search_terms(typed) == SearchTerms(words=words)


@pytest.mark.parametrize(
    "typed",
    ["+1 503 555 0117", "(503) 555-0117", "503 555 0117", "503.555.0117", "5035550117"],
)
def test_a_phone_number_as_written_is_searched_on_its_digits(typed: str) -> None:
    terms = search_terms(typed)
    assert terms.phone_digits.endswith("5035550117")
    assert terms.words == ()


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("1980-04-03", {dt.date(1980, 4, 3)}),
        ("03/04/1980", {dt.date(1980, 4, 3), dt.date(1980, 3, 4)}),
        ("3.4.1980", {dt.date(1980, 4, 3), dt.date(1980, 3, 4)}),
        ("25/12/1980", {dt.date(1980, 12, 25)}),  # no 25th month: one meaning
        ("12/25/1980", {dt.date(1980, 12, 25)}),
        ("25/12/80", {dt.date(1980, 12, 25)}),
        ("3 Apr 1980", {dt.date(1980, 4, 3)}),
        ("April 3, 1980", {dt.date(1980, 4, 3)}),
    ],
)
def test_dates_of_birth_in_the_formats_people_type(typed: str, meant: set[dt.date]) -> None:
    assert search_terms(typed).dates == frozenset(meant)


def test_a_name_and_a_date_together() -> None:
    terms = search_terms("Rossi 03/04/1980")
    assert terms.words == ("Rossi",)
    assert dt.date(1980, 4, 3) in terms.dates


def test_nothing_typed_is_an_empty_search() -> None:
    assert search_terms("   ").empty


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_every_date_typed_day_first_or_month_first_or_iso_is_found(born: dt.date) -> None:
    for typed in (
        born.isoformat(),
        born.strftime("%d/%m/%Y"),
        born.strftime("%m/%d/%Y"),
        f"{born.day}.{born.month}.{born.year}",
    ):
        assert born in dates_meant(typed), typed


@given(st.text(max_size=40))
def test_any_text_reads_without_error_and_keeps_its_words(text: str) -> None:
    terms = search_terms(text)
    for word in terms.words:
        assert word and "," not in word and not word.isspace()
