"""`ketacare worker`: the measurement tick and message delivery as queued tasks in the
database backend. The worker runs in batch mode: it works the queue, then returns."""

from __future__ import annotations

import datetime as dt
import signal
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from ketacare.measures import services
from ketacare.measures.management.commands import worker as worker_command
from ketacare.measures.management.commands.worker import Ticker, enqueue_tick_unless_pending
from ketacare.measures.models import SafetyAlert
from ketacare.measures.tasks import measurement_tick
from ketacare.messaging.models import OutboundMessage
from ketacare.messaging.tasks import deliver_message
from ketacare.patients.models import Patient
from tests.clock import advance_clock
from tests.measures.conftest import PHQ9_ITEM9, Team

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def db_tasks(settings: Settings) -> None:
    settings.TASKS = DB_TASKS


@pytest.fixture
def signals_restored() -> Iterator[None]:
    """The worker installs its own signal handlers; give pytest its own back."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def ticks() -> Any:
    return DBTaskResult.objects.filter(task_path=measurement_tick.module_path)


@pytest.mark.django_db
@pytest.mark.usefixtures("db_tasks")
def test_the_tick_is_enqueued_once_while_one_is_pending() -> None:
    assert enqueue_tick_unless_pending() is True
    (tick,) = ticks()
    assert tick.status == "READY"

    assert enqueue_tick_unless_pending() is False
    ticks().update(status="RUNNING")
    assert enqueue_tick_unless_pending() is False
    assert ticks().count() == 1

    ticks().update(status="SUCCESSFUL", finished_at=timezone.now())
    assert enqueue_tick_unless_pending() is True
    assert list(ticks().values_list("status", flat=True).order_by("status")) == [
        "READY",
        "SUCCESSFUL",
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("db_tasks")
def test_the_tick_also_enqueues_the_prune_of_expired_exports_once() -> None:
    from ketacare.exchange.tasks import prune_expired_exports

    enqueue_tick_unless_pending()
    enqueue_tick_unless_pending()
    prunes = DBTaskResult.objects.filter(task_path=prune_expired_exports.module_path)
    assert prunes.count() == 1
    assert ticks().count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("db_tasks")
def test_old_successful_ticks_are_pruned_and_failures_kept() -> None:
    enqueue_tick_unless_pending()
    ticks().update(status="SUCCESSFUL", finished_at=timezone.now() - dt.timedelta(days=2))
    enqueue_tick_unless_pending()
    ticks().filter(status="READY").update(
        status="FAILED", finished_at=timezone.now() - dt.timedelta(days=2)
    )
    enqueue_tick_unless_pending()
    ticks().filter(status="READY").update(
        status="SUCCESSFUL", finished_at=timezone.now() - dt.timedelta(hours=1)
    )

    enqueue_tick_unless_pending()

    assert sorted(ticks().values_list("status", flat=True)) == ["FAILED", "READY", "SUCCESSFUL"]


@pytest.mark.django_db(transaction=True)  # the worker commits and closes connections
@pytest.mark.usefixtures("db_tasks", "signals_restored")
def test_the_worker_runs_the_tick_and_delivers_messages_without_sleeping(
    team: Team,
    patient: Patient,
    monkeypatch: pytest.MonkeyPatch,
    sms_sent: Callable[[], list[dict[str, str]]],
) -> None:
    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"the worker slept {seconds} s")

    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.time.sleep", no_sleep)
    # A link emailed to the patient: its delivery is queued, not yet sent.
    services.link_create(access=team.nurse, patient_id=patient.pk, instruments=["phq9"])
    # A PHQ-9 with item 9 = 1, recorded 20 minutes ago and not acknowledged.
    answered = timezone.now() - dt.timedelta(minutes=20)
    link = services.link_create(
        access=team.nurse,
        patient_id=patient.pk,
        instruments=["phq9"],
        channel="none",
        now=answered,
    )
    token = services.link_token(link)
    services.link_save_draft(
        token=token,
        instrument="phq9",
        answers={n: v for n, v in enumerate(PHQ9_ITEM9, start=1)},
        now=answered,
    )
    services.link_submit(token=token, now=answered)
    assert mail.outbox == []
    assert DBTaskResult.objects.filter(task_path=deliver_message.module_path).count() == 1

    out = StringIO()
    call_command("worker", "--batch", "--no-startup-delay", "--tick-seconds", "3600", stdout=out)

    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    (tick,) = ticks()
    value = dict(tick.return_value)
    assert value.pop("period") == int(timezone.now().timestamp()) // 60 * 60  # the minute
    assert value == {
        "invitations": 0,
        "reminders": 0,
        "escalations": 1,
        "guides": 0,
        "retries": 0,
        "pruned_results": 0,
    }
    # The link's email and the escalation's two emails and two SMS were all delivered.
    assert DBTaskResult.objects.filter(task_path=deliver_message.module_path).count() == 5
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [patient.email, team.admin.user.email, team.prescriber.user.email]
    )
    assert sorted(s["to"] for s in sms_sent()) == sorted(  # E.164 for the provider
        [
            team.admin.user.mobile_phone.replace(" ", ""),
            team.prescriber.user.mobile_phone.replace(" ", ""),
        ]
    )
    assert SafetyAlert.objects.get().escalated_at is not None

    # Run again in the same minute: the tick is taken already (once a minute clinic-wide).
    call_command("worker", "--batch", "--no-startup-delay", "--tick-seconds", "3600", stdout=out)
    # A minute later: a new tick runs and finds nothing more to do.
    advance_clock(minutes=1)
    call_command("worker", "--batch", "--no-startup-delay", "--tick-seconds", "3600", stdout=out)
    done = {"invitations": 0, "reminders": 0, "guides": 0, "retries": 0, "pruned_results": 0}
    assert [
        {k: v for k, v in t.return_value.items() if k != "period"}
        for t in ticks().order_by("enqueued_at")
    ] == [
        done | {"escalations": 1},
        {"skipped": 1},
        done | {"escalations": 0},
    ]
    assert len(mail.outbox) == 3


@pytest.mark.django_db(transaction=True)  # the ticker closes its connection after each tick
@pytest.mark.usefixtures("db_tasks")
def test_the_ticker_enqueues_a_tick_each_interval_and_survives_errors(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ticker = Ticker(60)
    waited: list[float] = []
    stops = iter([False, False, False, True])  # three intervals pass, then the worker stops

    def wait(seconds: float) -> bool:
        waited.append(seconds)
        return next(stops)

    monkeypatch.setattr(ticker.stopped, "wait", wait)
    calls = iter([RuntimeError("database restarting"), None, None])

    def flaky() -> bool:
        error = next(calls)
        if error:
            raise error
        return enqueue_tick_unless_pending()

    monkeypatch.setattr(worker_command, "enqueue_tick_unless_pending", flaky)

    ticker.run()  # in this thread: no sleeping, no race

    assert waited == [60, 60, 60, 60]
    assert "Could not enqueue the measurement tick" in caplog.text
    assert ticks().count() == 1  # enqueued once, then found pending
