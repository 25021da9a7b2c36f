"""Timing and readiness rules of a session: the blood-pressure gate before dosing, the
spacing of intranasal devices, and discharge. Pure Python, no Django.

Label facts (Spravato, clinical.md §2.1-2.2, §4.5): wait 5 minutes after each 28 mg
device; observe at least 2 hours after dosing; no driving until the next day after
restful sleep. The blood-pressure gate is a clinic setting: the label's commonly quoted
caution above about 140/90 for esketamine is [U], and for IV ketamine the value is clinic-set.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

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


BP_DISCHARGE_SOURCES = {
    "limit": (
        "Spravato label §5.6: after the 40-min reading, re-measure blood pressure as "
        "clinically warranted until values decline, and seek help if it stays high; the "
        "label gives no number. Clinical choice: by default the patient leaves with no "
        "higher a blood pressure than the pre-dose caution commonly quoted from the label "
        "(above 140 systolic or 90 diastolic)."
    ),
    "rise": (
        "Spravato label §5.6 (re-measure until values decline). Clinical choice: back "
        "toward baseline means no more than this above the pre-dose reading, systolic or "
        "diastolic; esketamine's rise peaks at about 40 min and fades over about 4 h."
    ),
    "recheck": (
        "Spravato label §5.6: re-measure as clinically warranted while BP is high. "
        "Clinical choice: every 15 min, as after an infusion in the Emory cohort practice."
    ),
}


@dataclass(frozen=True)
class DischargeBloodPressure:
    """When blood pressure after esketamine lets the patient leave: not above the limit
    and back within `rise_above` mmHg of the baseline."""

    systolic_above: int = 140
    diastolic_above: int = 90
    rise_above: int = 20

    def unsettled(self, last: tuple[int, int] | None, baseline: tuple[int, int] | None) -> str:
        """Why the latest blood pressure keeps the patient (empty when it does not)."""
        if last is None:
            return "no blood pressure has been measured since dosing"
        systolic, diastolic = last
        if systolic > self.systolic_above or diastolic > self.diastolic_above:
            return (
                f"blood pressure {systolic}/{diastolic} is above the discharge limit "
                f"{self.systolic_above}/{self.diastolic_above}: re-measure until it declines"
            )
        if baseline is not None:
            rise = max(systolic - baseline[0], diastolic - baseline[1])
            if rise > self.rise_above:
                return (
                    f"blood pressure {systolic}/{diastolic} is {rise} mmHg above the "
                    f"baseline {baseline[0]}/{baseline[1]} (leave within +{self.rise_above}): "
                    "re-measure until it declines"
                )
        return ""


# How many missed due times a message or a page lists: the latest ones. A session left
# open for days has thousands; they are counted, not listed.
LISTED_OVERDUE = 10


def overdue_phrase(due_times: tuple[str, ...]) -> str:
    """'3 readings are overdue (due 10:10, 10:20, 10:30)', or with many, the count and the
    latest few."""
    n = len(due_times)
    listed = ", ".join(due_times[-LISTED_OVERDUE:])
    which = f"the latest due {listed}" if n > LISTED_OVERDUE else f"due {listed}"
    return f"{n:,} reading{'s are' if n > 1 else ' is'} overdue ({which})"


@dataclass(frozen=True)
class Holds:
    """What keeps a patient beyond the checklist and the minimum observation. A
    prescriber's recorded release waives the missed readings and the blood pressure,
    never an urgent alert nobody has acknowledged."""

    overdue: tuple[str, ...] = ()  # due times of missed readings, as the clinic reads them
    open_urgent: tuple[str, ...] = ()  # messages of unacknowledged urgent alerts
    blood_pressure: str = ""  # DischargeBloodPressure.unsettled, after esketamine
    released: bool = False

    def reasons(self) -> list[str]:
        reasons = [f"an urgent alert is not acknowledged: {m}" for m in self.open_urgent]
        if self.released:
            return reasons
        if self.overdue:
            reasons.append(
                f"{overdue_phrase(self.overdue)}: take them, or a prescriber releases the "
                "patient with a reason"
            )
        if self.blood_pressure:
            reasons.append(self.blood_pressure)
        return reasons


def discharge_blockers(
    checklist: DischargeChecklist,
    *,
    observation: Observation,
    now: dt.datetime,
    last_reading_ok: bool,
    holds: Holds = Holds(),  # frozen, so sharing the default is safe
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
    return (*reasons, *holds.reasons())


def sign_blockers(holds: Holds) -> tuple[str, ...]:
    """Signing locks the record: not while a reading is overdue (unless released) or an
    urgent alert is open. The blood pressure held the patient, not the record."""
    return tuple(replace(holds, blood_pressure="").reasons())


def _minutes_seconds(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds() + 0.999)
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s"


def _hours_minutes(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
