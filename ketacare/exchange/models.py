"""Bulk Data export jobs. The NDJSON files live in Django's default storage (disk by
default; docs/interoperability.md says how to point it at object storage)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from ketacare.accounts.models import ApiToken, Clinic
from ketacare.patients.models import PatientRecord

USER = settings.AUTH_USER_MODEL


class ExportJob(models.Model):
    class Level(models.TextChoices):
        PATIENT = "patient", "All patients"
        GROUP = "group", "The whole clinic (Group)"

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Waiting to start"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired (files deleted)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    # The token that asked: only it may poll and download (null: asked from the web app).
    token = models.ForeignKey(
        ApiToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    level = models.CharField(max_length=10, choices=Level.choices)
    request_url = models.CharField(max_length=500)
    types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACCEPTED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done")
    transaction_time = models.DateTimeField(null=True, blank=True)
    output = models.JSONField(default=list, blank=True, help_text="[{type, count, path}]")
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "-created_at"])]

    def __str__(self) -> str:
        return f"Export {self.id} ({self.status})"


def _document_path(instance: ChartDocument, filename: str) -> str:
    return f"chart-documents/{instance.clinic_id}/{instance.patient_id}/{instance.pk}.pdf"


class ChartDocument(PatientRecord):
    """A PDF on the chart: a referral letter received, or a letter (report) sent out.
    The file is in Django's default storage (disk, or object storage; see
    docs/interoperability.md)."""

    class Kind(models.TextChoices):
        REFERRAL_IN = "referral_in", "Referral letter received"
        LETTER_OUT = "letter_out", "Letter sent"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=_document_path, max_length=200)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    sent_to = models.EmailField(blank=True)
    message_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "-created_at"])]

    def __str__(self) -> str:
        return self.title
