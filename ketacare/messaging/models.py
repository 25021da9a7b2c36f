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
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.QUEUED)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["clinic", "patient_id", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}: {self.purpose} ({self.status})"
