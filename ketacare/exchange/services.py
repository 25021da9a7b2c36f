"""FHIR reads and searches (audited like chart reads) and Bulk Data export jobs."""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import ApiToken, Clinic
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as, audit_record
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.exchange import search
from ketacare.exchange.models import ExportJob
from ketacare.exchange.sources import PATIENT_COMPARTMENT, RESOURCE_TYPES, Scope, entries


def _patient_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@transaction.atomic
def fhir_read(*, access: ClinicAccess, resource_type: str, resource_id: str) -> dict[str, Any]:
    """One resource of the caller's clinic; anything else (another clinic's, a malformed
    id) is NotFound. Audited as a chart view."""
    access.require(Permission.VIEW_CHART)
    if resource_type not in RESOURCE_TYPES:
        raise NotFound(resource_type)
    scope = Scope(access.clinic, row_ids={resource_id})
    found = next((e for e in entries(resource_type, scope) if e.id == resource_id), None)
    if found is None:
        raise NotFound(resource_type)
    audit_as(
        access,
        action=Action.VIEW,
        object_type=f"fhir.{resource_type}",
        object_id=resource_id,
        patient_id=_patient_uuid(found.patient_id),
        details={"section": "fhir"},
    )
    return found.resource


@transaction.atomic
def fhir_search(
    *,
    access: ClinicAccess,
    resource_type: str,
    params: Sequence[tuple[str, str]],
    base_url: str,
) -> dict[str, Any]:
    """A searchset Bundle of the caller's clinic's resources; one audit event per search."""
    access.require(Permission.VIEW_CHART)
    if resource_type not in RESOURCE_TYPES:
        raise NotFound(resource_type)
    tz = dt.UTC
    query = search.parse_query(resource_type, params, tz=tz)
    patients: set[str] | None = None
    for name, value in query.filters:
        if name in ("patient", "subject"):
            wanted = {v.removeprefix("Patient/") for v in value.split(",")}
            patients = wanted if patients is None else patients & wanted
    if resource_type == "Patient":
        ids = {v for name, value in query.filters if name == "_id" for v in value.split(",")}
        scope = Scope(access.clinic, patient_ids=ids or None)
    else:
        scope = Scope(access.clinic, patient_ids=patients)
    page, total = search.run(entries(resource_type, scope), query, tz)
    audit_as(
        access,
        action=Action.SEARCH,
        object_type=f"fhir.{resource_type}",
        details={
            "query": [list(p) for p in params],
            "results": total,
            "patient_ids": sorted({e.patient_id for e in page if e.patient_id}),
        },
    )
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": search.page_links(base_url, params, query, total),
        "entry": [
            {
                "fullUrl": f"{base_url.rsplit('/', 1)[0]}/{e.resource_type}/{e.id}",
                "resource": e.resource,
                "search": {"mode": "match"},
            }
            for e in page
        ],
    }


# ---------------------------------------------------------------- NDJSON writing


def ndjson_lines(
    clinic: Clinic,
    resource_type: str,
    *,
    since: dt.datetime | None = None,
) -> Iterator[str]:
    for entry in entries(resource_type, Scope(clinic, since=since)):
        yield json.dumps(entry.resource, separators=(",", ":"), ensure_ascii=False)


