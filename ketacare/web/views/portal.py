"""The patient's own view at /r/<token>/me/: public, no login, read-only. Upcoming
sessions, their scores as a simple chart with plain-language bands, and the consent forms
they signed; crisis resources at the top of every page. Thin: ketacare.portal decides."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ketacare.accounts.access import ClinicAccess
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.measures import services as measures
from ketacare.portal import services
from ketacare.web.feedback import flash_failure
from ketacare.web.views.access import clinic_view
from ketacare.web.views.selfreport import _clinic_zone, _private, _refused


@require_GET
@_private
def portal(request: HttpRequest, token: str) -> HttpResponse:
    try:
        view = services.portal_open(token=token, now=timezone.now())
    except measures.LinkRefused as exc:
        return _refused(request, exc)
    context = {
        "view": view,
        "token": token,
        "clinic": view.link.clinic,
        "crisis_text": measures.crisis_text_for(view.link.clinic),
    }
    with _clinic_zone(view.link):
        return render(request, "web/portal/home.html", context)


@require_GET
@_private
def portal_consent_pdf(request: HttpRequest, token: str, econsent_id: uuid.UUID) -> HttpResponse:
    try:
        econsent, data = services.portal_consent_pdf(
            token=token, econsent_id=econsent_id, now=timezone.now()
        )
    except measures.LinkRefused as exc:
        return _refused(request, exc)
    except NotFound:
        return HttpResponse(status=404)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="consent-{econsent.pk}.pdf"'
    return response


@require_POST
@clinic_view
def portal_link_send(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    """From the Measures tab: send the patient a link to their own page."""
    try:
        link = services.portal_link_send(
            access=access,
            patient_id=patient_id,
            channel=request.POST.get("channel", ""),
            now=timezone.now(),
        )
    except ValidationFailed as exc:
        flash_failure(request, exc, labels={"channel": "Send by", "patient": "Patient"})
        return redirect("patient_measures", clinic_slug=access.clinic.slug, patient_id=patient_id)
    sent = {"email": "emailed", "sms": "sent by SMS"}.get(link.channel)
    messages.success(
        request,
        f"The patient's page was {sent} to them." if sent else "Link created: copy it below.",
    )
    url = reverse("patient_measures", args=[access.clinic.slug, patient_id])
    return redirect(f"{url}?created={link.pk}#new-link")
