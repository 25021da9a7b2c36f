"""Input the server refuses with a 4xx naming the problem, never a 500: NUL characters,
bodies over KETACARE_MAX_BODY_BYTES, anonymous writes (docs/security.md)."""

from __future__ import annotations

import json

from django.test import Client, override_settings

from ketacare.accounts.policy import Role
from tests.api.operations import API, PATIENT_BODY
from tests.api.world import World, member, session_client, token_client


def test_a_nul_character_is_422_naming_the_field(world: World) -> None:
    client = token_client(world.dual_token_a)
    searched = client.get(f"{API}/patients", {"q": "Ahmed\x00 1966"})
    assert searched.status_code == 422
    assert searched.json()["detail"][0]["loc"] == ["query", "q"]
    body = {**PATIENT_BODY, "address": {"line": ["1 Main St\x00"]}}
    created = client.post(f"{API}/patients", json.dumps(body), content_type="application/json")
    assert created.status_code == 422
    assert created.json()["detail"][0]["loc"] == ["body", "payload", "address", "line", "0"]


def test_a_nul_character_in_a_web_form_or_search_names_the_field(world: World) -> None:
    client = session_client(member(world.a.clinic, Role.PRESCRIBER))
    searched = client.get(f"/c/{world.a.clinic.slug}/patients/", {"q": "x\x00"})
    assert (searched.status_code, searched.content.decode()) == (
        422,
        "q: Null characters are not allowed.",
    )
    posted = client.post(f"/c/{world.a.clinic.slug}/patients/new/", {"mrn": "\x00"})
    assert posted.status_code == 422
    assert posted.content.decode().startswith("mrn:")


@override_settings(KETACARE_MAX_BODY_BYTES=1000)
def test_a_body_over_the_limit_is_413(world: World) -> None:
    big = json.dumps({**PATIENT_BODY, "notes": "x" * 2000})
    api = token_client(world.dual_token_a).post(
        f"{API}/patients", big, content_type="application/json"
    )
    assert api.status_code == 413
    assert "1000 bytes" in api.json()["detail"]
    web = session_client(member(world.a.clinic, Role.PRESCRIBER)).post(
        f"/c/{world.a.clinic.slug}/patients/new/", {"mrn": "x" * 2000}
    )
    assert web.status_code == 413


@override_settings(KETACARE_MAX_BODY_BYTES=1000, KETACARE_MAX_UPLOAD_BYTES=5000)
def test_a_referral_upload_has_its_own_larger_limit(world: World) -> None:
    client = token_client(world.dual_token_a)
    url = f"{API}/referrals/import"
    bundle = json.dumps({"resourceType": "Patient", "note": "x" * 2000})
    taken = client.post(url, bundle, content_type="application/fhir+json")
    assert taken.status_code == 422  # read, and refused for what it is, not its size
    too_big = json.dumps({"resourceType": "Patient", "note": "x" * 6000})
    refused = client.post(url, too_big, content_type="application/fhir+json")
    assert refused.status_code == 413 and "5000 bytes" in refused.json()["detail"]


def test_an_anonymous_write_is_401_not_a_csrf_failure(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{API}/patients", PATIENT_BODY, content_type="application/json")
    assert response.status_code == 401
