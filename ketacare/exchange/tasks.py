from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from ketacare.exchange.services import export_prune, export_run


@task()
def run_export(job_id: str) -> str:
    """A Bulk Data $export job: its NDJSON files, written by the worker."""
    return export_run(job_id=job_id).status


@task()
def prune_expired_exports() -> int:
    """Delete the files of Bulk Data exports past their Expires; enqueued by the worker's
    scheduler tick (ketacare worker)."""
    return export_prune(now=timezone.now())
