"""Re-run screening when the chart or the history changes."""

from __future__ import annotations

import uuid
from typing import Any

from ketacare.accounts.access import ClinicAccess


def rescreen(sender: Any, *, access: ClinicAccess, patient_id: uuid.UUID, **kwargs: Any) -> None:
    from ketacare.eligibility.services import rescreen_after_change

    rescreen_after_change(access=access, patient_id=patient_id)
