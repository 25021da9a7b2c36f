"""Operational state shared by every machine through the database. No patient data."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per worker process (host and pid), rewritten on every tick; /healthz
    reads the newest."""

    worker = models.CharField(max_length=200, primary_key=True)
    beat_at = models.DateTimeField()
    started_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["-beat_at"], name="operations_beat_at")]

    def __str__(self) -> str:
        return f"{self.worker} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class ScheduleLease(models.Model):
    """A clinic-wide job that runs at most once per period, however many workers there
    are: a worker takes the period by moving `period_start` forward in one conditional
    UPDATE (compare-and-set), so exactly one worker wins each period."""

    name = models.CharField(max_length=60, primary_key=True)
    period_start = models.DateTimeField()
    holder = models.CharField(max_length=200, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.period_start:%Y-%m-%d %H:%M} by {self.holder}"
