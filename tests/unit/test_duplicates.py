"""Who a new registration may already be (ketacare.patients.duplicates, pure)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.patients.duplicates import (
    SAME_NAME,
    SAME_PHONE,
    SWAPPED_NAMES,
    Identity,
    duplicate_candidates,
    duplicate_reasons,
    name_key,
)

BORN = dt.date(1980, 4, 3)
names = st.text(
    alphabet=st.characters(categories=["L"], max_codepoint=0x17F), min_size=1, max_size=20
)
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31))


def _noisy(text: str, data: st.DataObject) -> str:
    """The same name typed differently: case, spaces around and inside."""
    out = data.draw(st.sampled_from([text, text.upper(), text.lower(), text.title()]))
    return data.draw(st.sampled_from(["", " ", "  "])) + out + data.draw(st.sampled_from(["", " "]))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("José María", "jose maria"),
        ("O'Brien", "OBRIEN"),
        ("Zoë", "ZOE"),
        ("van der Berg", "Vanderberg"),
        ("Ångström", "angstrom"),
    ],
)
def test_names_compare_without_case_accents_spaces_or_punctuation(one: str, other: str) -> None:
    assert name_key(one) == name_key(other)


def test_same_name_and_date_of_birth_is_a_candidate() -> None:
    new = Identity("Ravi", "Rossi", BORN)
    assert duplicate_reasons(new, Identity(" ravi ", "ROSSI", BORN)) == (SAME_NAME,)


def test_swapped_names_are_a_candidate() -> None:
    assert duplicate_reasons(Identity("Rossi", "Ravi", BORN), Identity("Ravi", "Rossi", BORN)) == (
        SWAPPED_NAMES,
    )


def test_same_phone_digits_with_the_same_date_of_birth() -> None:
    new = Identity("R.", "Rossi-Smith", BORN, phone="+1 (503) 555-0117")
    existing = Identity("Ravi", "Rossi", BORN, phone="503 555 0117")
    assert duplicate_reasons(new, existing) == (SAME_PHONE,)


def test_a_short_phone_number_proves_nothing() -> None:
    assert (
        duplicate_reasons(
            Identity("A", "B", BORN, phone="12"), Identity("C", "D", BORN, phone="12")
        )
        == ()
    )


def test_another_date_of_birth_is_never_a_candidate() -> None:
    new = Identity("Ravi", "Rossi", BORN, phone="5035550117")
    other = Identity("Ravi", "Rossi", BORN.replace(day=4), phone="5035550117")
    assert duplicate_reasons(new, other) == ()


def test_candidates_keep_their_keys_and_order() -> None:
    new = Identity("Ravi", "Rossi", BORN)
    existing = [
        ("a", Identity("Ravi", "Rossi", BORN)),
        ("b", Identity("Anna", "Rossi", BORN)),
        ("c", Identity("Rossi", "Ravi", BORN)),
    ]
    found = duplicate_candidates(new, existing)
    assert [(c.key, c.reasons) for c in found] == [("a", (SAME_NAME,)), ("c", (SWAPPED_NAMES,))]
    assert "swapped" in found[1].reason_text


@given(given_name=names, family=names, born=dates, data=st.data())
def test_the_same_person_typed_differently_is_always_found(
    given_name: str, family: str, born: dt.date, data: st.DataObject
) -> None:
    new = Identity(_noisy(given_name, data), _noisy(family, data), born)
    existing = Identity(given_name, family, born)
    reasons = duplicate_reasons(new, existing)
    assert SAME_NAME in reasons or SWAPPED_NAMES in reasons


@given(given_name=names, family=names, born=dates, other=dates)
def test_a_different_date_of_birth_is_never_a_candidate(
    given_name: str, family: str, born: dt.date, other: dt.date
) -> None:
    if born != other:
        assert (
            duplicate_reasons(
                Identity(given_name, family, born), Identity(given_name, family, other)
            )
            == ()
        )


@given(a=names, b=names, c=names, d=names, born=dates)
def test_the_rule_is_symmetric(a: str, b: str, c: str, d: str, born: dt.date) -> None:
    """Whichever record was registered first, the pair is found (or not) the same way."""
    one, two = Identity(a, b, born), Identity(c, d, born)
    assert bool(duplicate_reasons(one, two)) == bool(duplicate_reasons(two, one))


@given(given_name=names, family=names, born=dates)
def test_swapping_names_finds_the_record(given_name: str, family: str, born: dt.date) -> None:
    assert duplicate_reasons(Identity(family, given_name, born), Identity(given_name, family, born))


phone_digits = st.text(alphabet="0123456789", min_size=10, max_size=10)


@given(digits=phone_digits, born=dates, data=st.data())
def test_a_phone_number_however_written_is_found(
    digits: str, born: dt.date, data: st.DataObject
) -> None:
    written = data.draw(
        st.sampled_from(
            [
                digits,
                f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}",
                f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
                f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",
            ]
        )
    )
    new = Identity("Someone", "Else", born, phone=written)
    assert SAME_PHONE in duplicate_reasons(new, Identity("Ann", "Lee", born, phone=digits))


@given(text=st.text(max_size=30))
def test_the_name_key_is_stable(text: str) -> None:
    """Comparing a key again changes nothing: keys of keys are keys."""
    assert name_key(name_key(text)) == name_key(text)


def test_a_compatibility_letter_keys_as_the_letter_it_stands_for() -> None:
    """U+2102 (double-struck C) decomposes to 'C': its key is 'c', and so is the key of
    that key (Hypothesis found it). Fraktur and script letters likewise."""
    assert name_key("\u2102") == name_key("C") == "c"
    assert name_key("\u210c\u212f\U0001d529\U0001d522\U0001d52b") == "helen"


def test_every_code_points_key_is_stable() -> None:
    """The property above, over every code point rather than a sample."""
    unstable = [
        hex(point)
        for point in range(0x110000)
        if not 0xD800 <= point <= 0xDFFF and name_key(name_key(chr(point))) != name_key(chr(point))
    ]
    assert unstable == []
