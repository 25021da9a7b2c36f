"""Exact simulation of the linear PK models. Pure: NumPy and SciPy only.

Method (reference §6): every model, with its depots, metabolite and effect site, is one
linear system x' = A x + r, r piecewise constant (infusions, zero-order phases). Over a step
Δt the zero-order hold is exact: x ← Φ x + Γ r with Φ = e^{AΔt}, Γ = ∫₀^Δt e^{As} ds, both
read from one matrix exponential of Van Loan's block matrix [[A, I], [0, 0]]·Δt. Boluses
and device doses are jumps in state. Every event time is a grid point, so nothing falls
between steps.

Subjects are vectorised: state arrays are (states, subjects). When A is diagonalisable with
well-conditioned eigenvectors (always, in practice, for these mammillary models), the step
runs in modal coordinates, z ← φ ⊙ z + γ (φ, γ from the same Van Loan exponential), which
costs n multiply-adds per subject and step instead of n²; otherwise the dense step is used.

A population run streams: it keeps one chunk of time points at a time, updating per-subject
summaries and the 5/50/95th percentiles per time point, and keeps the full subjects × times
curves only when asked (`keep_curves=True`). A worker thread reduces each chunk while the
caller's thread steps the next, so a run uses two cores.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ketacare.dosing.protocols import Route
from ketacare.pharmacology.effect import EffectModel
from ketacare.pharmacology.models import (
    OLOFSEN_KE0,
    PR_DEVICE_MG,
    PR_DPO_MIN,
    PR_DSW_MIN,
    PR_FGUT,
    PR_LATER_DEVICE_FRN,
    RACEMIC_ABSORPTION,
    Model,
)
from ketacare.pharmacology.regimens import Dose

Array = NDArray[np.float64]
PERCENTILES = (5.0, 50.0, 95.0)
DEVICE_INTERVAL_MIN = 5.0  # SPRAVATO instructions: 5 min rest between devices
MG_L_TO_NG_ML = 1000.0


# ---------------------------------------------------------------- parameters


def sample_parameters(
    model: Model,
    *,
    subjects: int,
    weight_kg: float,
    age_years: float,
    variability: bool,
    seed: int | None,
) -> dict[str, Array]:
    """Per-subject parameters: typical × e^η with η ~ N(0, ω²), ω² = ln(1 + CV²); logit-
    scale parameters (FRn) get an additive η. Draws are in sorted name order, so a seed
    reproduces a population."""
    typical = model.typical(weight_kg, age_years)
    params = {name: np.full(subjects, value) for name, value in typical.items()}
    if not variability:
        return params
    rng = np.random.default_rng(seed)
    for name in sorted(model.iiv_cv):
        omega = np.sqrt(np.log1p(model.iiv_cv[name] ** 2))
        params[name] = params[name] * np.exp(omega * rng.standard_normal(subjects))
    for name in sorted(model.logit_iiv_sd):
        p = params[name]
        logit = np.log(p / (1 - p)) + model.logit_iiv_sd[name] * rng.standard_normal(subjects)
        params[name] = 1 / (1 + np.exp(-logit))
    return params


# ---------------------------------------------------------------- systems


@dataclass(frozen=True)
class Input:
    """Drug entering one state: a jump (duration 0) or a constant rate over `duration`."""

    start: float
    duration: float
    state: int
    amount: Array  # mg per subject


@dataclass(frozen=True)
class System:
    A: Array  # (subjects, n, n), min⁻¹
    names: tuple[str, ...]
    central: int
    v_central: Array
    effect: int  # holds Ce directly, in mg/L
    inputs: tuple[Input, ...]
    metabolite: int | None = None
    v_metabolite: Array | None = None


def _flow(A: Array, source: int, target: int | None, rate: Array) -> None:
    """First-order transfer from `source` to `target` (None: out of the system)."""
    A[:, source, source] -= rate
    if target is not None:
        A[:, target, source] += rate


def _with_effect_site(A: Array, central: int, v_central: Array) -> Array:
    # dCe/dt = ke0·(x_central/V_central − Ce): linear, so part of the same system.
    n = A.shape[1]
    out = np.zeros((A.shape[0], n + 1, n + 1))
    out[:, :n, :n] = A
    out[:, n, central] = OLOFSEN_KE0 / v_central
    out[:, n, n] = -OLOFSEN_KE0
    return out


def _racemic_system(p: dict[str, Array], regimen: Sequence[Dose]) -> System:
    names = ["central", "peripheral2"] + (["peripheral3"] if "V3" in p else [])
    depots = sorted(
        {d.route for d in regimen if (a := RACEMIC_ABSORPTION.get(d.route)) and a.ka_per_min},
        key=str,
    )
    names += [f"depot_{route}" for route in depots]
    S, n = len(p["V1"]), len(names)
    A = np.zeros((S, n, n))
    _flow(A, 0, None, p["CL"] / p["V1"])
    for i, (q, v) in enumerate([("Q2", "V2"), ("Q3", "V3")][: 2 if "V3" in p else 1], 1):
        _flow(A, 0, i, p[q] / p["V1"])
        _flow(A, i, 0, p[q] / p[v])
    for route in depots:
        ka = RACEMIC_ABSORPTION[route].ka_per_min
        assert ka is not None
        _flow(A, names.index(f"depot_{route}"), 0, np.full(S, ka))
    inputs = []
    for dose in regimen:
        amount = np.full(S, dose.amount_mg)
        if dose.route is Route.IV:
            inputs.append(Input(dose.time_min, dose.duration_min, 0, amount))
            continue
        absorption = RACEMIC_ABSORPTION[dose.route]
        target = names.index(f"depot_{dose.route}") if absorption.ka_per_min else 0
        inputs.append(
            Input(
                dose.time_min,
                absorption.zero_order_min,
                target,
                amount * absorption.bioavailability,
            )
        )
    A = _with_effect_site(A, 0, p["V1"])
    return System(A, (*names, "effect"), 0, p["V1"], n, tuple(inputs))


PR_STATES = (
    "nasal",
    "swallowed",
    "oral",
    "central",
    "peripheral1",
    "peripheral2",
    "liver",
    "noresketamine",
    "noresketamine_peripheral",
)


def _perez_ruixo_system(p: dict[str, Array], regimen: Sequence[Dose]) -> System:
    s = {name: i for i, name in enumerate(PR_STATES)}
    S = len(p["Vc"])
    A = np.zeros((S, len(PR_STATES), len(PR_STATES)))
    _flow(A, s["nasal"], s["central"], p["ka_n"])
    _flow(A, s["swallowed"], s["liver"], p["ka_sw"])
    _flow(A, s["oral"], s["liver"], p["ka_po"])
    for q, v, peripheral in (("Q1", "Vp1", "peripheral1"), ("Q2", "Vp2", "peripheral2")):
        _flow(A, s["central"], s[peripheral], p[q] / p["Vc"])
        _flow(A, s[peripheral], s["central"], p[q] / p[v])
    _flow(A, s["central"], s["liver"], p["Qh"] / p["Vc"])
    _flow(A, s["liver"], s["central"], p["Qh"] / p["Vh"])
    _flow(A, s["liver"], None, p["kel"])
    _flow(A, s["liver"], s["noresketamine"], p["kmet"])
    _flow(A, s["noresketamine"], None, p["CLn"] / p["Vcn"])
    _flow(A, s["noresketamine"], s["noresketamine_peripheral"], p["Q3"] / p["Vcn"])
    _flow(A, s["noresketamine_peripheral"], s["noresketamine"], p["Q3"] / p["Vpn"])
    inputs: list[Input] = []
    for dose in regimen:
        if dose.route is Route.INTRANASAL:
            inputs += _device_inputs(dose, p["FRn"], s)
        elif dose.route is Route.ORAL:  # oral solution
            amount = np.full(S, dose.amount_mg * PR_FGUT)
            inputs.append(Input(dose.time_min, PR_DPO_MIN, s["oral"], amount))
        else:
            amount = np.full(S, dose.amount_mg)
            inputs.append(Input(dose.time_min, dose.duration_min, s["central"], amount))
    A = _with_effect_site(A, s["central"], p["Vc"])
    return System(
        A,
        (*PR_STATES, "effect"),
        s["central"],
        p["Vc"],
        len(PR_STATES),
        tuple(inputs),
        metabolite=s["noresketamine"],
        v_metabolite=p["Vcn"],
    )


def _device_inputs(dose: Dose, frn: Array, s: dict[str, int]) -> list[Input]:
    """Each 28 mg device: FRn to the nasal depot (× 0.62 for each later device), the
    swallowed rest (1 − FRn)·Fgut zero-order over Dsw towards the liver."""
    inputs = []
    for device in range(int(dose.amount_mg // PR_DEVICE_MG)):
        at = dose.time_min + device * DEVICE_INTERVAL_MIN
        fraction = frn * (PR_LATER_DEVICE_FRN if device else 1.0)
        inputs.append(Input(at, 0.0, s["nasal"], PR_DEVICE_MG * fraction))
        swallowed = PR_DEVICE_MG * (1 - fraction) * PR_FGUT
        inputs.append(Input(at, PR_DSW_MIN, s["swallowed"], swallowed))
    return inputs


def build_system(model: Model, params: dict[str, Array], regimen: Sequence[Dose]) -> System:
    for dose in regimen:
        if dose.route not in model.routes:
            raise ValueError(f"model {model.key} does not describe the {dose.route} route")
    if model.has_metabolite:
        return _perez_ruixo_system(params, regimen)
    return _racemic_system(params, regimen)


# ---------------------------------------------------------------- time grid


def time_grid(hours: float, step_min: float, inputs: Sequence[Input]) -> Array:
    """The output grid plus every event time (dose starts and ends) within it."""
    end = hours * 60
    regular = np.arange(0.0, end + step_min / 2, step_min)
    events = [i.start for i in inputs] + [i.start + i.duration for i in inputs if i.duration]
    times = np.concatenate([regular, [e for e in events if 0 <= e <= end], [end]])
    times = np.unique(np.round(times, 9))
    return times[times <= end]


# ---------------------------------------------------------------- stepping


def van_loan(A: Array, dt: float) -> tuple[Array, Array]:
    """Φ = e^{AΔt} and Γ = ∫₀^Δt e^{As} ds from one exponential of [[A, I], [0, 0]]·Δt."""
    S, n, _ = A.shape
    block = np.zeros((S, 2 * n, 2 * n))
    block[:, :n, :n] = A * dt
    block[:, :n, n:] = np.eye(n) * dt
    exponential = batched_expm(block)
    return exponential[:, :n, :n], exponential[:, :n, n:]


# Padé(13) coefficients and the 1-norm bound below which no scaling is needed
# (Higham 2005, "The scaling and squaring method for the matrix exponential revisited").
_PADE13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA13 = 5.371920351148152


def batched_expm(M: Array) -> Array:
    """e^M for a stack of matrices (S, m, m): Higham's Padé(13) scaling and squaring, with
    one scaling for the whole stack, as batched matrix products. scipy.linalg.expm gives the
    same result but loops over the stack in Python-level calls (≈1 ms a matrix)."""
    norm = np.abs(M).sum(axis=1).max()
    squarings = max(0, int(np.ceil(np.log2(norm / _THETA13)))) if norm > 0 else 0
    A = M / 2.0**squarings
    b = _PADE13
    eye = np.broadcast_to(np.eye(M.shape[-1]), M.shape)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (
        A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye
    )
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    R = np.linalg.solve(V - U, V + U)
    for _ in range(squarings):
        R = R @ R
    return np.asarray(R, dtype=np.float64)


class _Stepper:
    """Advances the state of all subjects over one grid interval.

    After `track(weights)`, `read` gives the outputs (e.g. Cp and Ce) directly. In modal
    coordinates the state is then kept once per output, pre-multiplied by that output's
    weights: a step is still one multiplication, and the readout becomes a plain sum over
    the modes, with no multiplications (the readout was the costliest part of a step)."""

    def __init__(self, system: System, modal: bool | None = None) -> None:
        self.A = system.A
        S, n, _ = system.A.shape
        vectors = _eigenvectors(system.A) if modal is not False else None
        if modal and vectors is None:
            raise ValueError("this system has no well-conditioned real eigenbasis")
        self.modal = vectors is not None
        if vectors is not None:
            self.V = vectors
            self.W = np.asarray(np.linalg.inv(vectors), dtype=np.float64)
            # The eigenvalues, (n, S): in modal coordinates a step's φ and Γ follow from
            # them directly, with no matrix exponential (below).
            self.eigenvalues = np.einsum("sij,sjk,ski->is", self.W, system.A, self.V)
        else:
            self.V = self.W = np.broadcast_to(np.eye(n), (S, n, n))
        self.z = np.zeros((n, S))  # (outputs, n, S) once tracked in modal coordinates
        self.weights: Array | None = None
        self._steps: dict[float, tuple[Array, Array]] = {}

    def track(self, weights: Array) -> None:
        """Read these outputs from now on: weights (outputs, n, S) from `readout`."""
        self.weights = weights
        if self.modal:
            self.z = weights * self.z

    def step_matrices(self, key: float) -> tuple[Array, Array]:
        """(φ, Γ) for Δt (rounded to 1e-9 min) in the stepper's coordinates: φ is (n, S)
        in modal coordinates, else (n, n, S)."""
        if key not in self._steps:
            if self.modal:
                # A = V·diag(λ)·W, so Φ = V·diag(e^{λΔt})·W and Γ = V·diag(g)·W with
                # g = (e^{λΔt} − 1)/λ (Δt where λ = 0, the sink): in modal coordinates φ is
                # e^{λΔt} and W·Γ is diag(g)·W. One exponential per mode and subject
                # instead of a batched Padé exponential of the (2n × 2n) Van Loan block per
                # step length (issue 14: 3.3 of 4.9 s for the nasal model over 28 days).
                scaled = self.eigenvalues * key
                tiny = np.abs(scaled) < 1e-12
                safe = np.where(tiny, 1.0, self.eigenvalues)
                g = np.where(tiny, key, np.expm1(scaled) / safe)
                diagonal = np.exp(scaled)
                self._steps[key] = (np.ascontiguousarray(diagonal), g.T[:, :, None] * self.W)
            else:
                phi, gamma = van_loan(self.A, key)
                self._steps[key] = (np.ascontiguousarray(phi.transpose(1, 2, 0)), gamma)
        return self._steps[key]

    def forcing(self, dt: float, rates: Array) -> Array:
        """γ = Γ·r in stepper coordinates, (n, S), for per-subject rates (S, n)."""
        gamma = self.step_matrices(dt)[1]
        return self._scaled(np.einsum("sij,sj->is", gamma, rates))

    def jump(self, state: int, amount: Array) -> None:
        self.z += self._scaled(self.W[:, :, state].T * amount)

    def _scaled(self, change: Array) -> Array:
        if self.modal and self.weights is not None:
            return self.weights * change
        return np.ascontiguousarray(change)

    def advance(self, dt: float, forcing: Array | None) -> None:
        self.advance_with(self.step_matrices(round(dt, 9))[0], forcing)

    def advance_with(self, phi: Array, forcing: Array | None) -> None:
        if self.modal:
            self.z *= phi
        else:
            self.z = np.einsum("ijs,js->is", phi, self.z)
        if forcing is not None:
            self.z += forcing

    def read(self, out: Array) -> None:
        """The tracked outputs now, into `out` (outputs, S)."""
        assert self.weights is not None, "call track() first"
        if self.modal:
            np.add.reduce(self.z, axis=1, out=out)
        else:
            np.einsum("ons,ns->os", self.weights, self.z, out=out)

    def readout(self, state: int, scale: Array) -> Array:
        """Weights (n, S) turning stepper coordinates into state/scale."""
        return np.ascontiguousarray(self.V[:, state, :].T / scale)


def _eigenvectors(A: Array) -> Array | None:
    """Real, well-conditioned eigenvectors of every subject's A, or None (dense stepping)."""
    values, vectors = np.linalg.eig(A)
    if np.abs(values.imag).max(initial=0.0) > 1e-12 or np.abs(vectors.imag).max() > 1e-12:
        return None
    real = np.ascontiguousarray(vectors.real)
    return real if np.linalg.cond(real).max() < 1e6 else None


