"""The eligibility API: history, staging, screening and acceptance, with 422s."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.eligibility.models import AntidepressantTrial, CautionAcceptance, ScreeningResult
from tests.api.world import call
from tests.clinical import ALL_NO, CLEAN_CHECKLIST
from tests.eligibility.conftest import Team

API = "/api/v1"


def base(team: Team) -> str:
    return f"{API}/patients/{team.patient.pk}"


def test_history_and_staging_show_how_they_were_reached(
    team: Team, api_client: Callable[[ClinicAccess], Client]
) -> None:
    client = api_client(team.nurse)
    history = client.get(f"{base(team)}/history").json()
    assert [a["adequate"] for a in history["adequacy"]] == [True, True]
    assert history["staging"]["treatment_resistance"]["value"] == "treatment-resistant"
    staging = client.get(f"{base(team)}/staging").json()
    assert staging["thase_rush"]["value"] == "II"
    assert any("failed adequate classes" in line for line in staging["thase_rush"]["how"])
    assert "Maudsley" in staging["maudsley"]["source"]


def test_bad_trial_is_refused_with_field_errors_and_nothing_saved(
    team: Team, api_client: Callable[[ClinicAccess], Client]
) -> None:
    before = AntidepressantTrial.objects.count()
    body = {
        "drug": "Sertraline",
        "drug_class": "ssri",
        "max_daily_dose_mg": "0",
        "weeks_at_dose": "-1",
        "outcome": "no_response",
    }
    response = call(api_client(team.nurse), "POST", f"{base(team)}/trials", body)
    assert response.status_code == 422, response.content
    fields = {e["loc"][-1] for e in response.json()["detail"]}
    assert fields == {"max_daily_dose_mg", "weeks_at_dose"}
    assert AntidepressantTrial.objects.count() == before


def test_screening_worked_examples_through_the_api(
    team: Team, api_client: Callable[[ClinicAccess], Client]
) -> None:
    client = api_client(team.prescriber)
    aneurysm = {
        "protocol_code": "esketamine_trd",
        "checklist": {
            **CLEAN_CHECKLIST,
            "answers": {**ALL_NO, "aneurysmal_vascular_disease": "yes"},
        },
    }
    refused = call(client, "POST", f"{base(team)}/screenings", aneurysm)
    assert refused.status_code == 201, refused.content
    assert refused.json()["outcome"] == "not_eligible"
    override = call(
        client,
        "POST",
        f"{base(team)}/screenings/{refused.json()['id']}/accept",
        {"code": "aneurysmal_vascular_disease", "justification": "Vascular surgeon says fine."},
    )
    assert override.status_code == 422
    assert override.json()["detail"][0]["loc"][-1] == "code"
    assert not CautionAcceptance.objects.exists()

    lorazepam = {"name": "Lorazepam", "dose": "2 mg", "frequency": "twice daily"}
    assert call(client, "POST", f"{base(team)}/medications", lorazepam).status_code == 201
    clean = {"protocol_code": "iv_ketamine", "checklist": CLEAN_CHECKLIST}
    screened = call(client, "POST", f"{base(team)}/screenings", clean).json()
    assert screened["outcome"] == "eligible_with_cautions"
    benzo = next(r for r in screened["reasons"] if r["code"] == "benzodiazepine_load:lorazepam")
    assert any("3 mg" in s["label"] for s in benzo["sources"])
    accepted = call(
        client,
        "POST",
        f"{base(team)}/screenings/{screened['id']}/accept",
        {"code": benzo["code"], "justification": "Taper agreed; dose halves before session 1."},
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["open_cautions"] == screened["open_cautions"] - 1


def test_nurse_cannot_accept_and_unknown_protocol_is_422(
    team: Team, api_client: Callable[[ClinicAccess], Client]
) -> None:
    client = api_client(team.nurse)
    bad = call(client, "POST", f"{base(team)}/screenings", {"protocol_code": "nope"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "payload", "protocol_code"]
    run = call(client, "POST", f"{base(team)}/screenings", {"protocol_code": "iv_ketamine"})
    assert run.status_code == 201
    denied = call(
        client,
        "POST",
        f"{base(team)}/screenings/{run.json()['id']}/accept",
        {"code": "no_blood_pressure", "justification": "Will measure on arrival."},
    )
    assert denied.status_code == 403
    listed = client.get(f"{base(team)}/screenings").json()
    assert [s["id"] for s in listed] == [run.json()["id"]]
    assert ScreeningResult.objects.count() == 1
