"""Referrals from other clinicians, their progress, and the letters sent back."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.exchange.models import ChartDocument
from ketacare.patients.models import PatientRecord
from ketacare.referrals.core import LETTER_LABELS, STATUS_LABELS, Status

USER = settings.AUTH_USER_MODEL


class Referral(PatientRecord):
    """A patient referred to the clinic: from whom, why, the letter received, and where
    the referral stands (core.Status). Each move is a ReferralStep."""

    STATUS_CHOICES = [(status.value, label) for status, label in STATUS_LABELS.items()]

    referrer_name = models.CharField("Referrer's name", max_length=200)
    referrer_organisation = models.CharField("Practice or organisation", max_length=200, blank=True)
    referrer_email = models.EmailField("Referrer's e-mail", blank=True)
    referrer_phone = models.CharField("Referrer's phone", max_length=40, blank=True)
    reason = models.TextField("Reason for referral")
    received_on = models.DateField("Received on")
    letter = models.ForeignKey(
        ChartDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20, choices=STATUS_CHOICES, default=Status.NEW)
    status_changed_at = models.DateTimeField()
    declined_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["received_on", "created_at"]
        indexes = [models.Index(fields=["clinic", "status", "received_on"])]

    def __str__(self) -> str:
        return f"Referral of {self.patient_id} from {self.referrer_name}"


class ReferralStep(models.Model):
    """One move of a referral, with who made it and why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="steps")
    status = models.CharField(max_length=20, choices=Referral.STATUS_CHOICES)
    reason = models.TextField(blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id} → {self.status}"


class ReferralLetter(models.Model):
    """A letter sent to the referrer: which kind, and the PDF kept on the chart."""

    KIND_CHOICES = [(kind.value, label) for kind, label in LETTER_LABELS.items()]

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(max_length=20, choices=KIND_CHOICES)
    document = models.ForeignKey(ChartDocument, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.referral_id}"


class LetterTemplate(models.Model):
    """A clinic's own wording of one kind of letter (core.DEFAULT_TEMPLATES until edited)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=ReferralLetter.KIND_CHOICES)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "kind"], name="one_letter_template_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} template of {self.clinic_id}"
