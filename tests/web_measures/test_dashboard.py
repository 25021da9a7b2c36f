"""The care team's dashboard: open safety alerts at the top with an inline Acknowledge
form, then links awaiting answers, then the latest scores; and who lands on it."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.policy import Role
from ketacare.measures import services as measures
from ketacare.measures.models import SafetyAlert, SelfReportLink
from tests.api.world import member
from tests.web_measures.conftest import Team, new_patient, signed_in

pytestmark = pytest.mark.django_db

ITEM9 = [0, 0, 0, 0, 0, 0, 0, 0, 1, None]


def _dashboard(team: Team) -> str:
    return reverse("dashboard", kwargs={"clinic_slug": team.clinic.slug})


def test_open_alerts_come_first_with_their_details(team: Team) -> None:
    measures.response_record(
        access=team.nurse,
        patient_id=team.patient.pk,
        instrument="phq9",
        answers=ITEM9,
        context="between_sessions",
    )
    alert = SafetyAlert.objects.get()
    SafetyAlert.objects.filter(pk=alert.pk).update(
        raised_at=timezone.now() - dt.timedelta(minutes=40),
        escalated_at=timezone.now() - dt.timedelta(minutes=25),
    )
    measures.link_create(
        access=team.nurse, patient_id=team.patient.pk, instruments=["gad7"], channel="none"
    )

    page = signed_in(team.prescriber).get(_dashboard(team))

    assert page.status_code == 200
    html = page.content.decode()
    main = html[html.index("<main>") :]
    # The alerts section is the first thing on the page.
    assert main.index('id="open-alerts"') < main.index("Links awaiting answers")
    assert main.index("Links awaiting answers") < main.index("Latest scores")
    alerts = main[main.index('id="open-alerts"') : main.index("Links awaiting answers")]
    assert team.patient.display_name in alerts
    assert "Suicidal ideation" in alerts
    assert "Patient Health Questionnaire-9" in alerts
    assert "item 9" in alerts
    assert "high severity" in alerts
    assert ">Escalated<" in alerts
    assert "open for 40\xa0minutes" in alerts
    zone = zoneinfo.ZoneInfo(team.clinic.time_zone)
    raised = SafetyAlert.objects.get().raised_at.astimezone(zone)
    assert f"Raised {raised:%Y-%m-%d %H:%M}" in alerts
    assert f'action="/c/{team.clinic.slug}/alerts/{alert.pk}/acknowledge/"' in alerts
    assert f'name="next" value="{_dashboard(team)}"' in alerts
    links = main[main.index("Links awaiting answers") : main.index("Latest scores")]
    assert "gad7" in links and team.patient.display_name in links
    scores = main[main.index("Latest scores") :]
    assert "Patient Health Questionnaire-9" in scores
    assert not re.search(r'(src|href)="https?://', html)


def test_acknowledge_inline_from_the_dashboard(team: Team) -> None:
    measures.response_record(
        access=team.nurse,
        patient_id=team.patient.pk,
        instrument="phq9",
        answers=ITEM9,
        context="between_sessions",
    )
    alert = SafetyAlert.objects.get()
    client = signed_in(team.prescriber)

    response = client.post(
        reverse(
            "alert_acknowledge", kwargs={"clinic_slug": team.clinic.slug, "alert_id": alert.pk}
        ),
        {"action_taken": "safety_plan", "note": "Reviewed plan by phone", "next": _dashboard(team)},
    )

    assert response["Location"] == _dashboard(team)
    alert.refresh_from_db()
    assert alert.acknowledged_by == team.prescriber.user
    assert alert.acknowledged_at is not None
    page = client.get(_dashboard(team)).content.decode()
    assert "Alert acknowledged: reviewed the safety plan." in page
    assert "No open alerts." in page

    again = client.post(
        reverse(
            "alert_acknowledge", kwargs={"clinic_slug": team.clinic.slug, "alert_id": alert.pk}
        ),
        {"action_taken": "no_action_needed", "next": _dashboard(team)},
    )
    assert "already acknowledged" in client.get(again["Location"]).content.decode()
    alert.refresh_from_db()
    assert alert.action_taken == "safety_plan"


def test_expired_and_answered_links_are_not_awaiting(team: Team) -> None:
    other = new_patient(team.prescriber, mrn="M-0002", family="Okoro")
    expired = measures.link_create(
        access=team.nurse, patient_id=team.patient.pk, instruments=["gad7"], channel="none"
    )
    SelfReportLink.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(hours=1)
    )
    measures.link_create(
        access=team.nurse, patient_id=other.pk, instruments=["pcl5"], channel="none"
    )
    html = signed_in(team.nurse).get(_dashboard(team)).content.decode()
    links = html[html.index("Links awaiting answers") : html.index("Latest scores")]
    assert "Okoro" in links and "pcl5" in links
    assert "Marlow" not in links


def test_roles_without_alert_rights_see_alerts_but_no_form(team: Team) -> None:
    measures.response_record(
        access=team.nurse,
        patient_id=team.patient.pk,
        instrument="phq9",
        answers=ITEM9,
        context="between_sessions",
    )
    admin = member(team.clinic, Role.CLINIC_ADMIN)
    html = signed_in(admin).get(_dashboard(team)).content.decode()
    assert "Suicidal ideation" in html
    assert "/acknowledge/" not in html
    front_desk = member(team.clinic, Role.FRONT_DESK)
    assert signed_in(front_desk).get(_dashboard(team)).status_code == 403


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.PRESCRIBER, "dashboard"),
        (Role.NURSE, "dashboard"),
        (Role.THERAPIST, "dashboard"),
        (Role.CLINIC_ADMIN, "dashboard"),
        (Role.FRONT_DESK, "patient_list"),
        (Role.COMPLIANCE, "audit_list"),
    ],
)
def test_clinic_home_sends_each_role_to_its_landing_page(
    team: Team, role: Role, landing: str
) -> None:
    access = member(team.clinic, role)
    response = signed_in(access).get(reverse("clinic_home", args=[team.clinic.slug]))
    assert response["Location"] == reverse(landing, args=[team.clinic.slug])


def test_nav_has_a_dashboard_link_for_the_care_team(team: Team) -> None:
    html = signed_in(team.nurse).get(_dashboard(team)).content.decode()
    assert f'<a href="{_dashboard(team)}">Dashboard</a>' in html
    front_desk = member(team.clinic, Role.FRONT_DESK)
    listing = signed_in(front_desk).get(reverse("patient_list", args=[team.clinic.slug]))
    assert ">Dashboard<" not in listing.content.decode()
