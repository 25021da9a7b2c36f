"""The measurement endpoints of /api/v1: stateless scoring, recorded responses, links,
alerts, plans and treatment sessions, with their role checks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.db import models
from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.measures import services
from ketacare.measures.models import (
    MeasurementPlan,
    MeasurementRule,
    QuestionnaireResponse,
    SafetyAlert,
    Score,
    SelfReportLink,
)
from ketacare.messaging.models import OutboundMessage
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession
from tests.clinical import clear_for_protocol
from tests.clock import fix_clock
from tests.measures.conftest import MADRS_MODERATE, PHQ9_ITEM9, PHQ9_MODERATE, Team
from tests.sessions.build import ready_to_give

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

API = "/api/v1"
ClientFor = Callable[[ClinicAccess], Client]
MODELS: tuple[type[models.Model], ...] = (
    QuestionnaireResponse,
    Score,
    SafetyAlert,
    SelfReportLink,
    MeasurementPlan,
    MeasurementRule,
    TreatmentSession,
    OutboundMessage,
    AuditEvent,
)


def counts() -> dict[str, int]:
    """Rows of each model; a refused request's own `deny` audit event is not counted."""
    found = {model.__name__: model._default_manager.count() for model in MODELS}
    return found | {"AuditEvent": AuditEvent.objects.exclude(action="deny").count()}


def post(client: Client, url: str, body: Any, method: str = "POST") -> Response:
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def errors(response: Response) -> dict[str, str]:
    """A 422's messages by field path (the part after body.payload)."""
    assert response.status_code == 422, response.content
    found = {}
    for error in response.json()["detail"]:
        assert error["loc"][:2] == ["body", "payload"], error
        found[".".join(str(part) for part in error["loc"][2:])] = error["msg"]
    return found


# --- scoring ----------------------------------------------------------------------------


def test_scoring_answers_the_score_and_stores_nothing(
    team: Team, patient: Patient, api_client: ClientFor
) -> None:
    before = counts()

    response = post(api_client(team.nurse), f"{API}/measures/phq9/score", {"answers": PHQ9_ITEM9})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["instrument"], body["version"], body["total"]) == ("phq9", "1.0", 11)
    assert (body["severity"], body["severity_label"]) == ("moderate", "Moderate")
    assert body["flags"] == ["suicidal_ideation"]
    assert body["findings"] == [
        {
            "flag": "suicidal_ideation",
            "item": 9,
            "severity": "high",
            "reason": body["findings"][0]["reason"],
        }
    ]
    assert body["reasons"]
    assert (body["risk"], body["provisional_diagnosis"], body["subscores"]) == (None, None, {})
    assert counts() == before


def test_scoring_other_instruments(team: Team, api_client: ClientFor) -> None:
    client = api_client(team.therapist)
    madrs = post(client, f"{API}/measures/madrs/score", {"answers": MADRS_MODERATE}).json()
    assert (madrs["total"], madrs["severity"]) == (26, "moderate")
    cssrs = post(
        client,
        f"{API}/measures/cssrs_screen/score",
        {"answers": [True, True, True, False, False, True, False]},
    ).json()
    assert (cssrs["total"], cssrs["risk"]) == (None, "moderate")
    qids = post(client, f"{API}/measures/qids_sr16/score", {"answers": [1] * 16}).json()
    assert set(qids["subscores"]) and qids["total"] == sum(qids["subscores"].values())


@pytest.mark.parametrize(
    ("code", "answers", "field", "words"),
    [
        ("phq9", PHQ9_MODERATE[:8], "answers.9", "item 9 has no answer"),
        ("phq9", PHQ9_MODERATE[:7], "answers.8", "item 8 has no answer"),
        ("phq9", [*PHQ9_MODERATE, 0], "answers", "got 11 answers, expected 10"),
        ("phq9", [5, *PHQ9_MODERATE[1:]], "answers.1", "item 1"),
        ("phq9", [*PHQ9_MODERATE[:8], None, 0], "answers.9", "item 9"),
        ("gad7", [1, 1, 1, 1, 1, 1, -1], "answers.7", "item 7"),
        (
            "cssrs_screen",
            [False, False, True, None, None, False, None],
            "answers.3",
            "item 3: not asked",
        ),
    ],
)
def test_bad_answers_get_422_naming_the_item(
    team: Team, api_client: ClientFor, code: str, answers: list[Any], field: str, words: str
) -> None:
    before = counts()
    response = post(api_client(team.nurse), f"{API}/measures/{code}/score", {"answers": answers})
    found = errors(response)
    assert list(found) == [field]
    assert words in found[field].lower()
    assert counts() == before


