"""Per-clinic outcome settings and the clinician's decisions on maintenance
recommendations. The rules themselves are the pure core in this package."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.common.models import ClinicalRecord
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession

USER = settings.AUTH_USER_MODEL


class ClinicOutcomeSettings(models.Model):
    """The clinic's overrides of OutcomeRules, MaintenanceRules and the few settings of
    the worklist and dashboard. Only values that differ from the cited defaults are kept,
    flat, keyed as `setting_keys` names them (e.g. "remission_at_or_below.madrs")."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="+")
    overrides = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "clinic outcome settings"

    def __str__(self) -> str:
        return f"Outcome settings of {self.clinic_id}"


class MaintenanceDecision(ClinicalRecord):
    """A clinician accepted (and so booked a session) or dismissed the next-session
    recommendation made after `last_session`. The recommendation is kept as it was shown."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(max_length=20)
    last_session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="+")
    recommended_date = models.DateField()
    recommendation = models.TextField(help_text="The reason shown with the recommendation")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.CharField(max_length=300, blank=True)
    booked_session = models.ForeignKey(
        TreatmentSession, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at"]
        indexes = [models.Index(fields=["clinic", "last_session"])]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.recommended_date}"


class ClinicalEvent(ClinicalRecord):
    """A clinical event that SUSTAIN-1 counts as relapse (Daly 2019): a hospitalisation
    for worsening depression, a suicide attempt or another clinically relevant event to
    prevent suicide. Never deleted: a mistaken entry is marked entered in error."""

    class Kind(models.TextChoices):
        HOSPITALISATION = "hospitalisation", "Hospitalisation for worsening depression"
        SUICIDE_ATTEMPT = "suicide_attempt", "Suicide attempt"
        SUICIDE_PREVENTION = (
            "suicide_prevention",
            "Other clinically relevant event to prevent suicide",
        )

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_in_error_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["clinic", "patient", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"
