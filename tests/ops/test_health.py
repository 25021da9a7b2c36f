"""/healthz: the database, the migrations and the worker's heartbeat; 503 when one fails.
The worker's heartbeat is read against the fixed clock (tests/clock.py)."""

from __future__ import annotations

import datetime as dt
import json
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from pytest_django.fixtures import Settings

from ketacare.operations import services
from ketacare.operations.health import heartbeat_check, overall
from ketacare.operations.models import WorkerHeartbeat
from tests.clock import advance_clock, fix_clock

T0 = dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC)


@pytest.fixture
def signals_restored() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def health(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


# --- the pure rule ---


def test_no_heartbeat_fails() -> None:
    check = heartbeat_check(newest_beat=None, now=T0, tick_seconds=60)
    assert not check.ok
    assert check.detail == "no worker heartbeat recorded"


@pytest.mark.parametrize(
    ("age", "ok"), [(0, True), (60, True), (120, True), (121, False), (3600, False)]
)
def test_a_heartbeat_older_than_two_ticks_fails(age: int, ok: bool) -> None:
    beat = T0 - dt.timedelta(seconds=age)
    assert heartbeat_check(newest_beat=beat, now=T0, tick_seconds=60).ok is ok


def test_overall_is_503_when_any_check_fails() -> None:
    good = heartbeat_check(newest_beat=T0, now=T0, tick_seconds=60)
    bad = heartbeat_check(newest_beat=None, now=T0, tick_seconds=60)
    assert overall([good, good]) == ("ok", 200)
    assert overall([good, bad]) == ("failing", 503)


# --- the endpoint ---


@pytest.mark.django_db(transaction=True)  # the worker commits and closes connections
@pytest.mark.usefixtures("signals_restored")
def test_stopping_the_worker_turns_healthz_503_within_two_ticks(settings: Settings) -> None:
    settings.KETACARE_TICK_SECONDS = 60
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = Client()
    fix_clock(T0)
    assert health(client)[0] == 503  # no worker has ever run

    call_command(
        "worker", "--batch", "--no-startup-delay", verbosity=0
    )  # a worker's tick writes its heartbeat
    code, body = health(client)
    assert code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "worker"}

    # The worker stops: one tick later still healthy, after the second tick not.
    advance_clock(seconds=119)
    assert health(client)[0] == 200
    advance_clock(seconds=2)
    code, body = health(client)
    assert code == 503
    assert body["status"] == "failing"
    assert body["checks"]["worker"] == {
        "ok": False,
        "detail": "last heartbeat 121 s ago (limit 120 s)",
    }

    # Restarted, it beats again and /healthz recovers.
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    assert health(client)[0] == 200


@pytest.mark.django_db
def test_the_newest_of_several_workers_counts(settings: Settings) -> None:
    settings.KETACARE_TICK_SECONDS = 60
    fix_clock(T0)
    services.heartbeat_beat(now=T0 - dt.timedelta(minutes=30), worker="web-1:10")
    services.heartbeat_beat(now=T0 - dt.timedelta(seconds=30), worker="web-2:10")
    assert health(Client())[0] == 200
    assert WorkerHeartbeat.objects.count() == 2


@pytest.mark.django_db
def test_a_worker_gone_for_a_day_is_forgotten() -> None:
    services.heartbeat_beat(now=T0 - dt.timedelta(days=2), worker="old:1")
    services.heartbeat_beat(now=T0, worker="new:1")
    assert list(WorkerHeartbeat.objects.values_list("worker", flat=True)) == ["new:1"]


@pytest.mark.django_db
def test_an_unapplied_migration_fails_healthz(monkeypatch: pytest.MonkeyPatch) -> None:
    fix_clock(T0)
    services.heartbeat_beat(now=T0)
    monkeypatch.setattr(services, "_migrations_applied", False)
    MigrationRecorder.Migration.objects.filter(
        app="operations", name="0001_heartbeat_and_schedule_lease"
    ).delete()

    code, body = health(Client())

    assert code == 503
    assert body["checks"]["migrations"] == {"ok": False, "detail": "1 not applied"}
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_healthz_says_nothing_about_patients(clinic: object) -> None:
    from tests.factories import PatientFactory

    patient = PatientFactory.create(clinic=clinic)
    body = Client().get("/healthz").content.decode()
    for value in (str(patient.pk), patient.mrn, patient.legal_family_name, "clinic-a"):
        assert value not in body


@pytest.mark.django_db
def test_healthz_is_not_redirected_to_https_in_production(settings: Settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/healthz").status_code in {200, 503}
    assert Client().get("/login/").status_code == 301


@pytest.mark.django_db
def test_the_healthz_command_fails_without_a_worker(settings: Settings) -> None:
    from io import StringIO

    from django.core.management.base import CommandError

    settings.KETACARE_TICK_SECONDS = 60
    fix_clock(T0)
    with pytest.raises(CommandError, match="worker: no worker heartbeat recorded"):
        call_command("healthz", stdout=StringIO())
    services.heartbeat_beat(now=T0)
    out = StringIO()
    call_command("healthz", stdout=out)
    assert json.loads(out.getvalue())["status"] == "ok"


def test_the_json_log_format_is_one_redacted_object_a_line() -> None:
    import logging

    from ketacare.common.logging import JsonFormatter

    mrn = "-".join(["MRN", "00042"])  # not in the source lines the stack shows
    try:
        raise ValueError(f"patient {mrn} not found")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "ketacare.x", logging.ERROR, __file__, 1, "Lookup failed", None, sys.exc_info()
        )
    record.request_id = "req-123"
    line = JsonFormatter().format(record)

    entry = json.loads(line)
    assert "\n" not in line
    assert (entry["level"], entry["logger"], entry["request_id"], entry["message"]) == (
        "ERROR",
        "ketacare.x",
        "req-123",
        "Lookup failed",
    )
    assert entry["exception"].endswith("ValueError")
    assert "MRN-00042" not in line  # exception messages can carry patient data
