"""Treatment sessions: the schedule that measurement plans key on.

This is the first slice of the sessions capability (issue #5 adds charting, vitals,
administration and discharge on top): a session is scheduled, then given (with the time
dosing started, which post-session measures count from), cancelled or missed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.common.models import ClinicalRecord
from ketacare.patients.models import Patient


class TreatmentSession(ClinicalRecord):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        COMPLETED = "completed", "Given"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    scheduled_start = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    dosing_started_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["scheduled_start"]
        indexes = [
            models.Index(fields=["clinic", "status", "scheduled_start"]),
            models.Index(fields=["patient", "scheduled_start"]),
        ]

    def __str__(self) -> str:
        return f"Session {self.scheduled_start:%Y-%m-%d %H:%M} ({self.get_status_display()})"
