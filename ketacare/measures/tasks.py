from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from ketacare.measures.services import scheduler_tick


@task()
def measurement_tick() -> dict[str, int]:
    """Invitations, reminders and escalations due now; enqueued every minute by the worker."""
    return scheduler_tick(now=timezone.now())
