"""The care team's dashboard: open safety alerts first, then links awaiting answers,
then the latest scores."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.measures import INSTRUMENTS
from ketacare.measures.services import dashboard_open
from ketacare.web.views.access import clinic_view
from ketacare.web.views.measures import AcknowledgeForm, labelled_alerts

RECENT_SCORES = 20
AWAITING_LINKS = 50


@clinic_view
def dashboard(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    now = timezone.now()
    board = dashboard_open(access=access, now=now, recent=RECENT_SCORES, awaiting=AWAITING_LINKS)
    alerts, links, scores = labelled_alerts(board.alerts), board.links, board.scores
    for row in scores:
        instrument = INSTRUMENTS.get(row.instrument)
        row.instrument_name = instrument.name if instrument else row.instrument  # type: ignore[attr-defined]
    return render(
        request,
        "web/dashboard.html",
        {
            "access": access,
            "now": now,
            "alerts": alerts,
            "links": links,
            "scores": scores,
            "can_acknowledge": access.can(Permission.ACKNOWLEDGE_ALERTS),
            "ack_form": AcknowledgeForm(),
            "here": reverse("dashboard", kwargs={"clinic_slug": access.clinic.slug}),
        },
    )
