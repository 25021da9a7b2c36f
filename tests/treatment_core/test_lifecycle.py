from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.treatment.lifecycle import (
    TRANSITIONS,
    DosingFacts,
    Event,
    State,
    decide,
    dosing_blockers,
)

READY = DosingFacts(
    prescriber_required_on_site=True,
    prescriber_assigned=True,
    prescriber_attested_on_site=True,
    baseline_vitals_recorded=True,
    blood_pressure_gate_open=True,
    order_matches_dose=True,
)
HAPPY_PATH = [
    (State.SCHEDULED, Event.CHECK_IN, State.CHECKED_IN),
    (State.CHECKED_IN, Event.START_ASSESSMENT, State.PRE_DOSE),
    (State.PRE_DOSE, Event.START_DOSING, State.DOSING),
    (State.DOSING, Event.END_DOSING, State.MONITORING),
    (State.MONITORING, Event.MARK_READY, State.READY_FOR_DISCHARGE),
    (State.READY_FOR_DISCHARGE, Event.DISCHARGE, State.DISCHARGED),
    (State.DISCHARGED, Event.SIGN, State.SIGNED),
]


@pytest.mark.parametrize(("state", "event", "target"), HAPPY_PATH)
def test_the_happy_path_moves_one_state_at_a_time(
    state: State, event: Event, target: State
) -> None:
    decision = decide(state, event, dosing=READY)
    assert decision.allowed
    assert decision.to_state is target


def test_dosing_without_a_prescriber_on_site_is_refused_with_the_reason() -> None:
    facts = replace(READY, prescriber_attested_on_site=False)
    decision = decide(State.PRE_DOSE, Event.START_DOSING, dosing=facts)
    assert not decision.allowed
    assert decision.message == "dosing cannot start: no supervising prescriber on site"


def test_no_prescriber_assigned_is_said_once() -> None:
    facts = replace(READY, prescriber_assigned=False, prescriber_attested_on_site=False)
    assert dosing_blockers(facts) == ("no supervising prescriber is assigned",)


def test_on_site_attestation_is_only_needed_where_the_protocol_requires_it() -> None:
    facts = replace(READY, prescriber_required_on_site=False, prescriber_attested_on_site=False)
    assert dosing_blockers(facts) == ()


def test_every_unmet_precondition_is_listed() -> None:
    facts = replace(
        READY,
        rems_enrolled=False,
        baseline_vitals_recorded=False,
        blood_pressure_gate_open=False,
        order_matches_dose=False,
        fasting_confirmed=False,
    )
    blockers = dosing_blockers(facts)
    assert len(blockers) == 5
    assert blockers[0] == "the patient is not enrolled in the Spravato REMS"
    assert "a new order is needed" in blockers[-1]


def test_an_invalid_transition_names_the_current_state() -> None:
    decision = decide(State.SCHEDULED, Event.SIGN)
    assert not decision.allowed
    assert decision.message == "signing is not possible: the session is scheduled"


def test_discharge_blockers_refuse_readiness() -> None:
    decision = decide(State.MONITORING, Event.MARK_READY, discharge_blockers=("too early",))
    assert decision.message == "not ready for discharge: too early"


def test_a_dosing_session_can_no_longer_be_cancelled() -> None:
    assert not decide(State.DOSING, Event.CANCEL).allowed
    assert decide(State.PRE_DOSE, Event.CANCEL).to_state is State.CANCELLED
    assert not decide(State.PRE_DOSE, Event.NO_SHOW).allowed


@given(st.sampled_from(list(State)), st.sampled_from(list(Event)))
def test_a_transition_is_allowed_exactly_from_its_source_states(state: State, event: Event) -> None:
    sources, target = TRANSITIONS[event]
    decision = decide(state, event, dosing=READY)
    assert decision.allowed == (state in sources)
    assert decision.to_state == (target if state in sources else None)
    assert decision.allowed or decision.reasons


@given(st.lists(st.booleans(), min_size=10, max_size=10))
def test_dosing_is_allowed_only_when_every_fact_holds(flags: list[bool]) -> None:
    names = [
        "prescriber_assigned",
        "prescriber_attested_on_site",
        "baseline_vitals_recorded",
        "blood_pressure_gate_open",
        "order_matches_dose",
        "weight_current",
        "pregnancy_test_done",
        "fasting_confirmed",
        "rems_enrolled",
        "screening_allows",
    ]
    chosen: dict[str, Any] = dict(zip(names, flags, strict=True))
    facts = replace(READY, **chosen)
    assert decide(State.PRE_DOSE, Event.START_DOSING, dosing=facts).allowed == all(flags)
