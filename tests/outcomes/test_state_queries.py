"""The worklist and the outcome dashboard read the stored course state: their pages, on
the web and through the API, make the same number of queries at 5 and at 50 courses, and
with 1 and 11 sessions left open."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.outcomes.models import CourseState
from tests.clock import fix_clock
from tests.measures.conftest import Team

from .bulk import bulk_courses, bulk_left_open
from .conftest import T0, at
from .test_pages import signed_in

pytestmark = pytest.mark.django_db

NOW = at(100)


def _count(client: Client, url: str, **params: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        got = client.get(url, params)
    assert got.status_code == 200, got.content[:300]
    return len(ctx.captured_queries)


def _pages(team: Team, api: Client, web: Client) -> dict[str, int]:
    slug = team.clinic.slug
    return {
        "clinic dashboard": _count(web, reverse("dashboard", args=[slug])),
        "worklist (web)": _count(web, reverse("worklist", args=[slug])),
        "worklist (API)": _count(api, "/api/v1/worklist"),
        "dashboard (web)": _count(web, reverse("outcomes_dashboard", args=[slug])),
        "dashboard (API)": _count(api, "/api/v1/outcomes/dashboard"),
        "dashboard, filtered (API)": _count(
            api, "/api/v1/outcomes/dashboard", protocol="esketamine_trd", instrument="phq9"
        ),
    }


def test_pages_make_the_same_queries_at_5_and_50_courses_and_sessions_left_open(
    team: Team, api_client: Callable[[ClinicAccess], Client]
) -> None:
    fix_clock(NOW)
    api, web = api_client(team.prescriber), signed_in(team.prescriber)
    bulk_courses(team.clinic, team.prescriber.user, 5, origin=T0, seed=1)
    bulk_left_open(team.clinic, team.prescriber.user, 1, since=at(90))
    _pages(team, api, web)  # first openings create the clinic's settings rows
    small = _pages(team, api, web)
    bulk_courses(team.clinic, team.prescriber.user, 45, origin=T0, seed=2)
    bulk_left_open(team.clinic, team.prescriber.user, 10, since=at(80))
    bulk = CourseState.objects.filter(clinic=team.clinic, patient__mrn__startswith="BLK-")
    assert bulk.count() == 50
    large = _pages(team, api, web)
    assert small == large
    worklist = api.get("/api/v1/worklist").json()
    assert len(worklist) > 10  # the 50 courses put work on the list
    assert [row["kind"] for row in worklist].count("session_left_open") == 11