# ---------------------------------------------------------------- streaming outputs


class _Percentiles:
    """Exact order statistics per time point, combined by numpy's linear percentile rule.

    numpy's multi-`kth` partition re-partitions the whole row for each rank; here each
    lower rank is selected inside the segment its neighbours already bound, and the next
    rank up (for the interpolation) is the minimum of what lies above it, which costs about
    two single-rank partitions in all. Selection runs on float32 copies: a relative rounding
    of 6e-8, far below any model or clinical precision, for half the memory traffic.

    The values are concentrations, non-negative but for ±1e-13 round-off, and are clipped
    at zero. Non-negative IEEE floats order exactly as their bits read as integers, and
    numpy partitions int32 about twice as fast as float32 (no NaN handling). Negative
    values all order below the others that way too (if not among themselves), so clipping
    the selected statistics equals clipping the data first, without a pass over it.

    Long after the last dose most subjects' concentrations underflow to zero in float32
    (below 1.4e-45), and numpy's selection slows about tenfold on a row of many equal
    values (28 days after one infusion, 83% of a population is zero): a row with zeros gets
    a distinct subnormal for each (at most 1.4e-41 for 10,000 subjects), and a statistic
    under float32's smallest normal number (1.2e-38 ng/mL) is read as zero. Issue 14:
    the simulator page's 4 regimens × 28 days × 10,000 subjects."""

    def __init__(self, subjects: int, levels: Sequence[float] = PERCENTILES) -> None:
        position = np.asarray(levels) / 100 * (subjects - 1)
        self.low = np.floor(position).astype(int)
        self.weight = (position - self.low)[:, None]
        self.ranks = sorted(set(self.low.tolist()))
        self.tiebreak = np.arange(1, subjects + 1, dtype=np.int32)

    def __call__(self, rows: Array) -> Array:
        """Percentiles (levels, ...) over the last axis of rows (..., subjects)."""
        if rows.shape[-1] == 1:  # one subject: every percentile is its curve
            leading = np.maximum(rows[..., 0], 0.0)
            return np.repeat(leading[None], len(self.low), axis=0)
        work = rows.astype(np.float32).reshape(-1, rows.shape[-1])
        keys = work.view(np.int32)
        if np.count_nonzero(keys) < keys.size:  # zeros: make the ties distinct
            zero = keys == 0
            keys[zero] = np.broadcast_to(self.tiebreak, keys.shape)[zero]
        _select(keys, 0, work.shape[1], self.ranks)
        bounds = [*self.ranks[1:], work.shape[1] - 1]
        above = {
            rank: work[:, rank + 1 : bound + 1].min(axis=1) if rank + 1 <= bound else work[:, rank]
            for rank, bound in zip(self.ranks, bounds, strict=True)
        }
        low = _flushed(work[:, self.low].T.astype(np.float64))
        high = _flushed(np.array([above[rank] for rank in self.low], dtype=np.float64))
        return (low + (high - low) * self.weight).reshape(len(self.low), *rows.shape[:-1])