def test_an_unknown_instrument_is_422(team: Team, api_client: ClientFor) -> None:
    response = post(api_client(team.nurse), f"{API}/measures/bdi2/score", {"answers": [1]})
    assert list(errors(response)) == ["code"]


def test_scoring_needs_an_authenticated_member(team: Team) -> None:
    response = post(Client(), f"{API}/measures/phq9/score", {"answers": PHQ9_MODERATE})
    assert response.status_code == 401
    assert Client().get(f"{API}/measures/instruments").status_code == 401


def test_the_instrument_list_names_licences(team: Team, api_client: ClientFor) -> None:
    listed = {
        i["code"]: i for i in api_client(team.nurse).get(f"{API}/measures/instruments").json()
    }
    assert set(listed) == {
        "phq9",
        "gad7",
        "qids_sr16",
        "madrs",
        "hamd17",
        "cadss",
        "cadss6",
        "pcl5",
        "cssrs_screen",
    }
    assert (listed["phq9"]["respondent"], listed["phq9"]["items"]) == ("patient", 10)
    assert listed["madrs"]["respondent"] == "clinician"
    assert listed["phq9"]["full_wording"] is True
    assert listed["madrs"]["full_wording"] is False
    assert all(i["licence"] for i in listed.values())


# --- recorded responses -----------------------------------------------------------------


