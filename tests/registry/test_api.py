"""The registry's duplicate check and merge through /api/v1."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.patients.models import Allergy, Patient
from tests.factories import AllergyFactory
from tests.registry.conftest import ANN_AGAIN

pytestmark = pytest.mark.django_db
API = "/api/v1"
Clients = Callable[[ClinicAccess], Client]


def _body(data: dict[str, Any]) -> str:
    return json.dumps(data, default=str)


def test_a_duplicate_answers_409_listing_the_candidates(
    api_client: Clients, prescriber: ClinicAccess, ann: Patient
) -> None:
    client = api_client(prescriber)
    response = client.post(f"{API}/patients", _body(ANN_AGAIN), content_type="application/json")
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["duplicates"] == [
        {
            "id": str(ann.pk),
            "mrn": "A-1",
            "display_name": "Lee, Ann",
            "date_of_birth": "1980-01-02",
            "reasons": ["same_name"],
        }
    ]
    assert body["detail"][0]["loc"][-1] == "confirm_not_duplicate"
    confirmed = client.post(
        f"{API}/patients",
        _body(ANN_AGAIN | {"confirm_not_duplicate": True}),
        content_type="application/json",
    )
    assert confirmed.status_code == 201, confirmed.content
    event = AuditEvent.objects.get(action="create", object_id=confirmed.json()["id"])
    assert event.details["confirm_not_duplicate"] is True


def test_merge_preview_merge_and_undo(
    api_client: Clients, prescriber: ClinicAccess, ann: Patient, ann_again: Patient
) -> None:
    AllergyFactory.create(patient=ann_again, clinic=ann.clinic)
    client = api_client(prescriber)
    url = f"{API}/patients/{ann_again.pk}/merge/{ann.pk}"
    preview = client.get(url).json()
    assert preview["counts"] == {"Allergies": 1} and preview["problems"] == []
    merged = client.post(
        url, _body({"reason": "Registered twice"}), content_type="application/json"
    )
    assert merged.status_code == 200, merged.content
    assert merged.json()["moved_count"] == 1
    assert Allergy.objects.get().patient_id == ann.pk
    assert client.get(f"{API}/patients", {"q": "Lee"}).json()["count"] == 1
    undo = client.post(
        f"{API}/patient-merges/{merged.json()['id']}/undo",
        _body({"reason": "Two people"}),
        content_type="application/json",
    )
    assert undo.status_code == 200, undo.content
    assert Allergy.objects.get().patient_id == ann_again.pk
    again = client.post(
        f"{API}/patient-merges/{merged.json()['id']}/undo",
        _body({"reason": "Two people"}),
        content_type="application/json",
    )
    assert again.status_code == 422
    assert again.json()["detail"][0]["loc"][-1] == "merge"


def test_merging_into_itself_is_422_naming_the_field(
    api_client: Clients, prescriber: ClinicAccess, ann: Patient
) -> None:
    response = api_client(prescriber).post(
        f"{API}/patients/{ann.pk}/merge/{ann.pk}",
        _body({"reason": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "kept_id"


def test_front_desk_may_not_merge(
    api_client: Clients, desk: ClinicAccess, ann: Patient, ann_again: Patient
) -> None:
    response = api_client(desk).post(
        f"{API}/patients/{ann_again.pk}/merge/{ann.pk}",
        _body({"reason": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 403


def test_a_merged_record_names_the_kept_one(
    api_client: Clients, prescriber: ClinicAccess, ann: Patient, ann_again: Patient
) -> None:
    client = api_client(prescriber)
    client.post(
        f"{API}/patients/{ann_again.pk}/merge/{ann.pk}",
        _body({"reason": "Registered twice"}),
        content_type="application/json",
    )
    record = client.get(f"{API}/patients/{ann_again.pk}").json()
    assert record["merged_into"] == str(ann.pk) and record["archived_at"]