def write_ndjson(
    clinic: Clinic,
    types: Sequence[str],
    write: Callable[[str, list[str]], str],
    *,
    since: dt.datetime | None = None,
    progress: Callable[[str, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> list[dict[str, Any]]:
    """Build each type's lines and hand them to `write(type, lines) -> where`. Returns the
    manifest's output list (types with no resource are left out, as the IG allows)."""
    output = []
    for done, resource_type in enumerate(types, start=1):
        if cancelled():
            break
        lines = list(ndjson_lines(clinic, resource_type, since=since))
        if lines:
            where = write(resource_type, lines)
            output.append({"type": resource_type, "count": len(lines), "path": where})
        if progress:
            progress(resource_type, done)
    return output


# ---------------------------------------------------------------- Bulk Data $export


def _parse_types(raw: str | None) -> list[str]:
    if not raw:
        return list(PATIENT_COMPARTMENT)
    types = [t.strip() for t in raw.split(",") if t.strip()]
    unknown = [t for t in types if t not in RESOURCE_TYPES]
    if unknown:
        raise ValidationFailed.single("_type", f"Not exported: {', '.join(unknown)}.")
    return types


def _parse_since(raw: str | None) -> dt.datetime | None:
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed.single(
            "_since", "Give an instant, e.g. 2026-01-05T10:00:00Z."
        ) from exc
    if value.tzinfo is None:
        raise ValidationFailed.single("_since", "Give the time zone, e.g. Z or +01:00.")
    return value


OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
IN_PROGRESS = (ExportJob.Status.ACCEPTED, ExportJob.Status.RUNNING)


class ExportInProgress(Exception):
    """The same client already has an export waiting or running: the IG (export.md,
    kick-off) lets a server refuse a new one with 429 and Retry-After."""

    def __init__(self, job: ExportJob) -> None:
        super().__init__(f"Export {job.pk} is still in progress.")
        self.job = job


class ExportGone(Exception):
    """The export's files are past their Expires and deleted (or being deleted): 410."""


@transaction.atomic
def export_kick_off(
    *,
    access: ClinicAccess,
    token: ApiToken | None,
    level: str,
    group_id: str | None,
    params: dict[str, str],
    request_url: str,
) -> ExportJob:
    """Accept a $export request (Patient level, or Group = the caller's clinic)."""
    access.require(Permission.VIEW_CHART)
    if level == ExportJob.Level.GROUP and group_id != access.clinic.slug:
        raise NotFound("Group")
    output_format = params.get("_outputFormat")
    if output_format and output_format not in OUTPUT_FORMATS:
        raise ValidationFailed.single("_outputFormat", "Only NDJSON is offered.")
    unsupported = {"_elements", "_typeFilter", "patient", "includeAssociatedData"} & set(params)
    if unsupported:
        name = sorted(unsupported)[0]
        raise ValidationFailed.single(name, f"{name} is not supported by this server.")
    types = _parse_types(params.get("_type"))
    since = _parse_since(params.get("_since"))
    # One export at a time per client (the token; the user where there is no token).
    # Locking the token row makes two simultaneous kick-offs take turns here.
    if token is not None:
        ApiToken.objects.select_for_update().filter(pk=token.pk).first()
        mine = ExportJob.objects.filter(clinic=access.clinic, token=token)
    else:
        mine = ExportJob.objects.filter(clinic=access.clinic, token=None, requested_by=access.user)
    running = mine.filter(status__in=IN_PROGRESS).order_by("created_at").first()
    if running is not None:
        raise ExportInProgress(running)
    job = ExportJob.objects.create(
        clinic=access.clinic,
        requested_by=access.user,
        token=token,
        level=level,
        request_url=request_url[:500],
        types=types,
        since=since,
    )
    audit_as(
        access,
        action=Action.EXPORT,
        object_type="fhir.export",
        object_id=job.pk,
        details={"level": level, "types": types, "since": since, "state": "requested"},
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: uuid.UUID) -> None:
    from ketacare.exchange.tasks import run_export

    run_export.enqueue(str(job_id))


def _storage_path(job: ExportJob, resource_type: str) -> str:
    return (
        f"{settings.KETACARE_EXPORT_STORAGE_PREFIX}/{job.clinic_id}/{job.pk}/{resource_type}.ndjson"
    )


def export_run(*, job_id: str) -> ExportJob:
    """Worker side: write each type's NDJSON file, recording progress as it goes."""
    job = ExportJob.objects.select_related("clinic").get(pk=job_id)
    if job.status != ExportJob.Status.ACCEPTED:
        return job
    transaction_time = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, transaction_time=transaction_time
    )

    def write(resource_type: str, lines: list[str]) -> str:
        path = _storage_path(job, resource_type)
        if default_storage.exists(path):
            default_storage.delete(path)
        return default_storage.save(path, ContentFile(("\n".join(lines) + "\n").encode()))

    def progress(_: str, done: int) -> None:
        ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
            progress=int(100 * done / max(len(job.types), 1))
        )

    def cancelled() -> bool:
        return not ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).exists()

    try:
        output = write_ndjson(
            job.clinic, job.types, write, since=job.since, progress=progress, cancelled=cancelled
        )
    except Exception:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error="The export failed; see the server log."
        )
        raise
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ExportJob.Status.RUNNING:  # cancelled meanwhile
            _delete_files(job, output)
            return job
        job.status = ExportJob.Status.COMPLETED
        job.progress = 100
        job.output = output
        job.finished_at = timezone.now()
        job.save()
        audit_record(
            actor=job.requested_by,
            clinic=job.clinic,
            action=Action.EXPORT,
            object_type="fhir.export",
            object_id=job.pk,
            details={
                "state": "completed",
                "output": [{"type": o["type"], "count": o["count"]} for o in output],
            },
        )
    return job


