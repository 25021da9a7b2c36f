"""The Plan & orders tab, the live dose preview, and the clinic's protocol, settings and
calendar pages."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.dosing import selectors
from ketacare.dosing.models import ClinicProtocol, DoseOrder, TreatmentPlan
from tests.dosing.conftest import Team, next_monday

ClientFor = Callable[[ClinicAccess], Client]


def chart(team: Team, section: str = "plan") -> str:
    return reverse(
        "patient_chart_section",
        kwargs={"clinic_slug": team.clinic.slug, "patient_id": team.patient.pk, "section": section},
    )


def url(team: Team, name: str, **kwargs: object) -> str:
    return reverse(
        name, kwargs={"clinic_slug": team.clinic.slug, "patient_id": team.patient.pk, **kwargs}
    )


PLAN = {
    "indication": "major_depression",
    "protocol_code": "iv_ketamine",
    "schedule": "3_per_week",
    "session_time": "09:00",
    "start_dose": "0.5",
    "concentration_mg_per_ml": "10",
}


def test_live_preview_shows_the_dose_and_its_reasons(team: Team, api_client: ClientFor) -> None:
    client = api_client(team.prescriber)
    response = client.get(
        url(team, "dose_preview"),
        {"protocol_code": "iv_ketamine", "start_dose": "0.5", "concentration_mg_per_ml": "10"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "35 mg" in html and "3.5 mL" in html and "5.25 mL/h" in html
    refused = client.get(
        url(team, "dose_preview"),
        {"protocol_code": "iv_ketamine", "dose": "2", "concentration_mg_per_ml": "10"},
    ).content.decode()
    assert "above this protocol&#x27;s maximum" in refused


def test_prescriber_creates_a_plan_and_sees_its_calendar(team: Team, api_client: ClientFor) -> None:
    client = api_client(team.prescriber)
    posted = client.post(url(team, "plan_create"), {**PLAN, "start_date": next_monday(team.clinic)})
    assert posted.status_code == 302
    plan = TreatmentPlan.objects.get()
    page = client.get(chart(team)).content.decode()
    assert "IV racemic ketamine" in page
    assert page.count('class="plan-session status-scheduled"') == 6
    assert "Plan:</strong> IV racemic ketamine · 0/6 sessions given" in page  # the header
    assert str(plan.pk) in page


def test_order_then_nurse_double_checks_on_the_tab(team: Team, api_client: ClientFor) -> None:
    prescriber, nurse = api_client(team.prescriber), api_client(team.nurse)
    prescriber.post(
        url(team, "order_create"),
        {"protocol_code": "iv_ketamine", "dose": "0.5", "concentration_mg_per_ml": "10"},
    )
    order = DoseOrder.objects.get()
    own_page = prescriber.get(chart(team)).content.decode()
    assert "Awaiting double-check" in own_page and "Confirm double-check" not in own_page
    nurse_page = nurse.get(chart(team)).content.decode()
    assert "Confirm double-check" in nurse_page and "Order dose" not in nurse_page
    nurse.post(url(team, "order_double_check", order_id=order.pk), {"note": "ok"})
    order.refresh_from_db()
    assert order.checked_by == team.nurse.user
    assert f"Checked by {team.nurse.user.username}" in nurse.get(chart(team)).content.decode()


def test_a_refused_plan_shows_why_and_saves_nothing(team: Team, api_client: ClientFor) -> None:
    client = api_client(team.prescriber)
    response = client.post(
        url(team, "plan_create"),
        {**PLAN, "start_dose": "0.9", "start_date": next_monday(team.clinic)},
        follow=True,
    )
    assert "at most 0.75 mg/kg" in response.content.decode()
    assert not TreatmentPlan.objects.exists()


def test_clinic_pages(team: Team, api_client: ClientFor) -> None:
    slug = {"clinic_slug": team.clinic.slug}
    page = api_client(team.nurse).get(reverse("clinic_protocols", kwargs=slug)).content.decode()
    assert "Intranasal esketamine (Spravato)" in page and "Research only" in page
    assert "clinical choice" in page and "Adjust this protocol" not in page
    admin = api_client(team.admin)
    form = admin.get(reverse("clinic_protocols", kwargs=slug) + "?code=im_ketamine")
    assert form.status_code == 200 and "Why this change" in form.content.decode()
    saved = admin.post(
        reverse("clinic_protocols", kwargs=slug),
        {
            "code": "im_ketamine",
            "reason": "Local",
            "name": "IM ketamine (ours)",
            "hard_max_basis": "Ours",
            "default_dose": "0.5",
            "dose_min": "0.1",
            "dose_max": "0.5",
            "hard_max": "0.6",
            "titration_start": "0.1",
            "titration_step": "0.1",
            "titration_ceiling": "0.5",
            "min_days_between_sessions": "2",
        },
    )
    assert saved.status_code == 302
    row = ClinicProtocol.objects.get()
    assert row.overrides == {
        "name": "IM ketamine (ours)",
        "hard_max_basis": "Ours",
        "hard_max": "0.6",
        "min_days_between_sessions": 2,
    }
    settings = admin.get(reverse("dosing_settings", kwargs=slug)).content.decode()
    assert "APA consensus" in settings and "30" in settings
    desk = api_client(team.front_desk)
    desk.post(
        reverse("clinic_calendar", kwargs=slug),
        {"open_weekdays": ["1", "3"], "closures": "2030-12-25 Christmas", "daily_capacity": "4"},
    )
    calendar = selectors.calendar_for(team.clinic)
    assert (calendar.open_weekdays, calendar.daily_capacity) == ([1, 3], 4)
    assert calendar.closures == [{"date": "2030-12-25", "reason": "Christmas"}]
    assert (
        api_client(team.nurse).post(reverse("clinic_calendar", kwargs=slug), {}).status_code == 403
    )
