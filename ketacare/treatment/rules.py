"""Clinic-set session rules beyond the vital-sign thresholds, with their cited defaults.
Pure Python, no Django.

The per-clinic ClinicSessionSettings model stores the values in force; the defaults and
their basis live here and are shown next to the value on the settings page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ketacare.dosing.protocols import SHIPPED, Drug, ProtocolDefinition, Route
from ketacare.treatment.discharge import (
    BP_DISCHARGE_SOURCES,
    BP_GATE_SOURCES,
    DEFAULT_BP_GATES,
    ESKETAMINE_MIN_OBSERVATION,
    BloodPressureGate,
    DischargeBloodPressure,
    Observation,
)
from ketacare.treatment.monitoring import (
    ESKETAMINE_SCHEDULE,
    IV_SCHEDULE,
    THRESHOLD_SOURCES,
    ReadingSchedule,
    Thresholds,
)


@dataclass(frozen=True)
class SessionRules:
    thresholds: Thresholds = field(default_factory=Thresholds)
    esketamine_gate: BloodPressureGate = DEFAULT_BP_GATES["esketamine"]
    ketamine_gate: BloodPressureGate = DEFAULT_BP_GATES["ketamine"]
    prescriber_on_site_other_protocols: bool = True
    iv_min_observation_min: int = 60
    weight_max_age_days: int = 30
    pregnancy_test_required: bool = False
    esketamine_discharge_bp: DischargeBloodPressure = field(default_factory=DischargeBloodPressure)
    esketamine_bp_recheck_min: int = 15
    booking_past_days: int = 1
    booking_future_days: int = 365


RULE_SOURCES: dict[str, str] = {
    "esketamine_gate": BP_GATE_SOURCES["esketamine"],
    "ketamine_gate": BP_GATE_SOURCES["ketamine"],
    "prescriber_on_site_other_protocols": (
        "The Spravato REMS requires a prescriber on site for esketamine (clinical.md §4.3 "
        "[V]); for other protocols it is a clinic choice, on by default as the safer one."
    ),
    "iv_min_observation_min": (
        "Clinical choice: no published minimum observation after racemic ketamine. Counted "
        "from the end of dosing (the end of the infusion), so a longer or paused infusion "
        "is still watched in full; 60 min matches the readings every 15 min for an hour "
        "after the infusion of the Emory cohort (684 infusions, J Affect Disord 2018)."
    ),
    "weight_max_age_days": (
        "Clinical choice: IV ketamine is dosed per kg (0.5 mg/kg, APA consensus, clinical.md "
        "§1.1); a weight older than this is re-measured before a weight-based dose."
    ),
    "pregnancy_test_required": (
        "Clinic-set: no source consulted mandates a test at every session; when on, a "
        "result is needed before dosing for patients recorded female at birth."
    ),
    "esketamine_discharge": BP_DISCHARGE_SOURCES["limit"],
    "esketamine_discharge_rise": BP_DISCHARGE_SOURCES["rise"],
    "esketamine_bp_recheck_min": BP_DISCHARGE_SOURCES["recheck"],
    "booking_past_days": (
        "Clinical choice: a session may be booked or charted as given up to a day late "
        "(paper charting entered the next morning); anything earlier is a late entry and "
        "needs a stated reason, kept with the session."
    ),
    "booking_future_days": (
        "Clinical choice: a year covers the longest course KetaCare books (induction and "
        "maintenance, about 16 weeks) with room to spare; a date beyond it is most often "
        "a typing error (2125 for 2025) and needs a stated reason."
    ),
    "esketamine_min_observation": (
        "Spravato label: observe at least 2 hours after dosing (clinical.md §2.2 [V]); "
        "not a clinic setting."
    ),
}


def protocol_of(code: str) -> ProtocolDefinition | None:
    return SHIPPED.get(code)


def is_esketamine(protocol: ProtocolDefinition | None) -> bool:
    return protocol is not None and protocol.drug is Drug.ESKETAMINE


def is_weight_based(protocol: ProtocolDefinition | None) -> bool:
    """IV racemic ketamine is dosed in mg/kg (clinical.md §1.1); esketamine is fixed-dose."""
    return protocol is not None and protocol.drug is Drug.KETAMINE and protocol.route is Route.IV


def gate_for(rules: SessionRules, protocol: ProtocolDefinition | None) -> BloodPressureGate:
    return rules.esketamine_gate if is_esketamine(protocol) else rules.ketamine_gate


def prescriber_required_on_site(rules: SessionRules, protocol: ProtocolDefinition | None) -> bool:
    return is_esketamine(protocol) or rules.prescriber_on_site_other_protocols


def minimum_observation(rules: SessionRules, protocol: ProtocolDefinition | None) -> dt.timedelta:
    if is_esketamine(protocol):
        return ESKETAMINE_MIN_OBSERVATION
    return dt.timedelta(minutes=rules.iv_min_observation_min)


def observation(
    rules: SessionRules,
    protocol: ProtocolDefinition | None,
    *,
    dosing_started: dt.datetime | None,
    dosing_ended: dt.datetime | None,
) -> Observation:
    """The minimum observation and what it counts from: the first device for esketamine,
    the end of dosing for racemic ketamine (an IV infusion's end, not its start)."""
    if is_esketamine(protocol):
        return Observation(ESKETAMINE_MIN_OBSERVATION, dosing_started, "the first device")
    return Observation(minimum_observation(rules, protocol), dosing_ended, "the end of dosing")


def schedule_for(protocol: ProtocolDefinition | None) -> ReadingSchedule:
    return ESKETAMINE_SCHEDULE if is_esketamine(protocol) else IV_SCHEDULE


def weight_current(last_weighed: dt.date | None, today: dt.date, max_age_days: int) -> bool:
    return last_weighed is not None and (today - last_weighed).days <= max_age_days


def booking_window_problem(moment: dt.datetime, now: dt.datetime, rules: SessionRules) -> str:
    """Why `moment` is outside the clinic's window for booking or charting a session
    (past and future days, clinic settings), or ""; a stated reason lets it through."""
    if moment < now - dt.timedelta(days=rules.booking_past_days):
        return (
            f"{moment:%Y-%m-%d} is more than {rules.booking_past_days} day(s) in the past "
            "(clinic setting): check the date, or give a reason for the late entry"
        )
    if moment > now + dt.timedelta(days=rules.booking_future_days):
        return (
            f"{moment:%Y-%m-%d} is more than {rules.booking_future_days} days ahead "
            "(clinic setting): check the date, or give a reason"
        )
    return ""


@dataclass(frozen=True)
class SettingSpec:
    """One clinic session setting as the settings page shows it: what it is, its unit,
    the values accepted (outside them it is a typing error) and the basis of its default."""

    name: str
    label: str
    unit: str
    low: int
    high: int
    source: str


def _source(name: str) -> str:
    """The basis of a setting's default: the threshold's, or the rule's (both BP gate
    values share their gate's)."""
    if name in THRESHOLD_SOURCES:
        return THRESHOLD_SOURCES[name]
    return RULE_SOURCES[name.removesuffix("_systolic").removesuffix("_diastolic")]


_ROWS: tuple[tuple[str, str, str, int, int], ...] = (
    ("systolic_urgent", "Urgent alert: systolic at or above", "mmHg", 140, 240),
    ("diastolic_urgent", "Urgent alert: diastolic at or above", "mmHg", 80, 150),
    ("spo2_urgent_below", "Urgent alert: SpO2 below", "%", 80, 98),
    ("heart_rate_high", "Alert: heart rate above", "/min", 90, 200),
    ("heart_rate_low", "Alert: heart rate below", "/min", 30, 70),
    ("systolic_rise_from_baseline", "Alert: systolic rise from baseline above", "mmHg", 10, 100),
    ("diastolic_rise_from_baseline", "Alert: diastolic rise from baseline above", "mmHg", 5, 80),
    ("moaas_alert_at_or_below", "Alert: MOAA/S sedation at or below", "score 0-5", 0, 4),
    ("respiratory_rate_low", "Urgent alert: respiratory rate below", "/min", 4, 14),
    ("respiratory_rate_high", "Alert: respiratory rate above", "/min", 18, 40),
    ("esketamine_gate_systolic", "Esketamine BP gate: systolic above", "mmHg", 120, 200),
    ("esketamine_gate_diastolic", "Esketamine BP gate: diastolic above", "mmHg", 70, 130),
    ("ketamine_gate_systolic", "IV ketamine BP gate: systolic above", "mmHg", 120, 200),
    ("ketamine_gate_diastolic", "IV ketamine BP gate: diastolic above", "mmHg", 70, 130),
    (
        "prescriber_on_site_other_protocols",
        "Prescriber on site for other protocols",
        "yes/no",
        0,
        1,
    ),
    (
        "iv_min_observation_min",
        "Racemic ketamine: minimum observation after the end of dosing",
        "min",
        30,
        240,
    ),
    ("esketamine_discharge_systolic", "Esketamine discharge: systolic above", "mmHg", 120, 200),
    ("esketamine_discharge_diastolic", "Esketamine discharge: diastolic above", "mmHg", 70, 130),
    (
        "esketamine_discharge_rise",
        "Esketamine discharge: blood pressure above baseline by more than",
        "mmHg",
        0,
        60,
    ),
    (
        "esketamine_bp_recheck_min",
        "Esketamine: re-measure a high blood pressure every",
        "min",
        5,
        60,
    ),
    ("weight_max_age_days", "Re-weigh for a weight-based dose when older than", "days", 0, 365),
    ("pregnancy_test_required", "Pregnancy test result needed before dosing", "yes/no", 0, 1),
    ("booking_past_days", "Book or chart a session up to this far back", "days", 0, 30),
    ("booking_future_days", "Book a session up to this far ahead", "days", 30, 730),
)
SETTING_SPECS: tuple[SettingSpec, ...] = tuple(
    SettingSpec(name, label, unit, low, high, _source(name))
    for name, label, unit, low, high in _ROWS
)
FLAG_SETTINGS = frozenset({"prescriber_on_site_other_protocols", "pregnancy_test_required"})


def setting_errors(values: dict[str, int | bool]) -> dict[str, list[str]]:
    """Each value outside its accepted range, by setting name."""
    errors: dict[str, list[str]] = {}
    for spec in SETTING_SPECS:
        value = values.get(spec.name)
        if value is None or spec.name in FLAG_SETTINGS:
            continue
        if not spec.low <= int(value) <= spec.high:
            errors[spec.name] = [f"Enter {spec.low}-{spec.high} {spec.unit}."]
    return errors
