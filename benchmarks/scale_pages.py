"""The pages a clinic opens all day, at demo size and at scale, in one run.

Two clinics in the same database, both filled by `ketacare synth` (the small one at demo
size, the large one at 50,000 patients): each page is requested through Django's test
client, signed in as a prescriber (a compliance officer for the audit trail), and its
median and p95 printed next to the same page at the small clinic. The two sizes are
requested in turn, so that the machine's load falls on both alike. Then each page's
central read is run as hand-written SQL at the large clinic, its floor.

    ketacare synth --clinic demo-size --patients 50 --seed 1
    ketacare synth --clinic big --patients 50000 --seed 1
    KETACARE_DATABASE_URL=postgresql://... .venv/bin/python -m benchmarks.scale_pages \\
        --small demo-size --large big

Query counts are printed per page: they must be the same at both sizes.
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks._harness import Timing, report, setup_django, timed


@dataclass(frozen=True)
class Page:
    label: str
    path: Callable[[Any], str]  # the URL, given the clinic
    auditor: bool = False  # opened by the compliance officer (the audit trail)


def _pages() -> list[Page]:
    return [
        Page("worklist (web)", lambda c: f"/c/{c.slug}/worklist/"),
        Page("worklist (API)", lambda c: "/api/v1/worklist"),
        Page("outcome dashboard (web)", lambda c: f"/c/{c.slug}/outcomes/"),
        Page("outcome dashboard (API)", lambda c: "/api/v1/outcomes/dashboard"),
        # Not a target: a filter is counted from the rows it keeps (docs/outcomes.md).
        Page("outcome dashboard, IM only (API)", lambda c: "/api/v1/outcomes/dashboard?route=im"),
        Page("clinic dashboard", lambda c: f"/c/{c.slug}/dashboard/"),
        Page(
            "audit trail, filtered by date",
            lambda c: f"/c/{c.slug}/audit/?date_from={_audit_day(c)}&date_to={_audit_day(c)}",
            auditor=True,
        ),
        Page(
            "audit trail, deep page",
            lambda c: f"/c/{c.slug}/audit/?cursor=o{_middle_sequence(c)}",
            auditor=True,
        ),
        Page(
            "registry search by family name",
            lambda c: f"/c/{c.slug}/patients/?q={_a_family_name(c)}",
        ),
        Page("API patient search (q)", lambda c: f"/api/v1/patients?q={_a_family_name(c)}"),
    ]


AUDIT_DAYS = 60  # the audit trail filtered to the busiest day of the last this many


@functools.cache
def _audit_day(clinic: Any) -> Any:
    """The busiest day of the clinic's recent trail: a day with a full page of events at
    both sizes, so the pages compared show as many rows."""
    import datetime as dt

    from django.db.models import Count
    from django.db.models.functions import TruncDate

    from ketacare.audit.models import AuditEvent

    newest = AuditEvent.objects.filter(clinic=clinic).order_by("-sequence").first()
    assert newest is not None, f"{clinic.slug} has no audit events: fill it with ketacare synth"
    since = newest.occurred_at - dt.timedelta(days=AUDIT_DAYS)
    busiest = (
        AuditEvent.objects.filter(clinic=clinic, occurred_at__gte=since)
        .annotate(day=TruncDate("occurred_at"))
        .values("day")
        .annotate(events=Count("id"))
        .order_by("-events")
        .first()
    )
    assert busiest is not None
    return busiest["day"]


def _middle_sequence(clinic: Any) -> int:
    from ketacare.audit.models import AuditEvent

    newest = AuditEvent.objects.filter(clinic=clinic).order_by("-sequence").first()
    return (newest.sequence if newest else 0) // 2


def _a_family_name(clinic: Any) -> str:
    from ketacare.patients.models import Patient

    patient = Patient.objects.filter(clinic=clinic).order_by("mrn").first()
    assert patient is not None, f"{clinic.slug} has no patients: fill it with ketacare synth"
    return str(patient.legal_family_name)


def _client(clinic: Any, role: Any) -> Any:
    from django.test import Client

    from ketacare.accounts.models import Membership, User

    username = f"bench-{role.value}-{clinic.slug}"
    user, _ = User.objects.get_or_create(username=username)
    Membership.objects.get_or_create(user=user, clinic=clinic, defaults={"role": role.value})
    client = Client(headers={"X-Clinic": clinic.slug})
    client.force_login(user)
    return client


def _prepared(page: Page, clinic: Any, clients: dict[bool, Any]) -> tuple[str, Callable[[], None]]:
    """The page's label with its query count, and a function that requests it once."""
    from contextlib import ExitStack

    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    url, client = page.path(clinic), clients[page.auditor]

    def get() -> None:
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"

    get()  # warm: templates compiled, caches filled
    with ExitStack() as stack:  # every alias: reads may go to a replica (operations/routers.py)
        captured = [stack.enter_context(CaptureQueriesContext(connections[a])) for a in connections]
        get()
    queries = sum(len(c.captured_queries) for c in captured)
    return f"{page.label}, {clinic.slug} ({queries} queries)", get


