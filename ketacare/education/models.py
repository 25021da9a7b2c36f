"""Patient education records: a clinic's articles and their immutable versions, the
clinic's reading-level setting, and each sending of articles to a patient through a link."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.common.models import ClinicalRecord
from ketacare.measures.models import SelfReportLink
from ketacare.patients.models import Patient

USER = settings.AUTH_USER_MODEL


class Article(ClinicalRecord):
    """A clinic's article on one form of treatment (or topic)."""

    class Topic(models.TextChoices):
        IV = "iv", "Intravenous ketamine"
        IM = "im", "Intramuscular ketamine"
        INTRANASAL = "intranasal", "Esketamine nasal spray (Spravato)"
        ORAL = "oral", "Oral or sublingual ketamine"
        ORAL_ER = "oral_er", "Extended-release oral ketamine"
        KAP = "kap", "Ketamine-assisted psychotherapy"
        OTHER = "other", "Other topic"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    topic = models.CharField(max_length=12, choices=Topic.choices)
    slug = models.SlugField(max_length=80)
    language = models.CharField(
        max_length=5, choices=Patient.Language.choices, default=Patient.Language.ENGLISH
    )  # the patient reads it in this language (a Spanish article is its own article)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["topic", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "slug"], name="one_article_per_slug"),
            models.UniqueConstraint(
                fields=["clinic", "topic", "language"],
                condition=~models.Q(topic="other"),
                name="one_article_per_topic_language",
            ),
        ]

    def __str__(self) -> str:
        return f"Article {self.slug}"


class ArticleVersion(ClinicalRecord):
    """One version of an article's words. Never changed once saved: an edit is a new
    version, and a patient reads the version they were sent."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    sources = models.JSONField(default=list)
    grade = models.DecimalField(
        "reading grade (Flesch-Kincaid; Crawford in Spanish)", max_digits=4, decimal_places=1
    )  # computed at save by the service (core.FORMULAS)
    change_note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="one_article_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("An article version never changes; save a new version.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("An article version is never deleted.")


class EducationSettings(models.Model):
    """The clinic's education settings; created from the cited defaults on first use."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="+")
    max_grade = models.PositiveSmallIntegerField(
        "highest reading grade",
        help_text=(
            "School grade (Flesch-Kincaid; Crawford in Spanish); health-literacy guidance: "
            "grade 8 or lower."
        ),
    )
    refuse_above = models.BooleanField(
        "refuse an edit above the highest grade",
        default=True,
        help_text="Off: the edit is saved with a warning.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Education settings of {self.clinic_id}"


class EducationSend(ClinicalRecord):
    """Articles sent to one patient through one link; the versions are pinned, so the
    patient reads the words as they were when sent."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    link = models.OneToOneField(
        SelfReportLink, on_delete=models.PROTECT, related_name="education_send"
    )
    versions = models.ManyToManyField(ArticleVersion, related_name="+")
    # The patient's preferred language when sent; a pinned version in another language
    # is a topic with no article in it (sent in English instead; the chart says so).
    language = models.CharField(
        max_length=5, choices=Patient.Language.choices, default=Patient.Language.ENGLISH
    )
    first_opened_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "patient"])]

    def __str__(self) -> str:
        return f"Education sent {self.created_at:%Y-%m-%d}"
