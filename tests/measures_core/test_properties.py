"""Hypothesis properties of the scoring core."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.measures import INSTRUMENTS, ScoreResult, ScoringError, get_instrument, score
from ketacare.measures.instruments import Instrument

from .builders import setting, with_total

TOTALLED = [code for code, i in INSTRUMENTS.items() if i.total_range is not None]


def _band_set_keys(instrument: Instrument) -> list[str | None]:
    return [b.key for b in instrument.band_sets] or [None]


BANDED = [
    (code, band_set)
    for code, instrument in INSTRUMENTS.items()
    if instrument.bands
    for band_set in _band_set_keys(instrument)
]


def answers_for(instrument: Instrument) -> st.SearchStrategy[list[Any]]:
    """Valid answers: each item within its range (optional unscored items may be None)."""
    parts = []
    for item in instrument.items:
        values = st.integers(item.low, item.high)
        parts.append(values if item.required else st.none() | values)
    return st.tuples(*parts).map(list)


def valid_answers() -> st.SearchStrategy[tuple[str, list[Any]]]:
    return st.sampled_from(TOTALLED).flatmap(
        lambda code: answers_for(get_instrument(code)).map(lambda a: (code, a))
    )


@given(valid_answers())
def test_totals_lie_in_the_total_range(case: tuple[str, list[Any]]) -> None:
    code, answers = case
    instrument = get_instrument(code)
    result = score(code, answers)
    assert instrument.total_range is not None and result.total is not None
    low, high = instrument.total_range
    assert low <= result.total <= high


@pytest.mark.parametrize("code", TOTALLED)
def test_the_ends_of_the_total_range_are_reached(code: str) -> None:
    instrument = get_instrument(code)
    lowest = [item.low if item.required else None for item in instrument.items]
    highest = [item.high for item in instrument.items]
    assert (score(code, lowest).total, score(code, highest).total) == instrument.total_range


@given(valid_answers(), st.data())
def test_total_is_non_decreasing_in_each_item(case: tuple[str, list[Any]], data: Any) -> None:
    code, answers = case
    instrument = get_instrument(code)
    item = data.draw(st.sampled_from(instrument.items))
    current = answers[item.number - 1]
    if current is None:
        current = item.low
    raised = list(answers)
    raised[item.number - 1] = data.draw(st.integers(current, item.high))
    before, after = score(code, answers).total, score(code, raised).total
    assert before is not None and after is not None
    assert after >= before
    if item.scored and instrument.total_rule == "items":
        assert after - before == raised[item.number - 1] - current


QIDS_DOMAINS = [(1, 2, 3, 4), (5,), (6, 7, 8, 9), (10,), (11,), (12,), (13,), (14,), (15, 16)]


@given(answers_for(get_instrument("qids_sr16")))
def test_qids_total_is_the_sum_of_domain_maxima(answers: list[int]) -> None:
    expected = sum(max(answers[n - 1] for n in domain) for domain in QIDS_DOMAINS)
    result = score("qids_sr16", answers)
    assert result.total == expected == sum(result.subscores.values())
    assert len(result.subscores) == 9


@given(answers_for(get_instrument("pcl5")))
def test_pcl5_subscores_add_up_and_the_cluster_rule_holds(answers: list[int]) -> None:
    result = score("pcl5", answers)
    assert sum(result.subscores.values()) == result.total
    endorsed = [a >= 2 for a in answers]
    expected = (
        sum(endorsed[0:5]) >= 1
        and sum(endorsed[5:7]) >= 1
        and sum(endorsed[7:14]) >= 2
        and sum(endorsed[14:20]) >= 2
    )
    assert result.provisional_diagnosis is expected


@pytest.mark.parametrize(("code", "band_set"), BANDED)
def test_bands_partition_the_total_range(code: str, band_set: str | None) -> None:
    instrument = get_instrument(code)
    bands = instrument.band_set(band_set).bands if band_set else instrument.bands
    assert instrument.total_range is not None
    low, high = instrument.total_range
    for total in range(low, high + 1):
        assert sum(1 for b in bands if b.low <= total <= b.high) == 1, (code, total)
    assert all(b.low <= total for b in bands for total in [b.high])  # no empty band
    assert [b.low for b in bands] == sorted(b.low for b in bands)


@given(st.sampled_from(BANDED).flatmap(lambda cb: st.tuples(st.just(cb), st.integers(0, 100))))
def test_the_reported_band_contains_the_total(case: tuple[tuple[str, str | None], int]) -> None:
    (code, band_set), total = case
    instrument = get_instrument(code)
    assert instrument.total_range is not None
    total = min(total, instrument.total_range[1])
    config = {"bands": band_set} if band_set else None
    result = score(code, with_total(code, total), config=config)
    bands = instrument.band_set(band_set).bands if band_set else instrument.bands
    (band,) = [b for b in bands if b.key == result.severity]
    assert band.low <= total <= band.high and band.label == result.severity_label


# --- thresholds: an override moves the flag exactly to the threshold ------------------------

ITEM_THRESHOLDS = [("phq9", 9), ("qids_sr16", 12), ("madrs", 10), ("hamd17", 3)]


@pytest.mark.parametrize(("code", "number"), ITEM_THRESHOLDS)
@given(data=st.data())
def test_item_threshold_override_moves_the_flag(code: str, number: int, data: Any) -> None:
    instrument = get_instrument(code)
    spec = instrument.setting("suicidal_ideation_threshold")
    assert spec.minimum is not None and spec.maximum is not None
    threshold = data.draw(st.integers(spec.minimum, spec.maximum))
    base = data.draw(answers_for(instrument))
    config = {"suicidal_ideation_threshold": threshold}
    below = score(code, setting(code, {number: threshold - 1}, base), config=config)
    at = score(code, setting(code, {number: threshold}, base), config=config)
    assert "suicidal_ideation" not in below.flags and below.findings == ()
    assert "suicidal_ideation" in at.flags
    assert [f.item for f in at.findings] == [number]


@given(threshold=st.integers(0, 91), data=st.data())
def test_cadss_threshold_override_moves_the_flag(threshold: int, data: Any) -> None:
    config = {"dissociation_threshold": threshold}
    assert "dissociation" not in score("cadss", with_total("cadss", threshold), config=config).flags
    assert "dissociation" in score("cadss", with_total("cadss", threshold + 1), config=config).flags


@given(cutoff=st.integers(1, 80))
def test_pcl5_cutoff_override_moves_the_flag(cutoff: int) -> None:
    config = {"probable_ptsd_cutoff": cutoff}
    assert "probable_ptsd" not in score("pcl5", with_total("pcl5", cutoff - 1), config=config).flags
    assert "probable_ptsd" in score("pcl5", with_total("pcl5", cutoff), config=config).flags


@pytest.mark.parametrize("code", ["qids_sr16", "hamd17"])
@given(data=st.data())
def test_high_threshold_override_moves_the_finding_severity(code: str, data: Any) -> None:
    number = dict(ITEM_THRESHOLDS)[code]
    high = get_instrument(code).setting("suicidal_ideation_high_threshold")
    assert high.minimum is not None and high.maximum is not None
    threshold = data.draw(st.integers(high.minimum + 1, high.maximum))
    config = {"suicidal_ideation_threshold": 1, "suicidal_ideation_high_threshold": threshold}
    below = score(code, setting(code, {number: threshold - 1}), config=config)
    at = score(code, setting(code, {number: threshold}), config=config)
    assert [f.severity for f in below.findings] == ["moderate"]
    assert [f.severity for f in at.findings] == ["high"]


# --- C-SSRS: every valid answer pattern ------------------------------------------------------


def cssrs_patterns() -> list[list[bool | None]]:
    patterns: list[list[bool | None]] = []
    for q1, q2, q6 in itertools.product([True, False], repeat=3):
        middles: list[tuple[bool | None, ...]] = (
            list(itertools.product([True, False], repeat=3)) if q2 else [(None, None, None)]
        )
        for middle in middles:
            q6b_values: list[bool | None] = [True, False] if q6 else [None]
            for q6b in q6b_values:
                patterns.append([q1, q2, *middle, q6, q6b])
    return patterns


def expected_risk(answers: list[bool | None]) -> str:
    q1, q2, q3, q4, q5, q6, q6b = answers
    if q4 or q5 or (q6 and q6b):
        return "high"
    if q3 or (q6 and not q6b):
        return "moderate"
    if q1 or q2:
        return "low"
    return "none"


def test_cssrs_every_valid_pattern() -> None:
    patterns = cssrs_patterns()
    assert len(patterns) == 54
    seen = set()
    for answers in patterns:
        result = score("cssrs_screen", answers)
        risk = expected_risk(answers)
        seen.add(risk)
        assert result.risk == risk, answers
        if risk in ("moderate", "high"):
            assert result.flags == (f"suicide_risk_{risk}",)
            assert [f.severity for f in result.findings] == [risk]
        else:
            assert result.flags == () and result.findings == ()
    assert seen == {"none", "low", "moderate", "high"}


# --- any input: a result or a ScoringError, nothing else -------------------------------------

ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 9), st.floats(allow_nan=False), st.text(max_size=2)
)


@given(st.sampled_from(sorted(INSTRUMENTS)), st.lists(ANY_VALUE, max_size=25), st.data())
def test_arbitrary_input_gives_a_result_or_a_scoring_error(
    code: str, answers: list[Any], data: Any
) -> None:
    if data.draw(st.booleans()):  # often the right length, so deeper checks run too
        answers = (answers + [0] * 25)[: len(get_instrument(code).items)]
    try:
        result = score(code, answers)
    except ScoringError as error:
        assert str(error)
        count = len(get_instrument(code).items)
        assert error.item is None or 1 <= error.item <= count
        if error.item is not None:
            assert f"item {error.item}" in str(error)
    else:
        assert isinstance(result, ScoreResult)
        for finding in result.findings:
            assert finding.flag in result.flags and len(finding.reason) <= 300


@given(st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_phq9_item_10_left_off_scores_as_left_blank(nine: list[int]) -> None:
    """Issue #12 finding 13: PHQ-9 item 10 is optional and unscored, so 9 answers score
    exactly as 9 answers and a blank item 10, and any item 10 answer changes no total."""
    left_off = score("phq9", nine)
    assert left_off == score("phq9", [*nine, None])
    for difficulty in range(4):
        answered = score("phq9", [*nine, difficulty])
        assert (answered.total, answered.severity, answered.flags) == (
            left_off.total,
            left_off.severity,
            left_off.flags,
        )
