"""/api/v1/patients/{id}/own-view-link: send the patient a link to their own view."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from ketacare.api.auth import access_of
from ketacare.measures import services as links
from ketacare.portal import services

router = Router(tags=["patient view"])


class OwnViewIn(Schema):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["email", "sms", "none"]


class OwnViewOut(Schema):
    id: uuid.UUID
    channel: str
    expires_at: dt.datetime
    url: str  # the link itself: shown once, to hand to the patient when channel is none


@router.post(
    "/patients/{patient_id}/own-view-link",
    response={201: OwnViewOut},
    summary="Send the patient a link to their own view",
)
def own_view_link(request: HttpRequest, patient_id: uuid.UUID, payload: OwnViewIn) -> Any:
    link = services.portal_link_send(
        access=access_of(request),
        patient_id=patient_id,
        channel=payload.channel,
        now=timezone.now(),
    )
    return Status(
        201,
        {
            "id": link.pk,
            "channel": link.channel,
            "expires_at": link.expires_at,
            "url": links.link_url(link),
        },
    )
