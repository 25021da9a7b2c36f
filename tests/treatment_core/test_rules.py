"""The clinic session settings' accepted ranges: every shipped default is accepted, with
its source; values outside a range are refused by name."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketacare.treatment.monitoring import Thresholds
from ketacare.treatment.rules import FLAG_SETTINGS, SETTING_SPECS, SessionRules, setting_errors

SPECS = {spec.name: spec for spec in SETTING_SPECS}


def _defaults() -> dict[str, int | bool]:
    rules, limits = SessionRules(), Thresholds()
    return {
        **{name: getattr(limits, name) for name in Thresholds.__dataclass_fields__},
        "esketamine_gate_systolic": rules.esketamine_gate.systolic_above,
        "esketamine_gate_diastolic": rules.esketamine_gate.diastolic_above,
        "ketamine_gate_systolic": rules.ketamine_gate.systolic_above,
        "ketamine_gate_diastolic": rules.ketamine_gate.diastolic_above,
        "prescriber_on_site_other_protocols": rules.prescriber_on_site_other_protocols,
        "iv_min_observation_min": rules.iv_min_observation_min,
        "weight_max_age_days": rules.weight_max_age_days,
        "pregnancy_test_required": rules.pregnancy_test_required,
        "esketamine_discharge_systolic": rules.esketamine_discharge_bp.systolic_above,
        "esketamine_discharge_diastolic": rules.esketamine_discharge_bp.diastolic_above,
        "esketamine_discharge_rise": rules.esketamine_discharge_bp.rise_above,
        "esketamine_bp_recheck_min": rules.esketamine_bp_recheck_min,
        "booking_past_days": rules.booking_past_days,
        "booking_future_days": rules.booking_future_days,
    }


def test_every_default_is_accepted_and_cites_its_basis() -> None:
    defaults = _defaults()
    assert set(defaults) == set(SPECS)
    assert setting_errors(defaults) == {}
    assert all(spec.source for spec in SETTING_SPECS)


def test_worked_examples() -> None:
    assert setting_errors({"systolic_urgent": 139}) == {"systolic_urgent": ["Enter 140-240 mmHg."]}
    assert setting_errors({"systolic_urgent": 140, "spo2_urgent_below": 99}) == {
        "spo2_urgent_below": ["Enter 80-98 %."]
    }
    assert setting_errors({"pregnancy_test_required": True}) == {}


@given(st.sampled_from([s for s in SETTING_SPECS if s.name not in FLAG_SETTINGS]), st.integers())
def test_a_value_is_refused_exactly_when_outside_its_range(spec: object, value: int) -> None:
    assert hasattr(spec, "name")
    name, low, high = spec.name, spec.low, spec.high  # type: ignore[attr-defined]
    refused = name in setting_errors({name: value})
    assert refused == (not low <= value <= high)
