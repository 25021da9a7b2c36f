"""Independent check: opentiva 1.1.2 (closed-form polyexponential, 1-s grid) shares the
Domino, Clements, Hijazi and Kamp ("Klamp") IV models; its Cp must agree with ours within
0.1% over a 3-hour infusion scenario. Runs opentiva in a Python 3.10 side environment
(`benchmarks/_opentiva.py`); skipped, with the reason, where no Python 3.10 exists."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import _opentiva
from ketacare.dosing.protocols import Route
from ketacare.pharmacology import MODELS, simulate
from ketacare.pharmacology.regimens import Dose

# Pharmacokinetic maths on minutes from a dose: no calendar to shift.
pytestmark = pytest.mark.clock_free

WEIGHT = 70.0
# 0.5 mg/kg over 40 min, then 0.25 mg/kg over 60 min from minute 90; 3 hours.
REGIMEN = (Dose(0, Route.IV, 0.5 * WEIGHT, 40), Dose(90, Route.IV, 0.25 * WEIGHT, 60))


@pytest.fixture(scope="module")
def opentiva_cp() -> dict[str, list[float]]:
    if _opentiva.python310() is None:
        pytest.skip(_opentiva.UNAVAILABLE)
    scenario = {
        "weight": WEIGHT,
        "age": 40,
        "hours": 3,
        "infusions": [
            [d.time_min * 60, d.amount_mg / (d.duration_min * 60), d.duration_min * 60]
            for d in REGIMEN
        ],
        "models": list(_opentiva.MODEL_NAMES.values()),
    }
    cp: dict[str, list[float]] = _opentiva.run(scenario)["cp"]  # type: ignore[assignment]
    return cp


@pytest.mark.parametrize("model_key", sorted(_opentiva.MODEL_NAMES))
def test_cp_agrees_with_opentiva_within_0_1_percent(
    model_key: str, opentiva_cp: dict[str, list[float]]
) -> None:
    theirs = np.asarray(opentiva_cp[_opentiva.MODEL_NAMES[model_key]])
    result = simulate(MODELS[model_key], REGIMEN, hours=3, weight_kg=WEIGHT)
    ours = result.median("cp")[: len(theirs)]  # opentiva's grid ends one second before 3 h
    assert len(theirs) == 180
    where = theirs > 1e-3 * theirs.max()
    assert np.abs(ours[where] / theirs[where] - 1).max() < 1e-3
