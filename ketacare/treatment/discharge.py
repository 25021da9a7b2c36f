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


def observation_wait(
    first_dose_at: dt.datetime | None, now: dt.datetime, minimum: dt.timedelta
) -> Wait:
    """Whether the minimum observation since the first dose or device has passed."""
    if first_dose_at is None:
        return Wait(False, minimum, "no dose has been recorded")
    remaining = max(first_dose_at + minimum - now, dt.timedelta(0))
    if remaining:
        return Wait(
            False,
            remaining,
            f"observation must last {_hours_minutes(minimum)} from the first dose: "
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
    first_dose_at: dt.datetime | None,
    now: dt.datetime,
    minimum_observation: dt.timedelta,
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
    wait = observation_wait(first_dose_at, now, minimum_observation)
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
