from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ketacare.treatment.monitoring import (
    ESKETAMINE_SCHEDULE,
    IV_SCHEDULE,
    THRESHOLD_SOURCES,
    Reading,
    Severity,
    Thresholds,
    acknowledgement_actions,
    alert_for,
    due_times,
    evaluate,
    match_readings,
)

T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
LIMITS = Thresholds()
MIN = dt.timedelta(minutes=1)


def reading(**values: int) -> Reading:
    return Reading(taken_at=T0, **values)


def test_185_over_112_is_an_urgent_blood_pressure_alert() -> None:
    (finding,) = evaluate(reading(systolic=185, diastolic=112), baseline=None, limits=LIMITS)
    assert finding.rule == "blood_pressure_high"
    assert finding.severity is Severity.URGENT
    assert finding.message == "Blood pressure 185/112 (≥ 180/110)"
    assert "hypertensive-urgency" in finding.source


def test_diastolic_alone_raises_the_alert() -> None:
    (finding,) = evaluate(reading(systolic=150, diastolic=110), baseline=None, limits=LIMITS)
    assert finding.rule == "blood_pressure_high"


def test_low_oxygen_and_heart_rate_limits() -> None:
    rules = {
        f.rule for f in evaluate(reading(spo2=91, heart_rate=131), baseline=None, limits=LIMITS)
    }
    assert rules == {"spo2_low", "heart_rate_high"}
    assert [f.rule for f in evaluate(reading(heart_rate=49), baseline=None, limits=LIMITS)] == [
        "heart_rate_low"
    ]
    assert evaluate(reading(spo2=92, heart_rate=130), baseline=None, limits=LIMITS) == []


def test_a_rise_from_baseline_is_a_warning() -> None:
    base = reading(systolic=120, diastolic=80)
    (finding,) = evaluate(reading(systolic=161, diastolic=85), baseline=base, limits=LIMITS)
    assert finding.rule == "systolic_rise"
    assert finding.severity is Severity.WARNING
    assert "41 mmHg above baseline 120" in finding.message


def test_deep_sedation_alerts() -> None:
    (finding,) = evaluate(reading(moaas=2), baseline=None, limits=LIMITS)
    assert finding.rule == "sedation"
    assert evaluate(reading(moaas=3), baseline=None, limits=LIMITS) == []


def test_a_clinic_can_lower_a_threshold() -> None:
    stricter = Thresholds(systolic_urgent=170)
    assert evaluate(reading(systolic=172), baseline=None, limits=stricter)


def test_every_threshold_has_a_stated_source() -> None:
    assert set(THRESHOLD_SOURCES) == set(Thresholds.__dataclass_fields__)


@given(st.integers(60, 260), st.integers(30, 160), st.integers(60, 260))
def test_a_higher_systolic_never_clears_an_alert(sys_a: int, dia: int, sys_b: int) -> None:
    low, high = sorted((sys_a, sys_b))
    alerts_low = evaluate(reading(systolic=low, diastolic=dia), baseline=None, limits=LIMITS)
    alerts_high = evaluate(reading(systolic=high, diastolic=dia), baseline=None, limits=LIMITS)
    assert len(alerts_high) >= len(alerts_low)


@given(st.integers(0, 100))
def test_a_missing_value_never_raises_an_alert(value: int) -> None:
    assert evaluate(Reading(taken_at=T0), baseline=reading(systolic=value), limits=LIMITS) == []


def test_iv_readings_fall_due_every_10_minutes_during_and_every_15_after() -> None:
    end = T0 + 40 * MIN
    times = due_times(IV_SCHEDULE, dosing_started=T0, dosing_ended=end, now=end)
    minutes = [int((t - T0) / MIN) for t in times]
    assert minutes == [10, 20, 30, 40, 55, 70, 85, 100]


