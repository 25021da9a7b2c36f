"""Wrong input is refused with a ScoringError naming the item (message and `.item`)."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.measures import ScoringError, score

from .builders import setting, zeros

N = None
T = True
F = False


def refused(code: str, answers: Any, config: Any = None) -> ScoringError:
    with pytest.raises(ScoringError) as caught:
        score(code, answers, config=config)
    return caught.value


# --- count -----------------------------------------------------------------------------------


def test_too_few_answers_names_the_first_missing_item() -> None:
    error = refused("phq9", [0] * 8)
    assert str(error) == (
        "phq9: got 8 answers, expected 10 (items 1-10); phq9 item 9 has no answer"
    )
    assert error.item == 9


def test_phq9_accepts_nine_answers_item_10_is_optional_and_unscored() -> None:
    """Issue #12 finding 13: PHQ-9 refused 9 answers although item 10 (difficulty) is not
    scored and is often left blank (instruments.md 2.1)."""
    nine = score("phq9", [1] * 9)
    ten = score("phq9", [1] * 9 + [None])
    answered = score("phq9", [1] * 9 + [3])
    assert nine.total == ten.total == answered.total == 9
    assert nine.severity == "mild"
    assert "Item 10 (difficulty) not answered: not part of the total" in nine.reasons


def test_too_many_answers() -> None:
    error = refused("gad7", [0] * 8)
    assert str(error) == "gad7: got 8 answers, expected 7 (items 1-7)"
    assert error.item is None


def test_no_answers() -> None:
    error = refused("cadss6", [])
    assert error.item == 1 and "got 0 answers, expected 6" in str(error)


@pytest.mark.parametrize("answers", ["0000000", b"\x00" * 7, {1: 0}, 7, None])
def test_answers_must_be_a_sequence_of_values(answers: Any) -> None:
    error = refused("gad7", answers)
    assert "answers must be a sequence of item values in item order" in str(error)
    assert error.item is None


# --- range -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "number", "value", "message"),
    [
        ("phq9", 9, 4, "phq9 item 9: 4 is outside 0-3"),
        ("phq9", 1, -1, "phq9 item 1: -1 is outside 0-3"),
        ("phq9", 10, 4, "phq9 item 10: 4 is outside 0-3"),
        ("gad7", 7, 4, "gad7 item 7: 4 is outside 0-3"),
        ("qids_sr16", 16, 4, "qids_sr16 item 16: 4 is outside 0-3"),
        ("madrs", 10, 7, "madrs item 10: 7 is outside 0-6"),
        ("hamd17", 1, 5, "hamd17 item 1: 5 is outside 0-4"),
        ("hamd17", 4, 3, "hamd17 item 4: 3 is outside 0-2"),
        ("hamd17", 17, 3, "hamd17 item 17: 3 is outside 0-2"),
        ("cadss", 23, 5, "cadss item 23: 5 is outside 0-4"),
        ("cadss6", 6, 5, "cadss6 item 6: 5 is outside 0-4"),
        ("pcl5", 20, 5, "pcl5 item 20: 5 is outside 0-4"),
    ],
)
def test_value_out_of_range(code: str, number: int, value: int, message: str) -> None:
    error = refused(code, setting(code, {number: value}))
    assert str(error) == message
    assert error.item == number


def test_the_top_of_each_hamd17_range_is_accepted() -> None:
    assert score("hamd17", setting("hamd17", {1: 4, 4: 2})).total == 6


# --- type ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [(True, "True (bool)"), (False, "False (bool)"), (1.0, "1.0 (float)"), ("2", "'2' (str)")],
)
def test_int_items_refuse_other_types(value: Any, shown: str) -> None:
    error = refused("phq9", setting("phq9", {3: value}))
    assert str(error) == f"phq9 item 3: expected an integer 0-3, got {shown}"
    assert error.item == 3


@pytest.mark.parametrize(
    ("value", "shown"), [(1, "1 (int)"), (0, "0 (int)"), ("yes", "'yes' (str)")]
)
def test_boolean_items_refuse_other_types(value: Any, shown: str) -> None:
    error = refused("cssrs_screen", [value, F, N, N, N, F, N])
    assert str(error) == f"cssrs_screen item 1: expected True or False, got {shown}"
    assert error.item == 1


def test_cssrs_items_asked_by_skip_logic_must_be_booleans() -> None:
    error = refused("cssrs_screen", [F, T, 1, F, F, F, N])
    assert error.item == 3 and "expected True or False" in str(error)


# --- missing (no prorating) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "number"), [("phq9", 9), ("phq9", 1), ("qids_sr16", 12), ("pcl5", 14)]
)
def test_a_missing_answer_is_refused(code: str, number: int) -> None:
    error = refused(code, setting(code, {number: None}))
    assert str(error) == f"{code} item {number}: answer missing; no prorating"
    assert error.item == number


def test_phq9_item10_may_be_missing() -> None:
    assert score("phq9", [0] * 9 + [None]).total == 0


# --- skip logic (C-SSRS) ---------------------------------------------------------------------


@pytest.mark.parametrize("number", [3, 4, 5])
@pytest.mark.parametrize("value", [True, False])
def test_cssrs_q3_to_q5_must_be_none_when_q2_is_no(number: int, value: bool) -> None:
    answers: list[bool | None] = [F, F, N, N, N, F, N]
    answers[number - 1] = value
    error = refused("cssrs_screen", answers)
    assert str(error) == (
        f"cssrs_screen item {number}: not asked (asked only when item 2 is True; it is False), "
        f"so its answer must be None; got {value!r}"
    )
    assert error.item == number


@pytest.mark.parametrize("number", [3, 4, 5])
def test_cssrs_q3_to_q5_must_be_answered_when_q2_is_yes(number: int) -> None:
    answers: list[bool | None] = [F, T, F, F, F, F, N]
    answers[number - 1] = None
    error = refused("cssrs_screen", answers)
    assert str(error) == (
        f"cssrs_screen item {number}: answer missing (asked because item 2 is True); no prorating"
    )
    assert error.item == number


def test_cssrs_q6b_must_be_none_when_q6_is_no() -> None:
    error = refused("cssrs_screen", [F, F, N, N, N, F, F])
    assert str(error) == (
        "cssrs_screen item 7 (cssrs_6b): not asked (asked only when item 6 is True; it is "
        "False), so its answer must be None; got False"
    )
    assert error.item == 7


def test_cssrs_q6b_must_be_answered_when_q6_is_yes() -> None:
    error = refused("cssrs_screen", [F, F, N, N, N, T, N])
    assert "cssrs_screen item 7 (cssrs_6b): answer missing (asked because item 6 is True)" in str(
        error
    )
    assert error.item == 7


@pytest.mark.parametrize("number", [1, 2, 6])
def test_cssrs_always_asked_items_must_be_answered(number: int) -> None:
    answers: list[bool | None] = [F, F, N, N, N, F, N]
    answers[number - 1] = None
    error = refused("cssrs_screen", answers)
    assert str(error) == f"cssrs_screen item {number}: answer missing; no prorating"
    assert error.item == number


def test_cssrs_q2_answered_wrongly_is_reported_before_its_dependants() -> None:
    error = refused("cssrs_screen", [F, None, T, T, T, F, N])
    assert error.item == 2


# --- instrument code and config --------------------------------------------------------------


def test_unknown_instrument() -> None:
    error = refused("phq-9", [0] * 9)
    assert str(error).startswith("unknown instrument 'phq-9'; known: phq9, gad7")
    assert error.item is None


def test_unknown_config_key_is_named() -> None:
    error = refused("phq9", zeros("phq9"), {"item9_threshold": 2})
    assert str(error) == (
        "phq9: unknown config key 'item9_threshold'; configurable keys: suicidal_ideation_threshold"
    )
    assert error.item is None


def test_unknown_config_key_for_an_instrument_without_settings() -> None:
    error = refused("gad7", zeros("gad7"), {"bands": "snaith"})
    assert str(error) == "gad7: unknown config key 'bands'; configurable keys: none"


def test_another_instruments_config_key_is_unknown() -> None:
    error = refused("madrs", zeros("madrs"), {"probable_ptsd_cutoff": 31})
    assert "unknown config key 'probable_ptsd_cutoff'" in str(error)


def test_a_published_rule_cannot_be_overridden() -> None:
    error = refused("pcl5", zeros("pcl5"), {"endorsed_at": 1})
    assert "config key 'endorsed_at' is a published rule" in str(error)
    assert "not configurable" in str(error)


@pytest.mark.parametrize(
    ("code", "config", "message"),
    [
        ("phq9", {"suicidal_ideation_threshold": 0}, "must be an integer 1-3; got 0"),
        ("phq9", {"suicidal_ideation_threshold": 4}, "must be an integer 1-3; got 4"),
        ("phq9", {"suicidal_ideation_threshold": True}, "must be an integer 1-3; got True"),
        ("phq9", {"suicidal_ideation_threshold": "1"}, "must be an integer 1-3; got '1'"),
        ("madrs", {"suicidal_ideation_threshold": 7}, "must be an integer 1-6; got 7"),
        ("cadss", {"dissociation_threshold": -1}, "must be an integer 0-91; got -1"),
        ("pcl5", {"probable_ptsd_cutoff": 81}, "must be an integer 1-80; got 81"),
        ("madrs", {"bands": "mueller"}, "must be one of snaith, cutpoints_12_24_35; got 'mueller'"),
    ],
)
def test_config_values_are_checked(code: str, config: dict[str, Any], message: str) -> None:
    error = refused(code, zeros(code), config)
    assert message in str(error)
    assert str(error).startswith(f"{code}: config {next(iter(config))} ")


def test_config_must_be_a_mapping() -> None:
    error = refused("phq9", zeros("phq9"), [("suicidal_ideation_threshold", 1)])
    assert str(error) == "phq9: config must be a mapping, got list"


def test_empty_config_means_defaults() -> None:
    assert score("phq9", zeros("phq9"), config={}).config == {"suicidal_ideation_threshold": 1}
