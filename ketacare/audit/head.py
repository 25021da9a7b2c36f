"""A clinic's chain head: read it under a lock, and move it one link on.

On PostgreSQL every UPDATE of a row leaves a new row version, and the rest of the same
transaction steps over all the versions it left each time it finds the row again. A
transaction that writes n events (the demo seed, an import) would pay O(n²) for the
head alone. So each connection remembers the head it last wrote, with its physical row
version (ctid), and moves it on with one compare-and-set UPDATE of exactly that
version: no lock query, no walk. If anything moved the head since (another
transaction, a rolled-back savepoint or transaction), the compare fails and the head
is read again under a row lock. On SQLite the compare is on the sequence and hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from django.db import IntegrityError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from ketacare.accounts.models import Clinic
from ketacare.audit import chain
from ketacare.audit.models import AuditChainHead

_TABLE = AuditChainHead._meta.db_table


@dataclass(frozen=True)
class Head:
    clinic_id: int
    sequence: int
    last_hash: str
    row: str | None = None  # the row version's ctid on PostgreSQL


_remembered: WeakKeyDictionary[BaseDatabaseWrapper, dict[int, Head]] = WeakKeyDictionary()


def remembered(clinic: Clinic) -> Head | None:
    """The head this connection last wrote for the clinic: a guess, checked on advance."""
    return _remembered.get(transaction.get_connection(), {}).get(clinic.pk)


def locked(clinic: Clinic) -> Head:
    """The committed head, locked until the end of the transaction (created at the
    clinic's first event)."""
    head = _select_for_update(clinic.pk)
    if head is None:
        # First event of a clinic: two writers may race to create the head. The loser's
        # insert fails on the primary key; it then waits for and locks the winner's row.
        try:
            with transaction.atomic():
                AuditChainHead.objects.create(
                    clinic=clinic, sequence=0, last_hash=chain.GENESIS_HASH
                )
        except IntegrityError:
            pass
        head = _select_for_update(clinic.pk)
        assert head is not None
    return head


def advance(head: Head, sequence: int, new_hash: str) -> bool:
    """Move the head from `head` to (sequence, new_hash) if it is still `head`."""
    sql = (
        f"UPDATE {_TABLE} SET sequence = %s, last_hash = %s "  # noqa: S608 - constant
        "WHERE clinic_id = %s AND sequence = %s AND last_hash = %s"
    )
    params: list[int | str | None] = [
        sequence,
        new_hash,
        head.clinic_id,
        head.sequence,
        head.last_hash,
    ]
    if _on_postgresql():
        sql += " AND ctid = %s::tid RETURNING ctid::text"
        params.append(head.row)
    else:
        sql += " RETURNING clinic_id"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        moved = cursor.fetchone()
    if moved is None:
        return False
    row = moved[0] if _on_postgresql() else None
    _remember(Head(head.clinic_id, sequence, new_hash, row))
    return True


def _select_for_update(clinic_id: int) -> Head | None:
    row_column = "ctid::text" if _on_postgresql() else "NULL"
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {row_column}, sequence, last_hash FROM {_TABLE} "  # noqa: S608 - constant
            f"WHERE clinic_id = %s{lock}",
            [clinic_id],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    head = Head(clinic_id, found[1], found[2], found[0])
    _remember(head)
    return head


def _remember(head: Head) -> None:
    _remembered.setdefault(transaction.get_connection(), {})[head.clinic_id] = head


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"
