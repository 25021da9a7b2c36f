"""Treatment sessions and their chart: pre-dose assessment, vital signs, alerts,
administration, side effects, adverse events, discharge, signing, addenda and the
Spravato REMS records.

Entries made while charting (readings, administration events, side effects, adverse
events, addenda, acknowledgements) are append-only rows, so two staff charting at once
never overwrite each other. The few edited records (the pre-dose assessment, the
discharge checklist) carry a version number: a save based on an older version is refused
with a conflict message. Nothing is deleted: wrong entries are marked entered in error.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.common.models import ClinicalRecord
from ketacare.patients.models import BodyMeasurement, Patient
from ketacare.treatment.discharge import BloodPressureGate
from ketacare.treatment.lifecycle import STATE_LABELS, State
from ketacare.treatment.monitoring import Thresholds
from ketacare.treatment.rules import SessionRules

USER = settings.AUTH_USER_MODEL
_T = Thresholds()  # defaults, with their sources, live in the pure core
_R = SessionRules()


class TreatmentSession(ClinicalRecord):
    class Status(models.TextChoices):
        SCHEDULED = State.SCHEDULED.value, STATE_LABELS[State.SCHEDULED]
        CHECKED_IN = State.CHECKED_IN.value, STATE_LABELS[State.CHECKED_IN]
        PRE_DOSE = State.PRE_DOSE.value, STATE_LABELS[State.PRE_DOSE]
        DOSING = State.DOSING.value, STATE_LABELS[State.DOSING]
        MONITORING = State.MONITORING.value, STATE_LABELS[State.MONITORING]
        READY_FOR_DISCHARGE = (
            State.READY_FOR_DISCHARGE.value,
            STATE_LABELS[State.READY_FOR_DISCHARGE],
        )
        DISCHARGED = State.DISCHARGED.value, STATE_LABELS[State.DISCHARGED]
        SIGNED = State.SIGNED.value, STATE_LABELS[State.SIGNED]
        CANCELLED = State.CANCELLED.value, STATE_LABELS[State.CANCELLED]
        NO_SHOW = State.NO_SHOW.value, STATE_LABELS[State.NO_SHOW]

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    scheduled_start = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    dosing_started_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    # Protocol and the prescriber's order (read through ketacare.treatment.integration).
    protocol_code = models.CharField(max_length=40, blank=True)
    ordered_dose_mg = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    ordered_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    ordered_at = models.DateTimeField(null=True, blank=True)
    # Supervision: a prescriber is assigned and attests being on site.
    supervising_prescriber = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    supervisor_on_site_at = models.DateTimeField(null=True, blank=True)
    # Lifecycle timestamps.
    checked_in_at = models.DateTimeField(null=True, blank=True)
    dosing_ended_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    stable_at = models.DateTimeField(
        null=True, blank=True, help_text="When the patient was clinically stable to leave"
    )
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    discharge_checklist = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["scheduled_start"]
        indexes = [
            models.Index(fields=["clinic", "status", "scheduled_start"]),
            models.Index(fields=["patient", "scheduled_start"]),
        ]

    def __str__(self) -> str:
        return f"Session {self.scheduled_start:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    @property
    def state(self) -> State:
        return State(self.status)


class SessionEntry(ClinicalRecord):
    """An append-only entry of a session's chart."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="+")
    entered_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    entered_in_error_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True


class PreDoseAssessment(ClinicalRecord):
    class Pregnancy(models.TextChoices):
        NOT_DONE = "", "Not done"
        NEGATIVE = "negative", "Negative"
        POSITIVE = "positive", "Positive"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    class BpDecision(models.TextChoices):
        NONE = "", "—"
        PROCEED = "proceed", "Proceed"
        TREAT = "treat", "Treat first"
        DEFER = "defer", "Defer the session"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="assessment"
    )
    weight = models.ForeignKey(
        BodyMeasurement, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    pregnancy_test = models.CharField(max_length=20, choices=Pregnancy.choices, blank=True)
    fasting_confirmed = models.BooleanField(default=False)
    no_decongestant_confirmed = models.BooleanField(default=False)
    medicines_today = models.TextField(blank=True)
    medication_changes = models.TextField(blank=True)
    bp_decision = models.CharField(max_length=10, choices=BpDecision.choices, blank=True)
    bp_decision_reason = models.CharField(max_length=500, blank=True)
    bp_decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    bp_decided_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)


