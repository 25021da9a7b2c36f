"""The worklist and the outcome dashboard at a small and a larger clinic, now that each
course's outcomes are stored (ketacare/outcomes/state.py) instead of judged per request.

Baseline: each page at the small clinic. Measured: the same pages at the larger clinic,
and, for comparison, what every request used to do before the state was stored: build
and judge every course of the larger clinic (`all_courses` + the rules), which is now
done only by the writes and by `ketacare outcomes-rebuild`. The courses are made in bulk
(tests/outcomes/bulk.py) and their state rebuilt once.

    .venv/bin/python -m benchmarks.outcome_pages [--small 50] [--large 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from functools import partial

from benchmarks._harness import report, setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=50)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    vendor = setup_django()

    from ketacare.accounts.access import ClinicAccess
    from ketacare.accounts.models import User
    from ketacare.accounts.policy import Role
    from ketacare.accounts.services import clinic_create
    from ketacare.outcomes.config import config_for
    from ketacare.outcomes.course import classify_course, duration_of_response, time_to_response
    from ketacare.outcomes.dashboard import Filters, build_dashboard
    from ketacare.outcomes.sources import all_courses
    from ketacare.outcomes.state import clinic_state_rebuild
    from ketacare.outcomes.trajectories import course_series
    from ketacare.outcomes.worklist import build_worklist
    from tests.outcomes.bulk import bulk_courses

    origin = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    now = origin + dt.timedelta(days=110)
    user = User.objects.create(username=f"bench-{time.time_ns()}")
    sizes: dict[str, ClinicAccess] = {}
    for name, count in (("small", args.small), ("large", args.large)):
        clinic = clinic_create(name=f"Bench {name}", slug=f"bench-{name}-{time.time_ns()}")
        access = ClinicAccess(user=user, clinic=clinic, role=Role.PRESCRIBER)
        made = time.perf_counter()
        bulk_courses(clinic, user, count, origin=origin)
        print(
            f"{name}: {count} courses made and their state built in "
            f"{time.perf_counter() - made:.1f} s"
        )
        sizes[name] = access
    large = sizes["large"]
    rebuilt = time.perf_counter()
    clinic_state_rebuild(large.clinic)
    rebuild_s = time.perf_counter() - rebuilt

    def worklist(access: ClinicAccess) -> object:
        return build_worklist(access, now)

    def dashboard(access: ClinicAccess) -> object:
        return build_dashboard(access, Filters(), now, individual_lines=False)

    def judged_per_request(access: ClinicAccess) -> object:
        """The loop each dashboard request ran before the state was stored: build every
        course (three queries) and judge it on the primary instrument."""
        config = config_for(access.clinic)
        code, induction = config.options.primary_instrument, config.options.induction_days
        for pc in all_courses(access.clinic):
            first = pc.course.first_dose_at
            assert first is not None
            rules = config.rules
            classify_course(pc.course, code, rules, as_of=first + dt.timedelta(days=induction))
            if time_to_response(pc.course, code, rules).event:
                duration_of_response(pc.course, code, rules)
            course_series(pc.course, code, rules)
        return None

    for name, access in sizes.items():
        items = len(build_worklist(access, now).items)
        print(f"{name}: the worklist lists {items} items (every course is active here)")
    for page, action in (("worklist", worklist), ("outcome dashboard", dashboard)):
        report(
            f"{page} ({vendor}; {args.small} and {args.large} courses)",
            timed(
                f"{page}, {args.small} courses (baseline)",
                partial(action, sizes["small"]),
                args.repeat,
            ),
            [
                timed(
                    f"{page}, {args.large} courses",
                    partial(action, large),
                    args.repeat,
                )
            ],
        )
    report(
        f"what each dashboard request did before ({args.large} courses)",
        timed(f"dashboard, {args.large} courses (baseline)", lambda: dashboard(large), 5),
        [
            timed(
                f"before: build and judge every course, {args.large}",
                lambda: judged_per_request(large),
                3,
            )
        ],
    )
    print(f"\noutcomes-rebuild of {args.large} courses: {rebuild_s:.1f} s")
    load = os.getloadavg()
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
