"""Writes of patient education: the clinic's articles and their versions (each edit a new,
audited version with its reading grade), the clinic's reading-level setting, sending
articles to a patient through a patient link, and the patient opening them. Each public
function runs in one transaction and writes its audit record there."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Permission
from ketacare.audit.chain import diff
from ketacare.audit.services import Action, audit_as, audit_record
from ketacare.common import clock
from ketacare.common.errors import ValidationFailed
from ketacare.education import core
from ketacare.education.content import default_articles
from ketacare.education.models import Article, ArticleVersion, EducationSend
from ketacare.education.selectors import (
    article_get,
    article_in_language,
    article_named,
    education_settings_for,
    latest_version,
)
from ketacare.measures import services as links
from ketacare.measures.models import SelfReportLink
from ketacare.patients.language import language_of
from ketacare.patients.selectors import patient_get

PATIENT = "patient"  # the audit actor of what the patient does through the link


def _new_version(
    *,
    article: Article,
    number: int,
    title: str,
    body: str,
    sources: Sequence[str],
    change_note: str,
    created_by: Any,
) -> ArticleVersion:
    title, body = title.strip(), body.strip().replace("\r\n", "\n")
    grade = core.grade_of(title, body, article.language)
    return ArticleVersion.objects.create(
        clinic=article.clinic,
        article=article,
        number=number,
        title=title,
        body=body,
        sources=[s.strip() for s in sources if s.strip()],
        grade=Decimal(str(grade)),
        change_note=change_note.strip()[:300],
        created_by=created_by,
    )


def articles_seed(clinic: Clinic) -> list[Article]:
    """Give the clinic each default article it does not have yet (version 1). Audited as
    the seed; run again, it adds nothing."""
    have = set(Article.objects.filter(clinic=clinic).values_list("slug", flat=True))
    created = []
    for default in default_articles():
        if default.slug in have:
            continue
        article = Article.objects.create(
            clinic=clinic, topic=default.topic, slug=default.slug, language=default.language
        )
        version = _new_version(
            article=article,
            number=1,
            title=default.title,
            body=default.body,
            sources=default.sources,
            change_note="Default article",
            created_by=None,
        )
        audit_record(
            actor=None,
            clinic=clinic,
            action=Action.CREATE,
            object_type="articleversion",
            object_id=version.pk,
            actor_label="seed",
            changes={"number": [None, 1], "grade": [None, str(version.grade)]},
            details={"slug": default.slug, "language": default.language},
        )
        created.append(article)
    return created


@transaction.atomic
def articles_list(*, access: ClinicAccess) -> list[tuple[Article, ArticleVersion]]:
    """The clinic's articles in use with their latest versions (seeding the defaults)."""
    access.require(Permission.VIEW_REGISTRY)
    articles_seed(access.clinic)
    found = Article.objects.filter(clinic=access.clinic, retired_at__isnull=True)
    return [(a, latest_version(a)) for a in found]


@transaction.atomic
def article_edit(
    *,
    access: ClinicAccess,
    article_id: uuid.UUID | str,
    title: str,
    body: str,
    sources: Sequence[str],
    change_note: str = "",
) -> tuple[ArticleVersion, core.Readability]:
    """Save an edit as the article's next version, with its reading grade. Above the
    clinic's highest grade it is refused (or, if the clinic chose so, saved with a
    warning: the returned readability says so)."""
    access.require(Permission.MANAGE_PROTOCOLS)
    article = article_get(access=access, article_id=article_id)
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Give the article a title."
    elif len(title.strip()) > 200:
        errors["title"] = "Keep the title under 200 characters."
    if not body.strip():
        errors["body"] = "Write the article's text."
    if not [s for s in sources if s.strip()]:
        errors["sources"] = "List the sources of the article's statements."
    if errors:
        raise ValidationFailed({k: [v] for k, v in errors.items()})
    setting = education_settings_for(access.clinic)
    reading = core.readability(title, body, setting.max_grade, article.language)
    if not reading.ok and setting.refuse_above:
        raise ValidationFailed.single("body", reading.verdict)
    current = Article.objects.select_for_update().get(pk=article.pk)
    previous = latest_version(current)
    cleaned_sources = [s.strip() for s in sources if s.strip()]
    if (
        title.strip() == previous.title
        and body.strip().replace("\r\n", "\n") == previous.body
        and cleaned_sources == previous.sources
    ):
        raise ValidationFailed.single("body", "Nothing changed: no new version was made.")
    version = _new_version(
        article=current,
        number=previous.number + 1,
        title=title,
        body=body,
        sources=cleaned_sources,
        change_note=change_note,
        created_by=access.user,
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="articleversion",
        object_id=version.pk,
        changes={
            "number": [previous.number, version.number],
            "grade": [str(previous.grade), str(version.grade)],
        },
        details={
            "slug": current.slug,
            "change_note": version.change_note,
            "above_grade": not reading.ok,
        },
    )
    return version, reading


