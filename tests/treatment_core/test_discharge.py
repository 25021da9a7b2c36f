from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ketacare.dosing.protocols import SHIPPED
from ketacare.treatment.discharge import (
    DEFAULT_BP_GATES,
    ESKETAMINE_MIN_OBSERVATION,
    DischargeChecklist,
    Observation,
    discharge_blockers,
    next_device,
    observation_wait,
)
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
