"""Bulk Data $export, step by step as the IG (v3, export.md) describes it: kick-off,
status polling, the manifest, the NDJSON download, cancellation, and another clinic."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from ketacare.audit.models import AuditEvent
from ketacare.exchange.models import ExportJob
from tests.clock import fix_clock
from tests.exchange.world import Charted

pytestmark = pytest.mark.django_db
ASYNC = {"Accept": "application/fhir+json", "Prefer": "respond-async"}


def call(method: str, token: str, url: str, headers: dict[str, str] | None = None) -> Any:
    return getattr(Client(), method)(
        url, headers={"Authorization": f"Bearer {token}", **(headers or {})}
    )


def test_group_export_follows_the_ig(
    charted: Charted,
    charted_other: Charted,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # 1. Kick-off: 202 Accepted with Content-Location.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = call("get", charted.token, "/fhir/r4/Group/clinic-a/$export", ASYNC)
    assert response.status_code == 202
    status_url = response["Content-Location"]
    assert "/fhir/r4/$export-status/" in status_url

    # 2. Polling while it waits: 202 with X-Progress and Retry-After.
    waiting = call("get", charted.token, status_url)
    assert waiting.status_code == 202
    assert waiting["X-Progress"].startswith("0%")
    assert int(waiting["Retry-After"]) > 0

    # Another clinic's token cannot see the job, nor export this clinic's Group.
    assert call("get", charted_other.token, status_url).status_code == 404
    foreign = call("get", charted_other.token, "/fhir/r4/Group/clinic-a/$export", ASYNC)
    assert foreign.status_code == 404
    assert foreign.json()["resourceType"] == "OperationOutcome"

    # The worker runs the job.
    for callback in callbacks:
        callback()

    # 3. Complete: 200 with the manifest and Expires.
    done = call("get", charted.token, status_url)
    assert done.status_code == 200
    assert done["Expires"]
    manifest = done.json()
    assert manifest["transactionTime"]
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"].endswith("/fhir/r4/Group/clinic-a/$export")
    types = {item["type"] for item in manifest["output"]}
    assert {"Patient", "Observation", "Encounter", "MedicationAdministration"} <= types

    # 4. Download: NDJSON, each line valid, only this clinic's patient; only this token.
    for item in manifest["output"]:
        file = call("get", charted.token, item["url"])
        assert file.status_code == 200
        assert file["Content-Type"] == "application/fhir+ndjson"
        lines = file.content.decode().splitlines()
        assert len(lines) == item["count"]
        for line in lines:
            resource = json.loads(line)
            get_fhir_model_class(item["type"]).model_validate(resource)
            if item["type"] == "Patient":
                assert resource["id"] == str(charted.patient.pk)
        assert call("get", charted_other.token, item["url"]).status_code == 404

    # 5. DELETE cancels: 202, then the status URL answers 404.
    assert call("delete", charted.token, status_url).status_code == 202
    assert call("get", charted.token, status_url).status_code == 404
    assert call("get", charted.token, manifest["output"][0]["url"]).status_code == 404

    states = [
        e.details["state"]
        for e in AuditEvent.objects.filter(clinic=charted.access.clinic, action="export").order_by(
            "sequence"
        )
    ]
    assert states[0] == "requested" and "completed" in states and states[-1] == "cancelled"


def test_a_second_token_of_the_same_clinic_cannot_poll_or_download(
    charted: Charted, make_access: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from ketacare.accounts.services import api_token_create

    _, second = api_token_create(access=charted.access, name="other", expires_in_days=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = call("get", charted.token, "/fhir/r4/Patient/$export", ASYNC)
    assert call("get", second, response["Content-Location"]).status_code == 404
    assert call("get", charted.token, response["Content-Location"]).status_code == 200


def test_type_and_since_narrow_the_export(
    charted: Charted, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = call(
            "get", charted.token, "/fhir/r4/Patient/$export?_type=Patient,Condition", ASYNC
        )
    manifest = call("get", charted.token, response["Content-Location"]).json()
    assert {item["type"] for item in manifest["output"]} == {"Patient", "Condition"}
    with django_capture_on_commit_callbacks(execute=True):
        later = call(
            "get",
            charted.token,
            "/fhir/r4/Patient/$export?_since=2999-01-01T00:00:00Z",
            ASYNC,
        )
    # Nothing changed since then: an empty manifest, not an error.
    assert call("get", charted.token, later["Content-Location"]).json()["output"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("_type=Bogus", "_type"),
        ("_since=yesterday", "_since"),
        ("_outputFormat=csv", "_outputFormat"),
    ],
)
def test_bad_kick_off_is_an_operation_outcome(charted: Charted, query: str, field: str) -> None:
    response = call("get", charted.token, f"/fhir/r4/Patient/$export?{query}", ASYNC)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == [field]
    assert not ExportJob.objects.exists()


def test_kick_off_requires_prefer_respond_async(charted: Charted) -> None:
    response = call("get", charted.token, "/fhir/r4/Patient/$export")
    assert response.status_code == 400


def test_status_page_shows_progress_to_the_clinic_only(
    charted: Charted, charted_other: Charted, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        call("get", charted.token, "/fhir/r4/Patient/$export", ASYNC)
    page = Client()
    page.force_login(charted.access.user)
    response = page.get("/c/clinic-a/exchange/exports/")
    assert response.status_code == 200
    assert b"Waiting to start" in response.content
    assert b"<progress" in response.content
    assert page.get("/c/clinic-b/exchange/exports/").status_code == 404
    other = Client()
    other.force_login(charted_other.access.user)
    assert b"Waiting to start" not in other.get("/c/clinic-b/exchange/exports/").content


# ---------------------------------------------------------------- 429 and Expires


def test_a_second_kick_off_by_the_same_client_while_one_is_in_progress_is_429(
    charted: Charted, django_capture_on_commit_callbacks: Any
) -> None:
    from ketacare.accounts.services import api_token_create

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = call("get", charted.token, "/fhir/r4/Patient/$export", ASYNC)
    assert first.status_code == 202
    # The job waits: the same token may not start another (Patient or Group level).
    for url in ("/fhir/r4/Patient/$export", "/fhir/r4/Group/clinic-a/$export"):
        again = call("get", charted.token, url, ASYNC)
        assert again.status_code == 429
        assert int(again["Retry-After"]) > 0
        assert again.json()["issue"][0]["code"] == "throttled"
    assert ExportJob.objects.count() == 1
    # Another client (token) of the clinic is not held up.
    _, second = api_token_create(access=charted.access, name="other", expires_in_days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert call("get", second, "/fhir/r4/Patient/$export", ASYNC).status_code == 202
    # Once the first is done, the first client may start the next one.
    for callback in callbacks:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        assert call("get", charted.token, "/fhir/r4/Patient/$export", ASYNC).status_code == 202
    assert ExportJob.objects.count() == 3


def test_files_past_expires_answer_410_and_the_worker_deletes_them(
    charted: Charted, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.files.storage import default_storage
    from django.utils.http import http_date

    from ketacare.exchange.tasks import prune_expired_exports

    settings.KETACARE_EXPORT_KEEP_HOURS = 24
    started = fix_clock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        response = call("get", charted.token, "/fhir/r4/Patient/$export?_type=Patient", ASYNC)
    status_url = response["Content-Location"]
    done = call("get", charted.token, status_url)
    expires = started + dt.timedelta(hours=24)
    assert done["Expires"] == http_date(expires.timestamp())
    (item,) = done.json()["output"]
    (path,) = [o["path"] for o in ExportJob.objects.get().output]

    # A second before Expires: still offered, and the prune leaves it.
    fix_clock(expires - dt.timedelta(seconds=1))
    assert call("get", charted.token, item["url"]).status_code == 200
    assert prune_expired_exports.call() == 0
    assert default_storage.exists(path)

    # At Expires: 410 Gone at once, for the status URL and the file, before the prune.
    fix_clock(expires)
    for url in (status_url, item["url"]):
        gone = call("get", charted.token, url)
        assert gone.status_code == 410
        assert gone.json()["issue"][0]["code"] == "deleted"
    # The worker's prune deletes the files and marks the job expired, audited.
    with django_capture_on_commit_callbacks(execute=True):
        assert prune_expired_exports.call() == 1
    assert not default_storage.exists(path)
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.EXPIRED and job.output == []
    assert call("get", charted.token, status_url).status_code == 410
    assert call("get", charted.token, item["url"]).status_code == 410
    event = AuditEvent.objects.filter(object_type="fhir.export").latest("sequence")
    assert event.details == {"state": "expired", "files_deleted": 1}
    assert event.actor_id is None and event.actor_username == "task worker"
    assert prune_expired_exports.call() == 0  # once only
    # The expired job no longer holds the client back.
    assert call("get", charted.token, "/fhir/r4/Patient/$export", ASYNC).status_code == 202
