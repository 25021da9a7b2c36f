from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from django.db.models import QuerySet

from ketacare.accounts.models import Clinic
from ketacare.audit import chain
from ketacare.audit.models import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class AuditFilter:
    patient_id: uuid.UUID | None = None
    actor_username: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def audit_event_list(*, clinic: Clinic, filters: AuditFilter) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(clinic=clinic).select_related("actor")
    if filters.patient_id:
        events = events.filter(patient_id=filters.patient_id)
    if filters.actor_username:
        events = events.filter(actor_username=filters.actor_username)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.date_from:
        events = events.filter(occurred_at__gte=clinic.start_of_day(filters.date_from))
    if filters.date_to:
        next_day = filters.date_to + dt.timedelta(days=1)
        events = events.filter(occurred_at__lt=clinic.start_of_day(next_day))
    return events.order_by("-sequence")


def audit_event_count(*, clinic: Clinic, filters: AuditFilter, events: QuerySet[AuditEvent]) -> int:
    """How many events match. Unfiltered, the chain head already holds it (the chain has
    no gaps), so a trail of millions is not counted row by row."""
    if filters == AuditFilter():
        head = AuditChainHead.objects.filter(clinic=clinic).values_list("sequence", flat=True)
        return head.first() or 0
    return events.count()


def _chained_events(clinic_id: int) -> Iterator[chain.ChainedEvent]:
    for event in (
        AuditEvent.objects.filter(clinic_id=clinic_id)
        .order_by("sequence")
        .iterator(chunk_size=2000)
    ):
        yield chain.ChainedEvent(
            event_id=event.pk,
            sequence=event.sequence,
            prev_hash=event.prev_hash,
            hash=event.hash,
            payload=event.chain_payload(),
        )


@dataclass(frozen=True)
class ClinicChainResult:
    clinic: Clinic
    events: int
    broken: chain.BrokenLink | None
    # Events after the latest anchor: written in the instant before a crash, or added
    # by someone who cannot seal them. Checked by the chain but not yet by an anchor.
    unanchored: int = 0


def audit_chain_verify(
    *,
    clinic: Clinic,
    on_event: Callable[[], None] | None = None,
    anchored: Mapping[int, str] | None = None,
) -> ClinicChainResult:
    """Walk the clinic's chain; with anchored ({sequence: hash} sealed outside the
    database, see anchors.py) also find erasure and re-hashing."""
    head = AuditChainHead.objects.filter(clinic=clinic).first()
    counted = 0

    def counting() -> Iterator[chain.ChainedEvent]:
        nonlocal counted
        for event in _chained_events(clinic.pk):
            counted += 1
            if on_event:
                on_event()
            yield event

    broken = chain.first_break(
        counting(),
        head_sequence=head.sequence if head else None,
        head_hash=head.last_hash if head else None,
        anchored=anchored,
    )
    unanchored = counted - max(anchored, default=0) if anchored is not None else 0
    return ClinicChainResult(
        clinic=clinic, events=counted, broken=broken, unanchored=max(unanchored, 0)
    )
