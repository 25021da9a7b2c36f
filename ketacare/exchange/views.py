"""The read-only FHIR R4 endpoint at /fhir/r4/ and the Bulk Data $export endpoints.

Thin: authenticate the Bearer token as the API does, call a service, shape the answer.
Every error is an OperationOutcome; another clinic's resource is 404 like a missing one.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import ApiToken
from ketacare.accounts.services import api_token_access
from ketacare.api.auth import in_clinic_time
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.exchange import services
from ketacare.exchange.capability import capability_statement
from ketacare.exchange.models import ExportJob
from ketacare.exchange.search import SearchError

FHIR_JSON = "application/fhir+json; charset=utf-8"
NDJSON = "application/fhir+ndjson"
RETRY_AFTER_SECONDS = 5


def outcome(status: int, code: str, text: str, expression: str | None = None) -> HttpResponse:
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": text}
    if expression:
        issue["expression"] = [expression]
    body = {"resourceType": "OperationOutcome", "issue": [issue]}
    response = HttpResponse(json.dumps(body), status=status, content_type=FHIR_JSON)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="fhir"'
    return response


def fhir_response(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body), status=status, content_type=FHIR_JSON)


def _authenticate(request: HttpRequest) -> tuple[ClinicAccess, ApiToken] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    found = api_token_access(raw.strip())
    if found is None:
        return None
    access, token = found
    return in_clinic_time(access), token


View = Callable[..., HttpResponse]


def fhir_view(view: View) -> View:
    """Bearer authentication and the mapping of domain errors to OperationOutcomes."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        found = _authenticate(request)
        if found is None:
            return outcome(401, "login", "Send Authorization: Bearer <API token>.")
        access, token = found
        request.auth = access  # type: ignore[attr-defined]  # for the denial audit
        try:
            return view(request, access, token, *args, **kwargs)
        except NotFound:
            return outcome(404, "not-found", "No such resource.")
        except services.ExportGone:
            # Past the manifest's Expires: the files are deleted (FHIR http.html: 410 Gone
            # for deleted content; the IG allows any 4XX for the status and file requests).
            return outcome(410, "deleted", "This export has expired and its files are deleted.")
        except services.ExportInProgress as exc:
            # The IG's kick-off: a server that refuses a new export while one is in
            # progress SHOULD answer 429 with Retry-After.
            response = outcome(
                429,
                "throttled",
                "An export of yours is still in progress: poll it, wait for it, or cancel "
                f"it (DELETE {reverse('fhir:export-status', args=[exc.job.pk])}).",
            )
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        except PermissionDenied as exc:
            return outcome(403, "forbidden", str(exc))
        except SearchError as exc:
            return outcome(400, "invalid", str(exc), exc.parameter)
        except ValidationFailed as exc:
            field, messages = next(iter(exc.errors.items()))
            return outcome(400, "invalid", f"{field}: {' '.join(messages)}", field)

    return wrapped


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:root")).rstrip("/")


def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement is public, as FHIR clients read it before they sign in."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        software = version("ketacare")
    except PackageNotFoundError:
        software = "dev"
    body = capability_statement(
        base_url=_base(request), software_version=software, date=timezone.now().isoformat()
    )
    return fhir_response(body)


@fhir_view
def read(
    request: HttpRequest, access: ClinicAccess, token: ApiToken, resource_type: str, id: str
) -> HttpResponse:
    if request.method != "GET":
        return outcome(405, "not-supported", "This server is read-only.")
    return fhir_response(
        services.fhir_read(access=access, resource_type=resource_type, resource_id=id)
    )


@fhir_view
def search_type(
    request: HttpRequest, access: ClinicAccess, token: ApiToken, resource_type: str
) -> HttpResponse:
    if request.method != "GET":
        return outcome(405, "not-supported", "This server is read-only.")
    params = [(k, v) for k, values in request.GET.lists() for v in values]
    bundle = services.fhir_search(
        access=access,
        resource_type=resource_type,
        params=params,
        base_url=f"{_base(request)}/{resource_type}",
    )
    return fhir_response(bundle)


@fhir_view
def everything(
    request: HttpRequest, access: ClinicAccess, token: ApiToken, id: str
) -> HttpResponse:
    from ketacare.exchange.imports import patient_bundle

    return fhir_response(patient_bundle(access=access, patient_id=id, base_url=_base(request)))


def _kick_off(
    request: HttpRequest, access: ClinicAccess, token: ApiToken, level: str, group: str | None
) -> HttpResponse:
    if request.method != "GET":
        return outcome(405, "not-supported", "Use GET to start an export.")
    if "respond-async" not in request.headers.get("Prefer", ""):
        return outcome(400, "invalid", "Send Prefer: respond-async.", "Prefer")
    params = {k: str(v) for k, v in request.GET.items()}
    job = services.export_kick_off(
        access=access,
        token=token,
        level=level,
        group_id=group,
        params=params,
        request_url=request.build_absolute_uri(),
    )
    response = HttpResponse(status=202)
    response["Content-Location"] = request.build_absolute_uri(
        reverse("fhir:export-status", args=[job.pk])
    )
    return response


@fhir_view
def patient_export(request: HttpRequest, access: ClinicAccess, token: ApiToken) -> HttpResponse:
    return _kick_off(request, access, token, ExportJob.Level.PATIENT, None)


@fhir_view
def group_export(
    request: HttpRequest, access: ClinicAccess, token: ApiToken, group: str
) -> HttpResponse:
    return _kick_off(request, access, token, ExportJob.Level.GROUP, group)


@fhir_view
def export_status(
    request: HttpRequest, access: ClinicAccess, token: ApiToken, job_id: str
) -> HttpResponse:
    if request.method == "DELETE":
        services.export_cancel(access=access, token=token, job_id=job_id)
        return HttpResponse(status=202)
    job = services.export_job_for(access=access, token=token, job_id=job_id)
    if job.status in (ExportJob.Status.ACCEPTED, ExportJob.Status.RUNNING):
        response = HttpResponse(status=202)
        response["X-Progress"] = f"{job.progress}% ({job.get_status_display().lower()})"
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if job.status == ExportJob.Status.FAILED:
        return outcome(500, "exception", job.error or "The export failed.")
    assert job.transaction_time is not None
    manifest = {
        "transactionTime": job.transaction_time.isoformat(),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {
                "type": item["type"],
                "url": request.build_absolute_uri(
                    reverse("fhir:export-file", args=[job.pk, item["type"]])
                ),
                "count": item["count"],
            }
            for item in job.output
        ],
        "deleted": [],
        "error": [],
    }
    response = HttpResponse(json.dumps(manifest), content_type="application/json")
    response["Expires"] = http_date(services.export_expires(job).timestamp())
    return response


@fhir_view
def export_file(
    request: HttpRequest, access: ClinicAccess, token: ApiToken, job_id: str, resource_type: str
) -> HttpResponse:
    data = services.export_file_open(
        access=access, token=token, job_id=job_id, resource_type=resource_type
    )
    return HttpResponse(data, content_type=NDJSON)
