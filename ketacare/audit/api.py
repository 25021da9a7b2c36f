from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from ketacare.api.auth import access_of
from ketacare.audit.selectors import AuditFilter
from ketacare.audit.services import audit_trail_read

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    sequence: int
    occurred_at: dt.datetime
    actor_username: str
    patient_id: uuid.UUID | None
    object_type: str
    object_id: str
    action: str
    ip_address: str | None
    request_id: str
    changes: dict[str, Any]
    details: dict[str, Any]
    hash: str


class AuditPage(Schema):
    items: list[AuditEventOut]
    count: int
    page: int
    pages: int


class AuditQuery(Schema):
    patient_id: uuid.UUID | None = None
    user: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    page: int = Field(1, ge=1)


@router.get("/events", response=AuditPage, summary="The clinic's audit trail (compliance)")
def audit_events(request: HttpRequest, query: Query[AuditQuery]) -> dict[str, Any]:
    events = audit_trail_read(
        access=access_of(request),
        page=query.page,
        filters=AuditFilter(
            patient_id=query.patient_id,
            actor_username=query.user,
            action=query.action,
            date_from=query.date_from,
            date_to=query.date_to,
        ),
    )
    page = Paginator(events, 100).get_page(query.page)
    return {
        "items": list(page.object_list),
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
    }