FLOAT32_TINY = float(np.finfo(np.float32).tiny)  # the smallest normal float32


def _flushed(values: Array) -> Array:
    """Selected statistics clipped at zero, and subnormal ones (ties broken) read as 0."""
    return np.where(values < FLOAT32_TINY, 0.0, values)


def _select(work: NDArray[np.int32], start: int, stop: int, ranks: list[int]) -> None:
    """Partition work[:, start:stop] in place so each rank in `ranks` holds its order
    statistic, bisecting the rank list so every partition works on a shrinking segment."""
    if not ranks:
        return
    middle = len(ranks) // 2
    rank = ranks[middle]
    work[:, start:stop].partition(rank - start, axis=1)
    _select(work, start, rank, ranks[:middle])
    _select(work, rank + 1, stop, ranks[middle + 1 :])


class _Summaries:
    """Per-subject Cmax, Tmax, AUC and times above thresholds, updated chunk by chunk.

    Areas and times use the trapezoidal rule on the whole grid, written as a weighted sum
    (weight (t[k+1] − t[k−1]) / 2 per point) so each chunk is one matrix–vector product.
    A time above a threshold is the trapezoidal integral of the indicator: exact to within
    one grid step."""

    def __init__(
        self, times: Array, subjects: int, thresholds: dict[str, tuple[str, float]]
    ) -> None:
        padded = np.r_[times[0], times, times[-1]]
        self.weights = (padded[2:] - padded[:-2]) / 2
        self.times = times
        self.cmax = np.full(subjects, -np.inf)
        self.tmax = np.zeros(subjects)
        self.auc = np.zeros(subjects)
        self.thresholds = thresholds
        self.above = {name: np.zeros(subjects) for name in thresholds}

    def update(self, start: int, outputs: dict[str, Array]) -> None:
        cp = outputs["cp"]
        stop = start + cp.shape[0]
        peak = cp.max(axis=0)
        better = peak > self.cmax
        if better.any():
            index = np.flatnonzero(better)
            self.tmax[index] = self.times[start + cp[:, index].argmax(axis=0)]
            self.cmax[index] = peak[index]
        weights = self.weights[start:stop]
        # einsum, not a BLAS product: OpenBLAS would start (and spin) threads of its own
        # next to the stepping thread for these shapes.
        self.auc += np.einsum("k,ks->s", weights, cp) / 60
        for name, (output, level) in self.thresholds.items():
            rows = outputs[output]
            # Concentrations are mostly far below any threshold: only rows that reach it.
            reaching = np.flatnonzero(rows.max(axis=1) >= level)
            if len(reaching):
                self.above[name] += np.einsum("k,ks->s", weights[reaching], rows[reaching] >= level)


