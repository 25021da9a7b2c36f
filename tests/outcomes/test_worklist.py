"""The clinician worklist: each kind of work, linked to where it is done, and a number
of queries that does not grow with the number of patients."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketacare.measures import services as measures
from ketacare.outcomes.worklist import KINDS, build_worklist, worklist_open
from ketacare.patients.models import Patient
from tests.clock import fix_clock
from tests.measures.conftest import Team, register

from .conftest import at, phq9, write_course
from .test_maintenance import TWO_WEEK_RELIEF

NON_RESPONDER = ([0, 2, 4, 7], [(-1, 20), (1, 19), (4, 18, 8), (5, 18), (8, 17)])
EARLY_WARNING = ([0, 3, 7], [(-1, 20), (1, 8), (4, 5), (8, 4), (9, 6), (11, 10)])


def populate(team: Team, copies: int, first: int = 0) -> dict[str, list[Patient]]:
    made: dict[str, list[Patient]] = {"futility": [], "booster": [], "warning": [], "alert": []}
    for n in range(first, first + copies):
        for kind, (days, scores) in (
            ("futility", NON_RESPONDER),
            ("booster", TWO_WEEK_RELIEF),
            ("warning", EARLY_WARNING),
        ):
            patient = register(team.nurse, mrn=f"{kind[:3].upper()}-{n}")
            write_course(team.nurse, patient, days, scores, instrument="phq9")
            made[kind].append(patient)
        flagged = register(team.nurse, mrn=f"ALR-{n}")
        measures.response_record(
            access=team.nurse,
            patient_id=flagged.pk,
            instrument="phq9",
            answers=[*phq9(8)[:8], 1, 1],
            context="between_sessions",
            answered_at=at(44),
        )
        measures.link_create(
            access=team.nurse,
            patient_id=flagged.pk,
            instruments=["phq9"],
            context="between_sessions",
            channel="none",
            now=at(40),
        )
        made["alert"].append(flagged)
    return made


def kinds_by_patient(team: Team) -> dict[str, set[str]]:
    work = build_worklist(team.prescriber, at(47))
    found: dict[str, set[str]] = {}
    for item in work.items:
        found.setdefault(item.mrn, set()).add(item.kind)
    return found


def test_each_kind_of_work_appears_with_its_link(team: Team) -> None:
    made = populate(team, 1)
    rows = worklist_open(access=team.prescriber, now=at(47)).rows
    by_kind = {kind: [row for row in rows if row.kind == kind] for kind in KINDS}
    (futile,) = by_kind["futility"]
    assert futile.patient_id == made["futility"][0].pk
    assert futile.url.endswith(f"/patients/{futile.patient_id}/outcomes/")
    assert "APA consensus" in futile.summary
    (booster,) = by_kind["booster_due"]
    assert booster.patient_id == made["booster"][0].pk
    assert "next session recommended at day 11" in booster.summary
    (warning,) = by_kind["early_warning"]
    assert warning.patient_id == made["warning"][0].pk
    (alert,) = by_kind["safety_alert"]
    assert alert.patient_id == made["alert"][0].pk
    assert alert.url.endswith(f"/patients/{alert.patient_id}/measures/#alerts")
    (overdue,) = by_kind["measures_overdue"]
    assert overdue.patient_id == made["alert"][0].pk and "not answered" in overdue.summary
    assert by_kind["rems_forms_due"] == [] and by_kind["plans_awaiting_prescriber"] == []


def test_a_booked_or_decided_booster_leaves_the_worklist(team: Team) -> None:
    from ketacare.outcomes import services

    made = populate(team, 1)
    fix_clock(at(47))  # the nurse accepts on day 47
    services.recommendation_accept(access=team.nurse, patient_id=made["booster"][0].pk, now=at(47))
    assert "booster_due" not in kinds_by_patient(team).get("BOO-0", set())


def test_overdue_boosters_are_marked_overdue(team: Team) -> None:
    populate(team, 1)
    work = build_worklist(team.prescriber, at(50))
    overdue = sorted(i.mrn for i in work.items if i.kind == "booster_overdue")
    # The early-warning patient's relief lasted 4 days: their booster is long overdue.
    assert overdue == ["BOO-0", "WAR-0"]


def _queries(team: Team) -> int:
    with CaptureQueriesContext(connection) as ctx:
        worklist_open(access=team.prescriber, now=at(47))
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_number_of_patients(team: Team) -> None:
    populate(team, 1)
    _queries(team)  # the first opening creates the clinic's settings row
    small = _queries(team)
    populate(team, 3, first=1)
    large = _queries(team)
    assert len(build_worklist(team.prescriber, at(47)).items) == 4 * 6
    assert small == large == 25, (small, large)  # docs/outcomes.md gives the count
