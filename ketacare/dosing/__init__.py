"""Protocols, dose calculation, dose orders and treatment plans.

The pure core (the protocol catalogue, `calculate_dose`, schedule generation) imports
no Django; models, services and selectors sit beside it. This package imports no models.
"""

from ketacare.dosing.calculator import (
    Basis,
    BasisPolicy,
    DoseResult,
    DoseWarning,
    DosingError,
    DosingPolicy,
    calculate_dose,
)

__all__ = [
    "Basis",
    "BasisPolicy",
    "DoseResult",
    "DoseWarning",
    "DosingError",
    "DosingPolicy",
    "calculate_dose",
]
