"""Treatment history, the screening checklist, stored screening results, caution
acceptances and the clinic's eligibility settings. Nothing is deleted: wrong history
entries are marked entered in error; every screening run is a new row."""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.common.models import ClinicalRecord
from ketacare.dosing.protocols import Indication
from ketacare.eligibility import history
from ketacare.patients.models import Patient, PatientRecord

USER = settings.AUTH_USER_MODEL


def _choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(m.value, m.value.replace("_", " ").capitalize()) for m in enum]


class Episode(PatientRecord):
    """A depressive (or other treated) episode; the latest one in force is current."""

    start_date = models.DateField()
    severity = models.CharField(max_length=14, choices=_choices(history.Severity))
    psychotic_features = models.BooleanField(default=False)
    indication = models.CharField(max_length=20, choices=_choices(Indication))
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-start_date", "-created_at"]


class AntidepressantTrial(PatientRecord):
    drug = models.CharField(max_length=60)
    drug_class = models.CharField(max_length=14, choices=_choices(history.DrugClass))
    max_daily_dose_mg = models.DecimalField(max_digits=7, decimal_places=2)
    weeks_at_dose = models.DecimalField(max_digits=5, decimal_places=1)
    adherence = models.CharField(max_length=10, choices=_choices(history.Adherence), default="good")
    outcome = models.CharField(max_length=18, choices=_choices(history.Outcome))
    in_current_episode = models.BooleanField(default=True)

    class Meta:
        ordering = ["created_at"]


class OtherTreatment(PatientRecord):
    """An augmentation, a course of psychotherapy, ECT or TMS."""

    kind = models.CharField(max_length=14, choices=_choices(history.OtherKind))
    description = models.CharField(max_length=150)
    outcome = models.CharField(max_length=18, choices=_choices(history.Outcome))
    bilateral = models.BooleanField(default=False, help_text="ECT only")
    in_current_episode = models.BooleanField(default=True)

    class Meta:
        ordering = ["created_at"]


class ScreeningChecklist(PatientRecord):
    """The clinician's answers to the checklist; each save is a new row, the latest in
    force is the patient's current checklist."""

    answers = models.JSONField(default=dict)
    bp_systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    bp_diastolic = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class ScreeningResult(ClinicalRecord):
    class Trigger(models.TextChoices):
        MANUAL = "manual", "Run by a clinician"
        RECORD_CHANGED = "record_changed", "Chart or history changed"
        BEFORE_SESSION = "before_session", "Before a session"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    protocol_code = models.CharField(max_length=40)
    protocol_version = models.PositiveIntegerField()
    outcome = models.CharField(max_length=24)
    reasons = models.JSONField(default=list)
    rules = models.JSONField(default=dict, help_text="The clinic's settings at the time")
    checklist = models.ForeignKey(
        ScreeningChecklist, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    screened_at = models.DateTimeField()
    screened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-screened_at", "-created_at"]
        indexes = [models.Index(fields=["patient", "protocol_code", "-screened_at"])]


class CautionAcceptance(ClinicalRecord):
    """A prescriber's acceptance of one caution. It holds for later screenings of the
    same protocol while the caution's code and evidence stay the same."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    screening = models.ForeignKey(ScreeningResult, on_delete=models.PROTECT, related_name="+")
    protocol_code = models.CharField(max_length=40)
    code = models.CharField(max_length=80)
    detail = models.CharField(max_length=300, blank=True)
    justification = models.TextField()
    accepted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at"]


class EligibilitySettings(models.Model):
    """A clinic's overrides of the cited defaults in ketacare.eligibility.rules; a
    missing key uses the default."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.PROTECT, primary_key=True, related_name="eligibility_settings"
    )
    overrides = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "eligibility settings"

    def __str__(self) -> str:
        return f"Eligibility settings for {self.clinic}"
