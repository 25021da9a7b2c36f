"""Patient search latency as the registry grows.

Baseline: listing the first page of a clinic's patients, ordered by name, with no filter.
Measured: the registry search (name fragment, MRN, date of birth, two words) through the
selector, and the audited search service that the web page and API call.

    .venv/bin/python -m benchmarks.patient_search [--patients 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from benchmarks._harness import report, setup_django, timed

FAMILY = [
    "Patel",
    "Jones",
    "Nowak",
    "Okafor",
    "Murphy",
    "Chen",
    "Brown",
    "Ahmed",
    "Singh",
    "Rossi",
    "Walker",
    "Kim",
    "Byrne",
    "Clarke",
    "Lopez",
    "Evans",
    "Taylor",
    "Ward",
]
GIVEN = ["Amelia", "Oliver", "Priya", "Noah", "Maya", "Arjun", "Grace", "Samuel", "Zara"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    vendor = setup_django()

    from ketacare.accounts.access import ClinicAccess
    from ketacare.accounts.models import User
    from ketacare.accounts.policy import Role
    from ketacare.accounts.services import clinic_create
    from ketacare.patients.models import Patient
    from ketacare.patients.selectors import patient_search
    from ketacare.patients.services import patient_search_audited

    user = User.objects.create(username=f"bench-{time.time_ns()}")
    clinic = clinic_create(name="Bench", slug=f"bench-{time.time_ns()}")
    access = ClinicAccess(user=user, clinic=clinic, role=Role.PRESCRIBER)
    rng = random.Random(7)
    start = dt.date(1950, 1, 1)
    Patient.objects.bulk_create(
        [
            Patient(
                clinic=clinic,
                created_by=user,
                mrn=f"M{n:07d}",
                legal_given_name=rng.choice(GIVEN),
                legal_family_name=rng.choice(FAMILY),
                date_of_birth=start + dt.timedelta(days=rng.randint(0, 20000)),
                sex_at_birth="female",
            )
            for n in range(args.patients)
        ],
        batch_size=2000,
    )
    some = Patient.objects.filter(clinic=clinic).order_by("?").first()
    assert some is not None
    born = some.date_of_birth.isoformat()

    def first_page(query: str) -> object:
        return list(patient_search(access=access, query=query).object_list)

    baseline = timed("unfiltered first page (baseline)", lambda: first_page(""), args.repeat)
    cases = [
        timed("name fragment 'ok'", lambda: first_page("ok"), args.repeat),
        timed("exact MRN", lambda: first_page(some.mrn), args.repeat),
        timed("date of birth", lambda: first_page(born), args.repeat),
        timed(
            "two words: family + given",
            lambda: first_page(f"{some.legal_family_name} {some.legal_given_name}"),
            args.repeat,
        ),
        timed(
            "audited search service (name)",
            lambda: patient_search_audited(access=access, query="Patel"),
            args.repeat,
        ),
    ]
    report(f"Search among {args.patients:,} patients on {vendor}", baseline, cases)


if __name__ == "__main__":
    main()
