"""The patient's session guide at /r/<token>/guide/: public, no login, no JavaScript; a
phone layout. Shows the guide as it was sent (preparation or aftercare) and the session
time. Thin: ketacare.guides decides."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ketacare.guides import services
from ketacare.guides.core import KIND_LABELS, Kind
from ketacare.measures import services as links
from ketacare.web.views.selfreport import REFUSED, _clinic_zone, _private
from ketacare.web.views.selfreport import _refused as refused_page

WORDS = {
    **REFUSED,
    "expired": (
        410,
        gettext_lazy("This link has expired"),
        gettext_lazy(
            "This guide is no longer available. Please contact the clinic if you have questions."
        ),
    ),
    "revoked": (
        410,
        gettext_lazy("This link was cancelled"),
        gettext_lazy(
            "This session was cancelled, so this guide no longer applies. Please contact the "
            "clinic if you have questions."
        ),
    ),
}


@_private
def guide_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        send = services.guide_open(token=token)
    except links.LinkRefused as exc:
        return refused_page(request, exc, WORDS)
    kind = Kind(send.kind)
    context = {
        "clinic": send.clinic,
        "send": send,
        "title": _("Before your session") if kind is Kind.PREPARATION else _("After your session"),
        "kind_label": KIND_LABELS[kind],
        "moved": send.session.scheduled_start != send.scheduled_start,
        "paragraphs": [p.strip() for p in send.text.split("\n\n") if p.strip()],
    }
    with _clinic_zone(send.link):
        return render(request, "web/guides/patient.html", context)
