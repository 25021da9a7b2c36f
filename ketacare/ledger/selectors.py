"""Ledger reads, always within the caller's clinic."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ketacare.accounts.models import Clinic
from ketacare.audit import chain
from ketacare.ledger.models import LedgerChainHead, LedgerEntry


@dataclass(frozen=True)
class LedgerChainResult:
    clinic: Clinic
    entries: int
    broken: chain.BrokenLink | None


def _chained(clinic_id: int) -> Iterator[chain.ChainedEvent]:
    for entry in LedgerEntry.objects.filter(clinic_id=clinic_id).order_by("sequence").iterator():
        yield chain.ChainedEvent(
            event_id=entry.pk,
            sequence=entry.sequence,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
            payload=entry.chain_payload(),
        )


def ledger_chain_verify(*, clinic: Clinic) -> LedgerChainResult:
    """Walk the clinic's ledger chain (the audit trail's hashing): a changed, deleted or
    reordered entry breaks the first link it touches; the head catches a cut tail."""
    head = LedgerChainHead.objects.filter(clinic=clinic).first()
    counted = 0

    def counting() -> Iterator[chain.ChainedEvent]:
        nonlocal counted
        for event in _chained(clinic.pk):
            counted += 1
            yield event

    broken = chain.first_break(
        counting(),
        head_sequence=head.sequence if head else None,
        head_hash=head.last_hash if head else None,
    )
    return LedgerChainResult(clinic=clinic, entries=counted, broken=broken)
