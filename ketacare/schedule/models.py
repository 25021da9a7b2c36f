"""Rooms and chairs, each session's place on the board, the clinic's schedule settings and
the staff calendar-feed tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.common.models import ClinicalRecord

USER = settings.AUTH_USER_MODEL

# Minutes a treatment session holds its room or chair unless the booking says otherwise:
# the dose (an IV infusion runs about 40 minutes) and at least two hours of observation
# after every Spravato session (label; docs/schedule.md), rounded up to 150.
DEFAULT_SESSION_MINUTES = 150


class Room(ClinicalRecord):
    """A treatment room or chair the clinic books sessions into."""

    class Kind(models.TextChoices):
        CHAIR = "chair", "Chair"
        ROOM = "room", "Room"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHAIR)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="room_name_unique")]

    def __str__(self) -> str:
        return self.name


class SessionPlace(ClinicalRecord):
    """Where and with whom a treatment session happens, and for how long it holds them."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(
        "treatment.TreatmentSession", on_delete=models.PROTECT, related_name="place"
    )
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    minutes = models.PositiveIntegerField(default=DEFAULT_SESSION_MINUTES)

    class Meta:
        indexes = [
            models.Index(fields=["clinic", "room"]),
            models.Index(fields=["clinic", "staff"]),
        ]


class ScheduleSettings(models.Model):
    clinic = models.OneToOneField(
        Clinic, on_delete=models.PROTECT, primary_key=True, related_name="schedule_settings"
    )
    session_minutes = models.PositiveIntegerField(default=DEFAULT_SESSION_MINUTES)

    class Meta:
        verbose_name_plural = "schedule settings"

    def __str__(self) -> str:
        return f"Schedule settings of {self.clinic}"


class CalendarFeedToken(models.Model):
    """A staff member's secret calendar-feed address for one clinic. Only a SHA-256 of the
    secret is stored (ketacare.accounts.tokens); resetting revokes the previous one."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user} ({self.prefix}…)"
