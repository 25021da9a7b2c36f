"""E-consent records: documents and their immutable versions, the clinic's settings, and
each patient's e-consent from link to countersignature (or withdrawal)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.common.models import ClinicalRecord
from ketacare.measures.models import SelfReportLink
from ketacare.patients.models import Consent, Patient

USER = settings.AUTH_USER_MODEL


class ConsentDocument(ClinicalRecord):
    """A clinic's consent document for one form of treatment (blank: every form), in one
    language. Each language is its own document with its own versions."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    treatment_form = models.CharField(
        "form of treatment",
        max_length=12,
        choices=Consent.TreatmentForm.choices,
        blank=True,
        default="",
    )
    language = models.CharField(
        max_length=8, choices=Patient.Language.choices, default=Patient.Language.ENGLISH
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["treatment_form", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "treatment_form", "language"],
                name="one_consent_document_per_form_and_language",
            )
        ]

    def __str__(self) -> str:
        return (
            f"Consent document ({self.get_treatment_form_display()}, {self.get_language_display()})"
        )


class ConsentDocumentVersion(ClinicalRecord):
    """One version of a document's words. Never changed once saved: an edit is a new
    version."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    sources = models.JSONField(default=list)  # for staff: where each statement comes from
    questions = models.JSONField(default=list)  # the understanding check
    text_sha256 = models.CharField(max_length=64)
    change_note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="one_consent_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("A consent document version never changes; save a new version.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("A consent document version is never deleted.")


class ConsentSettings(models.Model):
    """The clinic's consent settings; created from the cited defaults on first use."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="+")
    valid_months = models.PositiveSmallIntegerField(
        "valid for (months)", help_text="0: a signed consent does not expire."
    )
    new_version_supersedes = models.BooleanField(
        "a new document version needs a new signature", default=True
    )
    countersign_required = models.BooleanField(
        "staff countersignature required before dosing", default=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Consent settings of {self.clinic_id}"


class EConsent(ClinicalRecord):
    """One patient's consent on one document version, through one link."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent, not yet signed"
        SIGNED = "signed", "Signed, awaiting countersignature"
        COUNTERSIGNED = "countersigned", "Signed and countersigned"
        WITHDRAWN = "withdrawn", "Withdrawn by the patient"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        ConsentDocumentVersion, on_delete=models.PROTECT, related_name="econsents"
    )
    link = models.OneToOneField(SelfReportLink, on_delete=models.PROTECT, related_name="econsent")
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.SENT)
    check_attempts = models.PositiveSmallIntegerField(default=0)
    check_passed_at = models.DateTimeField(null=True, blank=True)
    typed_name = models.CharField(max_length=200, blank=True)
    signature_svg = models.TextField(blank=True)  # empty: signed by typed name only
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_ip = models.GenericIPAddressField(null=True, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    signed_pdf = models.BinaryField(null=True, blank=True)
    signed_pdf_sha256 = models.CharField(max_length=64, blank=True)
    countersigned_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    countersigned_at = models.DateTimeField(null=True, blank=True)
    countersigned_pdf = models.BinaryField(null=True, blank=True)
    countersigned_pdf_sha256 = models.CharField(max_length=64, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_ip = models.GenericIPAddressField(null=True, blank=True)
    withdrawal_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "patient", "status"])]

    def __str__(self) -> str:
        return f"E-consent {self.version} ({self.status})"
