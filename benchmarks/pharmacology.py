"""How fast is a population simulation, against scipy's solve_ivp and opentiva?

Work: 10,000 subjects with inter-individual variability, the default IV model (Clements,
2 compartments; `--model kamp2020` for the 3-compartment case) plus the effect site, a
3-week IV induction (0.5 mg/kg over 40 min, Mon/Wed/Fri: 9 infusions) on a 1-minute grid,
with per-subject summaries and Cp/Ce percentiles at every time point.
Baselines in the same run, extrapolated from a subset of subjects:
- scipy `solve_ivp` (LSODA, rtol 1e-8, atol 1e-12: the accuracy the tests require), the
  linear ODE integrated between events, output on the same grid;
- opentiva 1.1.2 (the same model, its own 1-second grid, no variability: one typical
  subject per loop), where Python 3.10 is available (`benchmarks/_opentiva.py`).

    .venv/bin/python -m benchmarks.pharmacology [--subjects 10000] [--weeks 3] [--model KEY]
"""

from __future__ import annotations

import argparse
import itertools
import resource
import time

import numpy as np
from scipy.integrate import solve_ivp

from benchmarks import _opentiva
from ketacare.dosing.protocols import Route
from ketacare.pharmacology import DEFAULT_MODELS, MODELS, Model, simulate
from ketacare.pharmacology.engine import build_system, sample_parameters
from ketacare.pharmacology.regimens import Regimen, iv_induction

WEIGHT = 70.0


def ours(model: Model, regimen: Regimen, hours: float, subjects: int) -> tuple[float, float, float]:
    """Median wall and CPU seconds of three runs, and the process's peak resident memory
    (MiB) after them (imports included). CPU time is printed too because the machine is
    shared: it is less disturbed by other processes than wall time. It adds up both of the
    engine's threads (stepping, and reducing the previous chunk), so on an idle 2-core
    machine the wall time is a little over half of it (the threads carry about equal
    shares). tracemalloc is not used: it slows NumPy's
    allocations several-fold."""
    runs = []
    for _ in range(3):
        start, cpu = time.perf_counter(), time.process_time()
        simulate(model, regimen, hours=hours, step_min=1.0, subjects=subjects, seed=1)
        runs.append((time.perf_counter() - start, time.process_time() - cpu))
    wall, cpu_seconds = sorted(runs)[1]
    return wall, cpu_seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def with_solve_ivp(model: Model, regimen: Regimen, hours: float, subjects: int) -> float:
    """Seconds per subject: LSODA between events, Cp on the 1-minute grid."""
    params = sample_parameters(
        model, subjects=subjects, weight_kg=WEIGHT, age_years=40, variability=True, seed=1
    )
    system = build_system(model, params, regimen)
    events = sorted(
        {0.0, hours * 60}
        | {i.start for i in system.inputs}
        | {i.start + i.duration for i in system.inputs}
    )
    grid = np.arange(0, hours * 60 + 0.5)
    start = time.perf_counter()
    for s in range(subjects):
        A = system.A[s]
        x = np.zeros(A.shape[0])
        for a, b in itertools.pairwise(events):
            rate = np.zeros(A.shape[0])
            for item in system.inputs:
                if item.start <= a < item.start + item.duration:
                    rate[item.state] += item.amount[s] / item.duration
            inside = grid[(grid >= a) & (grid <= b)]
            solution = solve_ivp(
                lambda t, y, r=rate, m=A: m @ y + r,
                (a, b),
                x,
                method="LSODA",
                rtol=1e-8,
                atol=1e-12,
                t_eval=np.unique(np.r_[inside, b]),
            )
            x = solution.y[:, -1]
    return (time.perf_counter() - start) / subjects


def with_opentiva(model: Model, regimen: Regimen, hours: float, loops: int) -> float | None:
    """Seconds per subject on opentiva's 1-second grid, or None where unavailable."""
    name = _opentiva.MODEL_NAMES.get(model.key)
    if name is None or _opentiva.python310() is None:
        return None
    scenario = {
        "weight": WEIGHT,
        "age": 40,
        "hours": hours,
        "infusions": [
            [d.time_min * 60, d.amount_mg / (d.duration_min * 60), d.duration_min * 60]
            for d in regimen
        ],
        "models": [name],
        "subjects": loops,
    }
    seconds = _opentiva.run(scenario)["seconds"][name]
    assert isinstance(seconds, float)
    return seconds / loops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=3)
    parser.add_argument("--ivp-subjects", type=int, default=5)
    parser.add_argument("--opentiva-subjects", type=int, default=2)
    parser.add_argument(
        "--model",
        choices=sorted(key for key, m in MODELS.items() if Route.IV in m.routes),
        default=DEFAULT_MODELS[Route.IV].key,
        help="the IV model (default: the engine's IV default)",
    )
    args = parser.parse_args()
    model = MODELS[args.model]
    regimen = iv_induction(WEIGHT, sessions=3 * args.weeks)
    hours = args.weeks * 7 * 24

    seconds, cpu_seconds, peak_mib = ours(model, regimen, hours, args.subjects)
    ivp = with_solve_ivp(model, regimen, hours, args.ivp_subjects) * args.subjects
    opentiva = with_opentiva(model, regimen, hours, args.opentiva_subjects)

    print(
        f"\nPopulation PK/PD: {args.subjects:,} subjects, {model.title} + effect site, "
        f"{len(regimen)} infusions over {args.weeks} weeks, 1-min grid "
        f"({int(hours * 60) + 1:,} time points)"
    )
    print(f"  {'engine':<52} {'seconds':>10} {'x ours':>9}")
    print(f"  {'ketacare.pharmacology (exact, vectorised)':<52} {seconds:>10.2f} {1:>9.1f}")
    print(f"  {'  the same, CPU time of this process (2 threads)':<52} {cpu_seconds:>10.2f}")
    label = f"solve_ivp LSODA (from {args.ivp_subjects} subjects)"
    print(f"  {label:<52} {ivp:>10.1f} {ivp / seconds:>9.0f}")
    if opentiva is None:
        why = _opentiva.UNAVAILABLE if model.key in _opentiva.MODEL_NAMES else "not in opentiva"
        print(f"  {'opentiva 1.1.2':<52} {'n/a':>10}  ({why})")
    else:
        total = opentiva * args.subjects
        label = f"opentiva 1.1.2, 1-s grid (from {args.opentiva_subjects} subjects)"
        print(f"  {label:<52} {total:>10.1f} {total / seconds:>9.0f}")
    print(f"  peak memory (process max RSS after our runs): {peak_mib:.0f} MiB")
    with open("/proc/loadavg") as load:
        print(f"  machine load average during the run: {load.read().split()[0]} (2 cores)")


if __name__ == "__main__":
    main()
