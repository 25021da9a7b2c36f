"""The measurement tick runs once per tick period clinic-wide (a lease taken by one
conditional UPDATE), and it prunes finished task results."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from ketacare.measures.tasks import measurement_tick
from ketacare.operations.models import ScheduleLease
from ketacare.operations.services import lease_take, period_start, task_results_prune
from tests.clock import advance_clock, fix_clock

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.UTC)


def test_period_start_is_the_minute() -> None:
    assert period_start(T0, 60) == dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    assert period_start(T0, 300) == dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_one_worker_takes_each_minute() -> None:
    assert lease_take(name="job", now=T0, seconds=60, holder="a") is True
    assert (
        lease_take(name="job", now=T0 + dt.timedelta(seconds=30), seconds=60, holder="b") is False
    )
    assert lease_take(name="job", now=T0 + dt.timedelta(seconds=50), seconds=60, holder="b") is True
    lease = ScheduleLease.objects.get(name="job")
    assert (lease.holder, lease.period_start) == ("b", dt.datetime(2026, 3, 2, 9, 1, tzinfo=dt.UTC))


def test_the_tick_runs_once_a_minute_however_often_it_is_enqueued(settings: Settings) -> None:
    settings.KETACARE_TICK_SECONDS = 60
    fix_clock(T0)
    first = measurement_tick.enqueue()
    second = measurement_tick.enqueue()  # another worker's tick in the same minute
    assert "escalations" in (first.return_value or {})
    assert second.return_value == {"skipped": 1}

    advance_clock(minutes=1)
    assert "escalations" in (measurement_tick.enqueue().return_value or {})


def _result(status: str, finished: dt.datetime) -> DBTaskResult:
    return DBTaskResult.objects.create(
        task_path="ketacare.messaging.tasks.deliver_message",
        status=status,
        args_kwargs={"args": [], "kwargs": {}},
        finished_at=finished,
        backend_name="default",
        queue_name="default",
    )


def test_finished_task_results_are_pruned_after_their_days(settings: Settings) -> None:
    settings.KETACARE_TASK_RESULT_DAYS = 7
    settings.KETACARE_FAILED_TASK_RESULT_DAYS = 30
    now = timezone.now()
    keep = [
        _result("SUCCESSFUL", now - dt.timedelta(days=6)),
        _result("FAILED", now - dt.timedelta(days=29)),
        _result("READY", now - dt.timedelta(days=90)),
    ]
    _result("SUCCESSFUL", now - dt.timedelta(days=8))
    _result("FAILED", now - dt.timedelta(days=31))

    assert task_results_prune(now=now) == 2
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {r.pk for r in keep}
