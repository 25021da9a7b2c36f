"""Failed deliveries: the messages (e-mail, SMS) that did not reach their recipient, for
the clinic's administrators."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketacare.accounts.access import ClinicAccess
from ketacare.common.errors import ValidationFailed
from ketacare.messaging import services
from ketacare.web.views.access import clinic_view


@clinic_view
def failed_deliveries(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    rows = services.failed_deliveries_list(access=access)
    return render(request, "web/deliveries.html", {"access": access, "rows": rows})


@clinic_view
@require_POST
def failed_delivery_dismiss(
    request: HttpRequest, access: ClinicAccess, message_id: uuid.UUID
) -> HttpResponse:
    try:
        services.message_failure_dismiss(access=access, message_id=message_id)
    except ValidationFailed as exc:
        for problems in exc.errors.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.success(request, "Failed delivery dismissed.")
    return redirect("failed_deliveries", clinic_slug=access.clinic.slug)