class _Collector:
    """Turns each chunk of outputs (outputs, points, subjects) into summaries and
    percentiles, and keeps the curves when asked."""

    def __init__(
        self, names: list[str], summaries: _Summaries, subjects: int, keep_curves: bool
    ) -> None:
        self.names = names
        self.summaries = summaries
        self.percentiles = _Percentiles(subjects)
        self.keep_curves = keep_curves
        self.pieces: dict[str, list[Array]] = {name: [] for name in names}
        self.kept: dict[str, list[Array]] = {name: [] for name in names}

    def __call__(self, start: int, block: Array) -> None:
        # The modal readout leaves ±1e-13 round-off around zero concentrations: Cmax, the
        # percentiles and kept curves clip it; AUC integrates it (< 1e-9 ng·h/mL).
        outputs = dict(zip(self.names, block, strict=True))
        self.summaries.update(start, outputs)
        percentiles = self.percentiles(block)  # (levels, outputs, points): one pass for all
        for index, (name, values) in enumerate(outputs.items()):
            self.pieces[name].append(percentiles[:, index])
            if self.keep_curves:
                self.kept[name].append(np.maximum(values.T, 0.0))


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class SubjectSummary:
    cmax_ng_ml: Array
    tmax_min: Array
    auc_ng_h_ml: Array
    time_above_min: Array  # Cp at or above `threshold_ng_ml`
    time_in_window_min: Array  # Ce in the "dissociation likely" window