def test_while_the_infusion_runs_the_list_ends_at_the_next_due_reading() -> None:
    times = due_times(IV_SCHEDULE, dosing_started=T0, dosing_ended=None, now=T0 + 23 * MIN)
    assert [int((t - T0) / MIN) for t in times] == [10, 20, 30]


def test_esketamine_reading_falls_due_at_40_minutes() -> None:
    times = due_times(ESKETAMINE_SCHEDULE, dosing_started=T0, dosing_ended=T0, now=T0)
    assert times == [T0 + 40 * MIN]


def test_overdue_readings_are_the_unmatched_past_ones() -> None:
    due = [T0 + 10 * MIN, T0 + 20 * MIN, T0 + 30 * MIN]
    matched = match_readings(due, [T0 + 12 * MIN], tolerance=5 * MIN)
    now = T0 + 27 * MIN
    assert [d.overdue(now, 5 * MIN) for d in matched] == [False, True, False]


# --- one alert per reading, respiratory rate, acknowledgement (issue 12, finding 11) -----


def test_one_reading_breaking_three_limits_raises_one_alert_listing_them() -> None:
    base = reading(systolic=128, diastolic=82)
    alert = alert_for(reading(systolic=185, diastolic=112), baseline=base, limits=LIMITS)
    assert alert is not None
    assert (alert.rule, alert.severity) == ("blood_pressure_high", Severity.URGENT)
    assert [f.rule for f in alert.findings] == [
        "blood_pressure_high",
        "systolic_rise",
        "diastolic_rise",
    ]
    assert alert.message.count(";") == 2


def test_a_reading_within_limits_raises_no_alert() -> None:
    assert alert_for(reading(systolic=120, diastolic=80), baseline=None, limits=LIMITS) is None


def test_a_slow_respiratory_rate_is_urgent_and_a_fast_one_a_warning() -> None:
    (slow,) = evaluate(reading(respiratory_rate=8), baseline=None, limits=LIMITS)
    assert (slow.rule, slow.severity) == ("respiratory_rate_low", Severity.URGENT)
    assert slow.message == "Respiratory rate 8/min (< 9)"
    (fast,) = evaluate(reading(respiratory_rate=25), baseline=None, limits=LIMITS)
    assert (fast.rule, fast.severity) == ("respiratory_rate_high", Severity.WARNING)
    assert not evaluate(reading(respiratory_rate=9), baseline=None, limits=LIMITS)
    assert not evaluate(reading(respiratory_rate=24), baseline=None, limits=LIMITS)


@given(
    st.integers(40, 300), st.integers(20, 200), st.integers(50, 100), st.integers(2, 60),
    st.integers(20, 250),
)  # fmt: skip
def test_the_alert_lists_every_finding_urgent_first(
    sys_: int, dia: int, spo2: int, rr: int, hr: int
) -> None:
    r = reading(systolic=sys_, diastolic=dia, spo2=spo2, respiratory_rate=rr, heart_rate=hr)
    findings = evaluate(r, baseline=None, limits=LIMITS)
    alert = alert_for(r, baseline=None, limits=LIMITS)
    assert (alert is None) == (not findings)
    if alert is not None:
        assert sorted(f.rule for f in alert.findings) == sorted(f.rule for f in findings)
        severities = [f.severity for f in alert.findings]
        assert severities == sorted(severities, key=lambda s: s is not Severity.URGENT)
        assert alert.severity is max(severities, key=lambda s: s is Severity.URGENT)


def test_pausing_the_infusion_is_offered_only_while_an_infusion_runs() -> None:
    assert acknowledgement_actions("iv", dosing=True)[0] == "pause_infusion"
    for route in ("intranasal", "im", "oral", "sublingual"):
        assert "pause_infusion" not in acknowledgement_actions(route, dosing=True)
    assert acknowledgement_actions("intranasal", dosing=True)[0] == "hold_device"
    assert acknowledgement_actions("im", dosing=True)[0] == "call_prescriber"
    assert acknowledgement_actions("iv", dosing=False)[0] == "call_prescriber"
