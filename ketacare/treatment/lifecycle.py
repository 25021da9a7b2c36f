"""The treatment-session state machine. Pure Python, no Django.

scheduled -> checked_in -> pre_dose -> dosing -> monitoring -> ready_for_discharge
-> discharged -> signed; a session not yet dosing can be cancelled, and a scheduled or
checked-in one marked a no-show. Every refusal says why, in words a nurse can act on,
e.g. "dosing cannot start: no supervising prescriber on site".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class State(StrEnum):
    SCHEDULED = "scheduled"
    CHECKED_IN = "checked_in"
    PRE_DOSE = "pre_dose"
    DOSING = "dosing"
    MONITORING = "monitoring"
    READY_FOR_DISCHARGE = "ready_for_discharge"
    DISCHARGED = "discharged"
    SIGNED = "signed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class Event(StrEnum):
    CHECK_IN = "check_in"
    START_ASSESSMENT = "start_assessment"
    START_DOSING = "start_dosing"
    RECORD_GIVEN = "record_given"  # given off-system (charted on paper): straight to discharged
    END_DOSING = "end_dosing"
    MARK_READY = "mark_ready"
    DISCHARGE = "discharge"
    SIGN = "sign"
    CANCEL = "cancel"
    NO_SHOW = "no_show"


STATE_LABELS = {
    State.SCHEDULED: "Scheduled",
    State.CHECKED_IN: "Checked in",
    State.PRE_DOSE: "Pre-dose assessment",
    State.DOSING: "Dosing",
    State.MONITORING: "Monitoring",
    State.READY_FOR_DISCHARGE: "Ready for discharge",
    State.DISCHARGED: "Discharged",
    State.SIGNED: "Signed and locked",
    State.CANCELLED: "Cancelled",
    State.NO_SHOW: "No-show",
}

EVENT_VERBS = {
    Event.CHECK_IN: "check-in",
    Event.START_ASSESSMENT: "the pre-dose assessment",
    Event.START_DOSING: "dosing",
    Event.RECORD_GIVEN: "recording the dose as given",
    Event.END_DOSING: "the end of dosing",
    Event.MARK_READY: "readiness for discharge",
    Event.DISCHARGE: "discharge",
    Event.SIGN: "signing",
    Event.CANCEL: "cancelling",
    Event.NO_SHOW: "a no-show",
}

# (from-states, to-state) per event.
TRANSITIONS: dict[Event, tuple[frozenset[State], State]] = {
    Event.CHECK_IN: (frozenset({State.SCHEDULED}), State.CHECKED_IN),
    Event.START_ASSESSMENT: (frozenset({State.CHECKED_IN}), State.PRE_DOSE),
    Event.START_DOSING: (frozenset({State.PRE_DOSE}), State.DOSING),
    Event.RECORD_GIVEN: (
        frozenset({State.SCHEDULED, State.CHECKED_IN, State.PRE_DOSE}),
        State.DISCHARGED,
    ),
    Event.END_DOSING: (frozenset({State.DOSING}), State.MONITORING),
    Event.MARK_READY: (frozenset({State.MONITORING}), State.READY_FOR_DISCHARGE),
    Event.DISCHARGE: (frozenset({State.READY_FOR_DISCHARGE}), State.DISCHARGED),
    Event.SIGN: (frozenset({State.DISCHARGED}), State.SIGNED),
    Event.CANCEL: (
        frozenset({State.SCHEDULED, State.CHECKED_IN, State.PRE_DOSE}),
        State.CANCELLED,
    ),
    Event.NO_SHOW: (frozenset({State.SCHEDULED, State.CHECKED_IN}), State.NO_SHOW),
}

# A session in one of these states is a closed record: corrections are addenda.
LOCKED_STATES = frozenset({State.SIGNED, State.CANCELLED, State.NO_SHOW})
# Charting (vitals, side effects, ratings) is open from check-in until signing.
CHARTING_STATES = frozenset(
    {
        State.CHECKED_IN,
        State.PRE_DOSE,
        State.DOSING,
        State.MONITORING,
        State.READY_FOR_DISCHARGE,
        State.DISCHARGED,
    }
)


@dataclass(frozen=True)
class DosingFacts:
    """What must be true before the first dose; the service gathers it from the record."""

    prescriber_required_on_site: bool
    prescriber_assigned: bool
    prescriber_attested_on_site: bool
    baseline_vitals_recorded: bool
    blood_pressure_gate_open: bool  # baseline under the threshold, or a decision to proceed
    order_matches_dose: bool  # the dose about to be given is the active order's dose
    weight_current: bool = True  # not required, or today's/recent weight recorded
    pregnancy_test_done: bool = True  # not required, or a result recorded
    fasting_confirmed: bool = True  # not required (non-esketamine), or confirmed
    rems_enrolled: bool = True  # not required (non-esketamine), or enrolled
    screening_allows: bool = True  # the latest screening lets this protocol go ahead
    screening_reason: str = ""  # why not, in the screening's own words
    order_double_checked: bool = True  # a second clinician checked the order in force
    dose_refusal: str = ""  # why calculate_dose refuses the dose today (caps, ceiling)
    first_dose_refusal: str = ""  # the protocol's fixed first dose, not given, no reason
    treatment_consent: bool = True  # the latest consent covering this form is granted
    treatment_form: str = ""  # the protocol's form of treatment in words, for the reason
    consent_reason: str = ""  # the consent rule's own reason, when it has one


@dataclass(frozen=True)
class Decision:
    allowed: bool
    to_state: State | None
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def message(self) -> str:
        return "; ".join(self.reasons)


def dosing_blockers(facts: DosingFacts) -> tuple[str, ...]:
    """Every unmet precondition of the first dose, in the order a nurse would fix them."""
    if not facts.prescriber_assigned:
        prescriber = "no supervising prescriber is assigned"
    elif facts.prescriber_required_on_site and not facts.prescriber_attested_on_site:
        prescriber = "no supervising prescriber on site"
    else:
        prescriber = ""
    checks = (
        (
            facts.treatment_consent,
            facts.consent_reason
            or "the patient has no current treatment consent"
            + (f" covering {facts.treatment_form}" if facts.treatment_form else ""),
        ),
        (facts.rems_enrolled, "the patient is not enrolled in the Spravato REMS"),
        (
            facts.screening_allows,
            facts.screening_reason or "the latest eligibility screening does not allow it",
        ),
        (not prescriber, prescriber),
        (facts.baseline_vitals_recorded, "baseline vital signs are not recorded"),
        (
            facts.blood_pressure_gate_open,
            "baseline blood pressure is above the threshold and the prescriber has not "
            "decided to proceed",
        ),
        (facts.weight_current, "today's weight is needed: the last weight is too old"),
        (facts.pregnancy_test_done, "the protocol asks for a pregnancy test result"),
        (
            facts.fasting_confirmed,
            "fasting and no nasal decongestant or steroid in the last hour are not confirmed",
        ),
        (facts.order_matches_dose, "the dose differs from the active order: a new order is needed"),
        (
            facts.order_double_checked,
            "the order is not yet double-checked by a second clinician",
        ),
        (not facts.dose_refusal, f"the dose is refused: {facts.dose_refusal}"),
        (not facts.first_dose_refusal, facts.first_dose_refusal),
    )
    return tuple(reason for ok, reason in checks if not ok)


def decide(
    state: State,
    event: Event,
    *,
    dosing: DosingFacts | None = None,
    discharge_blockers: tuple[str, ...] = (),
) -> Decision:
    """Whether `event` may happen to a session in `state`, and the state it leads to.

    START_DOSING and RECORD_GIVEN need `dosing` facts; MARK_READY, DISCHARGE and SIGN take
    the blockers computed by ketacare.treatment.discharge (for SIGN: overdue readings, open
    urgent alerts).
    """
    sources, target = TRANSITIONS[event]
    verb = EVENT_VERBS[event]
    if state not in sources:
        return Decision(False, None, (f"{verb} is not possible: the session is {_label(state)}",))
    reasons: tuple[str, ...] = ()
    if event in (Event.START_DOSING, Event.RECORD_GIVEN):
        if dosing is None:
            raise ValueError(f"{event.name} needs the dosing facts")
        reasons = dosing_blockers(dosing)
    elif event in (Event.MARK_READY, Event.DISCHARGE, Event.SIGN):
        reasons = discharge_blockers
    if reasons:
        return Decision(False, None, tuple(f"{_cannot(event)}: {r}" for r in reasons))
    return Decision(True, target)


def _label(state: State) -> str:
    return STATE_LABELS[state].lower()


def _cannot(event: Event) -> str:
    return {
        Event.START_DOSING: "dosing cannot start",
        Event.RECORD_GIVEN: "the dose cannot be recorded as given",
        Event.MARK_READY: "not ready for discharge",
        Event.DISCHARGE: "discharge refused",
        Event.SIGN: "signing refused",
    }.get(event, f"{EVENT_VERBS[event]} refused")