def test_recording_a_response_answers_201_with_its_alerts(
    team: Team, patient: Patient, api_client: ClientFor
) -> None:
    client = api_client(team.nurse)
    url = f"{API}/patients/{patient.pk}/responses"

    response = post(
        client,
        url,
        {
            "instrument": "phq9",
            "answers": PHQ9_ITEM9,
            "context": "baseline",
            "answered_at": "2025-03-03T09:15:00Z",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    recorded = body["response"]
    assert (recorded["instrument"], recorded["total"], recorded["severity"]) == (
        "phq9",
        11,
        "moderate",
    )
    assert (recorded["respondent"], recorded["context"], recorded["current"]) == (
        "patient",
        "baseline",
        True,
    )
    assert recorded["answered_at"] == "2025-03-03T09:15:00Z"
    (alert,) = body["alerts"]
    assert (alert["flag"], alert["severity"], alert["item_number"]) == (
        "suicidal_ideation",
        "high",
        9,
    )
    assert alert["acknowledged_at"] is None
    assert SafetyAlert.objects.get().pk == _uuid(alert["id"])

    listed = client.get(url).json()
    assert [r["id"] for r in listed] == [recorded["id"]]


def _uuid(text: str) -> Any:
    import uuid

    return uuid.UUID(text)


def test_a_correction_through_the_api_keeps_both(
    team: Team, patient: Patient, api_client: ClientFor
) -> None:
    client = api_client(team.prescriber)
    url = f"{API}/patients/{patient.pk}/responses"
    first = post(
        client, url, {"instrument": "madrs", "answers": MADRS_MODERATE, "context": "baseline"}
    ).json()["response"]

    corrected = post(
        client,
        url,
        {
            "instrument": "madrs",
            "answers": [2] * 9 + [1],
            "context": "baseline",
            "supersedes_id": first["id"],
            "correction_reason": "Item 1 mis-scored",
        },
    )

    assert corrected.status_code == 201, corrected.content
    assert corrected.json()["response"]["supersedes_id"] == first["id"]
    listed = {r["id"]: r for r in client.get(url).json()}
    assert listed[first["id"]]["current"] is False
    assert listed[corrected.json()["response"]["id"]]["current"] is True
    assert listed[first["id"]]["total"] == 26
    again = post(
        client,
        url,
        {
            "instrument": "madrs",
            "answers": MADRS_MODERATE,
            "context": "baseline",
            "supersedes_id": first["id"],
            "correction_reason": "again",
        },
    )
    assert list(errors(again)) == ["supersedes_id"]


def test_recording_bad_answers_is_422_and_stores_nothing(
    team: Team, patient: Patient, api_client: ClientFor
) -> None:
    before = counts()
    response = post(
        api_client(team.nurse),
        f"{API}/patients/{patient.pk}/responses",
        {"instrument": "phq9", "answers": [*PHQ9_MODERATE[:8], None, 0], "context": "baseline"},
    )
    assert "item 9" in errors(response)["answers.9"].lower()
    assert counts() == before


def test_front_desk_cannot_record_measures_but_can_send_links(
    team: Team, patient: Patient, api_client: ClientFor
) -> None:
    client = api_client(team.front_desk)
    before = counts()
    refused = post(
        client,
        f"{API}/patients/{patient.pk}/responses",
        {"instrument": "phq9", "answers": PHQ9_MODERATE, "context": "baseline"},
    )
    assert refused.status_code == 403, refused.content
    assert "record measures" in refused.json()["detail"]
    assert client.get(f"{API}/patients/{patient.pk}/responses").status_code == 403
    assert counts() == before

    sent = post(client, f"{API}/patients/{patient.pk}/links", {"instruments": ["phq9"]})
    assert sent.status_code == 201, sent.content


# --- links ------------------------------------------------------------------------------


def test_sending_and_revoking_a_link(team: Team, patient: Patient, api_client: ClientFor) -> None:
    client = api_client(team.nurse)

    sent = post(
        client,
        f"{API}/patients/{patient.pk}/links",
        {"instruments": ["phq9", "gad7"], "channel": "sms", "context": "between_sessions"},
    )

    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert (body["instruments"], body["channel"], body["patient_id"]) == (
        ["phq9", "gad7"],
        "sms",
        str(patient.pk),
    )
    link = SelfReportLink.objects.get()
    assert body["url"] == services.link_url(link)
    token = body["url"].rstrip("/").rsplit("/", 1)[1]
    assert services.link_open(token=token) == link
    assert OutboundMessage.objects.get().channel == "sms"

    revoked = client.post(f"{API}/links/{link.pk}/revoke")
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["revoked_at"] is not None
    assert "url" not in revoked.json() or revoked.json()["url"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"instruments": ["madrs"]}, "instruments"),
        ({"instruments": ["qids_sr16"]}, "instruments"),
        ({"instruments": []}, "instruments"),
        ({"instruments": ["phq9"], "channel": "fax"}, "channel"),
        ({"instruments": ["phq9"], "context": "later"}, "context"),
        ({"instruments": ["phq9"], "offset_hours": -1}, "offset_hours"),
    ],
)
def test_a_bad_link_is_422(
    team: Team, patient: Patient, api_client: ClientFor, body: dict[str, Any], field: str
) -> None:
    before = counts()
    response = post(api_client(team.nurse), f"{API}/patients/{patient.pk}/links", body)
    assert list(errors(response)) == [field]
    assert counts() == before


# --- alerts -----------------------------------------------------------------------------


def _alert(team: Team, patient: Patient) -> SafetyAlert:
    recorded = services.response_record(
        access=team.nurse,
        patient_id=patient.pk,
        instrument="phq9",
        answers=PHQ9_ITEM9,
        context="between_sessions",
    )
    return recorded.alerts[0]


def test_acknowledging_an_alert(team: Team, patient: Patient, api_client: ClientFor) -> None:
    alert = _alert(team, patient)
    client = api_client(team.prescriber)
    assert [a["id"] for a in client.get(f"{API}/alerts").json()] == [str(alert.pk)]

    done = post(
        client,
        f"{API}/alerts/{alert.pk}/acknowledge",
        {"action_taken": "urgent_assessment", "note": "Seen same day."},
    )

    assert done.status_code == 200, done.content
    body = done.json()
    assert body["acknowledged_by"] == team.prescriber.user.username
    assert body["acknowledged_at"] is not None
    assert (body["action_taken"], body["note"]) == ("urgent_assessment", "Seen same day.")
    assert client.get(f"{API}/alerts").json() == []  # only open alerts are listed
    twice = post(client, f"{API}/alerts/{alert.pk}/acknowledge", {"action_taken": "safety_plan"})
    assert list(errors(twice)) == ["alert"]


