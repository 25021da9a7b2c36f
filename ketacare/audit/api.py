from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from ketacare.api.auth import access_of
from ketacare.audit.selectors import AuditFilter, audit_event_count
from ketacare.audit.services import audit_trail_read
from ketacare.common.keyset import keyset_page

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
    next_cursor: str | None = Field(None, description="Pass as `cursor` for older events")
    previous_cursor: str | None = Field(None, description="Pass as `cursor` for newer events")


class AuditQuery(Schema):
    patient_id: uuid.UUID | None = None
    user: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    cursor: str = Field("", description="From next_cursor or previous_cursor; empty: newest")
    page_size: int = Field(100, ge=1, le=500)


@router.get("/events", response=AuditPage, summary="The clinic's audit trail (compliance)")
def audit_events(request: HttpRequest, query: Query[AuditQuery]) -> dict[str, Any]:
    access = access_of(request)
    filters = AuditFilter(
        patient_id=query.patient_id,
        actor_username=query.user,
        action=query.action,
        date_from=query.date_from,
        date_to=query.date_to,
    )
    events = audit_trail_read(access=access, page=query.cursor, filters=filters)
    page = keyset_page(events, key="sequence", size=query.page_size, cursor=query.cursor)
    return {
        "items": page.items,
        "count": audit_event_count(clinic=access.clinic, filters=filters, events=events),
        "next_cursor": page.older,
        "previous_cursor": page.newer,
    }
