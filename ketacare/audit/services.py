"""The only writer of audit events. Call it inside the transaction of the change."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, User
from ketacare.accounts.policy import Permission
from ketacare.audit import anchors, chain, head
from ketacare.audit.models import AuditEvent
from ketacare.audit.selectors import AuditFilter, audit_event_list
from ketacare.common import context
from ketacare.patients.models import Patient


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    ARCHIVE = "archive"
    VIEW = "view"
    SEARCH = "search"
    EXPORT = "export"
    REVOKE = "revoke"
    ACKNOWLEDGE = "acknowledge"
    ESCALATE = "escalate"
    REMIND = "remind"
    MERGE = "merge"  # a duplicate patient record merged into another (issue 19)
    UNMERGE = "unmerge"
    # Staff accounts and sign-in (issue 13).
    DENY = "deny"
    SET_PASSWORD = "set_password"  # noqa: S105 - an action name, not a password
    ENROL_MFA = "enrol_mfa"
    RESET_MFA = "reset_mfa"
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    LOCKOUT = "lockout"
    SIGN_OUT = "sign_out"


def audit_record(
    *,
    actor: User | None,
    clinic: Clinic,
    action: str,
    object_type: str,
    object_id: Any = "",
    patient_id: uuid.UUID | None = None,
    changes: Mapping[str, list[Any]] | None = None,
    details: Mapping[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one event to the clinic's chain. actor_label names a non-staff actor
    (e.g. "patient" for a self-report link); staff are named by their username."""
    if not transaction.get_connection().in_atomic_block:
        # An audit row outside the change's transaction could survive a rollback
        # of the change, or be lost while the change commits.
        raise RuntimeError("audit_record must run inside the transaction of the change")
    ctx = context.current()
    event = AuditEvent(
        clinic=clinic,
        occurred_at=timezone.now(),
        actor=actor,
        actor_username=actor.get_username() if actor else (actor_label or "system"),
        patient_id=patient_id,
        object_type=object_type,
        object_id=str(object_id),
        action=action,
        ip_address=ctx.ip_address,
        request_id=ctx.request_id,
        changes=chain.jsonable(dict(changes or {})),
        details=chain.jsonable(dict(details or {})),
    )
    # The head this connection wrote last is tried first; if it moved, the committed
    # head is read under a lock (head.py explains why).
    guess = head.remembered(clinic)
    if guess is None or not _link(event, guess):
        current = head.locked(clinic)
        if not _link(event, current):
            raise RuntimeError("the locked audit chain head moved")
    event.save()
    # Sealed only once committed: a rolled-back event must never be anchored.
    sealed = anchors.anchor_head(clinic.pk, event.sequence, event.hash)
    transaction.on_commit(lambda: anchors.append_after_commit(sealed))
    return event


def audit_as(
    access: ClinicAccess,
    *,
    action: str,
    object_type: str,
    object_id: Any = "",
    patient_id: uuid.UUID | None = None,
    changes: Mapping[str, list[Any]] | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """audit_record for a user acting in a clinic: the common case of every service."""
    return audit_record(
        actor=access.user,
        clinic=access.clinic,
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        changes=changes,
        details=details,
    )


@transaction.atomic
def audit_trail_read(
    *,
    access: ClinicAccess,
    filters: AuditFilter,
    page: int | str | None = None,
    export: bool = False,
) -> QuerySet[AuditEvent]:
    """The clinic's trail for a compliance officer. Reading the trail is itself audited:
    who looked, with which filters, which page or an export."""
    access.require(Permission.VIEW_AUDIT)
    # Filed under the patient only if the patient is this clinic's: an id from another
    # clinic must not end up in this trail as if it were one of ours.
    ours = (
        filters.patient_id is not None
        and Patient.objects.filter(clinic=access.clinic, pk=filters.patient_id).exists()
    )
    audit_as(
        access,
        action=Action.EXPORT if export else Action.VIEW,
        object_type="audit_trail",
        patient_id=filters.patient_id if ours else None,
        details={
            "format": "csv" if export else "page",
            "page": None if export else str(page or "first"),
            "user": filters.actor_username,
            "action": filters.action,
            "date_from": filters.date_from,
            "date_to": filters.date_to,
        },
    )
    return audit_event_list(clinic=access.clinic, filters=filters)


def _link(event: AuditEvent, after: head.Head) -> bool:
    """Chain the event after `after` and move the head onto it, if it is still there."""
    event.sequence, event.prev_hash = after.sequence + 1, after.last_hash
    event.hash = chain.event_hash(event.prev_hash, event.chain_payload())
    return head.advance(after, event.sequence, event.hash)
