"""ketacare.patients.rules: pure validation and chart arithmetic (no database)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ketacare.patients import rules
from ketacare.patients.rules import ChartFlag, Range

TODAY = dt.date(2026, 6, 15)
CANONICAL_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")

# --- ICD-10 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("F33.2", "F33.2"),
        ("f332", "F33.2"),
        ("f33.2", "F33.2"),
        ("  F33.2\n", "F33.2"),
        ("M1A.0", "M1A.0"),
        ("m1a0", "M1A.0"),
        ("I10", "I10"),
        ("i10", "I10"),
        ("F32.A", "F32.A"),
        ("S72.001A", "S72.001A"),
        ("s72001a", "S72.001A"),
        ("U07.1", "U07.1"),
    ],
)
def test_normalise_icd10_accepts_and_canonicalises(text: str, expected: str) -> None:
    assert rules.normalise_icd10(text) == expected
    assert rules.icd10_error(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "XYZ",  # second character must be a digit
        "123",  # first character must be a letter
        "F3",  # too short
        "",
        "   ",
        "F33.",  # a dot needs an extension after it
        "F33..2",
        "F33.21234",  # at most four characters after the category
        "F33-2",
        "F33 2",
        "FF3.2",
        "F33.2;DROP",
    ],
)
def test_normalise_icd10_rejects_what_is_not_icd10_shaped(text: str) -> None:
    assert rules.normalise_icd10(text) is None
    error = rules.icd10_error(text)
    assert error is not None
    assert repr(text) in error
    assert "e.g. F33.2" in error


@pytest.mark.parametrize("text", ["F33ß", "f3ﬁ", "\uff2633.2", "F\uff133.2"])
def test_normalise_icd10_rejects_non_ascii_lookalikes(text: str) -> None:
    # str.upper() turns 'ß' into 'SS' and 'ﬁ' into 'FI'; fullwidth letters and digits
    # look like codes. None of them may sneak through.
    assert rules.normalise_icd10(text) is None


_icd_category = st.builds(
    lambda a, b, c: a + b + c,
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    st.sampled_from("0123456789"),
    st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
)
_icd_extension = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=4)


@given(
    category=_icd_category,
    extension=st.none() | _icd_extension,
    dotted=st.booleans(),
    lower=st.booleans(),
)
def test_normalise_icd10_reads_every_spelling_of_a_valid_code(
    category: str, extension: str | None, dotted: bool, lower: bool
) -> None:
    expected = f"{category}.{extension}" if extension else category
    text = category + (("." if dotted else "") + extension if extension else "")
    assert rules.normalise_icd10(text.lower() if lower else text) == expected


@given(st.text(max_size=12))
def test_normalise_icd10_is_idempotent_and_canonical(text: str) -> None:
    once = rules.normalise_icd10(text)
    if once is not None:
        assert rules.normalise_icd10(once) == once
        assert CANONICAL_ICD10.match(once)
        assert (rules.icd10_error(text) is None) and rules.icd10_error(once) is None
    else:
        assert rules.icd10_error(text) is not None


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=10))
def test_normalise_icd10_accepts_only_ascii_code_characters(text: str) -> None:
    if rules.normalise_icd10(text) is not None:
        assert re.fullmatch(r"\s*[A-Za-z0-9.]+\s*", text)


# --- MRN ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mrn", ["A1", "RI-10001", "0", "a" * 32, "MRN-00001"])
def test_mrn_error_accepts_letters_digits_and_hyphens(mrn: str) -> None:
    assert rules.mrn_error(mrn) is None


@pytest.mark.parametrize("mrn", ["", "-A1", "A 1", "A_1", "a" * 33, "A1\n", "A1/2", "Ä1"])
def test_mrn_error_rejects_other_text(mrn: str) -> None:
    assert rules.mrn_error(mrn) == (
        "Use 1-32 letters, digits or hyphens, starting with a letter or digit."
    )


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "born", [TODAY, TODAY - dt.timedelta(days=1), dt.date(1980, 1, 2), dt.date(1900, 1, 1)]
)
def test_date_of_birth_error_accepts_plausible_dates(born: dt.date) -> None:
    assert rules.date_of_birth_error(born, today=TODAY) is None


def test_date_of_birth_error_rejects_the_future() -> None:
    assert rules.date_of_birth_error(TODAY + dt.timedelta(days=1), today=TODAY) == (
        "Date of birth cannot be in the future."
    )


@pytest.mark.parametrize("born", [dt.date(1895, 1, 1), dt.date(1700, 6, 15), dt.date(1, 1, 1)])
def test_date_of_birth_error_rejects_more_than_max_age(born: dt.date) -> None:
    assert rules.date_of_birth_error(born, today=TODAY) == (
        f"Date of birth is more than {rules.MAX_AGE_YEARS} years ago."
    )


def test_date_of_birth_error_allows_exactly_max_age() -> None:
    born = TODAY.replace(year=TODAY.year - rules.MAX_AGE_YEARS)
    assert rules.date_of_birth_error(born, today=TODAY) is None


def test_not_future_error_names_what_is_wrong() -> None:
    assert rules.not_future_error(TODAY, today=TODAY, what="Consent date") is None
    assert (
        rules.not_future_error(TODAY - dt.timedelta(days=400), today=TODAY, what="Consent date")
        is None
    )
    assert (
        rules.not_future_error(TODAY + dt.timedelta(days=1), today=TODAY, what="Consent date")
        == "Consent date cannot be in the future."
    )


# --- Range ----------------------------------------------------------------------------------


WEIGHT = Range(20, 350, "kg")


@pytest.mark.parametrize("value", [Decimal("20"), Decimal("20.0"), Decimal("72.5"), 350, 350.0])
def test_range_accepts_values_inside_including_the_limits(value: Decimal | float) -> None:
    assert WEIGHT.error(value, what="Weight") is None


@pytest.mark.parametrize("value", [Decimal("19.9"), Decimal("350.1"), 0, -1, 10_000])
def test_range_rejects_values_outside(value: Decimal | float) -> None:
    assert WEIGHT.error(value, what="Weight") == (
        f"Weight of {value} kg is outside the plausible range 20-350 kg."
    )


def test_range_rejects_nan() -> None:
    assert WEIGHT.error(Decimal("NaN"), what="Weight") is not None
    assert WEIGHT.error(float("nan"), what="Weight") is not None


def test_range_message_formats_fractional_limits_compactly() -> None:
    assert Range(0.5, 2.25, "m").error(3, what="Height") == (
        "Height of 3 m is outside the plausible range 0.5-2.25 m."
    )


_finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6)


@given(low=_finite, high=_finite, value=_finite)
def test_range_error_is_none_exactly_inside_low_high(low: float, high: float, value: float) -> None:
    assume(low <= high)
    inside = low <= value <= high
    assert (Range(low, high, "u").error(value, what="X") is None) == inside


@given(
    value=st.decimals(
        allow_nan=False,
        allow_infinity=False,
        places=1,
        min_value=Decimal("-1000"),
        max_value=Decimal("1000"),
    )
)
def test_range_error_on_decimals_matches_comparison(value: Decimal) -> None:
    assert (WEIGHT.error(value, what="Weight") is None) == (20 <= value <= 350)


# --- measurements and medications ----------------------------------------------------------

HEIGHT = Range(100, 250, "cm")


def _measurement(**overrides: object) -> dict[str, str]:
    arguments: dict[str, object] = {
        "weight_kg": Decimal("72.5"),
        "height_cm": Decimal("170.0"),
        "measured_on": TODAY,
        "today": TODAY,
        "weight_range": WEIGHT,
        "height_range": HEIGHT,
    }
    arguments.update(overrides)
    return rules.measurement_errors(**arguments)  # type: ignore[arg-type]


def test_measurement_errors_none_for_a_plausible_measurement() -> None:
    assert _measurement() == {}
    assert _measurement(height_cm=None) == {}  # height is optional


def test_measurement_errors_names_every_failing_field_at_once() -> None:
    assert _measurement(
        weight_kg=Decimal("500.0"),
        height_cm=Decimal("30.0"),
        measured_on=TODAY + dt.timedelta(days=1),
    ) == {
        "weight_kg": "Weight of 500.0 kg is outside the plausible range 20-350 kg.",
        "height_cm": "Height of 30.0 cm is outside the plausible range 100-250 cm.",
        "measured_on": "Measurement date cannot be in the future.",
    }


def test_measurement_errors_use_the_ranges_given() -> None:
    assert _measurement(weight_kg=Decimal("72.5"), weight_range=Range(80, 90, "kg")) == {
        "weight_kg": "Weight of 72.5 kg is outside the plausible range 80-90 kg."
    }


@pytest.mark.parametrize(
    ("start", "stop", "errors"),
    [
        (None, None, {}),
        (dt.date(2026, 1, 1), None, {}),
        (None, dt.date(2026, 1, 1), {}),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 1), {}),
        (dt.date(2026, 1, 1), dt.date(2026, 2, 1), {}),
        (
            dt.date(2026, 2, 1),
            dt.date(2026, 1, 31),
            {"stop_date": "Stop date is before the start date."},
        ),
    ],
)
def test_medication_errors_reject_a_stop_before_the_start(
    start: dt.date | None, stop: dt.date | None, errors: dict[str, str]
) -> None:
    assert rules.medication_errors(start_date=start, stop_date=stop) == errors


# --- age and BMI ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (dt.date(1980, 6, 15), dt.date(2026, 6, 15), 46),  # birthday today
        (dt.date(1980, 6, 16), dt.date(2026, 6, 15), 45),  # birthday tomorrow
        (dt.date(1980, 6, 14), dt.date(2026, 6, 15), 46),
        (dt.date(1980, 12, 31), dt.date(2026, 1, 1), 45),
        (dt.date(2000, 2, 29), dt.date(2026, 2, 28), 25),  # leap-day birthday, common year
        (dt.date(2000, 2, 29), dt.date(2026, 3, 1), 26),
        (dt.date(2000, 2, 29), dt.date(2028, 2, 29), 28),
        (dt.date(2026, 6, 15), dt.date(2026, 6, 15), 0),
    ],
)
def test_age_on_counts_completed_years(born: dt.date, day: dt.date, age: int) -> None:
    assert rules.age_on(born, day) == age


_dates = st.dates(min_value=dt.date(1850, 1, 1), max_value=dt.date(2150, 12, 31))


@given(born=_dates, first=_dates, second=_dates)
def test_age_on_is_monotone_in_the_day(born: dt.date, first: dt.date, second: dt.date) -> None:
    earlier, later = sorted([first, second])
    assume(born <= earlier)
    assert 0 <= rules.age_on(born, earlier) <= rules.age_on(born, later)


@given(born=_dates, years=st.integers(min_value=1, max_value=120))
def test_age_on_turns_over_exactly_on_the_birthday(born: dt.date, years: int) -> None:
    assume(not (born.month == 2 and born.day == 29))
    birthday = born.replace(year=born.year + years)
    assert rules.age_on(born, birthday) == years
    assert rules.age_on(born, birthday - dt.timedelta(days=1)) == years - 1


@pytest.mark.parametrize(
    ("weight", "height", "expected"),
    [
        ("72.5", "170.0", "25.1"),
        ("70", "175", "22.9"),
        ("100", "200", "25.0"),
        ("52", "152", "22.5"),
        ("118", "160", "46.1"),
    ],
)
def test_bmi_is_weight_over_height_squared_to_one_decimal(
    weight: str, height: str, expected: str
) -> None:
    result = rules.bmi(Decimal(weight), Decimal(height))
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -1


# --- chart flags ----------------------------------------------------------------------------


def _flags(**overrides: object) -> list[ChartFlag]:
    arguments: dict[str, object] = {
        "archived": False,
        "has_allergy_review": True,
        "latest_weight_on": TODAY,
        "today": TODAY,
        "weight_stale_days": 30,
        "treatment_consent": True,
    }
    arguments.update(overrides)
    return rules.chart_flags(**arguments)  # type: ignore[arg-type]


def test_chart_flags_none_for_an_up_to_date_chart() -> None:
    assert _flags() == []


def test_chart_flag_archived() -> None:
    assert _flags(archived=True) == [ChartFlag("archived", "Archived: read-only record", "info")]


def test_chart_flag_allergies_unknown() -> None:
    assert _flags(has_allergy_review=False) == [
        ChartFlag("allergies_unknown", "Allergies not yet recorded", "warning")
    ]


def test_chart_flag_no_weight() -> None:
    assert _flags(latest_weight_on=None) == [
        ChartFlag("no_weight", "No weight on record", "warning")
    ]


def test_chart_flag_weight_stale_names_the_age_and_limit() -> None:
    assert _flags(latest_weight_on=TODAY - dt.timedelta(days=45)) == [
        ChartFlag("weight_stale", "Last weight is 45 days old (limit 30)", "warning")
    ]


def test_chart_flag_weight_exactly_at_the_limit_is_not_stale() -> None:
    assert _flags(latest_weight_on=TODAY - dt.timedelta(days=30)) == []
    assert [f.code for f in _flags(latest_weight_on=TODAY - dt.timedelta(days=31))] == [
        "weight_stale"
    ]


def test_chart_flag_weight_limit_comes_from_the_argument() -> None:
    old = TODAY - dt.timedelta(days=10)
    assert _flags(latest_weight_on=old, weight_stale_days=14) == []
    assert _flags(latest_weight_on=old, weight_stale_days=7) == [
        ChartFlag("weight_stale", "Last weight is 10 days old (limit 7)", "warning")
    ]


def test_chart_flag_no_treatment_consent() -> None:
    assert _flags(treatment_consent=False) == [
        ChartFlag("no_treatment_consent", "No current treatment consent", "warning")
    ]


def test_chart_flags_all_at_once_in_a_stable_order() -> None:
    flags = _flags(
        archived=True, has_allergy_review=False, latest_weight_on=None, treatment_consent=False
    )
    assert [f.code for f in flags] == [
        "archived",
        "allergies_unknown",
        "no_weight",
        "no_treatment_consent",
    ]
    assert all(f.level in {"danger", "warning", "info"} for f in flags)
    assert all(f.text for f in flags)


# --- issue 12, finding 10: names of spaces, weights dated before birth -----------------


@given(st.text(max_size=8))
def test_a_name_is_blank_exactly_when_it_is_only_whitespace(name: str) -> None:
    assert (rules.blank_error(name, what="First name") is None) == bool(name.strip())


@given(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(2026, 12, 31)))
def test_a_measurement_is_dated_between_birth_and_today(day: dt.date) -> None:
    born, today = dt.date(1980, 5, 1), dt.date(2026, 12, 3)
    errors = rules.measurement_errors(
        weight_kg=Decimal("70"), height_cm=None, measured_on=day, today=today,
        weight_range=Range(20, 300, "kg"), height_range=Range(100, 250, "cm"), born=born,
    )  # fmt: skip
    assert ("measured_on" in errors) == (not born <= day <= today)