class VitalReading(SessionEntry):
    class Source(models.TextChoices):
        MANUAL = "manual", "Entered"
        MONITOR = "monitor", "Monitor"

    reading_id = models.CharField(max_length=64, help_text="Client-supplied; unique per session")
    taken_at = models.DateTimeField()
    is_baseline = models.BooleanField(default=False)
    systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField(null=True, blank=True)
    respiratory_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    moaas = models.PositiveSmallIntegerField("MOAA/S", null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        ordering = ["taken_at", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "reading_id"], name="one_reading_per_id")
        ]


class SessionAlert(ClinicalRecord):
    class Action(models.TextChoices):
        PAUSE_INFUSION = "pause_infusion", "Paused the infusion"
        GIVE_MEDICATION = "give_medication", "Gave medication"
        CALL_PRESCRIBER = "call_prescriber", "Called the prescriber"
        CONTINUE = "continue", "Continue and observe"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="+")
    reading = models.ForeignKey(VitalReading, on_delete=models.PROTECT, related_name="+")
    rule = models.CharField(max_length=40)
    severity = models.CharField(max_length=10)
    message = models.CharField(max_length=300)
    source = models.TextField()
    raised_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    action = models.CharField(max_length=20, choices=Action.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["raised_at"]
        indexes = [models.Index(fields=["session", "acknowledged_at"])]


class Administration(ClinicalRecord):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="administration"
    )
    drug = models.CharField(max_length=20)
    route = models.CharField(max_length=20)
    formulation = models.CharField(max_length=120)
    concentration_mg_per_ml = models.DecimalField(
        max_digits=7, decimal_places=2, null=True, blank=True
    )
    lot_number = models.CharField(max_length=60)
    expiry = models.DateField()
    dose_ordered_mg = models.DecimalField(max_digits=6, decimal_places=1)
    dose_given_mg = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    pump_rate_ml_per_h = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    injection_site = models.CharField(max_length=60, blank=True)
    container_ref = models.CharField(
        max_length=80, blank=True, help_text="The vial or device pack drawn from (for the ledger)"
    )
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")


class AdministrationEvent(SessionEntry):
    class Kind(models.TextChoices):
        START = "start", "Started"
        PAUSE = "pause", "Paused"
        RESUME = "resume", "Resumed"
        RATE = "rate", "Rate changed"
        DEVICE = "device", "Device given"
        STOP = "stop", "Stopped"

    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField()
    rate_ml_per_h = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    dose_mg = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "created_at"]


class SideEffect(SessionEntry):
    class Effect(models.TextChoices):
        DISSOCIATION = "dissociation", "Dissociation"
        DIZZINESS = "dizziness", "Dizziness"
        NAUSEA = "nausea", "Nausea or vomiting"
        SEDATION = "sedation", "Sedation"
        HEADACHE = "headache", "Headache"
        ANXIETY = "anxiety", "Anxiety"
        RAISED_BP = "raised_bp", "Raised blood pressure"
        RESPIRATORY_DEPRESSION = "respiratory_depression", "Respiratory depression"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    class Scale(models.TextChoices):
        NONE = "", "—"
        MOAAS = "moaas", "MOAA/S (5 alert … 0 no response)"
        RASS = "rass", "RASS (+4 combative … -5 unarousable)"

    effect = models.CharField(max_length=30, choices=Effect.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    sedation_scale = models.CharField(max_length=10, choices=Scale.choices, blank=True)
    sedation_score = models.SmallIntegerField(null=True, blank=True)
    description = models.CharField(max_length=300, blank=True)
    observed_at = models.DateTimeField()

    class Meta:
        ordering = ["observed_at", "created_at"]


class AdverseEvent(SessionEntry):
    class Outcome(models.TextChoices):
        RESOLVED = "resolved", "Resolved"
        RESOLVING = "resolving", "Resolving"
        ONGOING = "ongoing", "Not resolved"
        TRANSFERRED = "transferred", "Transferred for care"
        UNKNOWN = "unknown", "Unknown"

    description = models.CharField(max_length=500)
    serious = models.BooleanField(default=False)
    seriousness = models.CharField(max_length=200, blank=True)
    action_taken = models.CharField(max_length=300)
    outcome = models.CharField(max_length=15, choices=Outcome.choices)
    onset_at = models.DateTimeField()

    class Meta:
        ordering = ["onset_at", "created_at"]


class Addendum(SessionEntry):
    text = models.TextField()
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["created_at"]


class RemsEnrollment(ClinicalRecord):
    class Status(models.TextChoices):
        ENROLLED = "enrolled", "Enrolled"
        PENDING = "pending", "Pending"
        DISENROLLED = "disenrolled", "Disenrolled"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    enrolled_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-enrolled_on", "-created_at"]


class RemsMonitoringForm(ClinicalRecord):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="rems_form"
    )
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_on = models.DateField(null=True, blank=True)
    confirmation_number = models.CharField(max_length=60, blank=True)
    submitted_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["due_on"]
        indexes = [models.Index(fields=["clinic", "status", "due_on"])]


