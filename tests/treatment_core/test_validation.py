"""Chart input validation (issue 12, finding 10): numbers only, diastolic below systolic,
reading times inside the session's window."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ketacare.treatment.validation import (
    CLOCK_ALLOWANCE,
    RANGES,
    parse_vitals,
    reading_window,
    vital_errors,
)

T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def test_a_systolic_of_letters_is_refused_by_its_field_not_dropped() -> None:
    values, errors = parse_vitals({"systolic": "abc", "diastolic": "80"})
    assert errors == {"systolic": ["Systolic: enter a whole number (got 'abc')."]}
    assert values["diastolic"] == 80


def test_blank_is_not_measured_and_numbers_are_parsed() -> None:
    values, errors = parse_vitals({"systolic": " 128 ", "diastolic": "82", "spo2": ""})
    assert not errors
    assert (values["systolic"], values["diastolic"], values["spo2"]) == (128, 82, None)


def test_a_diastolic_above_the_systolic_is_refused() -> None:
    errors = vital_errors({"systolic": 80, "diastolic": 120})
    assert errors == {"diastolic": ["Diastolic 120 must be below systolic 80: check the order."]}


def test_half_a_blood_pressure_is_refused() -> None:
    assert "diastolic" in vital_errors({"systolic": 128, "heart_rate": 70})


def test_a_value_outside_its_plausible_range_names_the_field() -> None:
    assert vital_errors({"heart_rate": 400}) == {
        "heart_rate": ["Heart rate 400 is outside the plausible range 20-250."]
    }


def test_readings_from_2099_and_1970_are_outside_todays_session() -> None:
    window = reading_window(scheduled_start=T0, checked_in_at=T0, now=T0 + dt.timedelta(hours=1))
    assert "in the future" in window.error(dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    assert "before this session began" in window.error(dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    assert window.error(T0 + dt.timedelta(minutes=30)) == ""
    assert "time zone" in window.error(dt.datetime(2026, 11, 27, 9, 30))  # naive: ambiguous


@given(st.text(max_size=6), st.text(max_size=6))
def test_parsing_never_loses_a_typed_value_silently(systolic: str, diastolic: str) -> None:
    values, errors = parse_vitals({"systolic": systolic, "diastolic": diastolic})
    for name, typed in (("systolic", systolic), ("diastolic", diastolic)):
        # Either a number was read, the field was blank, or the field is refused.
        assert (values.get(name) is not None) or not typed.strip() or name in errors


@given(st.integers(-50, 400), st.integers(-50, 400))
def test_an_accepted_blood_pressure_is_in_range_with_diastolic_below(sys_: int, dia: int) -> None:
    if not vital_errors({"systolic": sys_, "diastolic": dia}):
        assert RANGES["systolic"][0] <= sys_ <= RANGES["systolic"][1]
        assert RANGES["diastolic"][0] <= dia <= RANGES["diastolic"][1]
        assert dia < sys_


@given(st.integers(-(10**6), 10**6), st.integers(0, 600))
def test_a_reading_is_accepted_exactly_inside_the_window(offset_s: int, since_in_s: int) -> None:
    now = T0 + dt.timedelta(seconds=since_in_s)
    taken = T0 + dt.timedelta(seconds=offset_s)
    window = reading_window(scheduled_start=T0, checked_in_at=T0, now=now)
    assert (window.error(taken) == "") == (T0 <= taken <= now + CLOCK_ALLOWANCE)
