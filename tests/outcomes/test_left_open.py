"""A session left open raises one "Session left open" item on the worklist, web and API,
however long it has been open, until it is closed; the limit is a setting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.patients.models import Patient
from ketacare.treatment import services as treatment
from ketacare.treatment.models import TreatmentSession
from tests.clock import fix_clock
from tests.measures.conftest import Team, register
from tests.sessions import build

from .test_pages import signed_in

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _clock_before_the_sessions() -> None:
    fix_clock(build.BEFORE_SESSIONS)


def dosing(team: Team, patient: Patient) -> TreatmentSession:
    """An IV session checked in at T0, dosing started, never closed."""
    session = build.to_pre_dose(team.nurse, team.prescriber, patient)
    treatment.supervisor_attest(access=team.prescriber, **build.ids(session))
    build.start_iv(team.nurse, session)
    return TreatmentSession.objects.get(pk=session.pk)


def left_open_items(
    api: Callable[[ClinicAccess], Client], access: ClinicAccess, **params: str
) -> list[dict[str, object]]:
    """The worklist's left-open rows, signed in afresh (the clock jumps past sign-in)."""
    got = api(access).get("/api/v1/worklist", params)
    assert got.status_code == 200, got.content[:300]
    return [row for row in got.json() if row["kind"] == "session_left_open"]


def test_a_session_left_in_dosing_raises_one_item_until_it_is_closed(
    team: Team, patient: Patient, api_client: Callable[[ClinicAccess], Client]
) -> None:
    session = dosing(team, patient)
    api, who = api_client, team.prescriber
    fix_clock(build.T0 + 11 * H)  # a long session, but not left open
    assert left_open_items(api, who) == []
    fix_clock(build.T0 + 13 * H)
    (item,) = left_open_items(api, who)
    assert item["patient_id"] == str(patient.pk)
    assert item["headline"] == "Session left open"
    assert item["url"] == reverse("session_page", args=[team.clinic.slug, patient.pk, session.pk])
    assert item["summary"] == (
        'The session still reads "Dosing", 13 hours after it began (2024-03-04 10:00): open '
        "more than 12 hours. Discharge and sign it, or correct the record."
    )
    assert item["due"] == "2024-03-04"  # when it crossed the limit (22:00)
    fix_clock(build.T0 + dt.timedelta(days=730))  # two years on: still one item
    (item,) = left_open_items(api, who)
    assert "17,520 hours after it began" in str(item["summary"])
    assert left_open_items(api, who, kind="session_left_open") == [item]
    assert left_open_items(api, who, kind="relapse") == []
    # Most urgent first: only open safety alerts come before it.
    first_kinds = [row["kind"] for row in api(who).get("/api/v1/worklist").json()]
    assert first_kinds.index("session_left_open") <= 1


def test_each_session_left_open_is_its_own_item_and_closing_one_clears_it(
    team: Team, api_client: Callable[[ClinicAccess], Client]
) -> None:
    first = register(team.nurse, mrn="OPEN-1")
    second = register(team.nurse, mrn="OPEN-2")
    dosing(team, first)
    checked_in = build.checked_in(team.nurse, team.prescriber, second)  # never dosed
    api, who = api_client, team.nurse
    fix_clock(build.T0 + 30 * H)
    found = {row["mrn"]: row for row in left_open_items(api, who)}
    assert set(found) == {"OPEN-1", "OPEN-2"}
    assert '"Checked in"' in str(found["OPEN-2"]["summary"])
    treatment.session_cancel(
        access=team.nurse, **build.ids(checked_in), reason="Left before dosing", no_show=True
    )
    assert [row["mrn"] for row in left_open_items(api, who)] == ["OPEN-1"]


def worklist_page(team: Team) -> str:
    got = signed_in(team.prescriber).get(reverse("worklist", args=[team.clinic.slug]))
    return str(got.content.decode())


@override_settings(KETACARE_SESSION_LEFT_OPEN_HOURS=48)
def test_the_limit_is_a_setting(team: Team, patient: Patient) -> None:
    dosing(team, patient)
    fix_clock(build.T0 + 30 * H)
    page = worklist_page(team)
    assert "Session left open" not in page
    fix_clock(build.T0 + 49 * H)
    page = worklist_page(team)
    assert page.count('data-kind="session_left_open"') == 1
    assert "Sessions left open" in page  # the kind's chip
    assert "open more than 48 hours" in page
