"""The audit trail pages by cursor (keyset), counts from the chain head, and filters dates
as ranges on the clinic's day: the same work at 3 million events as at 30."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.audit.selectors import AuditFilter, audit_event_count, audit_event_list
from ketacare.audit.services import audit_as
from ketacare.common.errors import ValidationFailed
from ketacare.common.keyset import keyset_page
from tests.clock import fix_clock
from tests.factories import ClinicFactory

API = "/api/v1"


def _events(access: ClinicAccess, n: int) -> None:
    for number in range(n):
        audit_as(access, action="view", object_type="test_record", object_id=number)


@pytest.fixture
def officer(make_access: Callable[..., ClinicAccess], clinic: Clinic) -> ClinicAccess:
    return make_access(Role.COMPLIANCE, clinic)


def _client(access: ClinicAccess) -> Client:
    client = Client(headers={"X-Clinic": access.clinic.slug})
    client.force_login(access.user)
    return client


def test_keyset_pages_walk_older_and_back_newer_without_gaps(officer: ClinicAccess) -> None:
    _events(officer, 23)
    events = audit_event_list(clinic=officer.clinic, filters=AuditFilter())

    seen, cursor, pages = [], None, []
    while True:
        page = keyset_page(events, key="sequence", size=10, cursor=cursor)
        pages.append(page)
        seen += [e.sequence for e in page.items]
        if not page.older:
            break
        cursor = page.older
    assert seen == list(range(23, 0, -1))
    assert [len(p.items) for p in pages] == [10, 10, 3]
    assert pages[0].newer is None

    back = keyset_page(events, key="sequence", size=10, cursor=pages[2].newer)
    assert [e.sequence for e in back.items] == [e.sequence for e in pages[1].items]
    first = keyset_page(events, key="sequence", size=10, cursor=back.newer)
    assert [e.sequence for e in first.items] == list(range(23, 13, -1))
    assert first.newer is None


@pytest.mark.parametrize("bad", ["x12", "o", "o-1", "n1e5", "o" + "9" * 30])
def test_a_malformed_cursor_names_the_field(officer: ClinicAccess, bad: str) -> None:
    events = audit_event_list(clinic=officer.clinic, filters=AuditFilter())
    with pytest.raises(ValidationFailed) as caught:
        keyset_page(events, key="sequence", size=10, cursor=bad)
    assert "cursor" in caught.value.errors


def test_the_unfiltered_count_is_the_chain_heads(officer: ClinicAccess) -> None:
    _events(officer, 7)
    events = audit_event_list(clinic=officer.clinic, filters=AuditFilter())
    with CaptureQueriesContext(connection) as queries:
        counted = audit_event_count(clinic=officer.clinic, filters=AuditFilter(), events=events)
    assert counted == events.count() == 7
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)

    filtered = AuditFilter(action="view")
    only = audit_event_list(clinic=officer.clinic, filters=filtered)
    assert audit_event_count(clinic=officer.clinic, filters=filtered, events=only) == 7


def test_date_filters_are_the_clinics_days_as_ranges(
    make_access: Callable[..., ClinicAccess],
) -> None:
    new_york = ClinicFactory.create(slug="ny", time_zone="America/New_York")
    officer = make_access(Role.COMPLIANCE, new_york)
    # 02:30 UTC on 15 January is still 14 January in New York.
    fix_clock(dt.datetime(2026, 1, 15, 2, 30, tzinfo=dt.UTC))
    audit_as(officer, action="view", object_type="test_record", object_id="late")
    fix_clock(dt.datetime(2026, 1, 15, 5, 30, tzinfo=dt.UTC))
    audit_as(officer, action="view", object_type="test_record", object_id="early")

    def ids(date_from: dt.date | None = None, date_to: dt.date | None = None) -> list[str]:
        dates = AuditFilter(date_from=date_from, date_to=date_to)
        found = audit_event_list(clinic=new_york, filters=dates)
        assert "::date" not in str(found.query) and "django_datetime_cast" not in str(found.query)
        return [e.object_id for e in found]

    assert ids(date_to=dt.date(2026, 1, 14)) == ["late"]
    assert ids(date_from=dt.date(2026, 1, 15)) == ["early"]
    assert ids(date_from=dt.date(2026, 1, 14), date_to=dt.date(2026, 1, 15)) == ["early", "late"]


def _queries_to_open(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("url", ["/c/clinic-a/audit/", f"{API}/audit/events"])
def test_queries_do_not_grow_with_the_trail_or_the_depth(officer: ClinicAccess, url: str) -> None:
    client = _client(officer)
    _events(officer, 5)
    _queries_to_open(client, url)  # the first request of a session also loads the session
    small = _queries_to_open(client, url)
    _events(officer, 300)
    large = _queries_to_open(client, url)
    deep = _queries_to_open(client, f"{url}?cursor=o40")
    assert small == large == deep


def test_the_api_pages_by_cursor(officer: ClinicAccess) -> None:
    _events(officer, 12)
    client = _client(officer)
    first = client.get(f"{API}/audit/events", {"page_size": 5}).json()
    # 12 events plus this read of the trail, newest first.
    assert first["count"] == 13
    assert [e["sequence"] for e in first["items"]] == [13, 12, 11, 10, 9]
    assert first["previous_cursor"] is None
    second = client.get(f"{API}/audit/events", {"page_size": 5, "cursor": first["next_cursor"]})
    assert [e["sequence"] for e in second.json()["items"]] == [8, 7, 6, 5, 4]

    bad = client.get(f"{API}/audit/events", {"cursor": "page2"})
    assert bad.status_code == 422
    assert "cursor" in bad.content.decode()


def test_the_web_page_links_older_and_newer(officer: ClinicAccess) -> None:
    _events(officer, 60)
    client = _client(officer)
    html = client.get("/c/clinic-a/audit/").content.decode()
    assert "61 events." in html
    assert "cursor=o12" in html and "Newer" not in html
    older = client.get("/c/clinic-a/audit/", {"cursor": "o12"})
    assert [e.sequence for e in older.context["page"].items] == list(range(11, 0, -1))
    assert "cursor=n11" in older.content.decode()
    stale = client.get("/c/clinic-a/audit/", {"cursor": "garbage"})
    assert stale.status_code == 200
