"""Referral pages: the worklist by status, recording a referral from the chart, one
referral with its moves and letters, and the clinic's letter templates."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common.errors import ValidationFailed
from ketacare.patients.selectors import patient_get
from ketacare.referrals import core, selectors, services
from ketacare.referrals.models import Referral
from ketacare.web.feedback import flash_failure
from ketacare.web.views.access import clinic_view
from ketacare.web.views.patients import add_errors


class ReferralForm(forms.ModelForm):
    letter = forms.FileField(
        required=False,
        label="Referral letter (PDF)",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    class Meta:
        model = Referral
        fields = list(services.EDITABLE)
        widgets = {
            "received_on": forms.DateInput(attrs={"type": "date"}),
            "reason": forms.Textarea(attrs={"rows": 3}),
        }


def _referral_url(access: ClinicAccess, referral_id: uuid.UUID) -> HttpResponse:
    return redirect("referral_detail", clinic_slug=access.clinic.slug, referral_id=referral_id)


@clinic_view
def referral_list(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in {s.value for s in core.Status} else ""
    found = services.referrals_open(access=access, status=status)
    tabs = [(s.value, label, found.counts[s.value]) for s, label in core.STATUS_LABELS.items()]
    return render(
        request,
        "web/referrals/list.html",
        {
            "access": access,
            "found": found,
            "status": status,
            "tabs": tabs,
            "today": access.clinic.today(),
        },
    )


@clinic_view
def referral_new(request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID) -> HttpResponse:
    access.require(Permission.REGISTER_PATIENT)
    patient = patient_get(access=access, patient_id=patient_id)
    form = ReferralForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("letter")
        data = {key: form.cleaned_data[key] for key in services.EDITABLE}
        try:
            referral = services.referral_create(
                access=access,
                patient_id=patient.pk,
                data=data,
                now=timezone.now(),
                letter_pdf=upload.read() if upload else None,
            )
        except ValidationFailed as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "Referral recorded.")
            return _referral_url(access, referral.pk)
    return render(
        request, "web/referrals/new.html", {"access": access, "patient": patient, "form": form}
    )


@clinic_view
def referral_detail(
    request: HttpRequest, access: ClinicAccess, referral_id: uuid.UUID
) -> HttpResponse:
    referral = services.referral_open(access=access, referral_id=referral_id)
    deciding = access.can(Permission.ORDER_DOSES)  # accepting and declining: prescribers
    moves = [
        (s.value, core.STATUS_LABELS[s])
        for s in core.Status
        if s in core.NEXT[core.Status(referral.status)] and (deciding or s not in core.DECISIONS)
    ]
    letters = [
        (kind.value, label, services.letter_preview(access=access, referral=referral, kind=kind))
        for kind, label in core.LETTER_LABELS.items()
    ]
    return render(
        request,
        "web/referrals/detail.html",
        {
            "access": access,
            "referral": referral,
            "moves": moves,
            "letters": letters,
            "steps": referral.steps.select_related("by"),
            "sent": referral.letters.select_related("document"),
        },
    )


LABELS = {
    "status": "Status",
    "reason": "Reason",
    "kind": "Letter",
    "referrer_email": "Referrer's e-mail",
}


@require_POST
@clinic_view
def referral_move(
    request: HttpRequest, access: ClinicAccess, referral_id: uuid.UUID
) -> HttpResponse:
    status = request.POST.get("status", "")
    try:
        services.referral_move(
            access=access,
            referral_id=referral_id,
            status=status,
            reason=request.POST.get("reason", ""),
            now=timezone.now(),
        )
    except ValidationFailed as exc:
        flash_failure(request, exc, labels=LABELS)
    else:
        label = core.STATUS_LABELS[core.Status(status)]
        messages.success(request, f"Referral marked {label.lower()}.")
    return _referral_url(access, referral_id)


@require_POST
@clinic_view
def referral_letter(
    request: HttpRequest, access: ClinicAccess, referral_id: uuid.UUID
) -> HttpResponse:
    try:
        letter = services.referral_letter_send(
            access=access,
            referral_id=referral_id,
            kind=request.POST.get("kind", ""),
            now=timezone.now(),
        )
    except ValidationFailed as exc:
        flash_failure(request, exc, labels=LABELS)
    else:
        messages.success(request, f"{letter.get_kind_display()} sent to {letter.document.sent_to}.")
    return _referral_url(access, referral_id)


class TemplateForm(forms.Form):
    subject = forms.CharField(label="Subject", max_length=200)
    body = forms.CharField(label="Letter", widget=forms.Textarea(attrs={"rows": 14}))


@clinic_view
def letter_templates(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    access.require(Permission.MANAGE_PROTOCOLS)
    forms_by_kind = {}
    for kind in core.LetterKind:
        saved = selectors.letter_template(access.clinic, kind)
        posted = request.method == "POST" and request.POST.get("kind") == kind
        form = TemplateForm(
            request.POST if posted else None,
            prefix=kind.value,
            initial={"subject": saved.subject, "body": saved.body},
        )
        if posted and form.is_valid():
            try:
                services.letter_template_save(
                    access=access,
                    kind=kind,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    now=timezone.now(),
                )
            except ValidationFailed as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"{core.LETTER_LABELS[kind]} saved.")
                return redirect("letter_templates", clinic_slug=access.clinic.slug)
        forms_by_kind[kind.value] = (core.LETTER_LABELS[kind], form)
    return render(
        request,
        "web/referrals/templates.html",
        {"access": access, "forms": forms_by_kind, "fields": core.FIELDS},
    )
