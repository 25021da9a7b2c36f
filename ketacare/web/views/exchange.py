"""Exchange pages: Bulk Data export status, referral import, research export."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketacare.accounts.access import ClinicAccess
from ketacare.exchange import services
from ketacare.web.views.access import clinic_view


@clinic_view
def export_list(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    jobs = services.export_job_list(access=access)
    running = any(job.status in ("accepted", "running") for job in jobs)
    template = "web/exchange/export_rows.html" if request.htmx else "web/exchange/exports.html"  # type: ignore[attr-defined]
    return render(request, template, {"access": access, "jobs": jobs, "running": running})
