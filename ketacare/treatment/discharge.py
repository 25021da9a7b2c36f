"""Timing and readiness rules of a session: the blood-pressure gate before dosing, the
spacing of intranasal devices, and discharge. Pure Python, no Django.

Label facts (Spravato, clinical.md §2.1-2.2, §4.5): wait 5 minutes after each 28 mg
device; observe at least 2 hours after dosing; no driving until the next day after
restful sleep. The blood-pressure gate is a clinic setting: the label's commonly quoted
caution above about 140/90 for esketamine is [U], and for IV ketamine the value is clinic-set.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DEVICE_SPACING = dt.timedelta(minutes=5)  # Spravato dosing pages, clinical.md §2.1 [V]
ESKETAMINE_MIN_OBSERVATION = dt.timedelta(hours=2)  # Spravato label, clinical.md §2.2 [V]

BP_GATE_SOURCES = {
    "esketamine": (
        "Spravato label as commonly quoted: consider the risks if baseline BP is elevated, "
        "e.g. >140 systolic or >90 diastolic (clinical.md §2.2; verbatim label text [NF])."
    ),
    "ketamine": "Clinic-set: no published pre-dose threshold for IV ketamine (clinical.md §4.2).",
}


@dataclass(frozen=True)
class BloodPressureGate:
    systolic_above: int
    diastolic_above: int

    def closed_by(self, systolic: int, diastolic: int) -> str:
        """Why a baseline closes the gate (empty when it does not)."""
        if systolic > self.systolic_above or diastolic > self.diastolic_above:
            return (
                f"baseline {systolic}/{diastolic} is above {self.systolic_above}/"
                f"{self.diastolic_above}: the prescriber must decide to proceed, treat or defer"
            )
        return ""


DEFAULT_BP_GATES = {
    "esketamine": BloodPressureGate(140, 90),
    "ketamine": BloodPressureGate(160, 100),
}


@dataclass(frozen=True)
class Wait:
    allowed: bool
    remaining: dt.timedelta
    reason: str = ""


def next_device(previous: list[dt.datetime], now: dt.datetime) -> Wait:
    """Whether another intranasal device may be given now: 5 minutes after the last one."""
    if not previous:
        return Wait(True, dt.timedelta(0))
    remaining = max(max(previous) + DEVICE_SPACING - now, dt.timedelta(0))
    if remaining:
        return Wait(
            False,
            remaining,
            f"the next device may be given in {_minutes_seconds(remaining)} "
            "(5 minutes between devices, Spravato label)",
        )
    return Wait(True, dt.timedelta(0))


@dataclass(frozen=True)
class Observation:
    """The minimum observation of a session and the moment it counts from: the first
    device for esketamine (Spravato label: at least 2 h after administration; the REMS
    form counts from the first device), the end of dosing otherwise (the end of an
    infusion, when the drug stops going in)."""

    minimum: dt.timedelta
    since: dt.datetime | None  # None: the moment has not come yet
    counted_from: str  # "the first device", "the end of dosing"


def observation_wait(observation: Observation, now: dt.datetime) -> Wait:
    """Whether the minimum observation has passed."""
    minimum = observation.minimum
    if observation.since is None:
        return Wait(
            False,
            minimum,
            f"observation of {_hours_minutes(minimum)} counts from {observation.counted_from}, "
            "which is not recorded yet",
        )
    remaining = max(observation.since + minimum - now, dt.timedelta(0))
    if remaining:
        return Wait(
            False,
            remaining,
            f"observation must last {_hours_minutes(minimum)} from {observation.counted_from}: "
            f"{_minutes_seconds(remaining)} remaining",
        )
    return Wait(True, dt.timedelta(0))


@dataclass(frozen=True)
class DischargeChecklist:
    vitals_within_thresholds: bool = False
    alert_and_oriented: bool = False
    walking_steadily: bool = False
    sedation_resolved: bool = False
    responsible_adult_escort: bool = False
    no_driving_acknowledged: bool = False


CHECKLIST_LABELS = {
    "vitals_within_thresholds": "vital signs back within thresholds",
    "alert_and_oriented": "alert and oriented",
    "walking_steadily": "walking steadily",
    "sedation_resolved": "sedation resolved",
    "responsible_adult_escort": "a responsible adult to escort the patient",
    "no_driving_acknowledged": (
        "the patient acknowledges not to drive until the next day after restful sleep"
    ),
}


def discharge_blockers(
    checklist: DischargeChecklist,
    *,
    observation: Observation,
    now: dt.datetime,
    last_reading_ok: bool,
) -> tuple[str, ...]:
    """Every reason the patient may not leave yet; empty when discharge is allowed."""
    reasons = [
        f"not yet confirmed: {label}"
        for name, label in CHECKLIST_LABELS.items()
        if not getattr(checklist, name)
    ]
    if checklist.vitals_within_thresholds and not last_reading_ok:
        reasons.append("the latest vital signs are outside the alert thresholds")
    wait = observation_wait(observation, now)
    if not wait.allowed:
        reasons.append(wait.reason)
    return tuple(reasons)


def _minutes_seconds(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds() + 0.999)
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s"


def _hours_minutes(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
