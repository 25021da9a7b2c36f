"""A long worklist comes a page at a time, on the web and through the API: each page
starts after the last row of the one before, every row appears once, and opening a page
audits the patients it showed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.outcomes import worklist
from tests.clock import fix_clock
from tests.measures.conftest import Team

from .bulk import bulk_courses
from .conftest import T0, at
from .test_pages import signed_in

pytestmark = pytest.mark.django_db
NOW = at(100)


@pytest.fixture
def busy(team: Team) -> Team:
    fix_clock(NOW)
    bulk_courses(team.clinic, team.prescriber.user, 12, origin=T0, seed=3)
    return team


def _next(response: Any) -> str:
    link = response.headers.get("Link", "")
    assert not link or link.endswith('; rel="next"')
    return link[1 : link.index(">")] if link else ""


def test_the_api_worklist_walks_every_row_once_following_the_link_header(
    busy: Team, api_client: Callable[[ClinicAccess], Client]
) -> None:
    client = api_client(busy.prescriber)
    everything = client.get("/api/v1/worklist", {"limit": 500}).json()
    assert len(everything) > 6
    for sort in ("urgency", "due", "patient"):
        whole = client.get("/api/v1/worklist", {"limit": 500, "sort": sort}).json()
        url, walked = f"/api/v1/worklist?limit=3&sort={sort}", []
        while url:
            response = client.get(url)
            assert response.status_code == 200
            walked += response.json()
            url = _next(response)
        assert [(r["patient_id"], r["kind"]) for r in walked] == [
            (r["patient_id"], r["kind"]) for r in whole
        ]
    bad = client.get("/api/v1/worklist", {"cursor": "nonsense"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_the_worklist_page_shows_a_page_and_links_the_next(
    busy: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worklist, "ROWS_PER_PAGE", 4)
    client = signed_in(busy.prescriber)
    url = reverse("worklist", args=[busy.clinic.slug])
    first = client.get(url).content.decode()
    assert first.count("<tr data-kind=") == 4 and "This page shows 4." in first
    event = AuditEvent.objects.filter(object_type="worklist").latest("sequence")
    assert len(event.details["patient_ids"]) <= 4  # the patients the page showed
    following = first.split("cursor=", 1)[1].split('"', 1)[0]
    second = client.get(url, {"cursor": following.replace("&amp;", "&")}).content.decode()
    assert "First page" in second and second.count("<tr data-kind=") >= 1
    # A stale or edited page link shows the first page rather than failing.
    stale = client.get(url, {"cursor": "stale"})
    assert stale.status_code == 200 and stale.content.decode().count("<tr data-kind=") == 4
