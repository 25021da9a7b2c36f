"""The call that keeps stored course outcomes up to date (ketacare.outcomes.state).

Treatment, measures and dosing change what a course's outcomes rest on, but do not import
outcomes (outcomes reads them). Their services call `course_state_refresh(clinic,
patient_id)` in their own transaction, after the write; the outcomes app registers the
function that recomputes the patient's courses when it starts (`OutcomesConfig.ready`).
`clinic_state_refresh(clinic)` recomputes a whole clinic (a protocol's spacing changed).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

_patient: list[Callable[[Any, uuid.UUID], None]] = []
_clinic: list[Callable[[Any], Any]] = []


def register(patient: Callable[[Any, uuid.UUID], None], clinic: Callable[[Any], Any]) -> None:
    if patient not in _patient:
        _patient.append(patient)
    if clinic not in _clinic:
        _clinic.append(clinic)


def course_state_refresh(clinic: Any, patient_id: uuid.UUID) -> None:
    """Recompute the patient's stored course outcomes, in the caller's transaction."""
    for refresh in _patient:
        refresh(clinic, patient_id)


def clinic_state_refresh(clinic: Any) -> None:
    """Recompute every stored course outcome of the clinic, in the caller's transaction."""
    for refresh in _clinic:
        refresh(clinic)