def _measure_both(
    page: Page, clinics: dict[str, Any], clients: dict[str, dict[bool, Any]], repeat: int
) -> tuple[Timing, Timing]:
    """The page at both sizes, requested in turn (small, large, small, …), so that a
    spell of load on a shared machine falls on both alike, not on one size's run."""
    small_label, small = _prepared(page, clinics["small"], clients["small"])
    large_label, large = _prepared(page, clinics["large"], clients["large"])
    seconds: dict[str, list[float]] = {small_label: [], large_label: []}
    for _ in range(repeat):
        for label, get in ((small_label, small), (large_label, large)):
            start = time.perf_counter()
            get()
            seconds[label].append(time.perf_counter() - start)
    return Timing(small_label, seconds[small_label]), Timing(large_label, seconds[large_label])


# The central read of each page as hand-written SQL: what the database itself needs.
FLOORS: dict[str, str] = {
    # The worklist's reads of the active courses (outcomes/course_items.py): the counts
    # per kind, and the first page and a row of the most urgent kind, in order.
    "worklist: active courses counted, first page of relapses": """
        SELECT prescriber_id, count(*) FILTER (WHERE relapse_reason <> ''),
               count(*) FILTER (WHERE warning_reason <> ''),
               count(*) FILTER (WHERE futility_reason <> ''),
               count(*) FILTER (WHERE booster_date IS NOT NULL AND NOT decided)
        FROM outcomes_coursestate
        WHERE clinic_id = %(clinic)s AND is_current AND has_item
          AND last_session_at >= %(active_since)s
        GROUP BY prescriber_id;
        SELECT patient_id, prescriber_id, relapse_reason, relapse_at, relapse_due
        FROM outcomes_coursestate
        WHERE clinic_id = %(clinic)s AND is_current AND has_item
          AND last_session_at >= %(active_since)s AND relapse_reason <> ''
        ORDER BY relapse_due, patient_id LIMIT 101""",
    # The dashboard with no filter (outcomes/dashboard.py, count_from_cells): the counts
    # of its instrument, and the courses still in induction taken out of the verdicts.
    "outcome dashboard: counts, courses in induction": """
        SELECT facet, value, detail, courses FROM outcomes_outcomecount
        WHERE clinic_id = %(clinic)s AND instrument = %(instrument)s AND courses > 0;
        SELECT s.first_dose_month, s.prescriber_id, s.protocol, s.route,
               i.response, i.remission, count(*)
        FROM outcomes_courseinstrumentstate i
        JOIN outcomes_coursestate s ON s.id = i.course_id
        WHERE i.clinic_id = %(clinic)s AND i.instrument = %(instrument)s
          AND s.induction_end_at > %(now)s
        GROUP BY 1, 2, 3, 4, 5, 6""",
    "audit trail: one day, newest 50": """
        SELECT * FROM audit_auditevent
        WHERE clinic_id = %(clinic)s AND occurred_at >= %(day)s AND occurred_at < %(next_day)s
        ORDER BY sequence DESC LIMIT 51""",
    "audit trail: a deep page": """
        SELECT * FROM audit_auditevent
        WHERE clinic_id = %(clinic)s AND sequence < %(middle)s
        ORDER BY sequence DESC LIMIT 51""",
    # The registry page shows how many match as well as the first 25: both statements.
    "search: family name, count and first 25": """
        SELECT count(*) FROM patients_patient
        WHERE clinic_id = %(clinic)s AND merged_into_id IS NULL AND archived_at IS NULL
          AND search_text LIKE %(name)s;
        SELECT * FROM patients_patient
        WHERE clinic_id = %(clinic)s AND merged_into_id IS NULL AND archived_at IS NULL
          AND search_text LIKE %(name)s
        ORDER BY legal_family_name, legal_given_name, mrn LIMIT 25""",
}


