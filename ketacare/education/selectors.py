"""Reads of education records, always within the caller's clinic."""

from __future__ import annotations

import uuid

from django.conf import settings

from ketacare.accounts.access import ClinicAccess
from ketacare.common.errors import NotFound
from ketacare.education.models import Article, ArticleVersion, EducationSend, EducationSettings
from ketacare.patients.models import Patient


def education_settings_for(clinic: object) -> EducationSettings:
    """The clinic's education settings, created from the cited defaults on first use."""
    found, _ = EducationSettings.objects.get_or_create(
        clinic=clinic,
        defaults={
            "max_grade": settings.KETACARE_EDUCATION_MAX_GRADE,
            "refuse_above": settings.KETACARE_EDUCATION_REFUSE_ABOVE,
        },
    )
    return found


def article_get(*, access: ClinicAccess, article_id: uuid.UUID | str) -> Article:
    try:
        found = Article.objects.filter(clinic=access.clinic, pk=article_id).first()
    except (ValueError, TypeError, Exception) as exc:  # malformed ids answer 404 too
        raise NotFound("article") from exc
    if found is None:
        raise NotFound("article")
    return found


def article_named(*, access: ClinicAccess, key: str) -> Article:
    """The clinic's article by id, or by slug (the same slug in every clinic)."""
    try:
        uuid.UUID(key)
    except ValueError:
        found = Article.objects.filter(clinic=access.clinic, slug=key).first()
        if found is None:
            raise NotFound("article") from None
        return found
    return article_get(access=access, article_id=key)


def article_in_language(article: Article, language: str) -> Article | None:
    """The clinic's article in use on the same topic in this language (the article itself
    if it is in it), or None. An "other" article has no counterparts: only itself."""
    if article.language == language:
        return article
    if article.topic == Article.Topic.OTHER:
        return None
    return Article.objects.filter(
        clinic_id=article.clinic_id,
        topic=article.topic,
        language=language,
        retired_at__isnull=True,
    ).first()


def latest_version(article: Article) -> ArticleVersion:
    return article.versions.order_by("-number").first()  # type: ignore[return-value]


def sends_of(*, patient: Patient) -> list[EducationSend]:
    return list(
        EducationSend.objects.filter(clinic_id=patient.clinic_id, patient=patient)
        .select_related("link")
        .prefetch_related("versions")
    )