def test_compliance_sees_alerts_but_cannot_acknowledge(
    team: Team, patient: Patient, api_client: ClientFor
) -> None:
    alert = _alert(team, patient)
    client = api_client(team.compliance)
    assert [a["id"] for a in client.get(f"{API}/alerts").json()] == [str(alert.pk)]
    before = counts()

    refused = post(
        client, f"{API}/alerts/{alert.pk}/acknowledge", {"action_taken": "no_action_needed"}
    )

    assert refused.status_code == 403, refused.content
    assert counts() == before
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_front_desk_does_not_see_alerts(
    team: Team, patient: Patient, api_client: ClientFor
) -> None:
    _alert(team, patient)
    assert api_client(team.front_desk).get(f"{API}/alerts").status_code == 403


def test_an_unknown_action_is_422(team: Team, patient: Patient, api_client: ClientFor) -> None:
    alert = _alert(team, patient)
    response = post(
        api_client(team.nurse), f"{API}/alerts/{alert.pk}/acknowledge", {"action_taken": "pray"}
    )
    assert list(errors(response)) == ["action_taken"]


# --- plans ------------------------------------------------------------------------------

PLAN_BODY = {
    "starts_on": "2025-03-03",
    "rules": [
        {"kind": "every_n_days", "instruments": ["phq9"], "interval_days": 7},
        {"kind": "before_session", "instruments": ["phq9", "gad7"]},
        {"kind": "after_session", "instruments": ["phq9"], "hours_after": 24},
        {"kind": "on_dates", "instruments": ["gad7"], "dates": ["2025-03-24"]},
    ],
}


def test_reading_and_setting_a_plan(team: Team, patient: Patient, api_client: ClientFor) -> None:
    client = api_client(team.nurse)
    url = f"{API}/patients/{patient.pk}/measurement-plan"
    assert client.get(url).status_code == 204  # no plan, no clinic default

    services.plan_set(
        access=team.admin,
        patient_id=None,
        starts_on=dt.date(2025, 1, 1),
        rules=[services.RuleInput(kind="before_session", instruments=("phq9",))],
    )
    default = client.get(url)
    assert default.status_code == 200
    assert default.json()["is_clinic_default"] is True
    assert [r["kind"] for r in default.json()["rules"]] == ["before_session"]

    put = post(client, url, PLAN_BODY, method="PUT")
    assert put.status_code == 200, put.content
    own = client.get(url).json()
    assert own["is_clinic_default"] is False
    assert own["starts_on"] == "2025-03-03"
    assert [
        (r["kind"], r["instruments"], r["interval_days"], r["hours_after"], r["dates"])
        for r in own["rules"]
    ] == [
        ("every_n_days", ["phq9"], 7, None, []),
        ("before_session", ["phq9", "gad7"], None, None, []),
        ("after_session", ["phq9"], None, 24, []),
        ("on_dates", ["gad7"], None, None, ["2025-03-24"]),
    ]
    # Setting it again replaces the rules, audited as an update.
    replaced = post(
        client, url, {"starts_on": "2025-04-01", "rules": PLAN_BODY["rules"][:1]}, method="PUT"
    )
    assert len(replaced.json()["rules"]) == 1
    assert MeasurementRule.objects.filter(plan__patient=patient).count() == 1
    assert list(
        AuditEvent.objects.filter(object_type="measurementplan", patient_id=patient.pk)
        .order_by("sequence")
        .values_list("action", flat=True)
    ) == ["create", "update"]


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"kind": "every_n_days", "instruments": ["madrs"], "interval_days": 7}, "instruments"),
        ({"kind": "before_session", "instruments": ["qids_sr16"]}, "instruments"),
        ({"kind": "every_n_days", "instruments": ["phq9"]}, "interval_days"),
        ({"kind": "after_session", "instruments": ["phq9"]}, "hours_after"),
        ({"kind": "on_dates", "instruments": ["phq9"]}, "dates"),
        ({"kind": "monthly", "instruments": ["phq9"]}, "kind"),
        ({"kind": "before_session", "instruments": []}, "instruments"),
    ],
)
def test_a_bad_rule_is_422_naming_it(
    team: Team, patient: Patient, api_client: ClientFor, rule: dict[str, Any], field: str
) -> None:
    before = counts()
    body = {"starts_on": "2025-03-03", "rules": [PLAN_BODY["rules"][0], rule]}
    response = post(
        api_client(team.nurse), f"{API}/patients/{patient.pk}/measurement-plan", body, "PUT"
    )
    assert list(errors(response)) == [f"rules.1.{field}"]
    assert counts() == before


