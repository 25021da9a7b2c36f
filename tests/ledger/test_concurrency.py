"""50 withdrawals at once against a lot that holds 20 vials: exactly 20 succeed, the stock
ends at zero and never below, and every refusal says why. The balance row lock (PostgreSQL)
or the IMMEDIATE transaction (SQLite) serialises them."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.db import connection, connections

from ketacare.accounts.access import ClinicAccess
from ketacare.common.errors import ValidationFailed
from ketacare.ledger import services
from ketacare.ledger.models import Balance, LedgerEntry, Location, Product
from ketacare.ledger.selectors import ledger_chain_verify
from tests.ledger.conftest import receive, session_for

WORKERS = 50
VIALS = 20
T = TypeVar("T")


@contextmanager
def threads_share_the_database(tmp_path: Path) -> Iterator[None]:
    """On PostgreSQL the threads already share the test database. The SQLite test
    database is in memory, shared between threads through SQLite's shared cache, whose
    table locks fail at once instead of waiting: so for SQLite, the threads work on a file
    copy of it, configured as the app configures SQLite (IMMEDIATE, busy timeout)."""
    if connection.vendor != "sqlite":
        yield
        return
    path = tmp_path / "ledger.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(path) as target:
        connection.connection.backup(target)
    before = connections.settings["default"]
    connections.settings["default"] = {
        **before,
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
    }
    try:
        yield
    finally:
        connections.settings["default"] = before


def in_a_thread(work: Callable[[], T]) -> T:
    """Run `work` on a fresh connection (the threads' database), then close it."""

    def run() -> T:
        try:
            return work()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_withdrawals_against_twenty_vials(
    compliance: ClinicAccess, nurse: ClinicAccess, vial: Product, safe: Location, tmp_path: Path
) -> None:
    receipt = receive(compliance, vial, safe, containers=VIALS)
    sessions = [session_for(nurse) for _ in range(WORKERS)]
    start = threading.Barrier(WORKERS)

    def withdraw(session_id: object) -> str:
        try:
            start.wait(timeout=60)
            services.withdrawal_record(
                access=nurse,
                session_id=session_id,
                lot_id=receipt.lot_id,
                location_id=safe.pk,
                quantity_mg="500",
            )
            return "ok"
        except ValidationFailed as refused:
            return "; ".join(m for msgs in refused.errors.values() for m in msgs)
        finally:
            connections.close_all()

    with threads_share_the_database(tmp_path):
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            outcomes = list(pool.map(withdraw, [s.pk for s in sessions]))
        stock, withdrawals, deltas, broken = in_a_thread(lambda: _state(compliance, receipt))

    refusals = [o for o in outcomes if o != "ok"]
    assert outcomes.count("ok") == VIALS
    assert len(refusals) == WORKERS - VIALS
    assert all("Only 0 mg is in stock" in r for r in refusals), refusals[:3]
    assert stock == 0
    assert withdrawals == VIALS
    # The running balance never went below zero, and the chain is whole.
    running = Decimal(0)
    for delta in deltas:
        running += delta
        assert running >= 0
    assert broken is None


def _state(compliance: ClinicAccess, receipt: LedgerEntry) -> tuple[Any, ...]:
    return (
        Balance.objects.get(lot_id=receipt.lot_id, location_id=receipt.location_id).quantity_mg,
        LedgerEntry.objects.filter(kind="withdrawal").count(),
        list(LedgerEntry.objects.order_by("sequence").values_list("stock_delta_mg", flat=True)),
        ledger_chain_verify(clinic=compliance.clinic).broken,
    )
