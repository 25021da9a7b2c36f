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
    BP_GATE_SOURCES,
    DEFAULT_BP_GATES,
    ESKETAMINE_MIN_OBSERVATION,
    BloodPressureGate,
)
from ketacare.treatment.monitoring import (
    ESKETAMINE_SCHEDULE,
    IV_SCHEDULE,
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


RULE_SOURCES: dict[str, str] = {
    "esketamine_gate": BP_GATE_SOURCES["esketamine"],
    "ketamine_gate": BP_GATE_SOURCES["ketamine"],
    "prescriber_on_site_other_protocols": (
        "The Spravato REMS requires a prescriber on site for esketamine (clinical.md §4.3 "
        "[V]); for other protocols it is a clinic choice, on by default as the safer one."
    ),
    "iv_min_observation_min": (
        "Clinical choice: no published minimum observation after IV ketamine (clinical.md "
        "§4.5 [NF]); 60 min from the start of the infusion covers the 40-min infusion and "
        "the observed peak BP rise at 30-40 min (clinical.md §4.1)."
    ),
    "weight_max_age_days": (
        "Clinical choice: IV ketamine is dosed per kg (0.5 mg/kg, APA consensus, clinical.md "
        "§1.1); a weight older than this is re-measured before a weight-based dose."
    ),
    "pregnancy_test_required": (
        "Clinic-set: no source consulted mandates a test at every session; when on, a "
        "result is needed before dosing for patients recorded female at birth."
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


def schedule_for(protocol: ProtocolDefinition | None) -> ReadingSchedule:
    return ESKETAMINE_SCHEDULE if is_esketamine(protocol) else IV_SCHEDULE


def weight_current(last_weighed: dt.date | None, today: dt.date, max_age_days: int) -> bool:
    return last_weighed is not None and (today - last_weighed).days <= max_age_days
