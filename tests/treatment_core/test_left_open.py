"""A session left open (`left_open.py`): begun, not discharged, and open longer than the
clinic's limit. Examples, then properties with Hypothesis."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.treatment.left_open import (
    DEFAULT_LEFT_OPEN_HOURS,
    LEFT_OPEN_SOURCE,
    OPEN_STATES,
    left_open,
    opened_at,
)
from ketacare.treatment.lifecycle import CHARTING_STATES, LOCKED_STATES, State

T0 = dt.datetime(2024, 3, 4, 10, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def test_a_session_in_dosing_for_more_than_the_limit_is_left_open() -> None:
    found = left_open(State.DOSING, T0, T0 + 13 * H, limit_hours=12)
    assert found is not None
    assert found.state is State.DOSING
    assert found.since == T0
    assert found.flagged_at == T0 + 12 * H
    assert found.hours == 13


def test_at_the_limit_it_is_not_yet_left_open() -> None:
    assert left_open(State.DOSING, T0, T0 + 12 * H, limit_hours=12) is None
    assert left_open(State.DOSING, T0, T0 + 12 * H + dt.timedelta(seconds=1), limit_hours=12)


def test_two_years_open_is_still_one_finding_with_its_hours() -> None:
    found = left_open("monitoring", T0, T0 + dt.timedelta(days=730), limit_hours=12)
    assert found is not None and found.hours == 730 * 24


@pytest.mark.parametrize(
    "state", [State.SCHEDULED, State.DISCHARGED, State.SIGNED, State.CANCELLED, State.NO_SHOW]
)
def test_sessions_not_begun_or_closed_are_never_left_open(state: State) -> None:
    assert left_open(state, T0, T0 + dt.timedelta(days=400), limit_hours=12) is None


def test_the_open_states_are_the_charting_states_before_discharge() -> None:
    assert CHARTING_STATES - {State.DISCHARGED} == OPEN_STATES
    assert not OPEN_STATES & LOCKED_STATES


def test_a_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        left_open(State.DOSING, T0, T0 + 13 * H, limit_hours=0)


def test_opened_is_the_earliest_of_check_in_and_dosing_else_the_booking() -> None:
    checked, dosed = T0 + dt.timedelta(minutes=5), T0 + dt.timedelta(minutes=40)
    assert opened_at(scheduled_start=T0, checked_in_at=checked, dosing_started_at=dosed) == checked
    assert opened_at(scheduled_start=T0, checked_in_at=None, dosing_started_at=dosed) == dosed
    assert opened_at(scheduled_start=T0, checked_in_at=None, dosing_started_at=None) == T0


def test_the_default_and_its_source() -> None:
    assert DEFAULT_LEFT_OPEN_HOURS == 12
    assert "Spravato label" in LEFT_OPEN_SOURCE and "150" in LEFT_OPEN_SOURCE


states = st.sampled_from(list(State))
elapsed = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3650))
limits = st.integers(min_value=1, max_value=24 * 14)


@given(states, elapsed, limits)
def test_left_open_exactly_when_open_and_past_the_limit(
    state: State, open_for: dt.timedelta, limit: int
) -> None:
    found = left_open(state, T0, T0 + open_for, limit_hours=limit)
    expected = state in OPEN_STATES and open_for > dt.timedelta(hours=limit)
    assert (found is not None) == expected
    if found is not None:
        assert found.flagged_at == T0 + dt.timedelta(hours=limit)
        assert found.flagged_at < T0 + open_for
        assert limit <= found.hours <= open_for / H


@given(states, elapsed, elapsed, limits)
def test_once_left_open_it_stays_left_open_as_time_passes(
    state: State, first: dt.timedelta, more: dt.timedelta, limit: int
) -> None:
    """Monotone in time: nothing but closing the session (its state) clears the item."""
    if left_open(state, T0, T0 + first, limit_hours=limit) is not None:
        later = left_open(state, T0, T0 + first + more, limit_hours=limit)
        assert later is not None
        assert later.flagged_at == T0 + dt.timedelta(hours=limit)


@given(
    st.none() | st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(hours=6)),
    st.none() | st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(hours=6)),
)
def test_opened_is_never_after_a_known_start(
    checked: dt.timedelta | None, dosed: dt.timedelta | None
) -> None:
    checked_at = T0 + checked if checked is not None else None
    dosed_at = T0 + dosed if dosed is not None else None
    since = opened_at(scheduled_start=T0, checked_in_at=checked_at, dosing_started_at=dosed_at)
    for known in (checked_at, dosed_at):
        if known is not None:
            assert since <= known
    if checked_at is None and dosed_at is None:
        assert since == T0
