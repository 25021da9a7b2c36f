from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.common.models import ClinicalRecord
from ketacare.patients.search import digits_of, searchable_text

USER = settings.AUTH_USER_MODEL


def display_name_of(family: str, given: str, preferred: str = "") -> str:
    """How a patient is named on every list: "Family, Preferred" (or the legal given
    name), from the fields alone, for lists read as plain rows."""
    return f"{family}, {preferred or given}"


class Patient(ClinicalRecord):
    class SexAtBirth(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        INTERSEX = "intersex", "Intersex"
        UNKNOWN = "unknown", "Unknown / not recorded"

    class Language(models.TextChoices):
        """The languages the patient's side is written in (settings.LANGUAGES). The
        patient's choice sets the language of their links, pages and messages."""

        ENGLISH = "en", "English"
        SPANISH = "es", "Spanish"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=32)
    legal_given_name = models.CharField(max_length=100)
    legal_family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=10, choices=SexAtBirth.choices)
    gender_identity = models.CharField(max_length=60, blank=True)
    pronouns = models.CharField(max_length=30, blank=True)
    preferred_language = models.CharField(
        "Preferred language", max_length=8, choices=Language.choices, default=Language.ENGLISH
    )

    phone = models.CharField(max_length=40, blank=True)
    # The phone's digits alone, kept by the services: the registry search finds a number
    # however it was written or typed ("+1 503 555 0117", "(503) 555-0117").
    phone_digits = models.CharField(max_length=40, blank=True, editable=False)
    # The names and MRN in capitals, kept by the services: one trigram-indexed column that
    # every word of a registry search is matched against (patients migration 0003).
    search_text = models.CharField(max_length=400, blank=True, editable=False)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)

    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)

    referring_clinician_name = models.CharField(max_length=150, blank=True)
    referring_clinician_organisation = models.CharField(max_length=200, blank=True)
    referring_clinician_phone = models.CharField(max_length=40, blank=True)
    referring_clinician_email = models.EmailField(blank=True)

    no_known_allergies = models.BooleanField(default=False)

    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    archive_reason = models.CharField(max_length=300, blank=True)
    # Set when this record was merged into another (the same person registered twice): it
    # is archived, holds no chart entries, and its pages point to the kept record.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="mrn_unique_in_clinic"),
        ]
        indexes = [
            # Serves the registry's default ordering, so a page needs no sort of all rows.
            models.Index(
                fields=["clinic", "legal_family_name", "legal_given_name", "mrn"],
                name="patient_name_order_idx",
            ),
            models.Index(fields=["clinic", "date_of_birth"]),
            # The few archived patients, so lists can leave them out without reading all.
            models.Index(
                fields=["clinic", "id"],
                condition=models.Q(archived_at__isnull=False),
                name="patient_archived_idx",
            ),
        ]
        ordering = ["legal_family_name", "legal_given_name"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.mrn})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The search columns follow what they are made of, however the row is saved.
        self.phone_digits = digits_of(self.phone)
        self.search_text = searchable_text(
            self.legal_family_name, self.legal_given_name, self.preferred_name, self.mrn
        )
        fields = kwargs.get("update_fields")
        if fields is not None:
            kwargs["update_fields"] = {*fields, "phone_digits", "search_text"}
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return display_name_of(self.legal_family_name, self.legal_given_name, self.preferred_name)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class PatientMerge(ClinicalRecord):
    """One record merged into another: what moved, so that an undo moves exactly that back.

    `moved` lists, per model and foreign key, the primary keys of the rows that moved from
    `merged` to `kept`: [{"model": "patients.Allergy", "field": "patient", "pks": [...]}].
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    kept = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    merged_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    moved = models.JSONField(default=list)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undo_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["clinic", "kept"]),
            models.Index(fields=["clinic", "merged"]),
        ]

    @property
    def moved_count(self) -> int:
        return sum(len(group["pks"]) for group in self.moved)


class PatientRecord(ClinicalRecord):
    """A dated entry on a patient's chart. Wrong entries are marked, never deleted."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    entered_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True


class BodyMeasurement(PatientRecord):
    measured_on = models.DateField()
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1)
    height_cm = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["-measured_on", "-created_at"]
        indexes = [models.Index(fields=["patient", "-measured_on"])]


class Allergy(PatientRecord):
    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"
        LIFE_THREATENING = "life_threatening", "Life-threatening"
        UNKNOWN = "unknown", "Unknown"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"

    substance = models.CharField(max_length=150)
    reaction = models.CharField(max_length=300, blank=True)
    severity = models.CharField(max_length=20, choices=Severity.choices, default=Severity.UNKNOWN)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    noted_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["substance"]
        indexes = [models.Index(fields=["patient", "status"])]
        verbose_name_plural = "allergies"


class Medication(PatientRecord):
    class Status(models.TextChoices):
        ACTIVE = "active", "Taking"
        STOPPED = "stopped", "Stopped"

    name = models.CharField(max_length=150)
    dose = models.CharField(max_length=60, help_text="Amount and unit, e.g. 20 mg")
    frequency = models.CharField(max_length=60, help_text="e.g. once daily")
    route = models.CharField(max_length=30, blank=True)
    start_date = models.DateField(null=True, blank=True)
    stop_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    indication = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["patient", "status"])]


class Diagnosis(PatientRecord):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESOLVED = "resolved", "Resolved"

    icd10_code = models.CharField("ICD-10 code", max_length=8)
    description = models.CharField(max_length=250)
    onset_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "icd10_code"]
        verbose_name_plural = "diagnoses"


class Consent(PatientRecord):
    class Kind(models.TextChoices):
        TREATMENT = "treatment", "Treatment"
        RESEARCH = "research", "Research use of data"

    class Decision(models.TextChoices):
        GRANTED = "granted", "Granted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class TreatmentForm(models.TextChoices):
        """The forms of treatment a consent can be limited to (the protocols' routes)."""

        EVERY = "", "Every form of treatment"
        IV = "iv", "Intravenous infusion"
        IM = "im", "Intramuscular injection"
        INTRANASAL = "intranasal", "Intranasal (esketamine)"
        ORAL = "oral", "Oral"
        SUBLINGUAL = "sublingual", "Sublingual"
        ORAL_ER = "oral_er", "Extended-release oral"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    # A treatment consent may cover one form of treatment only; blank covers every form.
    treatment_form = models.CharField(
        "form of treatment",
        max_length=12,
        choices=TreatmentForm.choices,
        blank=True,
        default="",
    )
    document_version = models.CharField(max_length=30)
    decided_on = models.DateField()
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["kind", "-decided_on", "-created_at"]
