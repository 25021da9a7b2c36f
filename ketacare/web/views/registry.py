"""Merging a duplicate patient record into the kept one, and undoing it. Thin: the
service (ketacare.patients.merge) moves, checks and audits."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common.errors import ValidationFailed
from ketacare.common.http import HtmxHttpRequest
from ketacare.patients import merge, services
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get
from ketacare.web.feedback import flash_failure
from ketacare.web.forms import ReasonForm
from ketacare.web.views.access import clinic_view
from ketacare.web.views.patients import add_errors


class MergeForm(forms.Form):
    kept_mrn = forms.CharField(label="MRN of the record to keep", max_length=32)
    reason = forms.CharField(
        label="Why these records are the same person", max_length=300, required=False
    )


def _kept_by_mrn(access: ClinicAccess, mrn: str) -> Patient | None:
    return Patient.objects.filter(clinic=access.clinic, mrn=mrn.strip()).first()


@clinic_view
def patient_merge(
    request: HtmxHttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    """Choose the record to keep (by MRN), see both side by side with what will move, and
    confirm with a reason."""
    access.require(Permission.MERGE_PATIENTS)
    patient_get(access=access, patient_id=patient_id)  # another clinic's patient: 404
    data = request.POST if request.method == "POST" else request.GET
    form = MergeForm(data if "kept_mrn" in data else None)
    preview = None
    if form.is_valid():
        kept = _kept_by_mrn(access, form.cleaned_data["kept_mrn"])
        if kept is None:
            form.add_error("kept_mrn", "No patient with this MRN in this clinic.")
        else:
            if request.method == "POST":
                try:
                    done = merge.patient_merge(
                        access=access,
                        patient_id=patient_id,
                        kept_id=kept.pk,
                        reason=form.cleaned_data["reason"],
                    )
                except ValidationFailed as exc:
                    # The service names the kept record by id; the form asked for its MRN.
                    renamed = {
                        ("kept_mrn" if f == "kept_id" else f): m for f, m in exc.errors.items()
                    }
                    add_errors(form, ValidationFailed(renamed))
                else:
                    messages.success(
                        request,
                        f"Merged {done.merged.mrn} into this record: "
                        f"{done.moved_count} entries moved.",
                    )
                    return redirect(
                        "patient_chart", clinic_slug=access.clinic.slug, patient_id=kept.pk
                    )
            # Both records are shown in full: each is an audited view.
            services.patient_view(access=access, patient_id=kept.pk)
            preview = merge.patient_merge_preview(
                access=access, patient_id=patient_id, kept_id=kept.pk
            )
    patient = services.patient_view(access=access, patient_id=patient_id)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "web/patients/merge.html",
        {"access": access, "patient": patient, "form": form, "preview": preview},
        status=status if form.errors else 200,
    )


@clinic_view
def merge_undo(request: HtmxHttpRequest, access: ClinicAccess, merge_id: uuid.UUID) -> HttpResponse:
    done = merge.merge_get(access=access, merge_id=merge_id)  # another clinic's: 404
    access.require(Permission.MERGE_PATIENTS)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            merge.patient_merge_undo(
                access=access, merge_id=merge_id, reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as exc:
            flash_failure(request, exc)
        else:
            messages.success(
                request, f"Merge undone: the entries it moved are back on {done.merged.mrn}."
            )
    elif request.method == "POST":
        messages.error(request, "Reason: say why the merge is undone.")
    return redirect("patient_chart", clinic_slug=access.clinic.slug, patient_id=done.merged_id)
