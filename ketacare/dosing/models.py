"""Clinic protocol copies, dosing settings, the clinic calendar, dose orders and
treatment plans. Orders and plan versions are never edited: a change is a new row that
supersedes the previous one, and both are kept."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.common.models import ClinicalRecord
from ketacare.dosing.calculator import BasisPolicy
from ketacare.patients.models import Patient

USER = settings.AUTH_USER_MODEL


class ClinicProtocol(ClinicalRecord):
    """One version of a clinic's copy of a shipped protocol: the adjusted fields only.
    The highest version of a code is the clinic's current one."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=40)
    version = models.PositiveIntegerField()
    based_on_version = models.PositiveIntegerField()
    overrides = models.JSONField(default=dict)
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "code", "version"], name="clinic_protocol_version_unique"
            )
        ]


class ClinicDosingSettings(models.Model):
    """A clinic's dose-calculation policy. Defaults: ketacare.dosing.calculator.DosingPolicy,
    each with its basis (docs/dosing.md)."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.PROTECT, primary_key=True, related_name="dosing_settings"
    )
    basis_policy = models.CharField(
        max_length=20, choices=[(p.value, p.value) for p in BasisPolicy]
    )
    bmi_threshold = models.DecimalField(max_digits=4, decimal_places=1)
    adjusted_factor = models.DecimalField(max_digits=3, decimal_places=2)
    syringe_precision_ml = models.DecimalField(max_digits=4, decimal_places=3)
    pump_precision_ml_per_h = models.DecimalField(max_digits=4, decimal_places=3)
    weight_max_age_days = models.PositiveIntegerField()
    # {protocol code: mg}; a protocol not listed uses its cited default ceiling.
    mg_ceilings = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "clinic dosing settings"

    def __str__(self) -> str:
        return f"Dosing settings for {self.clinic}"


class ClinicCalendar(models.Model):
    """When the clinic gives sessions: open weekdays (0 = Monday), closures
    ([{"date": "YYYY-MM-DD", "reason": "..."}]) and sessions a day (None: no limit)."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.PROTECT, primary_key=True, related_name="calendar"
    )
    open_weekdays = models.JSONField(default=list)
    closures = models.JSONField(default=list)
    daily_capacity = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar of {self.clinic}"


class TreatmentPlan(ClinicalRecord):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        STOPPED = "stopped", "Stopped"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    indication = models.CharField(max_length=30)
    protocol_code = models.CharField(max_length=40)
    protocol_version = models.PositiveIntegerField()
    schedule = models.CharField(max_length=40, help_text="The protocol's schedule option.")
    start_date = models.DateField()
    session_time = models.TimeField()
    start_dose = models.DecimalField(max_digits=7, decimal_places=3)
    titration_step = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-start_date", "-created_at"]
        indexes = [models.Index(fields=["patient", "status"])]


class TreatmentPlanVersion(ClinicalRecord):
    """A snapshot of a plan at each version, with who changed it and why."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="versions")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    reason = models.CharField(max_length=300, blank=True)
    changed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_unique")
        ]


class DoseOrder(ClinicalRecord):
    """A prescriber's order of one dose, with the calculation's inputs, result and
    warnings. A new order supersedes the patient's active one; none is ever edited."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUPERSEDED = "superseded", "Superseded"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(
        TreatmentPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    protocol_code = models.CharField(max_length=40)
    protocol_version = models.PositiveIntegerField()
    inputs = models.JSONField()
    result = models.JSONField()
    warnings = models.JSONField(default=list)
    dose_mg = models.DecimalField(max_digits=8, decimal_places=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    ordered_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    checked_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    check_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "status"])]
