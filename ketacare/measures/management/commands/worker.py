"""`ketacare worker`: the background worker.

It runs django-tasks-db's database worker (message delivery and every other task) and a
ticker thread that enqueues the measurement tick and the prune of expired FHIR export
files once a minute, so scheduled work is itself a queued task with a stored result."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.models import DBTaskResult

from ketacare.exchange.tasks import prune_expired_exports
from ketacare.measures.tasks import measurement_tick
from ketacare.operations.services import heartbeat_beat

log = logging.getLogger(__name__)


def beat_and_tick() -> bool:
    """One tick of this worker: its heartbeat (read by /healthz), then the tick task."""
    heartbeat_beat(now=timezone.now())
    return enqueue_tick_unless_pending()


def _enqueue_unless_pending(scheduled: Any) -> bool:
    results = DBTaskResult.objects.filter(task_path=scheduled.module_path)
    # A tick a minute adds up: keep a day of successful tick results, and every failure.
    results.filter(
        status="SUCCESSFUL", finished_at__lt=timezone.now() - dt.timedelta(days=1)
    ).delete()
    pending = results.filter(status__in=["READY", "RUNNING"]).exists()
    if not pending:
        scheduled.enqueue()
    return not pending


def enqueue_tick_unless_pending() -> bool:
    """Enqueue the scheduled tasks that are not already waiting: the measurement tick and
    the prune of expired Bulk Data export files. Returns whether the measurement tick was
    enqueued."""
    _enqueue_unless_pending(prune_expired_exports)
    return _enqueue_unless_pending(measurement_tick)


class Ticker(threading.Thread):
    def __init__(self, seconds: float) -> None:
        super().__init__(name="ketacare-ticker", daemon=True)
        self.seconds = seconds
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.seconds):
            try:
                beat_and_tick()
            except Exception:  # keep ticking through a transient database error
                log.exception("Could not enqueue the measurement tick")
            finally:
                close_old_connections()


class Command(DbWorkerCommand):
    help = "Run KetaCare's background worker: queued tasks plus the scheduler tick."
    # The system checks load every URL (and with them the reporting libraries), which
    # costs seconds at each worker start; `ketacare check --deploy` and the web server
    # run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--tick-seconds",
            type=float,
            default=settings.KETACARE_TICK_SECONDS,
            help="How often scheduled measurement work is enqueued.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        options["reload"] = False  # the ticker thread would not survive a reload
        ticker = Ticker(options.pop("tick_seconds"))
        beat_and_tick()  # now, so that --batch runs the tick too
        if not options["batch"]:
            ticker.start()
        try:
            super().handle(*args, **options)
        finally:
            ticker.stopped.set()
