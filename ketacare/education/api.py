"""Patient education endpoints: the clinic's articles (with reading grades), one article,
saving a new version, and sending articles to a patient through a patient link."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from ketacare.api.auth import access_of
from ketacare.education import selectors, services
from ketacare.education.models import Article, ArticleVersion, EducationSend
from ketacare.measures.services import link_url

router = Router(tags=["education"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class ArticleVersionOut(Schema):
    id: uuid.UUID
    number: int
    title: str
    body: str
    sources: list[str]
    grade: float
    change_note: str
    created_at: dt.datetime


class ArticleOut(Schema):
    id: uuid.UUID
    topic: str
    topic_label: str
    slug: str
    language: str  # "en" or "es"
    latest_version: ArticleVersionOut


class ArticleVersionCreatedOut(ArticleVersionOut):
    within_grade: bool
    verdict: str


def _article(article: Article, version: ArticleVersion) -> dict[str, Any]:
    return {
        "id": article.pk,
        "topic": article.topic,
        "topic_label": article.get_topic_display(),
        "slug": article.slug,
        "language": article.language,
        "latest_version": version,
    }


@router.get("/education/articles", response=list[ArticleOut], summary="Education articles")
def article_list(request: HttpRequest) -> Any:
    return [_article(a, v) for a, v in services.articles_list(access=access_of(request))]


@router.get(
    "/education/articles/{article_id}",
    response=ArticleOut,
    summary="One education article with its latest version",
)
def article_detail(request: HttpRequest, article_id: uuid.UUID) -> Any:
    article = selectors.article_get(access=access_of(request), article_id=article_id)
    return _article(article, selectors.latest_version(article))


class ArticleVersionIn(Strict):
    title: str = Field(..., max_length=200)
    body: str = Field(..., max_length=50_000)
    sources: list[str]
    change_note: str = Field("", max_length=300)


@router.post(
    "/education/articles/{article_id}/versions",
    response={201: ArticleVersionCreatedOut},
    summary="Edit an article: saves its next version with its reading grade",
)
def version_create(request: HttpRequest, article_id: uuid.UUID, payload: ArticleVersionIn) -> Any:
    version, reading = services.article_edit(
        access=access_of(request), article_id=article_id, **payload.dict()
    )
    out = ArticleVersionOut.from_orm(version).dict()
    return Status(201, out | {"within_grade": reading.ok, "verdict": reading.verdict})


class EducationSendIn(Strict):
    articles: list[str] = Field(
        ...,
        description="Article ids or slugs, e.g. iv-ketamine; each stands for its topic, sent "
        "in the patient's preferred language (English where the topic has none in it)",
    )
    channel: str = "email"


class EducationSendOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    version_ids: list[uuid.UUID]
    language: str  # the patient's preferred language when sent
    not_in_language: list[str] = Field(
        ..., description="Slugs of the articles sent in English: no article in the language"
    )
    url: str
    expires_at: dt.datetime


def _send(sent: EducationSend) -> dict[str, Any]:
    return {
        "id": sent.pk,
        "patient_id": sent.patient_id,
        "version_ids": [v.pk for v in services.pinned_versions(sent)],
        "language": sent.language,
        "not_in_language": [v.article.slug for v in services.fallbacks(sent)],
        "url": link_url(sent.link),
        "expires_at": sent.link.expires_at,
    }


@router.post(
    "/patients/{patient_id}/education",
    response={201: EducationSendOut},
    summary="Send the patient a link to read education articles",
)
def education_send(request: HttpRequest, patient_id: uuid.UUID, payload: EducationSendIn) -> Any:
    sent = services.education_send(
        access=access_of(request),
        patient_id=patient_id,
        articles=payload.articles,
        channel=payload.channel,
    )
    return Status(201, _send(sent))