@transaction.atomic
def settings_update(*, access: ClinicAccess, max_grade: int, refuse_above: bool) -> Any:
    access.require(Permission.MANAGE_PROTOCOLS)
    if not 1 <= max_grade <= 16:
        raise ValidationFailed.single("max_grade", "Give a grade from 1 to 16.")
    found = education_settings_for(access.clinic)
    wanted = {"max_grade": max_grade, "refuse_above": refuse_above}
    changes = diff({name: getattr(found, name) for name in wanted}, wanted)
    for name, value in wanted.items():
        setattr(found, name, value)
    found.save()
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="educationsettings",
        object_id=found.pk,
        changes=changes,
    )
    return found


# --- sending, and the patient reading ------------------------------------------------------


@transaction.atomic
def education_send(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID | str,
    articles: Sequence[uuid.UUID | str],
    channel: str = "email",
) -> EducationSend:
    """Send the patient a link to read the latest versions of these articles (each named
    by its id or its slug; the versions are pinned), in the patient's preferred language:
    each article chosen stands for its topic, and the patient gets the topic's article in
    their language. A topic with no article in it is sent in English instead (or as
    chosen, for an article with no English one either); `fallbacks(sent)` names them and
    the chart says so."""
    access.require(Permission.SEND_MEASURE_LINKS)
    patient = patient_get(access=access, patient_id=patient_id)
    if patient.is_archived:
        raise ValidationFailed.single("patient", "This patient is archived.")
    if not articles:
        raise ValidationFailed.single("articles", "Choose at least one article.")
    articles_seed(access.clinic)
    language = language_of(patient)
    chosen: dict[Any, Article] = {}
    for key in dict.fromkeys(str(a) for a in articles):
        article = article_named(access=access, key=key)
        if article.retired_at is not None:
            raise ValidationFailed.single("articles", "This article is no longer in use.")
        found = (
            article_in_language(article, language)
            or article_in_language(article, core.ENGLISH)
            or article
        )
        chosen.setdefault(found.pk, found)
    versions = [latest_version(a) for a in chosen.values()]
    link = links.patient_link_issue(
        clinic=access.clinic,
        patient=patient,
        channel=channel,
        now=clock.now(),
        created_by=access.user,
        purpose=SelfReportLink.Purpose.EDUCATION,
    )
    sent = EducationSend.objects.create(
        clinic=access.clinic, patient=patient, link=link, language=language
    )
    sent.versions.set(versions)
    fallen = [v.article.slug for v in versions if v.article.language != language]
    audit_as(
        access,
        action=Action.CREATE,
        object_type="educationsend",
        object_id=sent.pk,
        patient_id=patient.pk,
        changes={"versions": [None, [str(v.pk) for v in versions]]},
        details={
            "link": str(link.pk),
            "articles": [v.article.slug for v in versions],
            "language": language,
            "not_in_language": fallen,
        },
    )
    return sent


def fallbacks(sent: EducationSend) -> list[ArticleVersion]:
    """The versions of a sending that are not in the patient's language (a topic with no
    article in it), for staff to see."""
    return [v for v in pinned_versions(sent) if v.article.language != sent.language]


def send_open(*, token: str, for_update: bool = False) -> EducationSend:
    """The sending of a live education link, or links.LinkRefused saying why not."""
    link = links.link_open(token=token, for_update=for_update)
    if link.purpose != SelfReportLink.Purpose.EDUCATION:
        raise links.LinkRefused("invalid")
    rows = EducationSend.objects.select_related("patient", "clinic")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    found = rows.filter(link=link).first()
    if found is None:
        raise links.LinkRefused("invalid")
    found.link = link
    return found


def pinned_versions(sent: EducationSend) -> list[ArticleVersion]:
    return sorted(sent.versions.select_related("article"), key=lambda v: (v.article.topic, v.title))


@transaction.atomic
def education_read(*, token: str) -> tuple[EducationSend, list[ArticleVersion]]:
    """The patient opens the link: the pinned versions, and the opening recorded."""
    sent = send_open(token=token, for_update=True)
    before = sent.open_count
    now = clock.now()
    if sent.first_opened_at is None:
        sent.first_opened_at = now
    sent.open_count += 1
    sent.save(update_fields=["first_opened_at", "open_count", "updated_at"])
    audit_record(
        actor=None,
        clinic=sent.clinic,
        action=Action.VIEW,
        object_type="educationsend",
        object_id=sent.pk,
        patient_id=sent.patient_id,
        actor_label=PATIENT,
        changes={"open_count": [before, sent.open_count]},
        details={"event": "opened", "link": str(sent.link_id)},
    )
    return sent, pinned_versions(sent)
