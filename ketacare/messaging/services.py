"""Queue messages inside the caller's transaction; deliver them after it commits, retrying
with backoff; show administrators what could not be delivered."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import uuid

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, User
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.messaging import sms
from ketacare.messaging.delivery import DeliveryError, PermanentDeliveryError, next_attempt
from ketacare.messaging.models import OutboundMessage

log = logging.getLogger(__name__)

ESCALATION = "alert_escalation"
UNDELIVERED = [OutboundMessage.Status.RETRYING, OutboundMessage.Status.FAILED]


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


def _send(message: OutboundMessage) -> str | None:
    """Hand the message to its channel; answer the provider's id if it gives one."""
    if message.channel == OutboundMessage.Channel.EMAIL:
        try:
            if message.attachments:
                _send_with_attachments(message)
            else:
                send_mail(message.subject or "KetaCare", message.body, None, [message.to])
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
            raise PermanentDeliveryError(f"mail server refused ({type(exc).__name__})") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentDeliveryError("mail server refused the credentials") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"mail server unavailable ({type(exc).__name__})") from exc
        return None
    to = sms.normalise_number(message.to)
    return sms.get_backend().send(to=to, body=message.body)


def message_deliver(*, message_id: uuid.UUID | str) -> OutboundMessage:
    """Send one queued (or due-for-retry) message. A failure is recorded on the message,
    not raised: retried with backoff up to KETACARE_DELIVERY_ATTEMPTS, then failed."""
    now = timezone.now()
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message_id)
        if message.status not in (OutboundMessage.Status.QUEUED, OutboundMessage.Status.RETRYING):
            return message
        if message.next_attempt_at and message.next_attempt_at > now:
            return message  # a retry not yet due
        message.attempts += 1
        message.last_attempt_at = now
        try:
            provider_id = _send(message)
        except Exception as exc:  # a provider outage must not lose the record
            permanent = isinstance(exc, PermanentDeliveryError)
            reason = exc.reason if isinstance(exc, DeliveryError) else type(exc).__name__
            log.warning("Delivery of message %s failed: %s", message.pk, reason)
            message.error = reason[:300]
            message.next_attempt_at = next_attempt(
                attempt=message.attempts,
                max_attempts=settings.KETACARE_DELIVERY_ATTEMPTS,
                permanent=permanent,
                now=now,
                base_seconds=settings.KETACARE_DELIVERY_RETRY_SECONDS,
            )
            message.status = (
                OutboundMessage.Status.RETRYING
                if message.next_attempt_at
                else OutboundMessage.Status.FAILED
            )
        else:
            message.status, message.sent_at = OutboundMessage.Status.SENT, now
            message.provider_id, message.error, message.next_attempt_at = (
                provider_id or "",
                "",
                None,
            )
        message.save(
            update_fields=[
                "status",
                "error",
                "sent_at",
                "attempts",
                "last_attempt_at",
                "next_attempt_at",
                "provider_id",
            ]
        )
    return message


def messages_retry_due(*, now: dt.datetime) -> int:
    """Enqueue the delivery of every message whose retry is due (run by the tick)."""
    from ketacare.messaging.tasks import deliver_message

    due = list(
        OutboundMessage.objects.filter(
            status=OutboundMessage.Status.RETRYING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)
    )
    for message_id in due:
        deliver_message.enqueue(str(message_id))
    return len(due)


# --- what administrators see ---


def undelivered_escalations(*, clinic: Clinic) -> list[OutboundMessage]:
    """Escalations of safety alerts that have not reached their recipient (retrying or
    failed) and that no administrator has dismissed: the clinic-wide banner."""
    return list(
        OutboundMessage.objects.filter(
            clinic=clinic,
            purpose=ESCALATION,
            status__in=UNDELIVERED,
            failure_dismissed_at__isnull=True,
        )
        .select_related("recipient_user")
        .order_by("created_at")
    )


@transaction.atomic
def failed_deliveries_list(*, access: ClinicAccess) -> list[OutboundMessage]:
    """The clinic's messages that failed (or are being retried) and not dismissed. They
    show recipients' contact details, so opening the list is audited."""
    access.require(Permission.MANAGE_STAFF)
    rows = list(
        OutboundMessage.objects.filter(
            clinic=access.clinic, status__in=UNDELIVERED, failure_dismissed_at__isnull=True
        )
        .select_related("recipient_user")
        .order_by("-created_at")[:500]
    )
    audit_as(
        access,
        action=Action.VIEW,
        object_type="failed_deliveries",
        details={
            "patient_ids": sorted({str(m.patient_id) for m in rows if m.patient_id}),
            "shown": len(rows),
        },
    )
    return rows


@transaction.atomic
def message_failure_dismiss(*, access: ClinicAccess, message_id: uuid.UUID) -> OutboundMessage:
    """An administrator has dealt with a failed delivery: it leaves the list and banner.
    Another clinic's message is not found, whoever asks (then the permission check)."""
    message = (
        OutboundMessage.objects.select_for_update()
        .filter(clinic=access.clinic, pk=message_id)
        .first()
    )
    if message is None:
        raise NotFound("message")
    access.require(Permission.MANAGE_STAFF)
    if message.status != OutboundMessage.Status.FAILED or message.failure_dismissed_at:
        raise ValidationFailed.single("message", "Only a failed delivery can be dismissed.")
    message.failure_dismissed_at = timezone.now()
    message.failure_dismissed_by = access.user
    message.save(update_fields=["failure_dismissed_at", "failure_dismissed_by"])
    audit_as(
        access,
        action=Action.ACKNOWLEDGE,
        object_type="outboundmessage",
        object_id=message.pk,
        patient_id=message.patient_id,
        changes={"failure_dismissed_at": [None, message.failure_dismissed_at]},
    )
    return message
