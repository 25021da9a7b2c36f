"""Writers of one clinic at once keep the dashboard's counts right.

Score records and session writes of eight patients start together; their refreshes move
shared count cells (the same week, the same month) with `INSERT ... ON CONFLICT DO
UPDATE`, and each write also locks the clinic's audit chain. The cells end equal to a
recount: no update is lost, and no writer fails. Today's services that move cells audit
before they refresh, so the chain's lock already orders them; the refresh also locks the
chain before any cell itself (ketacare/outcomes/counts.py), so that a service which
refreshes first cannot make two writers wait on each other in a circle. Runs only on
PostgreSQL, where the writers truly overlap (SQLite lets one write at a time)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections

from ketacare.outcomes.counts import stored_tally
from ketacare.outcomes.models import OutcomeCount
from tests.clock import fix_clock
from tests.measures.conftest import Team, register

from .conftest import at, give, record, write_course
from .test_maintenance import TWO_WEEK_RELIEF

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("KETACARE_TEST_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (KETACARE_TEST_DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),  # each writer commits on its own connection
]

WRITERS = 8


def test_writers_at_once_keep_the_counts_and_never_deadlock(team: Team) -> None:
    fix_clock(at(130))
    patients = [register(team.nurse, mrn=f"CONC-{n}") for n in range(WRITERS)]
    for patient in patients:
        write_course(team.nurse, patient, *TWO_WEEK_RELIEF, instrument="phq9")
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> Callable[[], Any]:
        patient = patients[n]
        if n % 2:  # the same new weekly value for every course
            return lambda: record(team.nurse, patient, at(40, 11), 6, instrument="phq9")
        return lambda: give(team.nurse, patient, at(41))

    def run(n: int) -> None:
        try:
            start.wait(timeout=60)
            writer(n)()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        for future in [pool.submit(run, n) for n in range(WRITERS)]:
            future.result()  # a deadlock or a lost update would raise here
    kept = {
        (c.instrument, c.facet, c.value, c.detail): c.courses
        for c in OutcomeCount.objects.filter(clinic=team.clinic).exclude(courses=0)
    }
    assert kept == dict(stored_tally(team.clinic))
