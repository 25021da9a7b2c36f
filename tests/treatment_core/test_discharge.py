from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given
from hypothesis import strategies as st

from ketacare.dosing.protocols import SHIPPED
from ketacare.treatment.discharge import (
    DEFAULT_BP_GATES,
    ESKETAMINE_MIN_OBSERVATION,
    DischargeBloodPressure,
    DischargeChecklist,
    Holds,
    Observation,
    discharge_blockers,
    next_device,
    observation_wait,
    sign_blockers,
)
from ketacare.treatment.monitoring import recheck_times
from ketacare.treatment.rules import SessionRules, observation

T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
ALL_TICKED = DischargeChecklist(*([True] * 6))
ESKETAMINE = Observation(ESKETAMINE_MIN_OBSERVATION, T0, "the first device")
NONE = Observation(dt.timedelta(0), T0, "the end of dosing")


def test_the_second_device_is_refused_before_5_minutes_with_the_time_left() -> None:
    wait = next_device([T0], T0 + dt.timedelta(minutes=3, seconds=20))
    assert not wait.allowed
    assert wait.remaining == dt.timedelta(minutes=1, seconds=40)
    assert wait.reason.startswith("the next device may be given in 1 min 40 s")


def test_the_second_device_is_allowed_at_5_minutes() -> None:
    assert next_device([T0], T0 + dt.timedelta(minutes=5)).allowed


@given(st.lists(st.integers(0, 3600), min_size=1, max_size=3), st.integers(0, 7200))
def test_a_device_is_allowed_exactly_when_5_minutes_passed_since_the_last(
    offsets: list[int], now_s: int
) -> None:
    # Devices are recorded as given, so none lies after now.
    times = [T0 + dt.timedelta(seconds=min(s, now_s)) for s in offsets]
    now = T0 + dt.timedelta(seconds=now_s)
    wait = next_device(times, now)
    assert wait.allowed == (now - max(times) >= dt.timedelta(minutes=5))
    assert wait.remaining <= dt.timedelta(minutes=5)


def test_esketamine_discharge_is_refused_before_2_hours() -> None:
    reasons = discharge_blockers(
        ALL_TICKED,
        observation=ESKETAMINE,
        now=T0 + dt.timedelta(minutes=95),
        last_reading_ok=True,
    )
    assert reasons == (
        "observation must last 2 h 00 min from the first device: 25 min 00 s remaining",
    )


def test_discharge_lists_each_unticked_criterion() -> None:
    reasons = discharge_blockers(
        DischargeChecklist(vitals_within_thresholds=True, alert_and_oriented=True),
        observation=NONE,
        now=T0 + dt.timedelta(hours=3),
        last_reading_ok=True,
    )
    assert len(reasons) == 4
    assert "not yet confirmed: walking steadily" in reasons


def test_ticking_vitals_is_not_enough_when_the_last_reading_alerts() -> None:
    reasons = discharge_blockers(
        ALL_TICKED,
        observation=NONE,
        now=T0 + dt.timedelta(hours=3),
        last_reading_ok=False,
    )
    assert reasons == ("the latest vital signs are outside the alert thresholds",)


def test_all_criteria_met_allows_discharge() -> None:
    assert (
        discharge_blockers(
            ALL_TICKED,
            observation=ESKETAMINE,
            now=T0 + ESKETAMINE_MIN_OBSERVATION,
            last_reading_ok=True,
        )
        == ()
    )


def test_the_esketamine_blood_pressure_gate_closes_above_140_over_90() -> None:
    gate = DEFAULT_BP_GATES["esketamine"]
    assert gate.closed_by(140, 90) == ""
    assert gate.closed_by(141, 80).startswith("baseline 141/80 is above 140/90")
    assert gate.closed_by(130, 95)


def test_iv_observation_counts_from_the_end_of_the_infusion() -> None:
    """Finding 9: 60 min after a 40-min infusion ends, not 20 min after it."""
    seen = observation(
        SessionRules(),
        SHIPPED["iv_ketamine"],
        dosing_started=T0,
        dosing_ended=T0 + dt.timedelta(minutes=40),
    )
    assert (seen.since, seen.minimum) == (T0 + dt.timedelta(minutes=40), dt.timedelta(hours=1))
    at_61 = observation_wait(seen, T0 + dt.timedelta(minutes=61))
    assert (
        at_61.reason
        == "observation must last 1 h 00 min from the end of dosing: 39 min 00 s remaining"
    )
    assert observation_wait(seen, T0 + dt.timedelta(minutes=100)).allowed
    still_dosing = observation(
        SessionRules(), SHIPPED["iv_ketamine"], dosing_started=T0, dosing_ended=None
    )
    assert not observation_wait(still_dosing, T0 + dt.timedelta(hours=5)).allowed


