"""Notes on a patient's chart, their addenda, and the clinic's note templates."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.common.models import ClinicalRecord
from ketacare.notes.core import TYPE_LABELS, NoteType
from ketacare.patients.models import Patient

USER = settings.AUTH_USER_MODEL
TYPE_CHOICES = [(t.value, TYPE_LABELS[t]) for t in NoteType]


class NoteTemplate(ClinicalRecord):
    """One version of a clinic's template for a kind of note. Saving makes a new version;
    the newest is the one new notes use, and each note keeps the version it was written on."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    note_type = models.CharField(max_length=20, choices=TYPE_CHOICES)
    version = models.PositiveIntegerField()
    # [{"key": ..., "label": ..., "prompt": ...}, ...]
    sections = models.JSONField(default=list)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["note_type", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "note_type", "version"], name="notetemplate_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_note_type_display()} template v{self.version}"


class Note(ClinicalRecord):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    note_type = models.CharField(max_length=20, choices=TYPE_CHOICES)
    title = models.CharField(max_length=200, blank=True)
    # {section key: text}, in the order of the template's sections
    sections = models.JSONField(default=dict)
    template_version = models.PositiveIntegerField(default=0)  # 0: the built-in default
    template_sections = models.JSONField(default=list)  # the headings written under
    # Psychotherapy notes (HIPAA §164.501): read only by therapists and prescribers.
    restricted = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # Optional links: a treatment session, a treatment plan, a course (core.course_key).
    session = models.ForeignKey(
        "treatment.TreatmentSession",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    plan = models.ForeignKey(
        "dosing.TreatmentPlan", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    course = models.CharField(max_length=60, blank=True)
    # Title, sections and addenda in one column for the search (core.search_text); on
    # PostgreSQL a GIN full-text index (migration 0002) answers it.
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "patient", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_note_type_display()} of {self.created_at:%Y-%m-%d}"

    @property
    def type_label(self) -> str:
        return self.get_note_type_display()

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED


class NoteAddendum(ClinicalRecord):
    """A correction or late entry on a signed note: who, when and why. The note itself is
    never changed after signing."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="addenda")
    entered_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["created_at"]
