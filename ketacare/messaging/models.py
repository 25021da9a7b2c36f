from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic


class OutboundMessage(models.Model):
    """Every email or SMS the system sends, queued in the transaction that decided to send
    it and delivered afterwards by a background task."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RETRYING = "retrying", "Failed, retrying"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient_id = models.UUIDField(null=True, blank=True)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=5, choices=Channel.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    # Files to attach (e-mail only): [{"path": <default storage name>, "filename", "content_type"}]
    attachments = models.JSONField(default=list, blank=True)
    purpose = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # The last failure, as the error's kind and the provider's status code: never its
    # text, which could repeat the message or the number.
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Delivery attempts so far, when the last was made, and when the next is due (backoff).
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The provider's id for the message (e.g. a Twilio message SID), when it gives one.
    provider_id = models.CharField(max_length=100, blank=True)
    # An administrator has seen a failed delivery (it leaves the failed list and banner).
    failure_dismissed_at = models.DateTimeField(null=True, blank=True)
    failure_dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["clinic", "patient_id", "-created_at"]),
            models.Index(fields=["status", "next_attempt_at"], name="messaging_retry_due"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}: {self.purpose} ({self.status})"