def _delete_files(job: ExportJob, output: list[dict[str, Any]]) -> None:
    for item in output:
        default_storage.delete(item["path"])


def export_job_for(*, access: ClinicAccess, token: ApiToken | None, job_id: str) -> ExportJob:
    """The job, if this clinic and (for an API client) this very token asked for it."""
    try:
        job = ExportJob.objects.get(pk=job_id, clinic=access.clinic)
    except (ExportJob.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound("export") from exc
    if job.status == ExportJob.Status.CANCELLED:
        raise NotFound("export")
    if job.token_id is not None and (token is None or token.pk != job.token_id):
        raise NotFound("export")
    if job.token_id is None and job.requested_by_id != access.user.pk:
        raise NotFound("export")
    if job.status == ExportJob.Status.EXPIRED or (
        job.status == ExportJob.Status.COMPLETED and export_expires(job) <= timezone.now()
    ):
        # Past Expires the files are no longer offered, even in the minute before the
        # worker's prune deletes them.
        raise ExportGone(str(job.pk))
    return job


@transaction.atomic
def export_cancel(*, access: ClinicAccess, token: ApiToken | None, job_id: str) -> None:
    job = export_job_for(access=access, token=token, job_id=job_id)
    job = ExportJob.objects.select_for_update().get(pk=job.pk)
    output = list(job.output)
    job.status = ExportJob.Status.CANCELLED
    job.output = []
    job.finished_at = timezone.now()
    job.save()
    audit_as(
        access,
        action=Action.EXPORT,
        object_type="fhir.export",
        object_id=job.pk,
        details={"state": "cancelled"},
    )
    transaction.on_commit(lambda: _delete_files(job, output))


@transaction.atomic
def export_file_open(
    *, access: ClinicAccess, token: ApiToken | None, job_id: str, resource_type: str
) -> bytes:
    job = export_job_for(access=access, token=token, job_id=job_id)
    item = next((o for o in job.output if o["type"] == resource_type), None)
    if job.status != ExportJob.Status.COMPLETED or item is None:
        raise NotFound("export file")
    audit_as(
        access,
        action=Action.EXPORT,
        object_type="fhir.export",
        object_id=job.pk,
        details={"state": "downloaded", "type": resource_type, "count": item["count"]},
    )
    with default_storage.open(item["path"], "rb") as handle:
        data: bytes = handle.read()
    return data


def export_expires(job: ExportJob) -> dt.datetime:
    return (job.finished_at or timezone.now()) + dt.timedelta(
        hours=settings.KETACARE_EXPORT_KEEP_HOURS
    )


def export_prune(*, now: dt.datetime) -> int:
    """Worker side: delete the files of every completed export past its Expires and mark
    the job expired (audited). Returns how many exports were pruned."""
    cutoff = now - dt.timedelta(hours=settings.KETACARE_EXPORT_KEEP_HOURS)
    due = ExportJob.objects.filter(status=ExportJob.Status.COMPLETED, finished_at__lte=cutoff)
    pruned = 0
    for job_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            job = (
                ExportJob.objects.select_for_update()
                .select_related("clinic")
                .filter(pk=job_id, status=ExportJob.Status.COMPLETED)
                .first()
            )
            if job is None:  # cancelled meanwhile
                continue
            output = list(job.output)
            job.status = ExportJob.Status.EXPIRED
            job.output = []
            job.save(update_fields=["status", "output"])
            audit_record(
                actor=None,
                actor_label="task worker",
                clinic=job.clinic,
                action=Action.EXPORT,
                object_type="fhir.export",
                object_id=job.pk,
                details={"state": "expired", "files_deleted": len(output)},
            )
            transaction.on_commit(functools.partial(_delete_files, job, output))
        pruned += 1
    return pruned


def write_directory(out: Path) -> Callable[[str, list[str]], str]:
    """A `write` for write_ndjson that puts <ResourceType>.ndjson files in a directory."""
    out.mkdir(parents=True, exist_ok=True)

    def write(resource_type: str, lines: list[str]) -> str:
        path = out / f"{resource_type}.ndjson"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return str(path)

    return write


def export_job_list(*, access: ClinicAccess) -> list[ExportJob]:
    """The clinic's recent Bulk Data exports, for the status page."""
    access.require(Permission.VIEW_CHART)
    return list(
        ExportJob.objects.filter(clinic=access.clinic)
        .select_related("requested_by")
        .order_by("-created_at")[:50]
    )
