from __future__ import annotations

from django_tasks import task

from ketacare.exchange.services import export_run


@task()
def run_export(job_id: str) -> str:
    """A Bulk Data $export job: its NDJSON files, written by the worker."""
    return export_run(job_id=job_id).status