@dataclass(frozen=True)
class Result:
    model: Model
    regimen: tuple[Dose, ...]
    time_min: Array
    percentile_levels: tuple[float, ...]
    percentiles: dict[str, Array]  # output -> (levels, times), ng/mL
    summary: SubjectSummary
    threshold_ng_ml: float
    window_ce_ng_ml: float
    effect: EffectModel
    curves: dict[str, Array] | None  # output -> (subjects, times), when kept
    modal: bool

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(self.percentiles)

    def median(self, output: str) -> Array:
        return self.percentiles[output][self.percentile_levels.index(50.0)]


Progress = Callable[[int, int], None]


def simulate(
    model: Model,
    regimen: Sequence[Dose],
    *,
    hours: float,
    step_min: float = 1.0,
    weight_kg: float = 70.0,
    age_years: float = 40.0,
    subjects: int = 1,
    seed: int | None = None,
    variability: bool | None = None,
    effect: EffectModel | None = None,
    threshold_ng_ml: float = 100.0,
    keep_curves: bool = False,
    chunk: int = 32,
    progress: Progress | None = None,
    modal: bool | None = None,
) -> Result:
    """Simulate `regimen` in `subjects` subjects (the typical subject when variability is
    off, which is the default for one subject)."""
    effect = effect or EffectModel()
    variability = subjects > 1 if variability is None else variability
    params = sample_parameters(
        model,
        subjects=subjects,
        weight_kg=weight_kg,
        age_years=age_years,
        variability=variability,
        seed=seed,
    )
    system = build_system(model, params, regimen)
    times = time_grid(hours, step_min, system.inputs)
    stepper = _Stepper(system, modal)
    readouts = {
        "cp": stepper.readout(system.central, system.v_central / MG_L_TO_NG_ML),
        "ce": stepper.readout(system.effect, np.full(subjects, 1 / MG_L_TO_NG_ML)),
    }
    if system.metabolite is not None and system.v_metabolite is not None:
        readouts["metabolite"] = stepper.readout(
            system.metabolite, system.v_metabolite / MG_L_TO_NG_ML
        )
    window = effect.window_threshold_ng_ml(model.s_fraction)
    summaries = _Summaries(
        times, subjects, {"above": ("cp", threshold_ng_ml), "window": ("ce", window)}
    )
    names = list(readouts)
    collect = _Collector(names, summaries, subjects, keep_curves)
    schedule = _Schedule(system.inputs, times, subjects, len(system.names))
    stepper.track(np.stack([readouts[name] for name in names]))
    steps = np.round(np.diff(times), 9)
    # Grid points where something changes: a new step length, a jump, or a rate change.
    changes = {0, *schedule.event_indices(), *(np.flatnonzero(np.diff(steps)) + 1).tolist()}
    phi = stepper.step_matrices(float(steps[0]))[0] if len(steps) else np.ones(1)
    forcing: Array | None = None
    # A ring of buffers and one worker thread: the worker reduces finished chunks
    # (summaries and percentiles; NumPy releases the GIL in partition and in its loops)
    # while this thread steps the next ones, so both cores work. Several buffers, not two,
    # let either thread run ahead while the other is descheduled on a busy machine.
    buffers = [np.empty((len(names), min(chunk, len(times)), subjects)) for _ in range(4)]
    pending: deque[Future[None]] = deque()
    with ThreadPoolExecutor(max_workers=1) as worker:
        for number, start in enumerate(range(0, len(times), chunk)):
            stop = min(start + chunk, len(times))
            if len(pending) == len(buffers):
                pending.popleft().result()  # the worker is done with this buffer
            block = buffers[number % len(buffers)][:, : stop - start]
            for k in range(start, stop):
                if k and k - 1 in changes:
                    dt = float(steps[k - 1])
                    rates = schedule.rates(k - 1)
                    phi = stepper.step_matrices(dt)[0]
                    forcing = None if rates is None else stepper.forcing(dt, rates)
                if k:  # the hot path: one step for every subject
                    stepper.advance_with(phi, forcing)
                for state, amount in schedule.jumps(k):
                    stepper.jump(state, amount)
                stepper.read(out=block[:, k - start])
            pending.append(worker.submit(collect, start, block))
            if progress:
                progress(stop, len(times))
        for future in pending:
            future.result()
    return Result(
        model=model,
        regimen=tuple(regimen),
        time_min=times,
        percentile_levels=PERCENTILES,
        percentiles={name: np.hstack(parts) for name, parts in collect.pieces.items()},
        summary=SubjectSummary(
            np.maximum(summaries.cmax, 0.0),
            summaries.tmax,
            summaries.auc,
            summaries.above["above"],
            summaries.above["window"],
        ),
        threshold_ng_ml=threshold_ng_ml,
        window_ce_ng_ml=window,
        effect=effect,
        curves=(
            {name: np.hstack(parts) for name, parts in collect.kept.items()}
            if keep_curves
            else None
        ),
        modal=stepper.modal,
    )


