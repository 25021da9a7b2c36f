"""The care team's dashboard's latest scores: the clinic's current scores, newest first,
read through the partial index `score_clinic_latest_current` (migration measures 0006;
figures in docs/benchmarks.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from ketacare.measures import services as measures
from ketacare.measures.models import Score
from ketacare.measures.selectors import recent_scores
from tests.clock import fix_clock
from tests.measures.conftest import Team, register

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2024, 5, 6, 9, 0, tzinfo=dt.UTC)


def test_latest_scores_are_current_newest_first_and_of_the_clinic(team: Team) -> None:
    fix_clock(T0 + dt.timedelta(days=6))
    patient = register(team.nurse)
    for day in range(5):
        measures.response_record(
            access=team.nurse,
            patient_id=patient.pk,
            instrument="phq9",
            answers=[1, 1, 1, 1, 1, 1, 1, 1, 0, 1],
            context="between_sessions",
            answered_at=T0 + dt.timedelta(day),
        )
    Score.objects.filter(answered_at=T0 + dt.timedelta(4)).update(is_current=False)
    rows = recent_scores(clinic=team.clinic, limit=3)
    assert [row.answered_at for row in rows] == [T0 + dt.timedelta(d) for d in (3, 2, 1)]


def test_the_latest_scores_query_uses_the_partial_index(team: Team) -> None:
    query = (
        Score.objects.filter(clinic=team.clinic, is_current=True)
        .select_related("patient", "response")
        .order_by("-answered_at")[:20]
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # an empty table: make the planner show it
                cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "score_clinic_latest_current" in plan
