"""Unit tests of the engine: the matrix exponential, the stepping, the streaming outputs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from ketacare.dosing.protocols import Route
from ketacare.pharmacology import MODELS, simulate
from ketacare.pharmacology.engine import (
    _Percentiles,
    batched_expm,
    build_system,
    sample_parameters,
    time_grid,
    van_loan,
)
from ketacare.pharmacology.models import KAMP2020, PEREZ_RUIXO_2021
from ketacare.pharmacology.regimens import (
    DAY_MIN,
    Dose,
    er_twice_weekly,
    esketamine_label,
    every_few_days,
    iv_induction,
)

IV_40 = (Dose(0, Route.IV, 35.0, 40.0),)


def test_batched_expm_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    stack = (
        rng.normal(size=(50, 9, 9)) * np.array([0.01, 1, 40])[:, None, None].repeat(17, axis=0)[:50]
    )
    ours = batched_expm(stack)
    for mine, matrix in zip(ours, stack, strict=True):
        reference = expm(matrix)
        assert np.abs(mine - reference).max() <= 1e-10 * max(1.0, np.abs(reference).max())


def test_van_loan_gives_the_input_integral() -> None:
    # One compartment, k = 0.1/min: Φ = e^{-kΔt}, Γ = (1 − e^{-kΔt}) / k.
    A = np.array([[[-0.1]]])
    phi, gamma = van_loan(A, 3.0)
    assert phi[0, 0, 0] == pytest.approx(np.exp(-0.3), rel=1e-14)
    assert gamma[0, 0, 0] == pytest.approx((1 - np.exp(-0.3)) / 0.1, rel=1e-14)


def test_an_infusion_matches_the_exact_exponential() -> None:
    # The end-of-infusion state of the Clements model, from scipy's expm directly.
    result = simulate(MODELS["clements"], IV_40, hours=2, keep_curves=True)
    params = sample_parameters(
        MODELS["clements"], subjects=1, weight_kg=70, age_years=40, variability=False, seed=None
    )
    system = build_system(MODELS["clements"], params, IV_40)
    A = system.A[0]
    rate = np.zeros(A.shape[0])
    rate[0] = 35 / 40
    block = np.zeros((2 * A.shape[0],) * 2)
    block[: A.shape[0], : A.shape[0]] = A * 40
    block[: A.shape[0], A.shape[0] :] = np.eye(A.shape[0]) * 40
    x40 = expm(block)[: A.shape[0], A.shape[0] :] @ rate
    assert result.curves is not None
    at_40 = np.searchsorted(result.time_min, 40)
    assert result.curves["cp"][0, at_40] == pytest.approx(
        x40[0] / system.v_central[0] * 1000, rel=1e-12
    )


def test_modal_and_dense_stepping_agree() -> None:
    regimen = esketamine_label(84, weeks=1)
    kwargs = dict(hours=96, step_min=2.0, subjects=20, seed=4, keep_curves=True)
    modal = simulate(PEREZ_RUIXO_2021, regimen, modal=True, **kwargs)  # type: ignore[arg-type]
    dense = simulate(PEREZ_RUIXO_2021, regimen, modal=False, **kwargs)  # type: ignore[arg-type]
    assert modal.curves is not None and dense.curves is not None
    for output in ("cp", "ce", "metabolite"):
        peak = dense.curves[output].max()
        assert np.abs(modal.curves[output] - dense.curves[output]).max() < 1e-9 * peak


def test_every_event_time_is_on_the_grid() -> None:
    params = sample_parameters(
        PEREZ_RUIXO_2021, subjects=1, weight_kg=70, age_years=40, variability=False, seed=None
    )
    system = build_system(PEREZ_RUIXO_2021, params, (Dose(7.3, Route.INTRANASAL, 84),))
    grid = time_grid(3, 10, system.inputs)
    for event in (7.3, 12.3, 17.3, 7.3 + 31.8, 17.3 + 31.8):
        assert np.isclose(grid, event).any()


def test_results_do_not_depend_on_the_chunk_size() -> None:
    regimen = iv_induction(70, sessions=2)
    a = simulate(KAMP2020, regimen, hours=72, subjects=50, seed=9, chunk=7)
    b = simulate(KAMP2020, regimen, hours=72, subjects=50, seed=9, chunk=1000)
    np.testing.assert_allclose(a.percentiles["cp"], b.percentiles["cp"], rtol=1e-12)
    np.testing.assert_allclose(a.summary.auc_ng_h_ml, b.summary.auc_ng_h_ml, rtol=1e-12)
    np.testing.assert_array_equal(a.summary.tmax_min, b.summary.tmax_min)


def test_a_seed_reproduces_a_population_and_another_seed_differs() -> None:
    a = simulate(KAMP2020, IV_40, hours=3, subjects=30, seed=1)
    b = simulate(KAMP2020, IV_40, hours=3, subjects=30, seed=1)
    c = simulate(KAMP2020, IV_40, hours=3, subjects=30, seed=2)
    np.testing.assert_array_equal(a.summary.cmax_ng_ml, b.summary.cmax_ng_ml)
    assert not np.array_equal(a.summary.cmax_ng_ml, c.summary.cmax_ng_ml)


def test_variability_is_log_normal_with_omega_squared_ln_1_plus_cv_squared() -> None:
    params = sample_parameters(
        PEREZ_RUIXO_2021, subjects=200_000, weight_kg=70, age_years=40, variability=True, seed=5
    )
    log_kel = np.log(params["kel"])
    assert log_kel.var() == pytest.approx(np.log(1 + 1.20**2), rel=0.02)
    assert np.median(params["kel"]) == pytest.approx(1.11 / 60, rel=0.02)
    # FRn: additive on the logit scale, so it stays a fraction.
    assert params["FRn"].min() > 0 and params["FRn"].max() < 1


def test_percentiles_match_numpy_and_the_curves() -> None:
    result = simulate(KAMP2020, IV_40, hours=4, subjects=501, seed=3, keep_curves=True)
    assert result.curves is not None
    expected = np.percentile(result.curves["cp"], [5, 50, 95], axis=0)
    np.testing.assert_allclose(result.percentiles["cp"], expected, rtol=1e-6, atol=1e-9)
    assert result.curves["cp"].shape == (501, len(result.time_min))


def test_selection_percentiles_equal_numpy_for_small_and_odd_populations() -> None:
    rng = np.random.default_rng(0)
    for subjects in (2, 3, 7, 100, 1001):
        rows = rng.random((20, subjects)).astype(np.float32).astype(np.float64)
        expected = np.percentile(rows, [5, 50, 95], axis=1)
        np.testing.assert_allclose(_Percentiles(subjects)(rows), expected, rtol=1e-7)


def test_selection_percentiles_with_many_zeros_equal_numpy() -> None:
    """A long tail after the last dose: most subjects at zero (ties broken by subnormals,
    which never reach the answer) and the rest spread down to 1e-45 (issue 14)."""
    rng = np.random.default_rng(1)
    for subjects, zeros in ((10, 0.5), (1001, 0.83), (10_000, 0.97), (500, 1.0)):
        rows = 10.0 ** rng.uniform(-50, 1, (40, subjects))
        rows[rng.random(rows.shape) < zeros] = 0.0
        rows[0] = 0.0  # a time point before the first dose: every subject at zero
        rows = rows.astype(np.float32).astype(np.float64)
        expected = np.percentile(rows, [5, 50, 95], axis=1)
        got = _Percentiles(subjects)(rows)
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1.2e-38)
        assert (got[:, 0] == 0).all() and (got >= 0).all()
        assert ((got == 0) | (got >= np.finfo(np.float32).tiny)).all()


def test_population_runs_keep_no_curves_unless_asked() -> None:
    result = simulate(KAMP2020, IV_40, hours=2, subjects=40, seed=1)
    assert result.curves is None
    assert result.percentiles["cp"].shape == (3, len(result.time_min))


def test_summaries_of_the_typical_subject() -> None:
    result = simulate(MODELS["domino"], IV_40, hours=6, keep_curves=True)
    assert result.curves is not None
    cp = result.curves["cp"][0]
    assert result.summary.cmax_ng_ml[0] == cp.max()
    assert result.summary.tmax_min[0] == 40.0
    assert result.summary.auc_ng_h_ml[0] == pytest.approx(np.trapezoid(cp, result.time_min) / 60)
    minutes_above = np.diff(result.time_min)[(cp[:-1] >= 100) & (cp[1:] >= 100)].sum()
    assert abs(result.summary.time_above_min[0] - minutes_above) <= 1.0


def test_regimen_helpers() -> None:
    induction = iv_induction(80)
    assert [d.time_min / DAY_MIN for d in induction] == [0, 2, 4, 7, 9, 11]
    assert {(d.amount_mg, d.duration_min, d.route) for d in induction} == {(40, 40, Route.IV)}
    label = esketamine_label(84)
    assert [d.amount_mg for d in label][:3] == [56, 84, 84]  # the first dose is 56 mg
    assert len(label) == 8 and label[-1].time_min == 24 * DAY_MIN
    er = er_twice_weekly(180, weeks=2)
    assert [d.time_min / DAY_MIN for d in er] == [0, 3, 7, 10]
    oral = every_few_days(Route.ORAL, 50, every_days=2.5, doses=3)
    assert [d.time_min for d in oral] == [0, 3600, 7200]


def test_an_intranasal_dose_is_whole_devices() -> None:
    with pytest.raises(ValueError, match="28 mg"):
        Dose(0, Route.INTRANASAL, 50)


def test_a_model_refuses_a_route_it_does_not_describe() -> None:
    with pytest.raises(ValueError, match="route"):
        simulate(KAMP2020, (Dose(0, Route.INTRANASAL, 56),), hours=1)
