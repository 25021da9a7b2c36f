"""KetaCare's pharmacology engine: published ketamine/esketamine PK models, an effect site
and a sigmoid Emax for the dissociative effect, simulated exactly (matrix exponential) and
vectorised across subjects. Pure: NumPy and SciPy only, no Django. See docs/pharmacology.md.

Every output is a model prediction, not a measurement and not dosing advice.
"""

from __future__ import annotations

from ketacare.pharmacology.effect import NOT_CONCENTRATION_DRIVEN, EffectModel
from ketacare.pharmacology.engine import Result, simulate
from ketacare.pharmacology.models import DEFAULT_MODELS, MODELS, Model, SamplingSite
from ketacare.pharmacology.regimens import Dose, Regimen

__all__ = [
    "DEFAULT_MODELS",
    "MODELS",
    "NOT_CONCENTRATION_DRIVEN",
    "Dose",
    "EffectModel",
    "Model",
    "Regimen",
    "Result",
    "SamplingSite",
    "simulate",
]
