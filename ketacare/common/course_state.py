"""The call that keeps stored course outcomes up to date (ketacare.outcomes.state).

Treatment, measures and dosing change what a course's outcomes rest on, but do not import
outcomes (outcomes reads them). Their services call `course_state_refresh(clinic,
patient_id)` in their own transaction, after the write; the outcomes app registers the
function that recomputes the patient's courses when it starts (`OutcomesConfig.ready`).
`clinic_state_refresh(clinic)` recomputes a whole clinic (a protocol's spacing changed).

`refreshes_deferred()` is for bulk writers (the demo's seed): inside it, a patient's
refreshes are collected and each patient is recomputed once, at the end of the block, in
the same transaction. Nothing inside the block may read the stored state of the patients
it writes; everything after it reads state as if each write had refreshed it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_patient: list[Callable[[Any, uuid.UUID], None]] = []
_clinic: list[Callable[[Any], Any]] = []
# The refreshes put off by `refreshes_deferred`, in order: (clinic, patient id) -> None.
_deferred: ContextVar[dict[tuple[Any, uuid.UUID], None] | None] = ContextVar(
    "course_state_deferred", default=None
)


def register(patient: Callable[[Any, uuid.UUID], None], clinic: Callable[[Any], Any]) -> None:
    if patient not in _patient:
        _patient.append(patient)
    if clinic not in _clinic:
        _clinic.append(clinic)


def course_state_refresh(clinic: Any, patient_id: uuid.UUID) -> None:
    """Recompute the patient's stored course outcomes, in the caller's transaction (at the
    end of the enclosing `refreshes_deferred` block, if any)."""
    deferred = _deferred.get()
    if deferred is not None:
        deferred[(clinic, patient_id)] = None
        return
    for refresh in _patient:
        refresh(clinic, patient_id)


@contextmanager
def refreshes_deferred() -> Iterator[None]:
    """Recompute each patient written inside the block once, when it ends without an
    error (an error rolls the writes back, so there is nothing to recompute)."""
    if _deferred.get() is not None:  # already deferred by an enclosing block
        yield
        return
    pending: dict[tuple[Any, uuid.UUID], None] = {}
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    for clinic, patient_id in pending:
        course_state_refresh(clinic, patient_id)


def clinic_state_refresh(clinic: Any) -> None:
    """Recompute every stored course outcome of the clinic, in the caller's transaction."""
    for refresh in _clinic:
        refresh(clinic)
