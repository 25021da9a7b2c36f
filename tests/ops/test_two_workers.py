"""Two worker processes on one PostgreSQL database, as on two machines: 1,000 queued
messages are each delivered exactly once (django-tasks-db takes tasks with SELECT ... FOR
UPDATE SKIP LOCKED), and the measurement tick, enqueued many times over, runs once per
minute (the schedule lease). Runs only when KETACARE_TEST_DATABASE_URL is PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from ketacare.accounts.models import Clinic
from ketacare.measures.tasks import measurement_tick
from ketacare.messaging.models import OutboundMessage
from ketacare.messaging.tasks import deliver_message

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("KETACARE_TEST_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (KETACARE_TEST_DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),  # the workers must see committed rows
]

MESSAGES = 1000
EXTRA_TICKS = 10


def worker_env(tmp_path: Path) -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KETACARE_", "DJANGO_"))}
    return env | {
        "DJANGO_SETTINGS_MODULE": "ketacare.settings",
        "KETACARE_DATABASE_URL": url,
        "KETACARE_VAR_DIR": str(tmp_path),
        "KETACARE_SMS_BACKEND": "ketacare.messaging.sms.FileSmsBackend",
        "KETACARE_SMS_FILE_PATH": str(tmp_path / "sms.jsonl"),
        "KETACARE_TICK_SECONDS": "60",
        "KETACARE_LOG_LEVEL": "WARNING",
    }


def test_two_workers_deliver_each_message_once_and_tick_once_a_minute(
    tmp_path: Path, settings: Settings, clinic: Clinic
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    messages = OutboundMessage.objects.bulk_create(
        OutboundMessage(
            clinic=clinic, channel="sms", to=f"+4477009{i:05d}", body=f"message {i}", purpose="t"
        )
        for i in range(MESSAGES)
    )
    for message in messages:
        deliver_message.enqueue(str(message.pk))
    for _ in range(EXTRA_TICKS):  # as if many workers had ticked in the same minute
        measurement_tick.enqueue()

    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "ketacare.cli", "worker", "--batch", "--no-startup-delay"],
            env=worker_env(tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for worker in workers:
        _, errors = worker.communicate(timeout=120)
        assert worker.returncode == 0, errors

    # Each message once: 1,000 lines, 1,000 different messages, every one sent once.
    lines = [json.loads(line) for line in (tmp_path / "sms.jsonl").read_text().splitlines()]
    assert len(lines) == MESSAGES
    assert len({line["body"] for line in lines}) == MESSAGES
    assert set(OutboundMessage.objects.values_list("status", "attempts")) == {("sent", 1)}
    deliveries = DBTaskResult.objects.filter(task_path=deliver_message.module_path)
    assert set(deliveries.values_list("status", flat=True)) == {"SUCCESSFUL"}
    # Both workers took part.
    assert len({w for ids in deliveries.values_list("worker_ids", flat=True) for w in ids}) == 2

    # The tick: enqueued 12 or more times, run at most once in any minute.
    ticks = [
        t.return_value
        for t in DBTaskResult.objects.filter(task_path=measurement_tick.module_path)
        if t.status == "SUCCESSFUL"
    ]
    ran = [t["period"] for t in ticks if "period" in t]
    assert len(ticks) >= EXTRA_TICKS
    assert 1 <= len(ran) <= 2  # a minute may turn while the workers run
    assert Counter(ran).most_common(1)[0][1] == 1, "a minute's tick ran twice"
