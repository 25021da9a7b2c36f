from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic


class AuditEvent(models.Model):
    """One append-only audit record. Written only by ketacare.audit.services.audit_record."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    patient_id = models.UUIDField(null=True, blank=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=30)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "sequence"], name="audit_sequence_per_clinic"
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "patient_id", "-occurred_at"]),
            models.Index(fields=["clinic", "actor", "-occurred_at"]),
            models.Index(fields=["clinic", "-occurred_at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Audit events are append-only and cannot be deleted.")

    def chain_payload(self) -> dict[str, Any]:
        """The fields the hash covers, in their stored form."""
        return {
            "clinic_id": self.clinic_id,
            "sequence": self.sequence,
            "occurred_at": self.occurred_at,
            "actor_id": self.actor_id,
            "actor_username": self.actor_username,
            "patient_id": self.patient_id,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "action": self.action,
            "ip_address": self.ip_address,
            "request_id": self.request_id,
            "changes": self.changes,
            "details": self.details,
        }


class AuditChainHead(models.Model):
    """The latest link per clinic. Locking this row serialises writers of one clinic's chain."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.clinic_id}@{self.sequence}"
