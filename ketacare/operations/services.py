"""Heartbeats, schedule leases and task-result pruning: shared through the database so
that several web servers and workers agree."""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from ketacare.operations.health import Check, heartbeat_check
from ketacare.operations.models import ScheduleLease, WorkerHeartbeat

PROCESS_NAME = f"{socket.gethostname()}:{os.getpid()}"
_PROCESS_STARTED = timezone.now()


def heartbeat_beat(*, now: dt.datetime, worker: str = PROCESS_NAME) -> None:
    """This worker is alive at `now` (written by the worker on every tick)."""
    WorkerHeartbeat.objects.update_or_create(
        worker=worker,
        defaults={"beat_at": now},
        create_defaults={"beat_at": now, "started_at": now},
    )
    # Rows of workers gone for a day are dropped, so the table stays one row per worker.
    WorkerHeartbeat.objects.filter(beat_at__lt=now - dt.timedelta(days=1)).delete()


def period_start(now: dt.datetime, seconds: float) -> dt.datetime:
    """The start of the period (of `seconds`, counted from the epoch) that holds `now`."""
    epoch = now.timestamp()
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)


def lease_take(*, name: str, now: dt.datetime, seconds: float, holder: str = PROCESS_NAME) -> bool:
    """Take job `name` for the period holding `now`; False if another worker took it.

    One conditional UPDATE decides (the row lock serialises competing workers on
    PostgreSQL, the write lock on SQLite), so each period is taken exactly once."""
    start = period_start(now, seconds)
    with transaction.atomic():
        ScheduleLease.objects.get_or_create(
            name=name, defaults={"period_start": start - dt.timedelta(seconds=seconds)}
        )
    taken = ScheduleLease.objects.filter(name=name, period_start__lt=start).update(
        period_start=start, holder=holder, taken_at=now
    )
    return taken == 1


@contextmanager
def advisory_lock(key: int) -> Iterator[bool]:
    """On PostgreSQL, a session advisory lock held for the block (yields whether it was
    taken); elsewhere (SQLite: one machine) always True."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        got = bool(cursor.fetchone()[0])
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def task_results_prune(*, now: dt.datetime) -> int:
    """Delete finished task results: successes after KETACARE_TASK_RESULT_DAYS, failures
    after KETACARE_FAILED_TASK_RESULT_DAYS. Returns how many were deleted."""
    from django_tasks_db.models import DBTaskResult

    done = DBTaskResult.objects.filter(
        status="SUCCESSFUL",
        finished_at__lt=now - dt.timedelta(days=settings.KETACARE_TASK_RESULT_DAYS),
    ).delete()[0]
    failed = DBTaskResult.objects.filter(
        status="FAILED",
        finished_at__lt=now - dt.timedelta(days=settings.KETACARE_FAILED_TASK_RESULT_DAYS),
    ).delete()[0]
    return done + failed


# --- /healthz checks ---

_migrations_applied = False


def database_check() -> Check:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return Check("database", False, f"unreachable ({type(exc).__name__})")
    return Check("database", True, "reachable")


def migrations_check() -> Check:
    """Every migration of this code is applied (remembered once true: a new code version
    is a new process)."""
    global _migrations_applied
    if not _migrations_applied:
        try:
            executor = MigrationExecutor(connections["default"])
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as exc:
            return Check("migrations", False, f"unknown ({type(exc).__name__})")
        if pending:
            return Check("migrations", False, f"{len(pending)} not applied")
        _migrations_applied = True
    return Check("migrations", True, "all applied")


def worker_check(*, now: dt.datetime) -> Check:
    try:
        newest = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True)
        beat = newest.first()
    except DatabaseError as exc:
        return Check("worker", False, f"unknown ({type(exc).__name__})")
    return heartbeat_check(newest_beat=beat, now=now, tick_seconds=settings.KETACARE_TICK_SECONDS)


def health_checks(*, now: dt.datetime) -> list[Check]:
    database = database_check()
    if not database.ok:
        return [
            database,
            Check("migrations", False, "database unreachable"),
            Check("worker", False, "database unreachable"),
        ]
    return [database, migrations_check(), worker_check(now=now)]
