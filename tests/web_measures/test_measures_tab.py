"""The chart's Measures tab: score tables, Plotly trend JSON with bands and sessions,
recording and correcting a scale, sending and revoking links, acknowledging alerts and
setting the measurement plan, all through the web pages."""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from typing import Any

import pytest
from django.urls import reverse

from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.common.citations import plain_citation
from ketacare.measures import get_instrument
from ketacare.measures import services as measures
from ketacare.measures.models import (
    MeasurementPlan,
    QuestionnaireResponse,
    SafetyAlert,
    Score,
    SelfReportLink,
)
from ketacare.treatment import services as treatment
from tests.api.world import member
from tests.clinical import clear_for_protocol
from tests.clock import fix_clock
from tests.sessions.build import give_off_system
from tests.web_measures.conftest import Team, signed_in

pytestmark = pytest.mark.django_db

PHQ9 = [2, 2, 1, 1, 1, 1, 1, 1, 0, None]  # total 10: moderate


def _tab(team: Team) -> str:
    return reverse(
        "patient_measures", kwargs={"clinic_slug": team.clinic.slug, "patient_id": team.patient.pk}
    )


def _url(name: str, team: Team, **extra: Any) -> str:
    return reverse(
        name,
        kwargs={"clinic_slug": team.clinic.slug, "patient_id": team.patient.pk, **extra},
    )


def _figure(html: str, code: str) -> dict[str, Any]:
    match = re.search(rf'<script id="trend-{code}" type="application/json">(.*?)</script>', html)
    assert match, f"no chart JSON for {code}"
    return json.loads(match.group(1))


