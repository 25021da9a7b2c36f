"""Rating-scale responses, their scores, self-report links, measurement plans and
safety alerts. Scores are never edited: a correction is a new response that supersedes
the old one, and both are kept."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.common.models import ClinicalRecord
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession

USER = settings.AUTH_USER_MODEL


class MeasureContext(models.TextChoices):
    BASELINE = "baseline", "Baseline"
    PRE_SESSION = "pre_session", "Before a session"
    POST_SESSION = "post_session", "After a session"
    BETWEEN_SESSIONS = "between_sessions", "Between sessions"
    FOLLOW_UP = "follow_up", "Follow-up"


class ClinicMeasureSettings(models.Model):
    """A clinic's choices for measurement-based care. Defaults come from settings.py,
    where each one cites its basis (docs/measures.md)."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.PROTECT, primary_key=True, related_name="measure_settings"
    )
    crisis_resources = models.TextField(
        help_text="Shown to a patient at once when an answer raises a suicidality flag."
    )
    thresholds = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per-instrument overrides of configurable thresholds, e.g. "
        '{"madrs": {"suicidal_ideation_threshold": 4}}.',
    )
    alert_escalation_minutes = models.PositiveIntegerField()
    link_expiry_hours = models.PositiveIntegerField()
    reminder_count = models.PositiveIntegerField()
    reminder_interval_hours = models.PositiveIntegerField()
    pre_session_lead_hours = models.PositiveIntegerField()
    send_hour_local = models.PositiveSmallIntegerField(
        help_text="Hour of day (0-23) at which scheduled links go out, clinic time."
    )

    class Meta:
        verbose_name_plural = "clinic measure settings"

    def __str__(self) -> str:
        return f"Measure settings for {self.clinic}"

    def clean(self) -> None:
        """Refuse thresholds the scoring core would reject, before they reach a patient."""
        from ketacare.measures import INSTRUMENTS, default_config

        if not isinstance(self.thresholds, dict):
            raise ValidationError({"thresholds": "Give an object keyed by instrument code."})
        for code, overrides in self.thresholds.items():
            if code not in INSTRUMENTS:
                raise ValidationError({"thresholds": f"Unknown instrument {code!r}."})
            unknown = set(overrides or {}) - set(default_config(code))
            if unknown:
                raise ValidationError(
                    {"thresholds": f"{code} has no setting {', '.join(sorted(unknown))}."}
                )


class InstrumentWording(models.Model):
    """Licensed item wording a clinic loads for instruments KetaCare ships without it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(max_length=20)
    item_number = models.PositiveSmallIntegerField()
    text = models.TextField()
    option_labels = models.JSONField(
        default=dict, blank=True, help_text='{"0": "label", "1": "label", ...}'
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "instrument", "item_number"], name="one_wording_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} item {self.item_number}"


class SelfReportLink(ClinicalRecord):
    """A signed, time-limited, revocable link for one patient. Its purpose says what it
    opens: questionnaires (single use), a consent document to read, sign and, later,
    withdraw (ketacare.consent), education articles, a session's preparation and aftercare,
    or the patient's own view of their care."""

    class Purpose(models.TextChoices):
        QUESTIONNAIRE = "questionnaire", "Questionnaires"
        CONSENT = "consent", "Consent document"
        EDUCATION = "education", "Patient education"
        SESSION_GUIDE = "session_guide", "Preparation and aftercare"
        PATIENT_VIEW = "patient_view", "The patient's own view"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        NONE = "none", "Shown on screen only"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=15, choices=Purpose.choices, default="questionnaire")
    instruments = models.JSONField()
    context = models.CharField(max_length=20, choices=MeasureContext.choices)
    session = models.ForeignKey(
        TreatmentSession, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offset_hours = models.PositiveIntegerField(null=True, blank=True)
    nonce = models.CharField(max_length=32, unique=True)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    schedule_key = models.CharField(max_length=120, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    draft = models.JSONField(default=dict, blank=True)
    reminders_sent = models.PositiveIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "schedule_key"],
                condition=~models.Q(schedule_key=""),
                name="one_link_per_schedule_slot",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "completed_at", "revoked_at", "expires_at"])]

    def __str__(self) -> str:
        return f"Link {', '.join(self.instruments)} for {self.patient_id}"


