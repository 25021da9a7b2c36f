from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission, Role
from ketacare.web.views.access import clinic_view


@clinic_view
def clinic_home(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    """Each role's landing page within a clinic: compliance officers review the audit
    trail, the care team starts on its dashboard (open safety alerts first), and the
    front desk on the patient list."""
    if access.role == Role.COMPLIANCE and access.can(Permission.VIEW_AUDIT):
        return redirect("audit_list", clinic_slug=access.clinic.slug)
    if access.can(Permission.VIEW_CHART):
        return redirect("dashboard", clinic_slug=access.clinic.slug)
    if access.can(Permission.VIEW_REGISTRY):
        return redirect("patient_list", clinic_slug=access.clinic.slug)
    if access.can(Permission.VIEW_AUDIT):
        return redirect("audit_list", clinic_slug=access.clinic.slug)
    return render(request, "web/clinic_home.html", {"access": access})