class _Schedule:
    """Which inputs act on each grid interval: jumps at grid points, rates in between."""

    def __init__(self, inputs: Sequence[Input], times: Array, subjects: int, n: int) -> None:
        self.times = times
        self._jumps: dict[int, list[tuple[int, Array]]] = {}
        self._rate_changes: dict[int, list[tuple[int, Array]]] = {}
        for item in inputs:
            first = int(np.searchsorted(times, round(item.start, 9)))
            if first >= len(times):
                continue
            if item.duration == 0:
                self._jumps.setdefault(first, []).append((item.state, item.amount))
                continue
            last = int(np.searchsorted(times, round(item.start + item.duration, 9)))
            rate = item.amount / item.duration
            self._rate_changes.setdefault(first, []).append((item.state, rate))
            self._rate_changes.setdefault(last, []).append((item.state, -rate))
        self._current = np.zeros((subjects, n))
        self._active = False
        self.version = 0  # changes whenever the rates do

    def event_indices(self) -> set[int]:
        """Grid points after which the inputs change."""
        return set(self._jumps) | set(self._rate_changes)

    def jumps(self, k: int) -> list[tuple[int, Array]]:
        return self._jumps.get(k, [])

    def rates(self, k: int) -> Array | None:
        """Per-subject input rates (subjects, states) over [t_k, t_k+1), or None."""
        for state, rate in self._rate_changes.get(k, []):
            self._current[:, state] += rate
        if k in self._rate_changes:
            # Clear round-off so an ended infusion is exactly off.
            self._current[np.abs(self._current) < 1e-12] = 0.0
            self._active = bool(self._current.any())
            self.version += 1
        return self._current if self._active else None