def _at(team: Team, year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A time on the clinic's own clock."""
    zone = zoneinfo.ZoneInfo(team.clinic.time_zone)
    return dt.datetime(year, month, day, hour, minute, tzinfo=zone)


def test_tab_shows_table_and_trend_with_bands_and_sessions(team: Team) -> None:
    fix_clock(_at(team, 2025, 3, 1, 9))  # cleared and booked before the course
    clear_for_protocol(team.prescriber, team.patient.pk, "esketamine_trd")
    first = treatment.session_schedule(
        access=team.nurse, patient_id=team.patient.pk, scheduled_start=_at(team, 2025, 3, 3, 10)
    )
    give_off_system(
        team.nurse,
        team.prescriber,
        first,
        "56",
        protocol="esketamine_trd",
        dosing_started_at=_at(team, 2025, 3, 3, 10, 15),
    )
    treatment.session_schedule(
        access=team.nurse, patient_id=team.patient.pk, scheduled_start=_at(team, 2025, 3, 10, 10)
    )
    fix_clock(_at(team, 2025, 3, 4, 12))  # the scores are entered, then the tab is opened
    for day, answers in ((1, [3, 3, 2, 2, 2, 2, 2, 2, 0, 1]), (4, PHQ9)):
        measures.response_record(
            access=team.nurse,
            patient_id=team.patient.pk,
            instrument="phq9",
            answers=answers,
            context="between_sessions",
            answered_at=_at(team, 2025, 3, day, 9, 30),
        )

    page = signed_in(team.prescriber).get(_tab(team))

    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="{_tab(team)}" aria-selected="true" class="active"' in html
    table = html[html.index('id="scores-phq9"') :]
    assert "2025-03-04 09:30" in table and "2025-03-01 09:30" in table
    assert "Moderately severe" in table and ">Moderate<" in table
    assert ">18<" in table and ">10<" in table
    assert 'data-plotly-src="/static/vendor/plotly.min.js"' in html
    assert 'src="/static/ketacare/charts.js"' in html

    figure = _figure(html, "phq9")
    line = figure["data"][0]
    assert line["x"] == ["2025-03-01 09:30:00", "2025-03-04 09:30:00"]
    assert line["y"] == [18, 10]
    bands = [s for s in figure["layout"]["shapes"] if s["type"] == "rect"]
    expected = get_instrument("phq9").bands
    assert [b["name"] for b in bands] == [b.key for b in expected]
    assert [(b["y0"], b["y1"]) for b in bands] == [(b.low - 0.5, b.high + 0.5) for b in expected]
    sessions = [s for s in figure["layout"]["shapes"] if s["type"] == "line"]
    # Given: at dosing time (clinic zone), solid; scheduled: at its start, dotted.
    assert [(s["x0"], s["line"]["dash"]) for s in sessions] == [
        ("2025-03-03 10:15:00", "solid"),
        ("2025-03-10 10:00:00", "dot"),
    ]
    markers = figure["data"][1]
    assert markers["name"] == "Treatment sessions"
    assert markers["x"] == ["2025-03-03 10:15:00", "2025-03-10 10:00:00"]


def test_tab_loads_alone_for_htmx(team: Team) -> None:
    page = signed_in(team.prescriber).get(
        _tab(team), headers={"HX-Request": "true", "HX-Target": "chart-tab"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" not in html
    assert "Record a scale" in html


def test_viewing_the_tab_is_audited(team: Team) -> None:
    signed_in(team.prescriber).get(_tab(team))
    event = AuditEvent.objects.filter(object_type="patient", action="view").latest("sequence")
    assert event.details == {"section": "measures"}
    assert event.actor == team.prescriber.user


def test_record_a_clinician_scale_through_the_form(team: Team) -> None:
    client = signed_in(team.nurse)
    form = client.get(_tab(team) + "?record=madrs")
    html = form.content.decode()
    assert 'name="instrument" value="madrs"' in html
    assert html.count('name="item_1"') == 7  # MADRS items are 0-6

    data = {"instrument": "madrs", "context": "pre_session"} | {
        f"item_{n}": "2" for n in range(1, 11)
    }
    response = client.post(_url("measure_record", team), data)

    assert response.status_code == 302
    assert response["Location"] == _tab(team)
    score = Score.objects.get(patient=team.patient, instrument="madrs")
    assert score.total == 20
    assert score.response.entered_by == team.nurse.user
    assert score.response.context == "pre_session"
    page = client.get(response["Location"])
    assert "Recorded: " in page.content.decode()
    assert ">20<" in page.content.decode()


def test_record_form_names_a_missing_item_and_keeps_the_answers(team: Team) -> None:
    client = signed_in(team.nurse)
    data = {"instrument": "gad7", "context": "baseline"} | {f"item_{n}": "1" for n in range(1, 7)}
    response = client.post(_url("measure_record", team), data)

    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'id="record-item-7" class="has-error"', html)
    assert "gad7 item 7: answer missing" in html
    assert 'name="item_1" value="1" checked' in html
    assert not Score.objects.exists()


def test_cssrs_skip_logic_leaves_unasked_items_blank(team: Team) -> None:
    client = signed_in(team.nurse)
    html = client.get(_tab(team) + "?record=cssrs_screen").content.decode()
    # Q3-Q5 and Q6b may be "Not asked"; Q1, Q2 and Q6 are required.
    assert html.count(">\u00a0Not asked<") + html.count("> Not asked<") == 4
    assert 'name="item_1" value="yes" required' in html
    assert 'name="item_3" value="yes" required' not in html

    low = {"instrument": "cssrs_screen", "context": "baseline", "item_1": "yes", "item_2": "no"}
    low |= {"item_3": "", "item_4": "", "item_5": "", "item_6": "no", "item_7": ""}
    assert client.post(_url("measure_record", team), low).status_code == 302
    assert Score.objects.get(instrument="cssrs_screen").risk == "low"
    assert not SafetyAlert.objects.exists()

    # Asked because Q2 is yes, Q4 yes is high risk: an alert in the same request.
    high = low | {"item_2": "yes", "item_3": "no", "item_4": "yes", "item_5": "no"}
    assert client.post(_url("measure_record", team), high).status_code == 302
    alert = SafetyAlert.objects.get(patient=team.patient)
    assert (alert.instrument, alert.severity) == ("cssrs_screen", "high")

    # An answer to an item skip logic does not ask is refused, naming the item.
    bad = low | {"item_3": "yes"}
    response = client.post(_url("measure_record", team), bad)
    assert response.status_code == 422
    assert "cssrs_screen item 3: not asked" in response.content.decode()


def test_correct_a_score_supersedes_it_and_both_are_kept(team: Team) -> None:
    recorded = measures.response_record(
        access=team.nurse,
        patient_id=team.patient.pk,
        instrument="phq9",
        answers=PHQ9,
        context="baseline",
    )
    client = signed_in(team.prescriber)
    tab = client.get(_tab(team)).content.decode()
    correct_href = f"?record=phq9&amp;correct={recorded.response.pk}#record"
    assert correct_href in tab

    form = client.get(_tab(team) + f"?record=phq9&correct={recorded.response.pk}")
    html = form.content.decode()
    assert f'name="supersedes" value="{recorded.response.pk}"' in html
    assert 'name="item_1" value="2" checked' in html
    assert "Why correct it" in html

    data = {"instrument": "phq9", "context": "baseline", "supersedes": str(recorded.response.pk)}
    data |= {f"item_{n}": str(v) for n, v in enumerate(PHQ9, start=1) if v is not None}
    data |= {"item_1": "0"}
    no_reason = client.post(_url("measure_record", team), data)
    assert no_reason.status_code == 422
    assert "Say why this is corrected." in no_reason.content.decode()

    response = client.post(
        _url("measure_record", team), data | {"correction_reason": "Item 1 misread"}
    )

    assert response.status_code == 302
    old, new = (
        Score.objects.get(response=recorded.response),
        Score.objects.get(response__supersedes=recorded.response),
    )
    assert (old.is_current, old.total) == (False, 10)
    assert (new.is_current, new.total) == (True, 8)
    assert QuestionnaireResponse.objects.count() == 2
    page = client.get(_tab(team)).content.decode()
    assert re.search(rf'<tr class="superseded" data-score="{old.pk}">', page)
    assert "Superseded" in page and "Item 1 misread" in page
    assert _figure(page, "phq9")["data"][0]["y"] == [8]  # the trend shows current scores


def test_send_a_link_shows_its_address_and_the_link_works(team: Team) -> None:
    client = signed_in(team.nurse)
    data = {"instruments": ["phq9", "gad7"], "context": "between_sessions", "channel": "none"}

    response = client.post(_url("measure_link_create", team), data)

    assert response.status_code == 302
    link = SelfReportLink.objects.get(patient=team.patient)
    assert link.instruments == ["phq9", "gad7"]
    assert link.created_by == team.nurse.user
    page = client.get(response["Location"]).content.decode()
    url = measures.link_url(link)
    assert f'value="{url}"' in page
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert signed_in(team.nurse).get(f"/{path}").status_code == 200
    assert re.search(rf'data-link="{link.pk}"[\s\S]*?>open<', page)
    # The address is shown only right after creating it.
    assert url not in client.get(_tab(team)).content.decode()


def test_send_a_link_by_email_delivers_it_after_commit(
    team: Team, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(team.nurse)
    data = {"instruments": ["gad7"], "context": "between_sessions", "channel": "email"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("measure_link_create", team), data)
    assert response.status_code == 302
    link = SelfReportLink.objects.get(patient=team.patient)
    assert link.channel == "email"
    assert [m.to for m in mailoutbox] == [["mira@example.org"]]
    assert measures.link_url(link) in mailoutbox[0].body


def test_send_a_link_refuses_clinician_scales_and_empty_choices(team: Team) -> None:
    client = signed_in(team.nurse)
    html = client.get(_tab(team)).content.decode()
    send = html[html.index('id="send-link"') :]
    assert 'value="madrs"' not in send[: send.index("</form>")]

    response = client.post(
        _url("measure_link_create", team), {"context": "baseline", "channel": "none"}
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not SelfReportLink.objects.exists()


def test_revoke_a_link(team: Team) -> None:
    link = measures.link_create(
        access=team.nurse, patient_id=team.patient.pk, instruments=["phq9"], channel="none"
    )
    client = signed_in(team.nurse)
    response = client.post(_url("measure_link_revoke", team, link_id=link.pk))

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None and link.revoked_by == team.nurse.user
    page = client.get(_tab(team)).content.decode()
    assert re.search(rf'data-link="{link.pk}"[\s\S]*?>revoked<', page)
    assert f"links/{link.pk}/revoke/" not in page


def test_acknowledge_an_alert_from_the_chart_records_who_and_when(team: Team) -> None:
    measures.response_record(
        access=team.nurse,
        patient_id=team.patient.pk,
        instrument="phq9",
        answers=[0, 0, 0, 0, 0, 0, 0, 0, 2, None],
        context="baseline",
    )
    alert = SafetyAlert.objects.get()
    client = signed_in(team.prescriber)
    tab = client.get(_tab(team)).content.decode()
    assert f'action="/c/{team.clinic.slug}/alerts/{alert.pk}/acknowledge/"' in tab
    assert "Suicidal ideation" in tab

    response = client.post(
        reverse(
            "alert_acknowledge", kwargs={"clinic_slug": team.clinic.slug, "alert_id": alert.pk}
        ),
        {
            "action_taken": "contacted_patient",
            "note": "Called; safe, plan reviewed",
            "next": _tab(team),
        },
    )

    assert response.status_code == 302
    assert response["Location"] == _tab(team)
    alert.refresh_from_db()
    assert alert.acknowledged_by == team.prescriber.user
    assert alert.acknowledged_at is not None
    assert (alert.action_taken, alert.note) == ("contacted_patient", "Called; safe, plan reviewed")
    page = client.get(_tab(team)).content.decode()
    assert f"Acknowledged by <strong>{team.prescriber.user}</strong>" in page
    assert "Called; safe, plan reviewed" in page
    assert f"/alerts/{alert.pk}/acknowledge/" not in page
    assert AuditEvent.objects.filter(
        object_type="safetyalert", object_id=str(alert.pk), action="acknowledge"
    ).exists()


def test_acknowledge_needs_an_action_and_never_leaves_the_site(team: Team) -> None:
    measures.response_record(
        access=team.nurse,
        patient_id=team.patient.pk,
        instrument="phq9",
        answers=[0, 0, 0, 0, 0, 0, 0, 0, 1, None],
        context="baseline",
    )
    alert = SafetyAlert.objects.get()
    url = reverse(
        "alert_acknowledge", kwargs={"clinic_slug": team.clinic.slug, "alert_id": alert.pk}
    )
    client = signed_in(team.prescriber)

    missing = client.post(url, {"note": "x", "next": "https://evil.example/"})
    assert missing["Location"] == reverse("dashboard", kwargs={"clinic_slug": team.clinic.slug})
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_set_the_patients_measurement_plan(team: Team) -> None:
    client = signed_in(team.nurse)
    data = {
        "starts_on": "2025-03-01",
        "rules-TOTAL_FORMS": "3",
        "rules-INITIAL_FORMS": "0",
        "rules-0-kind": "every_n_days",
        "rules-0-instruments": ["phq9", "gad7"],
        "rules-0-interval_days": "7",
        "rules-1-kind": "after_session",
        "rules-1-instruments": ["phq9"],
        "rules-1-hours_after": "24",
        "rules-2-kind": "",
    }
    response = client.post(_url("measure_plan", team), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    plan = MeasurementPlan.objects.get(patient=team.patient)
    assert plan.starts_on == dt.date(2025, 3, 1)
    assert sorted((r.kind, tuple(r.instruments)) for r in plan.rules.all()) == [
        ("after_session", ("phq9",)),
        ("every_n_days", ("phq9", "gad7")),
    ]
    page = client.get(_tab(team)).content.decode()
    assert "The patient&#x27;s own plan" in page or "The patient's own plan" in page
    assert "every 7 days" in page and "24 hours after dosing" in page

    bad = data | {"rules-0-interval_days": ""}
    refused = client.post(_url("measure_plan", team), bad)
    assert refused.status_code == 422
    assert "Give the interval in days." in refused.content.decode()


def test_roles_see_only_the_forms_they_may_use(team: Team) -> None:
    compliance = member(team.clinic, Role.COMPLIANCE)
    html = signed_in(compliance).get(_tab(team)).content.decode()
    assert "Scores" in html
    for form in ('id="record"', 'id="send-link"', "Save plan"):
        assert form not in html

    front_desk = member(team.clinic, Role.FRONT_DESK)
    assert signed_in(front_desk).get(_tab(team)).status_code == 403
    data = {"instrument": "gad7", "context": "baseline"} | {f"item_{n}": "1" for n in range(1, 8)}
    assert signed_in(front_desk).post(_url("measure_record", team), data).status_code == 403
    assert not Score.objects.exists()


def _lowest_answers(code: str) -> list[Any]:
    """Answers the instrument's skip logic accepts: the lowest option, None if not asked."""
    instrument = get_instrument(code)
    given: dict[str, Any] = {}
    for item in instrument.items:
        asked = item.asked_when is None or given.get(item.asked_when[0]) == item.asked_when[1]
        given[item.key] = min(item.values) if asked else None
    return [given[item.key] for item in instrument.items]


def test_every_instrument_gets_a_table_and_totals_get_a_trend(team: Team) -> None:
    from django.utils.html import escape

    from ketacare.measures import INSTRUMENTS

    for code in INSTRUMENTS:
        measures.response_record(
            access=team.nurse,
            patient_id=team.patient.pk,
            instrument=code,
            answers=_lowest_answers(code),
            context="baseline",
        )
    html = signed_in(team.prescriber).get(_tab(team)).content.decode()

    for code, instrument in INSTRUMENTS.items():
        assert f'id="scores-{code}"' in html
        assert escape(plain_citation(instrument.licence_note)) in html  # each licence stated
        if instrument.total_rule == "none":
            assert f'id="trend-{code}"' not in html
            continue
        figure = _figure(html, code)
        assert figure["data"][0]["y"] == [0]
        rects = [s for s in figure["layout"]["shapes"] if s["type"] == "rect"]
        assert len(rects) == len(instrument.bands)
        low, high = instrument.total_range or (0, 0)
        assert figure["layout"]["yaxis"]["range"] == [low - 0.5, high + 0.5]


def test_the_clinics_chosen_band_set_is_shaded(team: Team) -> None:
    row = measures.measure_settings_for(team.clinic)
    row.thresholds = {"madrs": {"bands": "cutpoints_12_24_35"}}
    row.save()
    measures.response_record(
        access=team.nurse,
        patient_id=team.patient.pk,
        instrument="madrs",
        answers=[1] * 10,
        context="baseline",
    )
    figure = _figure(signed_in(team.prescriber).get(_tab(team)).content.decode(), "madrs")
    chosen = get_instrument("madrs").band_set("cutpoints_12_24_35").bands
    rects = [s for s in figure["layout"]["shapes"] if s["type"] == "rect"]
    assert [r["name"] for r in rects] == [b.key for b in chosen]


def test_record_phq9_leaving_item_10_blank(team: Team) -> None:
    """Issue #12 finding 13: the difficulty question is optional in the staff form."""
    client = signed_in(team.nurse)
    html = client.get(_tab(team) + "?record=phq9").content.decode()
    assert 'name="item_10" value="0" required' not in html
    data = {"instrument": "phq9", "context": "baseline"} | {f"item_{n}": "1" for n in range(1, 10)}
    response = client.post(_url("measure_record", team), data)
    assert response.status_code == 302
    score = Score.objects.get(patient=team.patient, instrument="phq9")
    assert score.total == 9 and score.response.answers == [1] * 9 + [None]


def test_the_send_form_leaves_qids_off_and_says_why(team: Team) -> None:
    """Issue #12 finding 13: a QIDS-SR16 link showed bare 0-3 options and a developer note."""
    client = signed_in(team.nurse)
    html = client.get(_tab(team)).content.decode()
    send = html[html.index('id="send-link"') :]
    send = send[: send.index("</form>")]
    assert 'value="qids_sr16"' not in send
    assert 'value="phq9"' in send
    assert "cannot be sent as a link" in send and "paper form" in send
    assert "instruments.md" not in html and "[NF]" not in send

    posted = client.post(
        _url("measure_link_create", team),
        {"instruments": ["qids_sr16"], "context": "baseline", "channel": "none"},
    )
    assert posted.status_code == 422
    assert "cannot be sent as a link" in posted.content.decode()
    assert not SelfReportLink.objects.exists()

    # Staff still record a QIDS-SR16 answered on paper.
    data = {"instrument": "qids_sr16", "context": "baseline"} | {
        f"item_{n}": "1" for n in range(1, 17)
    }
    assert client.post(_url("measure_record", team), data).status_code == 302
    assert Score.objects.get(patient=team.patient, instrument="qids_sr16").total == 9
