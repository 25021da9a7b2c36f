"""The schedule through the web pages and /api/v1/schedule: who sees the board and where
its links lead, the front desk's actions, tenancy (404) and permissions (403), and the
staff calendar feed (no patient names)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable

import pytest
from django.test import Client
from icalendar import Calendar

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.schedule import services
from ketacare.treatment.models import TreatmentSession
from tests.dosing.conftest import Team

pytestmark = pytest.mark.django_db


def web(access: ClinicAccess) -> Client:
    client = Client()
    client.force_login(access.user)
    return client


def today_at(team: Team, hour: int) -> dt.datetime:
    return dt.datetime.combine(
        team.clinic.today(), dt.time(hour), tzinfo=zoneinfo.ZoneInfo(team.clinic.time_zone)
    )


@pytest.fixture
def booked(team: Team) -> TreatmentSession:
    chair = services.room_save(access=team.admin, name="Chair 1")
    return services.session_book(
        access=team.front_desk,
        patient_id=team.patient.pk,
        scheduled_start=today_at(team, 9),
        room_id=chair.pk,
        staff_id=team.nurse.user.pk,
        reason="test",
    )


def test_board_shows_todays_sessions_by_chair_with_state_in_words(
    team: Team, booked: TreatmentSession
) -> None:
    base = f"/c/{team.clinic.slug}/schedule/"
    page = web(team.front_desk).get(base)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Chair 1" in html and team.patient.display_name in html
    assert 'class="board-state">Booked<' in html
    assert 'hx-trigger="every 20s"' in html
    # The front desk's link is its session page; a nurse's is the chart.
    assert f"/schedule/sessions/{booked.pk}/" in html
    nurse_html = web(team.nurse).get(base).content.decode()
    assert f"/patients/{team.patient.pk}/sessions/{booked.pk}/chart/" in nurse_html
    # The htmx poll answers the board alone.
    partial = web(team.front_desk).get(base, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and b"<html" not in partial.content
    assert b"board-card" in partial.content
    week = web(team.front_desk).get(base + "?view=week")
    assert week.status_code == 200 and b"board-week" in week.content


def test_front_desk_session_page_shows_no_clinical_data_and_checks_in(
    team: Team, booked: TreatmentSession
) -> None:
    client = web(team.front_desk)
    url = f"/c/{team.clinic.slug}/schedule/sessions/{booked.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert b"Open the session chart" not in page.content
    # No dose on it: a figure in mg (not the letters "mg", which a CSRF token may hold).
    assert not re.search(rb"\d\s*mg\b", page.content)
    done = client.post(url + "check-in/", follow=True)
    assert "Checked in." in done.content.decode()
    booked.refresh_from_db()
    assert booked.status == "checked_in"
    # Front desk still never opens the chart.
    chart = client.get(
        f"/c/{team.clinic.slug}/patients/{team.patient.pk}/sessions/{booked.pk}/chart/"
    )
    assert chart.status_code == 403


def test_refusals_name_their_field_and_other_clinics_answer_404(
    team: Team,
    booked: TreatmentSession,
    other_clinic: Clinic,
    make_access: Callable[..., ClinicAccess],
) -> None:
    client = web(team.front_desk)
    url = f"/c/{team.clinic.slug}/schedule/sessions/{booked.pk}/"
    done = client.post(url + "cancel/", {"cancel-reason": ""}, follow=True)
    assert "Reason: This field is required." in done.content.decode()
    outsider = make_access(Role.FRONT_DESK, other_clinic)
    other = web(outsider)
    theirs = f"/c/{other_clinic.slug}/schedule/sessions/{booked.pk}/"
    assert other.get(theirs).status_code == 404
    assert other.post(theirs + "check-in/").status_code == 404
    assert other.get(f"/c/{team.clinic.slug}/schedule/").status_code == 404


def test_researchers_may_not_see_the_board(
    team: Team, make_access: Callable[..., ClinicAccess]
) -> None:
    researcher = make_access(Role.RESEARCHER, team.clinic)
    assert web(researcher).get(f"/c/{team.clinic.slug}/schedule/").status_code == 403


def test_rooms_page_and_book_form(team: Team) -> None:
    client = web(team.front_desk)
    rooms = f"/c/{team.clinic.slug}/schedule/rooms/"
    client.post(
        rooms, {"new-name": "Chair 3", "new-kind": "chair", "new-position": "0", "new-active": "on"}
    )
    assert b"Chair 3" in client.get(rooms).content
    start = today_at(team, 13).strftime("%Y-%m-%dT%H:%M")
    done = client.post(
        f"/c/{team.clinic.slug}/schedule/book/",
        {"mrn": team.patient.mrn, "scheduled_start": start, "room": "", "staff": "", "reason": "x"},
        follow=True,
    )
    assert "Session booked for" in done.content.decode()
    assert (
        web(team.nurse)
        .post(rooms, {"new-name": "X", "new-kind": "chair", "new-position": "0"})
        .status_code
        == 403
    )


def test_api_board_and_actions(
    team: Team, booked: TreatmentSession, api_client: Callable[[ClinicAccess], Client]
) -> None:
    client = api_client(team.front_desk)
    board = client.get("/api/v1/schedule/board")
    assert board.status_code == 200
    body = board.json()
    assert body["rooms"][0]["name"] == "Chair 1"
    [row] = body["sessions"]
    assert (row["room"], row["state_label"], row["status"]) == ("Chair 1", "Booked", "scheduled")
    assert (
        client.get("/api/v1/schedule/board?view=week").json()["days"][0]
        <= team.clinic.today().isoformat()
    )
    assert client.get("/api/v1/schedule/board?view=month").status_code == 422
    clash = client.post(
        "/api/v1/schedule/sessions",
        {
            "patient_id": str(team.patient.pk),
            "scheduled_start": today_at(team, 10).isoformat(),
            "room_id": row["room_id"],
            "reason": "x",
        },
        content_type="application/json",
    )
    assert clash.status_code == 422
    assert "Chair 1 is already booked" in clash.content.decode()
    checked = client.post(f"/api/v1/schedule/sessions/{booked.pk}/check-in")
    assert checked.status_code == 200 and checked.json()["status"] == "checked_in"
    again = client.post(f"/api/v1/schedule/sessions/{booked.pk}/check-in")
    assert again.status_code == 422
    no_show = client.post(
        f"/api/v1/schedule/sessions/{booked.pk}/no-show", {}, content_type="application/json"
    )
    assert no_show.json()["status"] == "no_show"


def test_api_tenancy_and_permissions(
    team: Team,
    booked: TreatmentSession,
    other_clinic: Clinic,
    make_access: Callable[..., ClinicAccess],
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    outsider = api_client(make_access(Role.PRESCRIBER, other_clinic))
    assert outsider.post(f"/api/v1/schedule/sessions/{booked.pk}/check-in").status_code == 404
    assert outsider.get("/api/v1/schedule/board").json()["sessions"] == []
    researcher = api_client(make_access(Role.RESEARCHER, team.clinic))
    assert researcher.get("/api/v1/schedule/board").status_code == 403
    therapist = api_client(team.therapist)
    assert (
        therapist.post(
            f"/api/v1/schedule/sessions/{booked.pk}/cancel",
            {"reason": "x"},
            content_type="application/json",
        ).status_code
        == 403
    )


def test_calendar_feed_has_initials_and_room_but_no_names(
    team: Team, booked: TreatmentSession
) -> None:
    client = web(team.nurse)
    page = client.post(f"/c/{team.clinic.slug}/schedule/feed/", {"action": "reset"})
    html = page.content.decode()
    start = html.index("/feeds/schedule/")
    path = html[start : html.index('"', start)]
    feed = Client().get(path)
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    text = feed.content.decode()
    assert team.patient.legal_family_name not in text and team.patient.legal_given_name not in text
    [event] = Calendar.from_ical(feed.content).walk("VEVENT")
    initials = f"{team.patient.legal_given_name[0]}.{team.patient.legal_family_name[0]}."
    assert str(event["SUMMARY"]) == f"Session {initials} · Chair 1"
    assert str(event["LOCATION"]) == "Chair 1"
    client.post(f"/c/{team.clinic.slug}/schedule/feed/", {"action": "revoke"})
    assert Client().get(path).status_code == 404
    assert Client().get("/feeds/schedule/kc_nope_nope.ics").status_code == 404


def test_the_chart_sessions_tab_links_front_desk_to_a_page_it_may_see(
    team: Team, booked: TreatmentSession
) -> None:
    tab = f"/c/{team.clinic.slug}/patients/{team.patient.pk}/sessions/"
    desk = web(team.front_desk)
    html = desk.get(tab).content.decode()
    assert f"/schedule/sessions/{booked.pk}/" in html
    assert f"/sessions/{booked.pk}/chart/" not in html
    assert desk.get(f"/c/{team.clinic.slug}/schedule/sessions/{booked.pk}/").status_code == 200
    assert f"/sessions/{booked.pk}/chart/" in web(team.nurse).get(tab).content.decode()
