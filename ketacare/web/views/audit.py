"""The compliance officer's audit trail page, with CSV export."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.models import AuditEvent
from ketacare.audit.selectors import AuditFilter, audit_event_count
from ketacare.audit.services import audit_trail_read
from ketacare.common.errors import ValidationFailed
from ketacare.common.http import csv_stream
from ketacare.common.keyset import keyset_page
from ketacare.patients.models import Patient
from ketacare.web.forms import AuditFilterForm
from ketacare.web.views.access import clinic_view

CSV_COLUMNS = [
    "sequence",
    "occurred_at",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "ip_address",
    "request_id",
    "changes",
    "details",
    "hash",
]


def _filters(access: ClinicAccess, form: AuditFilterForm) -> AuditFilter:
    data = form.cleaned_data if form.is_valid() else {}
    patient_id = None
    if mrn := data.get("patient_mrn"):
        patient_id = (
            Patient.objects.filter(clinic=access.clinic, mrn__iexact=mrn.strip())
            .values_list("id", flat=True)
            .first()
        )
        if patient_id is None:
            form.add_error("patient_mrn", "No patient with this MRN in this clinic.")
    return AuditFilter(
        patient_id=patient_id,
        actor_username=data.get("user", "").strip(),
        action=data.get("action", ""),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )


@clinic_view
def audit_list(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    access.require(Permission.VIEW_AUDIT)
    form = AuditFilterForm(request.GET or None)
    filters = _filters(access, form)
    export = request.GET.get("format") == "csv"
    cursor = request.GET.get("cursor", "")
    events = audit_trail_read(access=access, filters=filters, page=cursor, export=export)
    if form.errors:
        events = events.none()
    if export:
        return _csv(access, events)
    try:
        page = keyset_page(events, key="sequence", size=50, cursor=cursor)
    except ValidationFailed:  # a stale or edited link: the newest page instead
        page = keyset_page(events, key="sequence", size=50, cursor=None)
    query = request.GET.copy()
    query.pop("cursor", None)
    count = 0
    if not form.errors:
        count = audit_event_count(clinic=access.clinic, filters=filters, events=events)
    return render(
        request,
        "web/audit/list.html",
        {"access": access, "form": form, "page": page, "count": count, "query": query.urlencode()},
    )


def _csv(access: ClinicAccess, events: QuerySet[AuditEvent]) -> HttpResponse:
    def rows() -> Iterator[Sequence[object]]:
        yield CSV_COLUMNS
        for event in events.iterator(chunk_size=2000):
            yield [_cell(event, c) for c in CSV_COLUMNS]

    # Streamed: the export can be large.
    return csv_stream(f"audit-{access.clinic.slug}.csv", rows())  # type: ignore[return-value]


def _cell(event: AuditEvent, column: str) -> object:
    value = getattr(event, column)
    if column in ("changes", "details"):
        return json.dumps(value, sort_keys=True)
    if column == "occurred_at":
        return value.isoformat()
    return "" if value is None else value
