"""Every setting has a cited source; bad settings are refused; weekly trajectories."""

from __future__ import annotations

import pytest

from ketacare.outcomes import (
    ALTERNATIVES,
    MAINTENANCE_SOURCES,
    RULE_SOURCES,
    MaintenanceRules,
    OutcomeRules,
    course_series,
    maintenance_problems,
    rule_problems,
    setting_keys,
    week_of_treatment,
    weekly_summary,
)

from .builders import build, score


def test_every_outcome_setting_has_a_source() -> None:
    assert set(setting_keys(OutcomeRules())) == set(RULE_SOURCES)


def test_every_maintenance_setting_has_a_source() -> None:
    assert set(setting_keys(MaintenanceRules())) == set(MAINTENANCE_SOURCES)


def test_alternatives_are_settings_and_the_unverified_ones_say_so() -> None:
    assert set(ALTERNATIVES) <= set(RULE_SOURCES) | set(MAINTENANCE_SOURCES)
    assert "[NF]" in RULE_SOURCES["remission_at_or_below.madrs"]
    assert "[U]" in RULE_SOURCES["relapse_madrs_at_or_above"]


def test_clinical_choices_are_labelled() -> None:
    for key in ("baseline_window_days", "futility_min_improvement_percent", "relapse_rule"):
        assert "Clinical choice" in RULE_SOURCES[key]
    assert "Andrade 2017" in MAINTENANCE_SOURCES["lead_days"]


def test_the_defaults_are_valid() -> None:
    assert rule_problems(OutcomeRules()) == {}
    assert maintenance_problems(MaintenanceRules()) == {}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"response_reduction_percent": 0}, "response_reduction_percent"),
        ({"response_reduction_percent": 120}, "response_reduction_percent"),
        ({"sustained_consecutive": 0}, "sustained_consecutive"),
        ({"relapse_min_span_days": -1}, "relapse_min_span_days"),
        ({"relapse_back_to_baseline_percent": 0}, "relapse_back_to_baseline_percent"),
        ({"relapse_back_to_baseline_percent": 50}, "relapse_back_to_baseline_percent"),
        ({"relapse_back_to_baseline_percent": 201}, "relapse_back_to_baseline_percent"),
        ({"remission_at_or_below": {"madrs": -1}}, "remission_at_or_below.madrs"),
        ({"rapid_24h_tolerance_hours": -1.0}, "rapid_24h_tolerance_hours"),
    ],
)
def test_bad_outcome_settings_are_named(changes: dict, field: str) -> None:
    assert field in rule_problems(OutcomeRules(**changes))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lead_days": -1}, "lead_days"),
        ({"taper_step_days": 0}, "taper_step_days"),
        ({"warning_band_steps": 0}, "warning_band_steps"),
        ({"warning_rise_points": {"phq9": 0}}, "warning_rise_points.phq9"),
        ({"taper_max_interval_days": 0}, "taper_max_interval_days"),
    ],
)
def test_bad_maintenance_settings_are_named(changes: dict, field: str) -> None:
    assert field in maintenance_problems(MaintenanceRules(**changes))


def test_weeks_of_treatment() -> None:
    assert [week_of_treatment(d) for d in (-3, 0, 0.1, 7, 7.01, 14)] == [0, 0, 1, 1, 2, 2]


def test_weekly_median_and_quartiles() -> None:
    series = [
        [(0, 30), (3, 20), (6, 18), (10, 14)],  # week 1 counts its last score, 18
        [(0, 34), (5, 24), (12, 20)],
        [(0, 28), (6, 12)],
        [(0, 40)],
    ]
    weeks = weekly_summary(series)
    assert [(w.week, w.patients) for w in weeks] == [(0, 4), (1, 3), (2, 2)]
    week0, week1, week2 = weeks
    assert (week0.median, week0.q1, week0.q3) == (32, 29.5, 35.5)
    assert (week1.median, week1.q1, week1.q3) == (18, 15, 21)
    assert (week2.median, week2.q1, week2.q3) == (17, 15.5, 18.5)


def test_a_single_course_has_a_flat_band() -> None:
    (week,) = weekly_summary([[(2, 10)]])
    assert (week.median, week.q1, week.q3, week.patients) == (10, 10, 10, 1)


def test_course_series_raw_and_relative() -> None:
    course = build([0], [score(-2, 30), score(-1, 28), score(1, 14), score(8, 21)])
    rules = OutcomeRules()
    raw = course_series(course, "madrs", rules)
    assert [value for _, value in raw] == [28, 14, 21]
    assert raw[0][0] == 0  # the baseline sits at day 0
    relative = course_series(course, "madrs", rules, relative=True)
    assert [round(v) for _, v in relative] == [0, 50, 25]
    assert course_series(build([0], [score(1, 14)]), "madrs", rules) == []
