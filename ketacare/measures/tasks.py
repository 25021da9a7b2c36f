from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from ketacare.guides.services import guides_send_due
from ketacare.measures.services import scheduler_tick
from ketacare.messaging.services import messages_retry_due
from ketacare.operations.services import (
    advisory_lock,
    lease_take,
    period_start,
    task_results_prune,
)

# pg_try_advisory_lock key for the tick: any fixed 64-bit number unique to this job.
TICK_LOCK_KEY = 0x6B657461_7469636B  # "keta" "tick"


@task(priority=10)
def measurement_tick() -> dict[str, int]:
    """Invitations, reminders, escalations and session guides due now, and pruning of old
    task results; enqueued every tick by each worker, run once per tick period clinic-wide.

    A worker runs it only if it takes the period's lease (one conditional UPDATE), and on
    PostgreSQL only while it holds the advisory lock, so a long tick never overlaps the
    next period's."""
    now, seconds = timezone.now(), settings.KETACARE_TICK_SECONDS
    if not lease_take(name="measurement_tick", now=now, seconds=seconds):
        return {"skipped": 1}
    with advisory_lock(TICK_LOCK_KEY) as locked:
        if not locked:
            return {"skipped": 1}
        done = scheduler_tick(now=now)
        done["guides"] = len(guides_send_due(now=now))
        done["retries"] = messages_retry_due(now=now)
        done["pruned_results"] = task_results_prune(now=now)
        done["period"] = int(period_start(now, seconds).timestamp())  # the lease it took
    return done