def test_who_may_set_plans(team: Team, patient: Patient, api_client: ClientFor) -> None:
    url = f"{API}/patients/{patient.pk}/measurement-plan"
    for access in (team.front_desk, team.therapist, team.compliance):
        assert post(api_client(access), url, PLAN_BODY, "PUT").status_code == 403
    assert not MeasurementPlan.objects.exists()
    assert post(api_client(team.admin), url, PLAN_BODY, "PUT").status_code == 200


# --- sessions ---------------------------------------------------------------------------


def test_booking_giving_and_cancelling_sessions(
    team: Team, patient: Patient, api_client: ClientFor
) -> None:
    fix_clock(dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC))  # booked the day before
    client = api_client(team.front_desk)
    url = f"{API}/patients/{patient.pk}/sessions"
    first = post(client, url, {"scheduled_start": "2025-03-04T10:00:00Z"})
    second = post(client, url, {"scheduled_start": "2025-03-06T10:00:00Z"})
    third = post(client, url, {"scheduled_start": "2025-03-11T10:00:00Z"})
    assert [r.status_code for r in (first, second, third)] == [201, 201, 201]
    assert first.json()["status"] == "scheduled"

    # On the day: cleared, ordered and checked, checked in with a baseline, supervised.
    session = TreatmentSession.objects.get(pk=first.json()["id"])
    fix_clock(session.scheduled_start)
    clear_for_protocol(team.prescriber, patient.pk, "esketamine_trd")
    ready_to_give(team.nurse, team.prescriber, session, "56", protocol="esketamine_trd")
    fix_clock(dt.datetime(2025, 3, 4, 12, tzinfo=dt.UTC))  # recorded after the session
    nurse = api_client(team.nurse)
    given = post(
        nurse, f"{url}/{first.json()['id']}/given", {"dosing_started_at": "2025-03-04T10:20:00Z"}
    )
    assert given.status_code == 200, given.content
    assert (given.json()["status"], given.json()["dosing_started_at"]) == (
        "discharged",
        "2025-03-04T10:20:00Z",
    )
    cancelled = post(nurse, f"{url}/{second.json()['id']}/cancel", {"reason": "Unwell"})
    assert (cancelled.json()["status"], cancelled.json()["status_reason"]) == (
        "cancelled",
        "Unwell",
    )
    no_show = post(
        nurse, f"{url}/{third.json()['id']}/cancel", {"reason": "Did not attend", "no_show": True}
    )
    assert no_show.json()["status"] == "no_show"

    again = post(
        nurse, f"{url}/{first.json()['id']}/given", {"dosing_started_at": "2025-03-04T11:00:00Z"}
    )
    assert list(errors(again)) == ["status"]
    assert post(nurse, f"{url}/{second.json()['id']}/cancel", {"reason": ""}).status_code == 422
    listed = api_client(team.front_desk).get(url).json()  # signed in again, a day later
    assert [s["status"] for s in listed] == ["discharged", "cancelled", "no_show"]


def test_who_may_book_sessions(team: Team, patient: Patient, api_client: ClientFor) -> None:
    url = f"{API}/patients/{patient.pk}/sessions"
    for access in (team.therapist, team.compliance, team.researcher):
        refused = post(api_client(access), url, {"scheduled_start": "2025-03-04T10:00:00Z"})
        assert refused.status_code == 403, access.role
    assert not TreatmentSession.objects.exists()
    assert api_client(team.therapist).get(url).status_code == 200


def test_phq9_with_nine_answers_is_recorded_item_10_stored_as_not_answered(
    team: Team, patient: Patient, api_client: ClientFor
) -> None:
    """Issue #12 finding 13: the difficulty question (item 10) is optional."""
    response = post(
        api_client(team.nurse),
        f"{API}/patients/{patient.pk}/responses",
        {"instrument": "phq9", "answers": PHQ9_MODERATE[:9], "context": "baseline"},
    )
    assert response.status_code == 201, response.content
    recorded = response.json()["response"]
    assert recorded["total"] == 10
    assert recorded["answers"] == [*PHQ9_MODERATE[:9], None]
    scored = post(
        api_client(team.nurse), f"{API}/measures/phq9/score", {"answers": PHQ9_MODERATE[:9]}
    )
    assert scored.status_code == 200 and scored.json()["total"] == 10
