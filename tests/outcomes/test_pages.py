"""The outcome pages: the chart tab with accepting and dismissing, the worklist, the
dashboard with its tables and CSV, the settings page, the API's 422s and the report."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.outcomes.models import ClinicOutcomeSettings, MaintenanceDecision
from ketacare.outcomes.worklist import build_worklist
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession
from tests.clock import fix_clock
from tests.measures.conftest import Team
from tests.pages import without_csrf_tokens

from .conftest import A_MONDAY, write_recent_two_week_relief

pytestmark = pytest.mark.django_db


@pytest.fixture
def recent(team: Team, patient: Patient) -> Patient:
    write_recent_two_week_relief(team.nurse, patient)
    return patient


def signed_in(access: ClinicAccess) -> Client:
    client = Client()
    client.force_login(access.user)
    return client


def tab_url(access: ClinicAccess, patient: Patient) -> str:
    return reverse(
        "patient_chart_section",
        kwargs={"clinic_slug": access.clinic.slug, "patient_id": patient.pk, "section": "outcomes"},
    )


def test_the_tab_shows_verdicts_reasons_and_the_recommendation(team: Team, recent: Patient) -> None:
    page = signed_in(team.prescriber).get(tab_url(team.prescriber, recent))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Course outcome: PHQ-9" in html
    assert "next session recommended at day 11" in html
    assert 'data-verdict="response"' in html and "Accept and book" in html
    assert "Early warning:" in html and "Taper:" in html


def test_accepting_from_the_tab_books_the_session(team: Team, recent: Patient) -> None:
    client = signed_in(team.nurse)
    url = reverse("recommendation_accept", args=[team.clinic.slug, recent.pk])
    got = client.post(url, {"scheduled_start": ""})
    assert got.status_code == 302
    decision = MaintenanceDecision.objects.get(patient=recent)
    assert decision.decision == "accepted" and decision.booked_session is not None
    assert TreatmentSession.objects.filter(patient=recent, status="scheduled").count() == 1
    page = client.get(tab_url(team.nurse, recent)).content.decode()
    assert "Accepted by" in page and "Accept and book" not in page


def test_dismissing_from_the_tab_needs_a_reason(team: Team, recent: Patient) -> None:
    client = signed_in(team.prescriber)
    url = reverse("recommendation_dismiss", args=[team.clinic.slug, recent.pk])
    client.post(url, {"reason": ""})
    assert not MaintenanceDecision.objects.exists()
    client.post(url, {"reason": "Holiday; phone on return"})
    assert MaintenanceDecision.objects.get().reason == "Holiday; phone on return"


def test_the_worklist_page_links_to_the_work(team: Team, recent: Patient) -> None:
    html = signed_in(team.prescriber).get(reverse("worklist", args=[team.clinic.slug])).content
    text = html.decode()
    assert "Boosters due" in text and "REMS forms due" in text
    assert tab_url(team.prescriber, recent) in text


def _row(html: str, kind: str) -> str:
    found = re.search(rf'<tr data-kind="{kind}">(.*?)</tr>', html, re.S)
    assert found, kind
    return found.group(1)


def test_a_worklist_row_is_compact_with_the_reasoning_one_click_away(
    team: Team, recent: Patient
) -> None:
    html = signed_in(team.prescriber).get(reverse("worklist", args=[team.clinic.slug]))
    row = _row(html.content.decode(), "booster_due")
    assert "Lindqvist" not in row and recent.display_name in row
    assert ">Booster due</span>" in row
    # The trend of the course's PHQ-9 scores, drawn, with the latest score.
    assert '<svg class="sparkline"' in row and 'aria-label="PHQ-9 from ' in row
    assert re.search(r'class="trend-latest">PHQ-9 \d+</span>', row)
    # Due in two days (write_recent_two_week_relief), as a date and in words.
    assert "in 2 days" in row
    # The sentence is behind "Why", not the row's text.
    assert re.search(r"<details><summary>Why</summary><p>[^<]*next session recommended", row)


def test_the_worklist_filters_by_kind_and_clinician_and_answers_htmx_with_rows(
    team: Team, recent: Patient
) -> None:
    client = signed_in(team.prescriber)
    url = reverse("worklist", args=[team.clinic.slug])
    only_alerts = client.get(url, {"kind": "safety_alert"}).content.decode()
    assert 'data-kind="booster_due"' not in only_alerts and "Nothing to do." in only_alerts
    (booster,) = [
        i for i in build_worklist(team.prescriber, A_MONDAY).items if i.kind == "booster_due"
    ]
    assert booster.prescriber_id is not None
    theirs = client.get(url, {"clinician": str(booster.prescriber_id)}).content.decode()
    assert 'data-kind="booster_due"' in theirs
    assert f'<option value="{booster.prescriber_id}" selected>' in theirs
    unassigned = client.get(url, {"clinician": "0"}).content.decode()
    assert 'data-kind="booster_due"' not in unassigned
    partial = client.get(url, {"sort": "due"}, headers={"HX-Request": "true"})
    assert b"<html" not in partial.content and b'data-kind="booster_due"' in partial.content
    # A stale or edited link shows everything rather than failing.
    stale = client.get(url, {"kind": "nonsense", "clinician": "x", "sort": "?"})
    assert stale.status_code == 200 and 'data-kind="booster_due"' in stale.content.decode()


def test_the_worklist_api_gives_compact_rows_and_filters(
    team: Team, recent: Patient, api_client: Callable[[ClinicAccess], Client]
) -> None:
    client = api_client(team.prescriber)
    (item,) = client.get("/api/v1/worklist", {"kind": "booster_due"}).json()
    assert item["headline"] == "Booster due" and item["patient_id"] == str(recent.pk)
    assert item["instrument"] == "PHQ-9" and len(item["trend"]) >= 2
    assert item["due"] == (A_MONDAY.date() + dt.timedelta(days=2)).isoformat()
    assert "next session recommended" in item["summary"]
    assert client.get("/api/v1/worklist", {"kind": "safety_alert"}).json() == []
    refused = client.get("/api/v1/worklist", {"kind": "nonsense"})
    assert refused.status_code == 422 and "kind" in str(refused.json()["detail"])


def test_the_dashboard_has_charts_tables_and_csv(team: Team, recent: Patient) -> None:
    client = signed_in(team.prescriber)
    url = reverse("outcomes_dashboard", args=[team.clinic.slug])
    html = client.get(url).content.decode()
    assert 'id="km-figure"' in html and 'id="trajectory-figure"' in html
    assert 'id="table-durability"' in html and 'id="table-trajectory"' in html
    assert "vendor/plotly.min.js" in html and "cdn" not in without_csrf_tokens(html).lower()
    csv = client.get(url, {"csv": "trajectory"})
    assert csv["Content-Type"].startswith("text/csv")
    assert (
        csv.content.decode().splitlines()[0] == "week,courses,median,lower quartile,upper quartile"
    )
    assert signed_in(team.researcher).get(url).status_code == 200
    assert signed_in(team.front_desk).get(url).status_code == 403


def test_the_settings_page_shows_sources_and_refuses_bad_values(team: Team) -> None:
    url = reverse("outcome_settings", args=[team.clinic.slug])
    admin = signed_in(team.admin)
    page = admin.get(url).content.decode()
    assert "remission_at_or_below.madrs" in page and "ASPIRE" in page and "Andrade 2017" in page
    bad = admin.post(url, {"response_reduction_percent": "0", "lead_days": "2"})
    assert bad.status_code == 422
    assert "must be between 1 and 100" in bad.content.decode()
    assert ClinicOutcomeSettings.objects.get(clinic=team.clinic).overrides == {}
    assert admin.post(url, {"remission_at_or_below.madrs": "10"}).status_code == 302
    saved = ClinicOutcomeSettings.objects.get(clinic=team.clinic).overrides
    assert saved == {"remission_at_or_below.madrs": 10}
    assert signed_in(team.nurse).post(url, {"lead_days": "2"}).status_code == 403


def test_the_settings_api_answers_422_with_the_field(
    team: Team, api_client: Callable[[ClinicAccess], Client]
) -> None:
    client = api_client(team.admin)
    got = client.put(
        "/api/v1/outcomes/settings",
        {"remission_at_or_below": {"madrs": -1}, "nonsense": 1},
        content_type="application/json",
    )
    assert got.status_code == 422
    locs = [e["loc"] for e in got.json()["detail"]]
    assert ["body", "payload", "nonsense"] in locs
    ok = client.put(
        "/api/v1/outcomes/settings",
        {"relapse_rule": "madrs_threshold", "taper_max_interval_days": None},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    rows = {r["key"]: r["value"] for r in ok.json()}
    assert rows["relapse_rule"] == "madrs_threshold"


def pdf_text(data: bytes) -> bytes:
    """The PDF with its compressed streams inflated, to search it."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_the_report_renders_as_html_and_pdf(team: Team, recent: Patient) -> None:
    client = signed_in(team.prescriber)
    html = client.get(reverse("patient_report", args=[team.clinic.slug, recent.pk]))
    text = html.content.decode()
    assert "Maya Moreau" in text and "<svg" in text and "<polyline" in text
    assert "Response and remission" in text and "None recorded." in text
    pdf = client.get(reverse("patient_report_pdf", args=[team.clinic.slug, recent.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    inflated = pdf_text(pdf.content)
    assert len(re.findall(rb"/Type\s*/Page\b", inflated)) >= 1
    assert b"Maya Moreau" in inflated


def test_an_overdue_booster_is_proposed_on_the_next_open_day(team: Team, recent: Patient) -> None:
    """Recommended for Wednesday 11 March; opened on Friday the 13th at noon: the form
    proposes Monday 10:00 (the clinic is closed at weekends), not the past date."""
    fix_clock(A_MONDAY + dt.timedelta(days=4))
    html = signed_in(team.nurse).get(tab_url(team.nurse, recent)).content.decode()
    assert 'value="2026-03-16T10:00"' in html
    assert 'value="2026-03-11T10:00"' not in html
