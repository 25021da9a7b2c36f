"""The charting page: it renders every part, posts reach the services, refusals show
their reasons, the alert poll shows a new alert, and the page's queries do not grow with
the number of readings."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from ketacare.accounts.access import ClinicAccess
from ketacare.patients.models import Patient
from ketacare.treatment import charting, services
from ketacare.treatment.models import TreatmentSession
from tests.pages import without_csrf_tokens
from tests.sessions.build import (
    at,
    esketamine_discharged,
    ids,
    start_iv,
    to_pre_dose,
    vitals,
)
from tests.sessions.build import session_url as _url

pytestmark = pytest.mark.django_db


def _live(nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient) -> TreatmentSession:
    session = to_pre_dose(nurse, prescriber, patient)
    services.supervisor_attest(access=prescriber, **ids(session))
    start_iv(nurse, session)
    return session


def test_dosing_refusal_shows_its_reason(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = to_pre_dose(nurse, prescriber, patient)
    client = api_client(nurse)
    response = client.post(
        _url("session_act", session, action="start"),
        {"dose_mg": "35", "formulation": "x", "lot_number": "L", "expiry": "2030-01-01",
         "pump_rate_ml_per_h": "100", "concentration_mg_per_ml": "0.35"},
        follow=True,
    )  # fmt: skip
    assert "dosing cannot start: no supervising prescriber is assigned" in response.content.decode()


def test_an_alert_appears_in_the_poll_of_another_open_screen(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = _live(nurse, prescriber, patient)
    poll = api_client(prescriber).get(_url("session_alerts", session))
    assert 'hx-trigger="every 2s"' in poll.content.decode()
    assert "185/112" not in poll.content.decode()
    api_client(nurse).post(
        _url("session_act", session, action="vitals"),
        {"reading_id": "w1", "systolic": "185", "diastolic": "112"},
    )
    poll = api_client(prescriber).get(_url("session_alerts", session))
    assert "Blood pressure 185/112" in poll.content.decode()
    assert "Acknowledge" in poll.content.decode()


def test_page_queries_do_not_grow_with_readings(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = _live(nurse, prescriber, patient)
    client = api_client(nurse)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_url("session_page", session)).status_code == 200
        return len(ctx.captured_queries)

    at(5)
    vitals(nurse, session, "a", systolic=130, diastolic=80)
    queries()  # the first request also remembers the clinic in the login session
    few = queries()
    for n in range(200):
        at(6 + n * 0.1)
        vitals(nurse, session, f"b{n}", systolic=130, diastolic=80, heart_rate=70)
    queries()  # the session notes the nurse's activity, at most once a minute
    assert queries() == few


def test_the_timeline_puts_vitals_thresholds_dosing_alerts_and_effects_on_one_axis(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = _live(nurse, prescriber, patient)
    at(10)
    vitals(nurse, session, "t1", systolic=185, diastolic=112, heart_rate=90, spo2=97)
    charting.side_effect_record(access=nurse, **ids(session), effect="nausea", severity="mild")
    page = api_client(nurse).get(_url("session_page", session)).content.decode()
    assert "/static/vendor/plotly.min.js" in page
    assert "cdn" not in without_csrf_tokens(page).lower()
    figure = json.loads(
        re.search(r'<script id="session-timeline" type="application/json">(.*?)</script>',
                  page, re.S).group(1)  # type: ignore[union-attr]
    )  # fmt: skip
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert traces["Systolic"]["y"] == [128, 185]  # the baseline, then the reading
    assert traces["Dosing events"]["y"] == ["Dosing"]
    assert len(traces["Alerts"]["x"]) == 1  # one alert: BP urgent and both rises listed in it
    assert traces["Side effects"]["text"] == ["Nausea or vomiting (mild)"]
    lines = {s["y0"] for s in figure["layout"]["shapes"]}
    assert {180, 110, 130, 50, 92} <= lines  # the clinic's thresholds, as set
    assert all(x.startswith("2024-03-04") for t in figure["data"] for x in t["x"])


def test_overdue_readings_are_highlighted(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = _live(nurse, prescriber, patient)  # the infusion starts at T0
    at(10)
    vitals(nurse, session, "d1", systolic=130, diastolic=80)
    at(26)  # the 20-min reading was missed (5 min tolerance)
    page = api_client(nurse).get(_url("session_page", session)).content.decode()
    assert re.search(r'<tr class="overdue" data-due="overdue"><td>10:20</td>', page)
    assert re.search(r'<tr class="due" data-due="due"><td>10:30</td>', page)
    assert "Overdue readings: 10:20" in page


def test_the_cadss6_link_opens_the_measures_form_set_for_the_session(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = _live(nurse, prescriber, patient)
    client = api_client(nurse)
    page = client.get(_url("session_page", session)).content.decode()
    link = re.search(r'<a href="([^"]+)" id="rate-cadss">', page)
    assert link
    form = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert re.search(rf'<option value="{session.pk}" selected>', form)
    assert 'name="next" value="' + _url("session_page", session) in form
    assert '<option value="post_session" selected>' in form


def test_the_rems_form_prints_to_pdf(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = esketamine_discharged(nurse, prescriber, patient)
    response = api_client(nurse).get(_url("rems_form_pdf", session))
    assert response["Content-Type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(response.content))
    assert len(pdf.pages) >= 1
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert f"{patient.legal_given_name} {patient.legal_family_name}" in text
    assert "Spravato REMS Patient Monitoring Form" in text


def test_an_adverse_event_is_recorded_from_the_page(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = _live(nurse, prescriber, patient)
    client = api_client(nurse)
    refused = client.post(
        _url("session_act", session, action="adverse_event"),
        {"description": "Fainted", "serious": "on", "action_taken": "", "outcome": "resolved"},
        follow=True,
    ).content.decode()
    assert "Record the action taken." in refused
    assert "Say why it is serious" in refused
    page = client.post(
        _url("session_act", session, action="adverse_event"),
        {"description": "Vasovagal faint", "action_taken": "Legs raised, infusion paused",
         "outcome": "resolved"},
        follow=True,
    ).content.decode()  # fmt: skip
    assert "Adverse event: Vasovagal faint — Legs raised, infusion paused; Resolved" in page


@pytest.mark.parametrize(
    ("kind", "record"),
    [
        ("vitals", lambda n, s: vitals(n, s, "r12", systolic=300, diastolic=80, heart_rate=72)),
        (
            "side-effects",
            lambda n, s: charting.side_effect_record(
                access=n, **ids(s), effect="nausea", severity="mild"
            ),
        ),
        (
            "adverse-events",
            lambda n, s: charting.adverse_event_record(
                access=n,
                **ids(s),
                description="Wrong patient's event",
                serious=False,
                action_taken="None",
                outcome="resolved",
            ),
        ),
    ],
)
def test_an_entry_is_marked_entered_in_error_from_the_page(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
    kind: str,
    record: Callable[[ClinicAccess, TreatmentSession], object],
) -> None:
    session = _live(nurse, prescriber, patient)
    at(12)
    record(nurse, session)
    entry = charting.ENTRY_MODELS[kind].objects.filter(session=session).latest("created_at")
    client = api_client(nurse)
    page = client.get(_url("session_page", session)).content.decode()
    assert f'name="entry_id" value="{entry.pk}"' in page
    without_reason = client.post(
        _url("session_act", session, action="in_error"),
        {"kind": kind, "entry_id": str(entry.pk), "reason": " "},
        follow=True,
    ).content.decode()
    assert "Give a reason." in without_reason
    page = client.post(
        _url("session_act", session, action="in_error"),
        {"kind": kind, "entry_id": str(entry.pk), "reason": "Typed into the wrong row"},
        follow=True,
    ).content.decode()
    entry.refresh_from_db()
    assert entry.entered_in_error_at is not None
    assert entry.entered_in_error_reason == "Typed into the wrong row"
    assert f"(entered in error by {nurse.user}: Typed into the wrong row)" in page
    assert f'name="entry_id" value="{entry.pk}"' not in page  # the record stays, the control goes


def test_a_malformed_entry_id_is_not_found(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = _live(nurse, prescriber, patient)
    response = api_client(nurse).post(
        _url("session_act", session, action="in_error"),
        {"kind": "side-effects", "entry_id": "not-a-uuid", "reason": "x"},
    )
    assert response.status_code == 404


def test_a_session_left_in_dosing_for_days_counts_its_missed_readings(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    """A session nobody closed: two days of 10-minute due times (about 290) are counted,
    and only the latest ten are listed, on the page and in the API."""
    session = _live(nurse, prescriber, patient)
    at(60 * 48 + 3)
    client = api_client(nurse)
    page = client.get(_url("session_page", session)).content.decode()
    assert page.count('<tr class="overdue"') == 10
    assert "Overdue readings: 287 missed; the latest " in page
    assert "Earlier missed readings are counted, not listed." in page
    chart = client.get(f"/api/v1/patients/{patient.pk}/sessions/{session.pk}").json()
    assert chart["overdue_count"] == 287
    assert len(chart["overdue"]) == 10
    assert chart["overdue"] == sorted(chart["overdue"])
