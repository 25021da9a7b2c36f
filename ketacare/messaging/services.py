"""Queue messages inside the caller's transaction; deliver them after it commits."""

from __future__ import annotations

import logging
import uuid

from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import Clinic, User
from ketacare.messaging import sms
from ketacare.messaging.models import OutboundMessage

log = logging.getLogger(__name__)


def message_queue(
    *,
    clinic: Clinic,
    channel: str,
    to: str,
    body: str,
    purpose: str,
    subject: str = "",
    patient_id: uuid.UUID | None = None,
    recipient_user: User | None = None,
    attachments: list[dict[str, str]] | None = None,
) -> OutboundMessage:
    message = OutboundMessage.objects.create(
        attachments=attachments or [],
        clinic=clinic,
        channel=channel,
        to=to,
        body=body,
        subject=subject,
        purpose=purpose,
        patient_id=patient_id,
        recipient_user=recipient_user,
    )
    transaction.on_commit(lambda: _enqueue_delivery(message.pk))
    return message


def _enqueue_delivery(message_id: uuid.UUID) -> None:
    from ketacare.messaging.tasks import deliver_message

    deliver_message.enqueue(str(message_id))


def _send_with_attachments(message: OutboundMessage) -> None:
    email = EmailMessage(message.subject or "KetaCare", message.body, None, [message.to])
    for item in message.attachments:
        with default_storage.open(item["path"], "rb") as handle:
            email.attach(item["filename"], handle.read(), item["content_type"])
    email.send()


def message_deliver(*, message_id: uuid.UUID | str) -> OutboundMessage:
    """Send one queued message. A failure is recorded on the message, not raised."""
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message_id)
        if message.status != OutboundMessage.Status.QUEUED:
            return message
        try:
            if message.channel == OutboundMessage.Channel.EMAIL and message.attachments:
                _send_with_attachments(message)
            elif message.channel == OutboundMessage.Channel.EMAIL:
                send_mail(message.subject or "KetaCare", message.body, None, [message.to])
            else:
                sms.get_backend().send(to=message.to, body=message.body)
        except Exception as exc:  # a provider outage must not lose the record
            log.warning("Delivery of message %s failed: %s", message.pk, type(exc).__name__)
            message.status, message.error = OutboundMessage.Status.FAILED, type(exc).__name__
        else:
            message.status, message.sent_at = OutboundMessage.Status.SENT, timezone.now()
        message.save(update_fields=["status", "error", "sent_at"])
    return message
