"""How long does the worker's measurement tick take as a clinic grows, and how fast is
scoring?

Tick: N patients on the clinic default plan (PHQ-9 every 7 days, PHQ-9 + GAD-7 before
each session, PHQ-9 24 h after each), each with a session. The first tick of a day issues
the links; the next ticks find nothing new. Baseline: reading the same patients and their
sessions once, the least any tick must do.
Scoring: `score("phq9", ...)` against a plain sum of the same answers.

    .venv/bin/python -m benchmarks.measurement_tick [--patients 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from benchmarks._harness import report, setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=1000)
    args = parser.parse_args()
    vendor = setup_django()

    from django.utils import timezone

    from ketacare.accounts.access import ClinicAccess
    from ketacare.accounts.models import User
    from ketacare.accounts.policy import Role
    from ketacare.accounts.services import clinic_create
    from ketacare.measures import score
    from ketacare.measures.services import RuleInput, plan_set, scheduler_tick
    from ketacare.patients.models import Patient
    from ketacare.treatment.models import TreatmentSession

    user = User.objects.create(username=f"bench-{time.time_ns()}")
    clinic = clinic_create(name="Bench", slug=f"bench-{time.time_ns()}")
    access = ClinicAccess(user=user, clinic=clinic, role=Role.PRESCRIBER)
    now = timezone.now()
    patients = Patient.objects.bulk_create(
        [
            Patient(
                clinic=clinic,
                created_by=user,
                mrn=f"T{n:06d}",
                legal_given_name="Pat",
                legal_family_name=f"Tick{n}",
                date_of_birth=dt.date(1980, 1, 1),
                sex_at_birth="female",
                email=f"p{n}@example.net",
            )
            for n in range(args.patients)
        ],
        batch_size=1000,
    )
    Patient.objects.filter(clinic=clinic).update(created_at=now - dt.timedelta(days=30))
    TreatmentSession.objects.bulk_create(
        [
            TreatmentSession(
                clinic=clinic,
                patient=p,
                created_by=user,
                scheduled_start=now + dt.timedelta(hours=random.randint(2, 20)),
            )
            for p in patients
        ],
        batch_size=1000,
    )
    plan_set(
        access=access,
        patient_id=None,
        starts_on=(now - dt.timedelta(days=30)).date(),
        rules=[
            RuleInput(kind="every_n_days", instruments=("phq9",), interval_days=7),
            RuleInput(kind="before_session", instruments=("phq9", "gad7")),
            RuleInput(kind="after_session", instruments=("phq9",), hours_after=24),
        ],
    )

    def read_once() -> None:
        list(Patient.objects.filter(clinic=clinic).values_list("pk", flat=True))
        list(TreatmentSession.objects.filter(clinic=clinic).values_list("pk", "scheduled_start"))

    first = timed("first tick of the day (issues links)", lambda: scheduler_tick(now=now), 1)
    baseline = timed("read patients and sessions (baseline)", read_once, 5)
    quiet = timed("later tick (nothing new)", lambda: scheduler_tick(now=now), 5)
    report(f"Measurement tick, {args.patients:,} patients on {vendor}", baseline, [first, quiet])

    answers = [random.randint(0, 3) for _ in range(9)] + [None]
    plain = timed("sum of 9 answers (baseline)", lambda: sum(a for a in answers[:9] if a), 20000)
    scored = timed("score('phq9', answers)", lambda: score("phq9", answers), 20000)
    report("Scoring", plain, [scored])


if __name__ == "__main__":
    main()