class QuestionnaireResponse(ClinicalRecord):
    class Respondent(models.TextChoices):
        PATIENT = "patient", "Patient"
        CLINICIAN = "clinician", "Clinician"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(max_length=20)
    instrument_version = models.CharField(max_length=20)
    answers = models.JSONField(help_text="Item values in item order")
    respondent = models.CharField(max_length=10, choices=Respondent.choices)
    entered_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    link = models.ForeignKey(
        SelfReportLink, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    context = models.CharField(max_length=20, choices=MeasureContext.choices)
    offset_hours = models.PositiveIntegerField(null=True, blank=True)
    session = models.ForeignKey(
        TreatmentSession, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField()
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    correction_reason = models.CharField(max_length=300, blank=True)
    # The language of the wording answered (a validated translation, else English).
    language = models.CharField(max_length=8, default="en")

    class Meta:
        ordering = ["-answered_at"]
        indexes = [models.Index(fields=["patient", "instrument", "answered_at"])]

    def __str__(self) -> str:
        return f"{self.instrument} {self.answered_at:%Y-%m-%d}"


class Score(models.Model):
    """The computed score of one response, with the scoring version that produced it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.OneToOneField(
        QuestionnaireResponse, on_delete=models.PROTECT, related_name="score"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(max_length=20)
    answered_at = models.DateTimeField()
    total = models.IntegerField(null=True, blank=True)
    severity = models.CharField(max_length=30, blank=True)
    severity_label = models.CharField(max_length=60, blank=True)
    flags = models.JSONField(default=list, blank=True)
    subscores = models.JSONField(default=dict, blank=True)
    risk = models.CharField(max_length=10, blank=True)
    provisional_diagnosis = models.BooleanField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    scoring_version = models.CharField(max_length=20)
    is_current = models.BooleanField(default=True, help_text="False once superseded")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-answered_at"]
        indexes = [
            models.Index(fields=["patient", "instrument", "is_current", "answered_at"]),
            # The care team's dashboard: a clinic's latest current scores, newest first
            # (`selectors.recent_scores`). Partial, so superseded scores are not in it; the
            # scan stops after the page's rows (docs/benchmarks.md).
            models.Index(
                fields=["clinic", "-answered_at"],
                condition=models.Q(is_current=True),
                name="score_clinic_latest_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.total} ({self.severity})"


class SafetyAlert(ClinicalRecord):
    class Action(models.TextChoices):
        CONTACTED_PATIENT = "contacted_patient", "Contacted the patient"
        SAFETY_PLAN = "safety_plan", "Reviewed the safety plan"
        URGENT_ASSESSMENT = "urgent_assessment", "Arranged an urgent assessment"
        EMERGENCY_SERVICES = "emergency_services", "Called emergency services"
        NO_ACTION_NEEDED = "no_action_needed", "Reviewed: no further action needed"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    score = models.ForeignKey(Score, on_delete=models.PROTECT, related_name="alerts")
    instrument = models.CharField(max_length=20)
    item_number = models.PositiveSmallIntegerField(null=True, blank=True)
    flag = models.CharField(max_length=40)
    severity = models.CharField(max_length=10)
    reason = models.CharField(max_length=300)
    raised_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action_taken = models.CharField(max_length=20, choices=Action.choices, blank=True)
    note = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["acknowledged_at", "-raised_at"]
        indexes = [models.Index(fields=["clinic", "acknowledged_at", "raised_at"])]

    def __str__(self) -> str:
        return f"{self.flag} ({self.severity})"


class MeasurementPlan(ClinicalRecord):
    """A patient's plan, or (patient empty) the clinic default for patients without one."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.OneToOneField(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="measurement_plan"
    )
    starts_on = models.DateField(help_text="Anchor for 'every N days' rules")
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic"],
                condition=models.Q(patient__isnull=True),
                name="one_default_plan_per_clinic",
            )
        ]

    def __str__(self) -> str:
        return f"Plan for {self.patient_id or 'clinic default'}"


class MeasurementRule(models.Model):
    class Kind(models.TextChoices):
        EVERY_N_DAYS = "every_n_days", "Every N days"
        BEFORE_SESSION = "before_session", "Before each session"
        AFTER_SESSION = "after_session", "N hours after each session"
        ON_DATES = "on_dates", "On named dates"

    plan = models.ForeignKey(MeasurementPlan, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    instruments = models.JSONField()
    interval_days = models.PositiveIntegerField(null=True, blank=True)
    hours_after = models.PositiveIntegerField(null=True, blank=True)
    dates = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {', '.join(self.instruments)}"
