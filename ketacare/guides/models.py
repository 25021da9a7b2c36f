from __future__ import annotations

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.common.models import ClinicalRecord
from ketacare.guides.core import FAMILY_LABELS, KIND_LABELS
from ketacare.measures.models import SelfReportLink
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession

USER = settings.AUTH_USER_MODEL
KINDS = [(k.value, label) for k, label in KIND_LABELS.items()]
FAMILIES = [(f.value, label) for f, label in FAMILY_LABELS.items()]


class GuideSettings(models.Model):
    """The clinic's guide settings; created from the cited defaults on first use."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="+")
    preparation_hours_before = models.PositiveSmallIntegerField(
        "send the preparation guide (hours before the session)"
    )
    aftercare_hours_after = models.PositiveSmallIntegerField(
        "send the aftercare guide (hours after discharge)"
    )
    fasting_hours = models.PositiveSmallIntegerField("no food before the session (hours)")
    arrive_minutes_before = models.PositiveSmallIntegerField("arrive before the session (minutes)")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Guide settings of {self.clinic_id}"


class GuideText(models.Model):
    """The clinic's own text for one protocol family, kind and language (e.g. its IV
    protocol's aftercare text in Spanish); without a row, KetaCare's default text in that
    language applies (for IV, the clinic's English text first: core.choose)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    family = models.CharField(max_length=20, choices=FAMILIES)
    kind = models.CharField(max_length=20, choices=KINDS)
    language = models.CharField(
        max_length=5, choices=Patient.Language.choices, default=Patient.Language.ENGLISH
    )
    text = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "family", "kind", "language"],
                name="one_guide_text_per_family_kind_language",
            )
        ]

    def __str__(self) -> str:
        return f"{self.family} {self.kind} ({self.language}) of {self.clinic_id}"


class GuideSend(ClinicalRecord):
    """One guide sent for one session: the text as sent (what the link shows), and its
    link. `key` (session, kind and, for preparation, the start time) is unique: the
    worker sends each guide once; a rescheduled session gets a new preparation key."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=KINDS)
    family = models.CharField(max_length=20, choices=FAMILIES)
    key = models.CharField(max_length=120, blank=True)  # blank: sent by staff ("send now")
    scheduled_start = models.DateTimeField()
    text = models.TextField()
    # The language of `text`: the patient's preferred language, or English with
    # `fallback` set when the clinic has no protocol text in it (core.choose).
    language = models.CharField(
        max_length=5, choices=Patient.Language.choices, default=Patient.Language.ENGLISH
    )
    fallback = models.BooleanField(default=False)
    link = models.OneToOneField(SelfReportLink, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~models.Q(key=""), name="one_guide_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for session {self.session_id}"