def _floors(clinic: Any, repeat: int) -> list[Timing]:
    import datetime as dt

    from django.db import connection

    from ketacare.outcomes.config import config_for
    from ketacare.outcomes.worklist import ACTIVE_DAYS

    day = _audit_day(clinic)
    params = {
        "clinic": clinic.pk,
        "day": dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC),
        "next_day": dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC),
        "middle": _middle_sequence(clinic),
        "name": f"%{_a_family_name(clinic).upper()}%",
        "active_since": dt.datetime.now(dt.UTC) - dt.timedelta(days=ACTIVE_DAYS),
        "now": dt.datetime.now(dt.UTC),
        "instrument": config_for(clinic).options.primary_instrument,
    }
    timings = []
    for label, sql in FLOORS.items():

        def run(sql: str = sql) -> None:
            with connection.cursor() as cursor:
                for statement in sql.split(";"):
                    cursor.execute(statement, params)
                    cursor.fetchall()

        timings.append(timed(f"SQL floor: {label}", run, repeat))
    return timings


def _search_through_the_selector(clinic: Any, repeat: int) -> Timing:
    from ketacare.accounts.access import ClinicAccess
    from ketacare.accounts.models import User
    from ketacare.accounts.policy import Role
    from ketacare.patients.selectors import patient_search

    user = User.objects.get(username=f"bench-{Role.PRESCRIBER.value}-{clinic.slug}")
    access = ClinicAccess(user=user, clinic=clinic, role=Role.PRESCRIBER)
    name = _a_family_name(clinic)
    return timed(
        "search: family name through the selector",
        lambda: list(patient_search(access=access, query=name).object_list),
        repeat,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", default="demo-size", help="the demo-size clinic's slug")
    parser.add_argument("--large", default="big", help="the large clinic's slug")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    vendor = setup_django()

    from ketacare.accounts.models import Clinic
    from ketacare.accounts.policy import Role
    from ketacare.patients.models import Patient

    clinics = {
        size: Clinic.objects.get(slug=slug)
        for size, slug in (("small", args.small), ("large", args.large))
    }
    for size, clinic in clinics.items():
        print(f"{size}: {clinic.slug}, {Patient.objects.filter(clinic=clinic).count():,} patients")
    clients = {
        size: {False: _client(c, Role.PRESCRIBER), True: _client(c, Role.COMPLIANCE)}
        for size, c in clinics.items()
    }
    started = time.perf_counter()
    for page in _pages():
        small, large = _measure_both(page, clinics, clients, args.repeat)
        report(f"{page.label} ({vendor})", small, [large])
    report(
        f"search at {args.large} ({vendor}), against its SQL floor",
        _floors(clinics["large"], args.repeat)[-1],
        [_search_through_the_selector(clinics["large"], args.repeat)],
    )
    print("\nSQL floors at the large clinic:")
    for floor in _floors(clinics["large"], args.repeat):
        print(f"  {floor.label:<50} {floor.median_ms:>9.3f} ms  p95 {floor.p95_ms:.3f} ms")
    load = os.getloadavg()
    print(
        f"\n{time.perf_counter() - started:.0f} s; load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f} ({os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