@given(st.integers(0, 240), st.integers(0, 600), st.integers(30, 240))
def test_observation_never_ends_before_the_minimum_after_dosing_ends(
    infusion_min: int, now_min: int, minimum_min: int
) -> None:
    ended = T0 + dt.timedelta(minutes=infusion_min)
    seen = observation(
        SessionRules(iv_min_observation_min=minimum_min),
        SHIPPED["iv_ketamine"],
        dosing_started=T0,
        dosing_ended=ended,
    )
    now = T0 + dt.timedelta(minutes=now_min)
    assert observation_wait(seen, now).allowed == (now >= ended + dt.timedelta(minutes=minimum_min))


# --- holds: missed readings, urgent alerts, blood pressure after esketamine (issue 12) ---

LIMIT = DischargeBloodPressure()


def test_172_over_106_against_a_baseline_of_138_over_88_keeps_the_patient() -> None:
    """Finding 8: the issue's example at 2 h."""
    reason = LIMIT.unsettled((172, 106), (138, 88))
    assert reason.startswith("blood pressure 172/106 is above the discharge limit 140/90")


def test_a_blood_pressure_under_the_limit_but_not_back_toward_baseline_keeps_the_patient() -> None:
    assert LIMIT.unsettled((138, 86), (112, 70)) == (
        "blood pressure 138/86 is 26 mmHg above the baseline 112/70 (leave within +20): "
        "re-measure until it declines"
    )
    assert LIMIT.unsettled((130, 80), (128, 82)) == ""
    assert LIMIT.unsettled(None, (128, 82)) == "no blood pressure has been measured since dosing"


def test_a_release_waives_missed_readings_and_blood_pressure_not_an_urgent_alert() -> None:
    holds = Holds(
        overdue=("10:20", "10:30"), open_urgent=("SpO2 88% (< 92%)",), blood_pressure="bp"
    )
    assert holds.reasons() == [
        "an urgent alert is not acknowledged: SpO2 88% (< 92%)",
        "2 readings are overdue (due 10:20, 10:30): take them, or a prescriber releases the "
        "patient with a reason",
        "bp",
    ]
    released = Holds(overdue=("10:20",), open_urgent=("x",), blood_pressure="bp", released=True)
    assert released.reasons() == ["an urgent alert is not acknowledged: x"]
    assert sign_blockers(Holds(overdue=("10:20",), blood_pressure="bp")) == (
        "1 reading is overdue (due 10:20): take them, or a prescriber releases the patient "
        "with a reason",
    )


@given(
    st.lists(st.sampled_from(["10:10", "10:20"]), max_size=2),
    st.lists(st.text(min_size=1, max_size=5), max_size=2),
    st.sampled_from(["", "bp high"]),
    st.booleans(),
)
def test_discharge_is_allowed_only_without_any_hold(
    overdue: list[str], urgent: list[str], bp: str, released: bool
) -> None:
    holds = Holds(tuple(overdue), tuple(urgent), bp, released)
    blockers = discharge_blockers(
        ALL_TICKED, observation=NONE, now=T0 + dt.timedelta(hours=3), last_reading_ok=True,
        holds=holds,
    )  # fmt: skip
    assert (blockers == ()) == (not urgent and (released or (not overdue and not bp)))
    assert len([b for b in blockers if "urgent alert" in b]) == len(urgent)  # never waived


@given(st.integers(0, 300), st.integers(5, 60))
def test_a_high_blood_pressure_keeps_one_reading_ahead_due(since_min: int, every_min: int) -> None:
    every = dt.timedelta(minutes=every_min)
    now = T0 + dt.timedelta(minutes=since_min)
    times = recheck_times(T0, every=every, now=now)
    assert times[0] == T0 + every
    assert all(b - a == every for a, b in itertools.pairwise(times))
    assert now < times[-1] <= now + every  # exactly one still to come
