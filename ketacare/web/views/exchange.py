"""Exchange pages: Bulk Data export status, referral import, research export."""

from __future__ import annotations

import io
import uuid
import zipfile

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common.errors import ValidationFailed
from ketacare.exchange import letters, research, services
from ketacare.exchange.api import parse_upload
from ketacare.exchange.imports import ImportResult, referral_import
from ketacare.exchange.referral import CSV_COLUMNS
from ketacare.patients.selectors import patient_get
from ketacare.referrals.selectors import referrals_of_patient
from ketacare.web.feedback import flash_failure
from ketacare.web.views.access import clinic_view
from ketacare.web.views.patients import add_errors


@clinic_view
def export_list(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    jobs = services.export_job_list(access=access)
    running = any(job.status in ("accepted", "running") for job in jobs)
    template = "web/exchange/export_rows.html" if request.htmx else "web/exchange/exports.html"  # type: ignore[attr-defined]
    return render(request, template, {"access": access, "jobs": jobs, "running": running})


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Referral file",
        help_text="A FHIR Bundle (.json) or a CSV of patients in the documented format.",
    )


PENDING_KEY = "referral_upload"


def _pending_name(access: ClinicAccess) -> str:
    return f"imports/{access.clinic.pk}/{uuid.uuid4().hex}"


@clinic_view
def referral_import_page(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    """Upload -> dry run shown -> confirm. The file waits in storage between the two."""
    access.require(Permission.REGISTER_PATIENT)
    form = UploadForm()
    result = None
    pending = request.session.get(PENDING_KEY)
    if request.method == "POST" and request.POST.get("action") == "confirm" and pending:
        if not pending.startswith(f"imports/{access.clinic.pk}/"):
            raise Http404("Not found")
        with default_storage.open(pending, "rb") as handle:
            content = handle.read()
        result = _run(access, content, request.session.get(PENDING_KEY + "_type", ""), confirm=True)
        if result is not None and result.imported:
            default_storage.delete(pending)
            request.session.pop(PENDING_KEY, None)
    elif request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read()
            content_type = (
                "text/csv" if upload.name.lower().endswith(".csv") else "application/json"
            )
            result = _run(access, content, content_type, confirm=False, form=form)
            if result is not None:
                name = default_storage.save(_pending_name(access), ContentFile(content))
                if pending and pending.startswith(f"imports/{access.clinic.pk}/"):
                    default_storage.delete(pending)
                request.session[PENDING_KEY] = name
                request.session[PENDING_KEY + "_type"] = content_type
    return render(
        request,
        "web/exchange/import.html",
        {"access": access, "form": form, "result": result, "csv_columns": CSV_COLUMNS},
    )


def _run(
    access: ClinicAccess,
    content: bytes,
    content_type: str,
    *,
    confirm: bool,
    form: forms.Form | None = None,
) -> ImportResult | None:
    try:
        parsed, source = parse_upload(content, content_type, clinic_slug=access.clinic.slug)
    except ValidationFailed as exc:
        if form is not None:
            add_errors(form, exc)
        return None
    return referral_import(access=access, parsed=parsed, source=source, confirm=confirm)


@clinic_view
def patient_letters(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    """Letters on the chart: referral letters received, reports sent to the referrer."""
    patient = patient_get(access=access, patient_id=patient_id)
    if request.method == "POST":
        try:
            letters.report_letter_send(
                access=access,
                patient_id=patient.pk,
                now=timezone.now(),
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationFailed as exc:
            flash_failure(
                request, exc, labels={"referring_clinician_email": "Referring clinician e-mail"}
            )
        else:
            messages.success(
                request, f"The course report was sent to {patient.referring_clinician_email}."
            )
        return redirect("patient_letters", clinic_slug=access.clinic.slug, patient_id=patient.pk)
    documents = letters.chart_documents(access=access, patient_id=patient.pk)
    return render(
        request,
        "web/exchange/letters.html",
        {
            "access": access,
            "patient": patient,
            "documents": documents,
            "referrals": referrals_of_patient(access=access, patient_id=patient.pk),
        },
    )


@clinic_view
def patient_letter_file(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, document_id: uuid.UUID
) -> HttpResponse:
    document, data = letters.chart_document_open(
        access=access, patient_id=patient_id, document_id=document_id
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="letter-{document.pk}.pdf"'
    return response


@clinic_view
def research_export_page(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    """For researchers and compliance officers: what the export holds, and the download."""
    research.require_research_access(access)
    if request.method == "POST":
        export = research.research_export(access=access, today=access.clinic.today())
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in export.files.items():
                archive.writestr(name, content)
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="research-export.zip"'
        return response
    k = settings.KETACARE_SMALL_CELL_MIN
    consented = len(research.consented_patients(access.clinic))
    return render(
        request,
        "web/exchange/research.html",
        {
            "access": access,
            # A researcher sees no count under k (the small-cell rule of the dashboard).
            "consented": consented if consented >= k else f"Fewer than {k}",
            "k": k,
            "dictionary": research.DICTIONARY,
            "past": research.past_exports(access),
        },
    )
