"""Vital-sign alert rules and the schedule of due readings. Pure Python, no Django.

No guideline publishes stop or pause thresholds for ketamine in depression (clinical.md
§4.2 [NF]), so every threshold here is a clinic setting. The defaults and their basis are
listed in THRESHOLD_SOURCES and shown to the user next to the value in force.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    URGENT = "urgent"
    WARNING = "warning"


@dataclass(frozen=True)
class Thresholds:
    systolic_urgent: int = 180
    diastolic_urgent: int = 110
    spo2_urgent_below: int = 92
    heart_rate_high: int = 130
    heart_rate_low: int = 50
    systolic_rise_from_baseline: int = 40
    diastolic_rise_from_baseline: int = 25
    # MOAA/S runs 5 (responds readily to name) down to 0 (no response to a painful
    # stimulus); a score at or below this raises an alert.
    moaas_alert_at_or_below: int = 2
    respiratory_rate_low: int = 9
    respiratory_rate_high: int = 24


THRESHOLD_SOURCES: dict[str, str] = {
    "systolic_urgent": (
        "Clinical choice: no published stop threshold for depression (clinical.md §4.2 [NF]). "
        "180/110 is the hypertensive-urgency line of hypertension guidelines, as Yip et al. "
        "2022 advise aligning with; Murrough 2013's single discontinuation was at 180/115."
    ),
    "diastolic_urgent": "As for systolic: hypertensive-urgency line, clinic-set.",
    "spo2_urgent_below": (
        "Clinical choice: no published SpO2 threshold (clinical.md §4.2 [NF]); the Spravato "
        "label and REMS require pulse oximetry at every session."
    ),
    "heart_rate_high": "Clinical choice (issue default): tachycardia above 130/min.",
    "heart_rate_low": "Clinical choice (issue default): bradycardia below 50/min.",
    "systolic_rise_from_baseline": (
        "Clinical choice. Observed mean peak rises were +3 to +16 mmHg systolic (Emory 2018, "
        "Yale 2024, clinical.md §4.1); 40 mmHg flags a rise well beyond them."
    ),
    "diastolic_rise_from_baseline": (
        "Clinical choice. Observed mean peak rises were +3 to +11 mmHg diastolic "
        "(clinical.md §4.1)."
    ),
    "moaas_alert_at_or_below": (
        "Clinical choice. The Spravato label measures sedation with MOAA/S; 2 means a "
        "response only to trapezius squeeze (deep sedation)."
    ),
    "respiratory_rate_low": (
        "Clinical choice: respiratory depression is in the Spravato boxed warning and the "
        "Ketalar warnings, which give no rate. Default: alert below 9/min, i.e. at 8 or "
        "less, the lowest band of the NEWS2 early-warning score (Royal College of "
        "Physicians 2017), where it scores its maximum of 3."
    ),
    "respiratory_rate_high": (
        "Clinical choice. Default: alert above 24/min, i.e. at 25 or more, the highest "
        "band of NEWS2 (Royal College of Physicians 2017), where it scores 3."
    ),
}


@dataclass(frozen=True)
class Reading:
    """One set of vital signs; any field may be missing (not measured this time)."""

    taken_at: dt.datetime
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    spo2: int | None = None
    respiratory_rate: int | None = None
    moaas: int | None = None


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    source: str


def evaluate(reading: Reading, *, baseline: Reading | None, limits: Thresholds) -> list[Finding]:
    """Every alert the reading raises, with the rule, the value and the threshold."""
    findings = [
        *_blood_pressure(reading, limits),
        *_rise_from_baseline(reading, baseline, limits),
        *_oxygen_and_heart(reading, limits),
    ]
    if reading.moaas is not None and reading.moaas <= limits.moaas_alert_at_or_below:
        findings.append(
            _finding(
                "sedation",
                Severity.URGENT,
                f"Sedation MOAA/S {reading.moaas} (alert at ≤ {limits.moaas_alert_at_or_below})",
                "moaas_alert_at_or_below",
            )
        )
    return findings + _breathing(reading, limits)


def _breathing(reading: Reading, limits: Thresholds) -> list[Finding]:
    rate = reading.respiratory_rate
    if rate is not None and rate < limits.respiratory_rate_low:
        return [
            _finding(
                "respiratory_rate_low",
                Severity.URGENT,
                f"Respiratory rate {rate}/min (< {limits.respiratory_rate_low})",
                "respiratory_rate_low",
            )
        ]
    if rate is not None and rate > limits.respiratory_rate_high:
        return [
            _finding(
                "respiratory_rate_high",
                Severity.WARNING,
                f"Respiratory rate {rate}/min (> {limits.respiratory_rate_high})",
                "respiratory_rate_high",
            )
        ]
    return []


@dataclass(frozen=True)
class Alert:
    """What one reading raises: one alert listing every limit it breaks, the most severe
    first, so one reading is acknowledged once (not once per limit)."""

    findings: tuple[Finding, ...]

    @property
    def severity(self) -> Severity:
        return self.findings[0].severity

    @property
    def rule(self) -> str:
        return self.findings[0].rule

    @property
    def message(self) -> str:
        return "; ".join(f.message for f in self.findings)

    @property
    def source(self) -> str:
        return "\n".join(dict.fromkeys(f.source for f in self.findings))


def alert_for(reading: Reading, *, baseline: Reading | None, limits: Thresholds) -> Alert | None:
    """The one alert a reading raises, or None when it breaks no limit."""
    findings = evaluate(reading, baseline=baseline, limits=limits)
    if not findings:
        return None
    urgent_first = sorted(findings, key=lambda f: f.severity is not Severity.URGENT)
    return Alert(tuple(urgent_first))


# --- Acknowledgement ---------------------------------------------------------------------

# What the person acknowledging did; the choices offered depend on the route and on
# whether dosing is under way (an infusion can be paused only while it runs).
ACK_LABELS: dict[str, str] = {
    "pause_infusion": "Paused the infusion",
    "hold_device": "Held the next device",
    "give_medication": "Gave medication",
    "call_prescriber": "Called the prescriber",
    "continue": "Continue and observe",
}
_ALWAYS = ("call_prescriber", "give_medication", "continue")
_WHILE_DOSING = {"iv": "pause_infusion", "intranasal": "hold_device"}


def acknowledgement_actions(route: str, *, dosing: bool) -> tuple[str, ...]:
    """The actions that fit: the first is the default (stop the drug while it is being
    given by pump or device; otherwise call the prescriber)."""
    first = _WHILE_DOSING.get(route) if dosing else None
    return ((first,) if first else ()) + _ALWAYS


def _finding(rule: str, severity: Severity, message: str, setting: str) -> Finding:
    return Finding(rule, severity, message, THRESHOLD_SOURCES[setting])


def _blood_pressure(reading: Reading, limits: Thresholds) -> list[Finding]:
    sys_high = reading.systolic is not None and reading.systolic >= limits.systolic_urgent
    dia_high = reading.diastolic is not None and reading.diastolic >= limits.diastolic_urgent
    if not (sys_high or dia_high):
        return []
    bp = f"{_v(reading.systolic)}/{_v(reading.diastolic)}"
    limit = f"{limits.systolic_urgent}/{limits.diastolic_urgent}"
    setting = "systolic_urgent" if sys_high else "diastolic_urgent"
    return [
        _finding(
            "blood_pressure_high", Severity.URGENT, f"Blood pressure {bp} (≥ {limit})", setting
        )
    ]


def _rise_from_baseline(
    reading: Reading, baseline: Reading | None, limits: Thresholds
) -> list[Finding]:
    if baseline is None:
        return []
    findings = []
    for name, limit_name in (
        ("systolic", "systolic_rise_from_baseline"),
        ("diastolic", "diastolic_rise_from_baseline"),
    ):
        now, before = getattr(reading, name), getattr(baseline, name)
        limit = getattr(limits, limit_name)
        if now is not None and before is not None and now - before > limit:
            findings.append(
                _finding(
                    f"{name}_rise",
                    Severity.WARNING,
                    f"{name.capitalize()} {now} is {now - before} mmHg above baseline "
                    f"{before} (alert above +{limit})",
                    limit_name,
                )
            )
    return findings


def _oxygen_and_heart(reading: Reading, limits: Thresholds) -> list[Finding]:
    findings = []
    if reading.spo2 is not None and reading.spo2 < limits.spo2_urgent_below:
        findings.append(
            _finding(
                "spo2_low",
                Severity.URGENT,
                f"SpO2 {reading.spo2}% (< {limits.spo2_urgent_below}%)",
                "spo2_urgent_below",
            )
        )
    hr = reading.heart_rate
    if hr is not None and hr > limits.heart_rate_high:
        findings.append(
            _finding(
                "heart_rate_high",
                Severity.WARNING,
                f"Heart rate {hr}/min (> {limits.heart_rate_high})",
                "heart_rate_high",
            )
        )
    if hr is not None and hr < limits.heart_rate_low:
        findings.append(
            _finding(
                "heart_rate_low",
                Severity.WARNING,
                f"Heart rate {hr}/min (< {limits.heart_rate_low})",
                "heart_rate_low",
            )
        )
    return findings


def _v(value: int | None) -> str:
    return "?" if value is None else str(value)


def within_thresholds(reading: Reading, *, baseline: Reading | None, limits: Thresholds) -> bool:
    return not evaluate(reading, baseline=baseline, limits=limits)


# --- Due readings -------------------------------------------------------------------


@dataclass(frozen=True)
class ReadingSchedule:
    """When readings fall due. IV: every 10 min during the infusion, every 15 min after
    (Emory cohort practice, clinical.md §4.1). Esketamine: before dosing, at about 40 min,
    then as needed (Spravato label, clinical.md §2.2)."""

    during_every_min: int | None = 10
    after_every_min: int | None = 15
    fixed_after_start_min: tuple[int, ...] = field(default_factory=tuple)
    observe_min: int = 60  # how long after dosing ends scheduled readings continue
    tolerance_min: int = 5  # a reading this close to a due time satisfies it


IV_SCHEDULE = ReadingSchedule(during_every_min=10, after_every_min=15, observe_min=60)
ESKETAMINE_SCHEDULE = ReadingSchedule(
    during_every_min=None, after_every_min=None, fixed_after_start_min=(40,), observe_min=120
)


@dataclass(frozen=True)
class DueReading:
    due_at: dt.datetime
    taken_at: dt.datetime | None

    def overdue(self, now: dt.datetime, tolerance: dt.timedelta) -> bool:
        return self.taken_at is None and now > self.due_at + tolerance


def due_times(
    schedule: ReadingSchedule,
    *,
    dosing_started: dt.datetime,
    dosing_ended: dt.datetime | None,
    now: dt.datetime,
) -> list[dt.datetime]:
    """Every time a reading falls due, from the start of dosing to the end of observation.
    While dosing is under way its end is unknown: the list runs to the next due time."""
    minute = dt.timedelta(minutes=1)
    times = [dosing_started + m * minute for m in schedule.fixed_after_start_min]
    if schedule.during_every_min:
        end = dosing_ended or now + schedule.during_every_min * minute
        t = dosing_started + schedule.during_every_min * minute
        while t < end:
            times.append(t)
            t += schedule.during_every_min * minute
    if dosing_ended is not None and schedule.after_every_min:
        t = dosing_ended
        stop = dosing_ended + schedule.observe_min * minute
        while t <= stop:
            times.append(t)
            t += schedule.after_every_min * minute
    return sorted(set(times))


def recheck_times(
    last_taken: dt.datetime, *, every: dt.timedelta, now: dt.datetime
) -> list[dt.datetime]:
    """Readings due after one that is still high: every `every` from it, up to the next
    one to come (so missed ones show as overdue)."""
    times = []
    t = last_taken + every
    while t <= now + every:
        times.append(t)
        t += every
    return times


def match_readings(
    due: list[dt.datetime], taken: list[dt.datetime], *, tolerance: dt.timedelta
) -> list[DueReading]:
    """Pair each due time with the first unused reading within the tolerance of it."""
    unused = sorted(taken)
    result = []
    for when in due:
        hit = next((t for t in unused if abs(t - when) <= tolerance), None)
        if hit is not None:
            unused.remove(hit)
        result.append(DueReading(when, hit))
    return result
