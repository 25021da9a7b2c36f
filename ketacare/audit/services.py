"""The only writer of audit events. Call it inside the transaction of the change."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
from ketacare.common.statements import insert_rows
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


@dataclass(frozen=True)
class Entry:
    """One event of a batch for audit_record_many: what audit_as takes."""

    action: str
    object_type: str
    object_id: Any = ""
    patient_id: uuid.UUID | None = None
    changes: Mapping[str, list[Any]] | None = None
    details: Mapping[str, Any] | None = None


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
    entry = Entry(action, object_type, object_id, patient_id, changes, details)
    return audit_record_many(actor=actor, clinic=clinic, entries=[entry], actor_label=actor_label)[
        0
    ]


def audit_record_many(
    *,
    actor: User | None,
    clinic: Clinic,
    entries: Sequence[Entry],
    actor_label: str | None = None,
) -> list[AuditEvent]:
    """Append events to the clinic's chain, in order, as audit_record does one by one,
    but moving the head once and inserting them in one statement: a batch holds the
    chain (which serialises the clinic's writers) only for that long."""
    if not transaction.get_connection().in_atomic_block:
        # An audit row outside the change's transaction could survive a rollback
        # of the change, or be lost while the change commits.
        raise RuntimeError("audit_record must run inside the transaction of the change")
    if not entries:
        return []
    ctx = context.current()
    occurred_at = timezone.now()
    username = actor.get_username() if actor else (actor_label or "system")
    events = [
        AuditEvent(
            clinic=clinic,
            occurred_at=occurred_at,
            actor=actor,
            actor_username=username,
            patient_id=e.patient_id,
            object_type=e.object_type,
            object_id=str(e.object_id),
            action=e.action,
            ip_address=ctx.ip_address,
            request_id=ctx.request_id,
            changes=chain.jsonable(dict(e.changes or {})),
            details=chain.jsonable(dict(e.details or {})),
        )
        for e in entries
    ]
    # The head this connection wrote last is tried first; if it moved, the committed
    # head is read under a lock (head.py explains why). Moving the head is what locks
    # it, so the lock is taken here, at the end of the change, and held until commit.
    guess = head.remembered(clinic)
    if guess is None or not _link(events, guess):
        current = head.locked(clinic)
        if not _link(events, current):
            raise RuntimeError("the locked audit chain head moved")
    insert_rows(events)  # every write's: without the ORM's compiling (common/statements.py)
    # Sealed only once committed: a rolled-back event must never be anchored. One hook
    # per call, so an event rolled back with its savepoint takes its anchors with it.
    sealed = [anchors.anchor_head(clinic.pk, e.sequence, e.hash) for e in events]
    transaction.on_commit(lambda: anchors.append_after_commit(*sealed))
    return events


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


def _link(events: Sequence[AuditEvent], after: head.Head) -> bool:
    """Chain the events after `after` and move the head onto the last, if it is still
    there."""
    sequence, prev_hash = after.sequence, after.last_hash
    for event in events:
        sequence += 1
        event.sequence, event.prev_hash = sequence, prev_hash
        event.hash = prev_hash = chain.event_hash(prev_hash, event.chain_payload())
    return head.advance(after, sequence, prev_hash)
