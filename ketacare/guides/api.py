"""Guide endpoints: what was sent for a session, and sending a guide now."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from ketacare.api.auth import access_of
from ketacare.guides import services
from ketacare.guides.models import GuideSend
from ketacare.measures.services import link_url

router = Router(tags=["guides"])


class GuideSendOut(Schema):
    id: uuid.UUID
    kind: str
    kind_label: str
    family: str
    scheduled_start: dt.datetime
    sent_at: dt.datetime
    sent_by: str | None
    channel: str
    text: str
    language: str  # of the text: the patient's preferred language, or "en" on fallback
    fallback: bool  # in English: the clinic has no protocol text in the patient's language
    url: str | None = None  # only when just sent (the link is a bearer secret)


class SessionGuidesOut(Schema):
    family: str | None
    sends: list[GuideSendOut]
    preparation_due_at: dt.datetime | None
    aftercare_due_at: dt.datetime | None


def _send(send: GuideSend, *, url: bool = False) -> dict[str, Any]:
    return {
        "id": send.pk,
        "kind": send.kind,
        "kind_label": send.get_kind_display(),
        "family": send.family,
        "scheduled_start": send.scheduled_start,
        "sent_at": send.sent_at,
        "sent_by": str(send.sent_by) if send.sent_by else None,
        "channel": send.link.channel,
        "text": send.text,
        "language": send.language,
        "fallback": send.fallback,
        "url": link_url(send.link) if url else None,
    }


@router.get(
    "/patients/{patient_id}/sessions/{session_id}/guides",
    response=SessionGuidesOut,
    summary="A session's preparation and aftercare guides: sent, and when due (audited)",
)
def session_guides(request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID) -> Any:
    found = services.session_guides_view(
        access=access_of(request), patient_id=patient_id, session_id=session_id
    )
    return {
        "family": found.family.value if found.family else None,
        "sends": [_send(s) for s in found.sends],
        "preparation_due_at": found.due["preparation"],
        "aftercare_due_at": found.due["aftercare"],
    }


class GuideSendIn(Schema):
    model_config = ConfigDict(extra="forbid")
    kind: str
    channel: str | None = None


@router.post(
    "/patients/{patient_id}/sessions/{session_id}/guides",
    response={201: GuideSendOut},
    summary="Send the patient a session's preparation or aftercare guide now",
)
def guide_send(
    request: HttpRequest, patient_id: uuid.UUID, session_id: uuid.UUID, payload: GuideSendIn
) -> Any:
    send = services.guide_send_now(
        access=access_of(request), patient_id=patient_id, session_id=session_id, **payload.dict()
    )
    return Status(201, _send(send, url=True))
