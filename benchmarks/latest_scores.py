"""The care team's dashboard's "latest scores" query, with and without its partial index.

The query is `measures.selectors.recent_scores`: a clinic's current scores, newest first,
the first 20, with the patient and the response joined. Its index is
`score_clinic_latest_current` (clinic, answered_at descending) WHERE is_current
(migration `measures 0006`). Baseline: the same query with that index dropped, in the
same run on the same rows (the index is put back at the end). The plans of both are
printed (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite).

    KETACARE_DATABASE_URL=postgresql://... .venv/bin/python -m benchmarks.latest_scores \\
        [--scores 200000] [--clinics 4]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from benchmarks._harness import report, setup_django, timed

INDEX = "score_clinic_latest_current"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scores", type=int, default=200_000, help="in all clinics")
    parser.add_argument("--clinics", type=int, default=4)
    parser.add_argument("--patients", type=int, default=5_000, help="in all clinics")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    vendor = setup_django()

    from django.db import connection

    from ketacare.accounts.models import User
    from ketacare.accounts.services import clinic_create
    from ketacare.measures.models import MeasureContext, QuestionnaireResponse, Score
    from ketacare.measures.selectors import recent_scores
    from ketacare.patients.models import Patient

    user = User.objects.create(username=f"bench-{time.time_ns()}")
    clinics = [
        clinic_create(name=f"Bench {n}", slug=f"bench-{n}-{time.time_ns()}")
        for n in range(args.clinics)
    ]
    made = time.perf_counter()
    rng = random.Random(14)
    patients = Patient.objects.bulk_create(
        [
            Patient(
                clinic=clinics[n % len(clinics)],
                created_by=user,
                mrn=f"LS-{n:07d}",
                legal_given_name="Score",
                legal_family_name=f"Bench {n}",
                date_of_birth=dt.date(1970, 1, 1) + dt.timedelta(days=n % 15000),
                sex_at_birth="female",
            )
            for n in range(args.patients)
        ],
        batch_size=2000,
    )
    origin = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    batch = 5000
    for first in range(0, args.scores, batch):
        responses, scores = [], []
        for _ in range(first, min(first + batch, args.scores)):
            patient = rng.choice(patients)
            at = origin + dt.timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
            response = QuestionnaireResponse(
                clinic_id=patient.clinic_id,
                patient=patient,
                instrument="phq9",
                instrument_version="1",
                answers=[],
                respondent=QuestionnaireResponse.Respondent.PATIENT,
                context=MeasureContext.BETWEEN_SESSIONS,
                answered_at=at,
            )
            responses.append(response)
            scores.append(
                Score(
                    response=response,
                    clinic_id=patient.clinic_id,
                    patient=patient,
                    instrument="phq9",
                    answered_at=at,
                    total=rng.randint(0, 27),
                    scoring_version="1",
                    is_current=rng.random() > 0.1,  # a tenth superseded by a rescoring
                )
            )
        QuestionnaireResponse.objects.bulk_create(responses)
        Score.objects.bulk_create(scores)
    print(
        f"{args.scores:,} scores of {args.patients:,} patients in {args.clinics} clinics, "
        f"made in {time.perf_counter() - made:.1f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    clinic = clinics[0]

    def latest() -> object:
        return recent_scores(clinic=clinic, limit=20)

    def plan() -> str:
        query = Score.objects.filter(clinic=clinic, is_current=True).select_related(
            "patient", "response"
        )
        ordered = query.order_by("-answered_at")[:20]
        if vendor == "postgresql":
            return ordered.explain(analyze=True, buffers=True)
        return ordered.explain()

    with_index = timed("latest 20 scores, partial index", latest, args.repeat)
    with_plan = plan()
    definition = _definition(connection, vendor)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {INDEX}")
    connection.close()  # SQLite's cached statements would keep their old plans
    try:
        without = timed("latest 20 scores, no index (baseline)", latest, args.repeat)
        without_plan = plan()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(definition)
    report(
        f"Dashboard's latest scores, {args.scores:,} scores in {args.clinics} clinics, {vendor}",
        without,
        [with_index],
    )
    print(f"\nPlan without the index:\n{without_plan}")
    print(f"\nPlan with the index ({definition}):\n{with_plan}")


def _definition(connection: object, vendor: str) -> str:
    """The index's CREATE statement as the database holds it, to put it back."""
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        if vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [INDEX])
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [INDEX])
        (definition,) = cursor.fetchone()
    return str(definition)


if __name__ == "__main__":
    main()
