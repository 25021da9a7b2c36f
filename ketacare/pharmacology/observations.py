"""Published measurements the models are checked against, and the check. Pure: NumPy only.

The IV default is chosen on this check (docs/pharmacology.md, "Default models"): a model
is used by default only if its typical subject lands within ±20% of what was measured in
the kind of blood a clinic draws (a vein in the arm).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ketacare.dosing.protocols import Route
from ketacare.pharmacology.engine import simulate
from ketacare.pharmacology.models import Model
from ketacare.pharmacology.regimens import Dose


@dataclass(frozen=True)
class Observation:
    """A mean concentration measured at the end of an IV infusion."""

    description: str
    mg_per_kg: float
    infusion_min: float
    cp_ng_ml: float
    sampling: Literal["arterial", "venous"]
    source: str
    sampling_source: str


ZARATE_2006 = Observation(
    description="end of a 0.5 mg/kg IV infusion over 40 min, the antidepressant dose",
    mg_per_kg=0.5,
    infusion_min=40.0,
    cp_ng_ml=185.0,
    sampling="venous",
    source=(
        "Zarate et al. 2006 (Arch Gen Psychiatry 63:856), as tabulated in Zanos et al. 2018 "
        "(Pharmacol Rev 70:621, Table 1): 185 ng/mL (0.78 µM), patients with "
        "treatment-resistant depression"
    ),
    sampling_source=(
        "The review does not name the site; in a psychiatric trial blood is drawn from an "
        "arm vein, not an artery (inferred)"
    ),
)
# The tabulated value gives no body weight: a 70 kg adult, as everywhere in the engine.
CHECK_WEIGHT_KG = 70.0
# How close a default model must come to the observation (finding 15 of issue #12).
CHECK_TOLERANCE = 0.20


@dataclass(frozen=True)
class Check:
    model: Model
    observation: Observation
    predicted_ng_ml: float

    @property
    def ratio(self) -> float:
        return self.predicted_ng_ml / self.observation.cp_ng_ml

    @property
    def within_tolerance(self) -> bool:
        return abs(self.ratio - 1) <= CHECK_TOLERANCE


def end_of_infusion_check(
    model: Model, observation: Observation = ZARATE_2006, *, weight_kg: float = CHECK_WEIGHT_KG
) -> Check:
    """The typical subject's Cp (no variability) at the end of the observation's infusion."""
    dose = Dose(0.0, Route.IV, observation.mg_per_kg * weight_kg, observation.infusion_min)
    result = simulate(model, (dose,), hours=observation.infusion_min / 60, weight_kg=weight_kg)
    end = np.searchsorted(result.time_min, observation.infusion_min)  # an event: on the grid
    return Check(model, observation, float(result.median("cp")[end]))
