"""The dosing API: previews, orders and their double-check, plans, rescheduling, and
field-level refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.dosing.models import DoseOrder, TreatmentPlan
from tests.api.world import call
from tests.dosing.conftest import Team, next_monday

API = "/api/v1"
ClientFor = Callable[[ClinicAccess], Client]
IV = {"protocol_code": "iv_ketamine", "dose": "0.5", "concentration_mg_per_ml": "10"}


def patient_url(team: Team, rest: str) -> str:
    return f"{API}/patients/{team.patient.pk}/{rest}"


def detail(response: Any) -> list[tuple[str, str]]:
    return [(d["loc"][-1], d["msg"]) for d in response.json()["detail"]]


def test_preview_is_the_worked_example_and_is_audited_as_a_view(
    team: Team, api_client: ClientFor
) -> None:
    response = call(api_client(team.nurse), "POST", patient_url(team, "dose-orders/preview"), IV)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["dose_mg"], body["volume_ml"], body["rate_ml_per_h"]) == ("35.0", "3.5", "5.25")
    assert (body["basis"], body["weight_used_kg"]) == ("actual", "70.0")
    assert not DoseOrder.objects.exists()
    assert AuditEvent.objects.filter(
        action="view", patient_id=team.patient.pk, details__section="dose_preview"
    ).exists()


def test_order_then_double_check_by_a_nurse(team: Team, api_client: ClientFor) -> None:
    created = call(api_client(team.prescriber), "POST", patient_url(team, "dose-orders"), IV)
    assert created.status_code == 201, created.content
    order = created.json()
    assert order["ordered_by"] == team.prescriber.user.username and order["checked_by"] is None
    own = call(
        api_client(team.prescriber),
        "POST",
        patient_url(team, f"dose-orders/{order['id']}/double-check"),
        {"note": ""},
    )
    assert own.status_code == 422
    assert detail(own)[0][0] == "checked_by"
    checked = call(
        api_client(team.nurse),
        "POST",
        patient_url(team, f"dose-orders/{order['id']}/double-check"),
        {"note": "Pump set"},
    )
    assert checked.status_code == 200
    assert checked.json()["checked_by"] == team.nurse.user.username
    listed = api_client(team.therapist).get(patient_url(team, "dose-orders")).json()
    assert [o["id"] for o in listed] == [order["id"]]


def test_refusals_are_field_level_and_save_nothing(team: Team, api_client: ClientFor) -> None:
    client = api_client(team.prescriber)
    above = call(client, "POST", patient_url(team, "dose-orders"), {**IV, "dose": "1.0"})
    assert above.status_code == 422
    assert detail(above)[0][0] == "dose" and "maximum of 0.75 mg/kg" in detail(above)[0][1]
    no_conc = call(
        client,
        "POST",
        patient_url(team, "dose-orders"),
        {"protocol_code": "iv_ketamine", "dose": "0.5"},
    )
    assert detail(no_conc)[0][0] == "concentration_mg_per_ml"
    unknown = call(client, "POST", patient_url(team, "dose-orders"), {**IV, "protocol_code": "x"})
    assert unknown.status_code == 404
    plan = call(
        client,
        "POST",
        patient_url(team, "plans"),
        {
            "indication": "ptsd",
            "protocol_code": "iv_ketamine",
            "schedule": "3_per_week",
            "start_date": next_monday(team.clinic).isoformat(),
            "start_dose": "0.9",
        },
    )
    assert plan.status_code == 422
    assert {f for f, _m in detail(plan)} == {"indication", "start_dose"}
    assert not DoseOrder.objects.exists() and not TreatmentPlan.objects.exists()
    assert (
        call(api_client(team.nurse), "POST", patient_url(team, "dose-orders"), IV).status_code
        == 403
    )


def test_plan_lifecycle_through_the_api(team: Team, api_client: ClientFor) -> None:
    client = api_client(team.prescriber)
    created = call(
        client,
        "POST",
        patient_url(team, "plans"),
        {
            "indication": "major_depression",
            "protocol_code": "iv_ketamine",
            "schedule": "3_per_week",
            "start_date": next_monday(team.clinic).isoformat(),
            "start_dose": "0.1",
            "titration_step": "0.1",
        },
    )
    assert created.status_code == 201, created.content
    plan = created.json()
    assert [s["planned_dose"] for s in plan["sessions"]] == [
        "0.100",
        "0.200",
        "0.300",
        "0.400",
        "0.500",
        "0.600",
    ]
    assert [v["number"] for v in plan["versions"]] == [1]
    changed = call(
        client,
        "PATCH",
        patient_url(team, f"plans/{plan['id']}"),
        {"titration_step": "0.2", "reason": "Tolerating well"},
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["version"] == 2
    live = [s for s in body["sessions"] if s["status"] == "scheduled"]
    assert [s["planned_dose"] for s in live][:4] == ["0.100", "0.300", "0.500", "0.700"]
    got = client.get(patient_url(team, f"plans/{plan['id']}")).json()
    assert [v["reason"] for v in got["versions"]] == ["Plan created", "Tolerating well"]

    # Reschedule onto the next session's day: refused with the reason, then accepted.
    first, second = live[0], live[1]
    clash = {"scheduled_start": second["scheduled_start"]}
    moved = call(client, "POST", patient_url(team, f"sessions/{first['id']}/reschedule"), clash)
    assert moved.status_code == 422
    assert any("same day as" in msg for _f, msg in detail(moved))
    accepted = call(
        client,
        "POST",
        patient_url(team, f"sessions/{first['id']}/reschedule"),
        {**clash, "override_reason": "Only day the driver can come"},
    )
    assert accepted.status_code == 200
    assert accepted.json()["schedule_override_reason"] == "Only day the driver can come"


def test_calendar_and_protocol_copy_endpoints(team: Team, api_client: ClientFor) -> None:
    desk = api_client(team.front_desk)
    sunday = next_monday(team.clinic) - dt.timedelta(days=1)
    put = call(
        desk,
        "PUT",
        f"{API}/clinic/calendar",
        {
            "open_weekdays": [0, 1, 2, 3, 4, 5],
            "closures": [{"date": sunday.isoformat(), "reason": "Holiday"}],
            "daily_capacity": 6,
        },
    )
    assert put.status_code == 200, put.content
    assert put.json()["closures"] == [{"date": sunday.isoformat(), "reason": "Holiday"}]
    bad = call(desk, "PUT", f"{API}/clinic/calendar", {"open_weekdays": [9]})
    assert bad.status_code == 422 and detail(bad)[0][0] == "open_weekdays"
    copy = call(
        api_client(team.admin),
        "POST",
        f"{API}/protocols/im_ketamine/versions",
        {"overrides": {"dose_max": "0.6", "titration_ceiling": "0.6"}, "reason": "Local"},
    )
    assert copy.status_code == 201 and copy.json()["version"] == 2
    refused = call(
        api_client(team.admin),
        "POST",
        f"{API}/protocols/im_ketamine/versions",
        {"overrides": {"hard_max": "-1"}, "reason": "Local"},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "payload", "overrides", "hard_max"]
    catalogue = api_client(team.nurse).get(f"{API}/protocols").json()
    assert {p["code"] for p in catalogue} == {
        "iv_ketamine",
        "im_ketamine",
        "esketamine_trd",
        "esketamine_mdsi",
        "oral_ketamine",
        "sublingual_ketamine",
        "er_oral_ketamine",
        "kap",
    }
    er = next(p for p in catalogue if p["code"] == "er_oral_ketamine")
    assert er["research_only"] is True
