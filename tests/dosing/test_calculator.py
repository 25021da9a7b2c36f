"""calculate_dose: the worked examples of issue 4, the refusals, and its properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.dosing import (
    Basis,
    BasisPolicy,
    DoseResult,
    DosingError,
    DosingPolicy,
    calculate_dose,
)
from ketacare.dosing.calculator import devine_ibw
from ketacare.dosing.protocols import SHIPPED, adjusted

TODAY = dt.date(2026, 3, 2)
FRESH = {"weight_measured_on": TODAY - dt.timedelta(days=3), "today": TODAY}


def iv(**kwargs: object) -> DoseResult:
    args = {
        "protocol": "iv_ketamine",
        "dose": "0.5",
        "weight_kg": D("70"),
        "height_cm": D("170"),
        "sex_at_birth": "male",
        "concentration_mg_per_ml": D("10"),
        **FRESH,
        **kwargs,
    }
    return calculate_dose(**args)  # type: ignore[arg-type]


def test_worked_example_70_kg_at_half_mg_per_kg_over_40_minutes() -> None:
    result = iv()
    assert result.dose_mg == D("35")
    assert result.volume_ml == D("3.5")
    assert result.rate_ml_per_h == D("5.25")
    assert result.infusion_minutes == 40
    assert (result.basis, result.weight_used_kg) == (Basis.ACTUAL, D("70"))
    assert result.warnings == ()
    assert any("actual weight" in r for r in result.reasons)


def test_bmi_38_is_dosed_on_devine_ideal_body_weight() -> None:
    result = iv(weight_kg=D("110"))  # 170 cm: BMI 38.1
    ibw = devine_ibw(D("170"), "male")
    assert round(ibw, 2) == D("65.94")  # 50 + 2.3 x (170/2.54 - 60)
    assert result.bmi is not None and round(result.bmi, 1) == D("38.1")
    assert (result.basis, result.weight_used_kg) == (Basis.IDEAL, ibw)
    assert result.volume_ml == D("3.3")  # 32.97 mg at 10 mg/mL, to 0.1 mL
    assert result.dose_mg == D("33.0")
    assert [w.code for w in result.warnings] == ["volume_rounded"]  # never silently
    assert any("Devine IBW" in r and "APA consensus" in r for r in result.reasons)


def test_female_devine_formula_and_adjusted_basis() -> None:
    assert round(devine_ibw(D("160"), "female"), 2) == D("52.38")
    result = iv(
        weight_kg=D("100"), height_cm=D("160"), sex_at_birth="female", weight_basis="adjusted"
    )
    ibw = devine_ibw(D("160"), "female")
    assert result.basis == Basis.ADJUSTED
    assert result.weight_used_kg == ibw + D("0.4") * (D("100") - ibw)


def test_policy_actual_keeps_actual_weight_at_high_bmi() -> None:
    result = iv(weight_kg=D("110"), policy=DosingPolicy(basis_policy=BasisPolicy.ACTUAL))
    assert (result.basis, result.dose_mg) == (Basis.ACTUAL, D("55.0"))


def test_a_dose_above_the_cap_raises_with_the_reason() -> None:
    with pytest.raises(DosingError) as raised:
        iv(dose="0.8")
    assert "above this protocol's maximum of 0.75 mg/kg" in raised.value.reason
    assert "No maximum dose for depression is published" in raised.value.reason


def test_esketamine_cap_and_device_multiples() -> None:
    with pytest.raises(DosingError, match="maximum of 84 mg"):
        calculate_dose(protocol="esketamine_trd", dose=112)
    with pytest.raises(DosingError, match="multiple of 28"):
        calculate_dose(protocol="esketamine_trd", dose=70)
    result = calculate_dose(protocol="esketamine_trd", dose=84)
    assert (result.dose_mg, result.devices, result.volume_ml) == (D("84"), 3, None)


def test_a_clinic_cap_applies() -> None:
    lower = adjusted(
        SHIPPED["iv_ketamine"],
        {"hard_max": "0.6", "dose_max": "0.6", "titration_ceiling": "0.6"},
        version=2,
    )
    with pytest.raises(DosingError, match=r"0\.6 mg/kg"):
        iv(protocol=lower, dose="0.7")


def test_an_old_weight_is_refused_for_weight_based_dosing() -> None:
    with pytest.raises(DosingError, match="31 days old") as raised:
        iv(weight_measured_on=TODAY - dt.timedelta(days=31))
    assert raised.value.field == "weight_kg"
    iv(
        weight_measured_on=TODAY - dt.timedelta(days=31),
        policy=DosingPolicy(weight_max_age_days=60),
    )
    # A fixed-dose protocol needs no weight at all.
    calculate_dose(protocol="esketamine_trd", dose=56)


def test_100_mg_per_ml_warns_that_it_must_be_diluted_for_iv() -> None:
    result = iv(concentration_mg_per_ml=D("100"))
    assert "dilute_before_iv" in [w.code for w in result.warnings]
    assert "Ketalar" in next(w.source for w in result.warnings if w.code == "dilute_before_iv")
    assert result.volume_ml == D("0.4")  # 35 mg / 100 = 0.35 -> 0.4 mL, rounded up
    assert result.dose_mg == D("40")


def test_rounding_never_pushes_a_dose_over_the_cap() -> None:
    # 0.75 mg/kg x 70 kg = 52.5 mg at 50 mg/mL = 1.05 mL; rounding up to 1.1 mL would be
    # 55 mg, above the 52.5 mg cap: the volume is rounded down instead.
    result = iv(dose="0.75", concentration_mg_per_ml=D("50"))
    assert result.volume_ml == D("1.0")
    assert result.dose_mg == D("50.0")


def test_pump_rounding_is_reported_with_the_real_infusion_time() -> None:
    result = iv(weight_kg=D("73"), policy=DosingPolicy(pump_precision_ml_per_h=D("0.1")))
    assert result.volume_ml == D("3.7")  # 36.5 mg -> 3.65 -> 3.7 mL
    assert result.rate_ml_per_h == D("5.6")  # 5.55 mL/h at 0.1 mL/h precision
    assert "rate_rounded" in [w.code for w in result.warnings]
    assert result.rate_ml_per_h is not None and result.infusion_minutes is not None
    assert result.rate_ml_per_h * result.infusion_minutes / 60 == result.volume_ml


def test_usual_range_warns_and_missing_inputs_refuse() -> None:
    result = iv(dose="0.05")
    assert "outside_usual_range" in [w.code for w in result.warnings]
    with pytest.raises(DosingError) as raised:
        iv(concentration_mg_per_ml=None)
    assert raised.value.field == "concentration_mg_per_ml"
    with pytest.raises(DosingError) as raised:
        iv(height_cm=None)
    assert raised.value.field == "height_cm"
    with pytest.raises(DosingError):
        iv(dose="0")


weights = st.decimals(min_value=D("30"), max_value=D("250"), places=1)
heights = st.decimals(min_value=D("150"), max_value=D("210"), places=1)
doses = st.decimals(min_value=D("0.1"), max_value=D("0.75"), places=2)
concs = st.sampled_from([D("10"), D("50"), D("100")])
bases = st.sampled_from(list(Basis))


@given(weights, weights, heights, doses, bases)
def test_dose_rises_with_weight_within_one_basis(
    w1: D, w2: D, height: D, dose: D, basis: Basis
) -> None:
    light, heavy = sorted((w1, w2))
    no_ceiling = DosingPolicy(mg_ceilings={"iv_ketamine": D("1000")})  # weight alone varies
    a = iv(weight_kg=light, height_cm=height, dose=dose, weight_basis=basis, policy=no_ceiling)
    b = iv(weight_kg=heavy, height_cm=height, dose=dose, weight_basis=basis, policy=no_ceiling)
    if a.basis == b.basis:
        assert a.weight_used_kg is not None and b.weight_used_kg is not None
        assert a.weight_used_kg <= b.weight_used_kg
        assert a.dose_mg <= b.dose_mg


@given(
    weights,
    heights,
    st.decimals(min_value=D("0.01"), max_value=D("2"), places=2),
    concs,
    st.integers(min_value=2, max_value=120),
    st.sampled_from(["male", "female", "unknown"]),
)
def test_no_dose_exceeds_its_cap_and_volume_rate_duration_agree(
    weight: D, height: D, dose: D, conc: D, minutes: int, sex: str
) -> None:
    protocol = SHIPPED["iv_ketamine"]
    try:
        result = iv(
            weight_kg=weight,
            height_cm=height,
            dose=dose,
            concentration_mg_per_ml=conc,
            infusion_minutes=minutes,
            sex_at_birth=sex,
        )
    except DosingError as refused:
        too_small = "smallest measurable volume" in refused.reason
        above_ceiling = "clinic's ceiling of 75" in refused.reason
        assert dose > protocol.hard_max or too_small or above_ceiling
        return
    assert result.weight_used_kg is not None and result.volume_ml is not None
    assert result.dose_mg <= protocol.hard_max * result.weight_used_kg
    assert result.dose_mg <= D("75")  # the default ceiling: 0.75 mg/kg at 100 kg
    assert result.volume_ml * conc == result.dose_mg
    assert result.rate_ml_per_h is not None and result.infusion_minutes is not None
    assert abs(result.rate_ml_per_h * result.infusion_minutes / 60 - result.volume_ml) < D("1e-20")


@given(
    st.sampled_from([c for c, p in SHIPPED.items() if not p.weight_based]),
    st.integers(min_value=1, max_value=400),
)
def test_fixed_doses_never_exceed_their_cap(code: str, dose: int) -> None:
    try:
        result = calculate_dose(protocol=code, dose=dose, concentration_mg_per_ml=D("100"))
    except DosingError:
        return
    assert result.dose_mg <= SHIPPED[code].hard_max


# --- the absolute mg ceiling and orders in mg (issue 12, finding 1) -----------------------


def test_esketamine_above_84_mg_is_refused_by_the_cap_and_the_ceiling() -> None:
    with pytest.raises(DosingError) as raised:
        calculate_dose(protocol="esketamine_trd", dose="112")
    assert raised.value.field == "dose" and "84" in raised.value.reason
    clinic = DosingPolicy(mg_ceilings={"esketamine_trd": D("56")})
    with pytest.raises(DosingError) as lowered:
        calculate_dose(protocol="esketamine_trd", dose="84", policy=clinic)
    assert "ceiling of 56 mg" in lowered.value.reason


def test_an_order_in_mg_of_300_for_70_kg_is_4_3_mg_per_kg_and_refused() -> None:
    with pytest.raises(DosingError) as raised:
        iv(dose="300", dose_in_mg=True, concentration_mg_per_ml=None, require_preparation=False)
    assert "4.29 mg/kg for 70.0 kg" in raised.value.reason
    assert raised.value.field == "dose"


def test_an_order_in_mg_within_the_caps_is_converted_to_mg_per_kg() -> None:
    result = iv(dose="35", dose_in_mg=True, concentration_mg_per_ml=None, require_preparation=False)
    assert (result.dose_mg, result.dose_requested) == (D("35"), D("0.5"))
    assert result.volume_ml is None and result.rate_ml_per_h is None
    assert any("charted with the administration" in r for r in result.reasons)


def test_a_heavy_patient_at_0_75_mg_per_kg_meets_the_default_ceiling() -> None:
    policy = DosingPolicy(basis_policy=BasisPolicy.ACTUAL)
    with pytest.raises(DosingError) as raised:
        iv(weight_kg=D("120"), dose="0.75", policy=policy)  # 90 mg
    assert "90 mg is above the clinic's ceiling of 75 mg" in raised.value.reason


@given(
    st.sampled_from(sorted(SHIPPED)),
    st.decimals(min_value=D("1"), max_value=D("600"), places=1),
    st.decimals(min_value=D("30"), max_value=D("250"), places=1),
)
def test_no_order_in_mg_passes_its_caps(code: str, dose_mg: D, weight: D) -> None:
    protocol = SHIPPED[code]
    policy = DosingPolicy(basis_policy=BasisPolicy.ACTUAL)
    try:
        result = calculate_dose(
            protocol=code,
            dose=dose_mg,
            weight_kg=weight,
            policy=policy,
            dose_in_mg=True,
            require_preparation=False,
            weight_measured_on=TODAY,
            today=TODAY,
        )
    except DosingError:
        return
    assert result.dose_mg <= policy.ceiling_mg(protocol)
    per_kg = result.dose_mg / weight if protocol.weight_based else result.dose_mg
    assert per_kg <= protocol.hard_max