class ClinicSessionSettings(models.Model):
    """The clinic's session thresholds and choices; defaults and sources in the pure core
    (ketacare.treatment.monitoring.Thresholds, ketacare.treatment.rules.SessionRules)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="+")
    systolic_urgent = models.PositiveSmallIntegerField(default=_T.systolic_urgent)
    diastolic_urgent = models.PositiveSmallIntegerField(default=_T.diastolic_urgent)
    spo2_urgent_below = models.PositiveSmallIntegerField(default=_T.spo2_urgent_below)
    heart_rate_high = models.PositiveSmallIntegerField(default=_T.heart_rate_high)
    heart_rate_low = models.PositiveSmallIntegerField(default=_T.heart_rate_low)
    systolic_rise_from_baseline = models.PositiveSmallIntegerField(
        default=_T.systolic_rise_from_baseline
    )
    diastolic_rise_from_baseline = models.PositiveSmallIntegerField(
        default=_T.diastolic_rise_from_baseline
    )
    moaas_alert_at_or_below = models.PositiveSmallIntegerField(default=_T.moaas_alert_at_or_below)
    esketamine_gate_systolic = models.PositiveSmallIntegerField(
        default=_R.esketamine_gate.systolic_above
    )
    esketamine_gate_diastolic = models.PositiveSmallIntegerField(
        default=_R.esketamine_gate.diastolic_above
    )
    ketamine_gate_systolic = models.PositiveSmallIntegerField(
        default=_R.ketamine_gate.systolic_above
    )
    ketamine_gate_diastolic = models.PositiveSmallIntegerField(
        default=_R.ketamine_gate.diastolic_above
    )
    prescriber_on_site_other_protocols = models.BooleanField(
        default=_R.prescriber_on_site_other_protocols
    )
    iv_min_observation_min = models.PositiveSmallIntegerField(default=_R.iv_min_observation_min)
    weight_max_age_days = models.PositiveSmallIntegerField(default=_R.weight_max_age_days)
    pregnancy_test_required = models.BooleanField(default=_R.pregnancy_test_required)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    def __str__(self) -> str:
        return f"Session settings of clinic {self.clinic_id}"

    def rules(self) -> SessionRules:
        return SessionRules(
            thresholds=Thresholds(
                **{name: getattr(self, name) for name in Thresholds.__dataclass_fields__}
            ),
            esketamine_gate=BloodPressureGate(
                self.esketamine_gate_systolic, self.esketamine_gate_diastolic
            ),
            ketamine_gate=BloodPressureGate(
                self.ketamine_gate_systolic, self.ketamine_gate_diastolic
            ),
            prescriber_on_site_other_protocols=self.prescriber_on_site_other_protocols,
            iv_min_observation_min=self.iv_min_observation_min,
            weight_max_age_days=self.weight_max_age_days,
            pregnancy_test_required=self.pregnancy_test_required,
        )
