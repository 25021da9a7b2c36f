"""Staff pages of e-consent: the chart's E-consent tab (send a link, see each consent and
its hashes, countersign, download the PDFs) and the clinic's consent documents (edit, which
makes a new version, and the consent settings). Thin: the consent services decide."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common.errors import ValidationFailed
from ketacare.consent import selectors, services
from ketacare.consent.models import ConsentSettings, EConsent
from ketacare.measures.services import link_url
from ketacare.patients.models import Consent, Patient
from ketacare.patients.selectors import patient_get
from ketacare.web.feedback import flash_failure
from ketacare.web.views.access import clinic_view
from ketacare.web.views.patients import register_tab

SECTION = "econsent"


class SendForm(forms.Form):
    treatment_form = forms.ChoiceField(
        label=gettext_lazy("Form of treatment"), choices=Consent.TreatmentForm.choices
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Send by"),
        choices=[
            ("email", gettext_lazy("Email")),
            ("sms", gettext_lazy("SMS")),
            ("none", gettext_lazy("Show the link on screen only")),
        ],
    )


def _row(econsent: EConsent) -> dict[str, Any]:
    live = econsent.link.revoked_at is None and econsent.status == EConsent.Status.SENT
    return {
        "econsent": econsent,
        "url": link_url(econsent.link) if live else "",
        "verified": services.hashes_verified(econsent),
    }


def econsent_tab(access: ClinicAccess, patient: Patient) -> tuple[str, dict[str, Any]]:
    today = access.clinic.today()
    forms_in_use = sorted(
        {d.treatment_form for d, _v in services.documents_list(access=access) if d.treatment_form}
    )
    verdicts = [
        (
            Consent.TreatmentForm(form).label,
            selectors.treatment_consent_verdict(patient=patient, form=form, today=today),
        )
        for form in forms_in_use
    ]
    return "web/consent/_tab.html", {
        "rows": [_row(e) for e in selectors.econsents_of(patient=patient)],
        "verdicts": verdicts,
        "send_form": SendForm(initial={"channel": "email" if patient.email else "none"}),
        "can_send": access.can(Permission.RECORD_CONSENT) and not patient.is_archived,
        "can_countersign": access.can(Permission.RECORD_CONSENT)
        and access.can(Permission.EDIT_CLINICAL),
        "policy": selectors.policy_of(access.clinic),
    }


register_tab(SECTION, "E-consent", econsent_tab)


def _to_tab(access: ClinicAccess, patient_id: uuid.UUID) -> HttpResponse:
    return redirect(
        "patient_chart_section",
        clinic_slug=access.clinic.slug,
        patient_id=patient_id,
        section=SECTION,
    )


@clinic_view
def econsent_send(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    if request.method != "POST":
        raise Http404("POST only")
    patient_get(access=access, patient_id=patient_id)  # another clinic's patient: 404 first
    form = SendForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(
                request, f"{form.fields[field].label}: {' '.join(str(e) for e in errors)}"
            )
        return _to_tab(access, patient_id)
    try:
        services.consent_send(
            access=access,
            patient_id=patient_id,
            treatment_form=form.cleaned_data["treatment_form"],
            channel=form.cleaned_data["channel"],
        )
    except ValidationFailed as exc:
        flash_failure(request, exc, form)
    else:
        messages.success(request, _("Consent link sent."))
    return _to_tab(access, patient_id)


@clinic_view
def econsent_countersign(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, econsent_id: uuid.UUID
) -> HttpResponse:
    if request.method != "POST":
        raise Http404("POST only")
    try:
        services.consent_countersign(access=access, patient_id=patient_id, econsent_id=econsent_id)
    except ValidationFailed as exc:
        flash_failure(request, exc, labels={"econsent": _("Countersignature")})
    else:
        messages.success(request, _("Consent countersigned."))
    return _to_tab(access, patient_id)


@clinic_view
def econsent_pdf(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, econsent_id: uuid.UUID
) -> HttpResponse:
    countersigned = request.GET.get("countersigned") == "1"
    econsent, data = services.consent_pdf(
        access=access, patient_id=patient_id, econsent_id=econsent_id, countersigned=countersigned
    )
    response = HttpResponse(data, content_type="application/pdf")
    kind = "countersigned" if countersigned else "signed"
    response["Content-Disposition"] = f'inline; filename="consent-{kind}-{econsent.pk}.pdf"'
    return response


# --- the clinic's documents and settings ----------------------------------------------------


class SettingsForm(forms.ModelForm):
    class Meta:
        model = ConsentSettings
        fields = ["valid_months", "new_version_supersedes", "countersign_required"]


class DocumentForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text=gettext_lazy(
            'Paragraphs are separated by a blank line; a line starting "## " is a heading; '
            'lines starting "- " make a list.'
        ),
    )
    sources = forms.CharField(
        label=gettext_lazy("Sources (one a line, shown to staff)"),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    questions = forms.CharField(
        label=gettext_lazy("Understanding check (JSON)"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=gettext_lazy(
            'A list of {"text", "options", "correct" (the right option\'s number from 0), '
            '"explanation"}.'
        ),
    )
    change_note = forms.CharField(label=gettext_lazy("What changed"), max_length=300)


def _can_manage(access: ClinicAccess) -> bool:
    return access.can(Permission.MANAGE_PROTOCOLS)


@clinic_view
def consent_documents(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    documents = services.documents_list(access=access)
    settings_form = SettingsForm(
        request.POST or None, instance=selectors.consent_settings_for(access.clinic)
    )
    if request.method == "POST":
        access.require(Permission.MANAGE_PROTOCOLS)
        if settings_form.is_valid():
            try:
                services.settings_update(access=access, **settings_form.cleaned_data)
            except ValidationFailed as exc:
                flash_failure(request, exc, settings_form)
            else:
                messages.success(request, _("Consent settings saved."))
                return redirect("consent_documents", clinic_slug=access.clinic.slug)
    return render(
        request,
        "web/consent/documents.html",
        {
            "access": access,
            "documents": documents,
            "settings_form": settings_form,
            "can_manage": _can_manage(access),
        },
        status=422 if request.method == "POST" else 200,
    )


@clinic_view
def consent_document_edit(
    request: HttpRequest, access: ClinicAccess, document_id: uuid.UUID
) -> HttpResponse:
    document = selectors.document_get(access=access, document_id=document_id)
    versions = list(document.versions.order_by("-number").select_related("created_by"))
    latest = versions[0]
    initial = {
        "title": latest.title,
        "body": latest.body,
        "sources": "\n".join(latest.sources),
        "questions": json.dumps(latest.questions, indent=2, ensure_ascii=False),
    }
    form = DocumentForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        access.require(Permission.MANAGE_PROTOCOLS)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                questions = json.loads(data["questions"])
                if not isinstance(questions, list) or not all(
                    isinstance(q, dict) for q in questions
                ):
                    raise ValueError
            except ValueError:
                form.add_error("questions", _("Write the questions as a JSON list of objects."))
            else:
                try:
                    version = services.document_edit(
                        access=access,
                        document_id=document.pk,
                        title=data["title"],
                        body=data["body"],
                        sources=data["sources"].splitlines(),
                        questions=questions,
                        change_note=data["change_note"],
                    )
                except ValidationFailed as exc:
                    flash_failure(request, exc, form)
                else:
                    messages.success(
                        request, _("Saved as version %(number)s.") % {"number": version.number}
                    )
                    return redirect(
                        "consent_document_edit",
                        clinic_slug=access.clinic.slug,
                        document_id=document.pk,
                    )
    return render(
        request,
        "web/consent/document.html",
        {
            "access": access,
            "document": document,
            "versions": versions,
            "latest": latest,
            "form": form,
            "can_manage": _can_manage(access),
        },
        status=status,
    )
