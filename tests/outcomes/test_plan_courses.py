"""Courses scoped to treatment plans: one course per plan (its protocol, route,
indication and prescriber), the sessions outside any plan as one course, the current
course judged for maintenance, the protocol's minimum spacing for the recommendation and
for booking it, and the dashboard's filters on what the courses now carry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import User
from ketacare.accounts.policy import Role
from ketacare.common.errors import ValidationFailed
from ketacare.outcomes import services
from ketacare.outcomes.course import Status
from ketacare.outcomes.dashboard import Filters, dashboard_open
from ketacare.outcomes.sources import all_courses, patient_course
from ketacare.patients.models import Patient
from ketacare.treatment import services as treatment
from ketacare.treatment.models import TreatmentSession
from tests.clock import fix_clock
from tests.measures.conftest import Team, add_member, register
from tests.sessions.build import record_past

from .conftest import as_legacy_records, at, write_course
from .plans import make_plan, write_plan_course

# PHQ-9: relief is lost 4 days after the session on day 3 (a rise of 5 from the nadir),
# so the booster is wanted 1 day after the last session (lead_days 3 before day 4).
SHORT_RELIEF = ([0, 3, 7], [(-1, 20), (1, 8), (4, 5), (8, 4), (9, 6), (11, 10)])
ESKETAMINE = "Intranasal esketamine (Spravato), treatment-resistant depression"


def test_a_plan_is_its_own_course_with_protocol_route_indication_and_prescriber(
    team: Team, patient: Patient
) -> None:
    # Two sessions booked one by one (no plan; each ordered as esketamine), then a plan.
    write_course(team.nurse, patient, [0, 3], [(-1, 22), (1, 12)], instrument="phq9")
    plan = make_plan(team, patient)
    write_plan_course(team, patient, plan, [30, 33, 37], [(29, 18), (31, 9), (36, 7)])
    courses = all_courses(team.clinic)
    assert len(courses) == 2
    loose, planned = courses
    # Outside a plan: the sessions' own protocol and its route, no indication.
    assert (loose.plan_id, loose.protocol, loose.route, loose.indication) == (
        None,
        "esketamine_trd",
        "intranasal",
        None,
    )
    first_loose = TreatmentSession.objects.filter(patient=patient, plan=None).earliest(
        "dosing_started_at"
    )
    # Its prescriber: whoever ordered its first session (a prescriber, not the nurse).
    assert first_loose.ordered_by_id not in (None, team.nurse.user.pk)
    assert loose.prescriber_id == first_loose.ordered_by_id
    assert len(loose.course.sessions) == 2
    # The earlier course's follow-up stops at the plan's first dose: the plan's later
    # scores are not its follow-up.
    assert [p.value for p in loose.course.follow_up("phq9")] == [12, 18]
    assert planned.plan_id == plan.pk
    assert (planned.protocol, planned.route, planned.indication) == (
        "esketamine_trd",
        "intranasal",
        "major_depression",
    )
    assert planned.prescriber_id == team.prescriber.user.pk  # the plan's prescriber
    first = plan.sessions.get(plan_number=1)
    assert planned.course.first_dose_at == first.dosing_started_at == at(30)
    assert planned.course.sessions[0].id == str(first.pk)
    # Its baseline is the last score before its first dose.
    assert [p.value for p in planned.course.follow_up("phq9")] == [9, 7]
    # The worklist, maintenance and report judge the current course: the plan's.
    current = patient_course(team.clinic, patient.pk)
    assert current is not None and current.plan_id == plan.pk


def test_sessions_of_a_protocol_outside_any_plan_carry_it(team: Team, patient: Patient) -> None:
    for day in (0, 3):
        record_past(team.nurse, patient, at(day), protocol="iv_ketamine", dose="35")
    (course,) = all_courses(team.clinic)
    assert (course.plan_id, course.protocol, course.route, course.indication) == (
        None,
        "iv_ketamine",
        "iv",
        None,
    )


def test_only_given_statuses_count_as_given(team: Team, patient: Patient) -> None:
    fix_clock(at(4))  # the course so far entered from paper, the next two booked
    write_course(team.nurse, patient, [0, 3], [(-1, 20)], instrument="phq9")
    booked = treatment.session_schedule(
        access=team.nurse, patient_id=patient.pk, scheduled_start=at(5)
    )
    fix_clock(at(5))
    treatment.session_transition(
        access=team.nurse, patient_id=patient.pk, session_id=booked.pk, event="check_in"
    )
    cancelled = treatment.session_schedule(
        access=team.nurse, patient_id=patient.pk, scheduled_start=at(6)
    )
    treatment.session_cancel(
        access=team.nurse, patient_id=patient.pk, session_id=cancelled.pk, reason="Unwell"
    )
    (course,) = all_courses(team.clinic)
    given = {s.id for s in course.course.sessions}
    expected = TreatmentSession.objects.filter(
        patient=patient, status__in=TreatmentSession.GIVEN_STATUSES
    )
    assert given == {str(pk) for pk in expected.values_list("pk", flat=True)}
    assert len(given) == 2


def test_the_recommendation_respects_the_protocols_spacing(team: Team) -> None:
    planned = register(team.nurse, mrn="PLAN-1")
    plan = make_plan(team, planned)
    write_plan_course(team, planned, plan, *SHORT_RELIEF)
    loose = register(team.nurse, mrn="LOOSE-1")
    write_course(team.nurse, loose, *SHORT_RELIEF, instrument="phq9")
    as_legacy_records(loose)

    with_plan = services.patient_outcomes(access=team.prescriber, patient_id=planned.pk, now=at(8))
    rec = with_plan.recommendation
    assert rec is not None and rec.status is Status.MET and rec.relief_days == 4
    assert rec.day == 2 and rec.spacing_applied  # esketamine: 2 calendar days, not 1
    assert f"the protocol's minimum spacing ({ESKETAMINE}: sessions at least 2 days apart" in (
        rec.reason
    )
    without = services.patient_outcomes(access=team.prescriber, patient_id=loose.pk, now=at(8))
    assert without.recommendation is not None and without.recommendation.day == 3
    assert "the clinic's default minimum spacing (3 days after the last session; the course " in (
        without.recommendation.reason
    )


def test_the_reason_names_the_rule_when_spacing_does_not_move_the_date(
    team: Team, patient: Patient
) -> None:
    from .test_maintenance import TWO_WEEK_RELIEF

    plan = make_plan(team, patient, "iv_ketamine")
    days, scores = TWO_WEEK_RELIEF
    write_plan_course(team, patient, plan, days[:5], scores)
    state = services.patient_outcomes(access=team.prescriber, patient_id=patient.pk, now=at(40))
    rec = state.recommendation
    assert rec is not None and rec.day == 11 and not rec.spacing_applied
    assert (
        "it respects the protocol's minimum spacing (IV racemic ketamine: sessions at least "
        in (rec.reason)
    )


def test_accepting_books_in_the_plan_with_the_protocols_spacing(team: Team) -> None:
    fix_clock(at(7.5))  # the nurse decides on the evening of day 7
    patient = register(team.nurse, mrn="PLAN-2")
    plan = make_plan(team, patient)
    write_plan_course(team, patient, plan, *SHORT_RELIEF)
    with pytest.raises(ValidationFailed) as refused:  # the next calendar day: too soon
        services.recommendation_accept(
            access=team.nurse, patient_id=patient.pk, scheduled_start=at(8, 12), now=at(7.5)
        )
    assert f"the protocol's minimum spacing ({ESKETAMINE}" in str(refused.value)
    # Two calendar days later, though under the clinic's 72-hour default: allowed.
    decision = services.recommendation_accept(
        access=team.nurse, patient_id=patient.pk, scheduled_start=at(9, 8), now=at(7.5)
    )
    booked = decision.booked_session
    assert booked is not None
    assert (booked.plan_id, booked.protocol_code) == (plan.pk, "esketamine_trd")
    assert booked.scheduled_start == at(9, 8)


def test_accepting_without_a_protocol_keeps_the_clinic_default(
    team: Team, patient: Patient
) -> None:
    fix_clock(at(7.5))  # the nurse decides on the evening of day 7
    write_course(team.nurse, patient, *SHORT_RELIEF, instrument="phq9")
    as_legacy_records(patient)
    with pytest.raises(ValidationFailed) as refused:  # 47 hours: under 72
        services.recommendation_accept(
            access=team.nurse, patient_id=patient.pk, scheduled_start=at(9, 8), now=at(7.5)
        )
    assert "the clinic's default minimum spacing" in str(refused.value)
    decision = services.recommendation_accept(
        access=team.nurse, patient_id=patient.pk, scheduled_start=at(10, 9), now=at(7.5)
    )
    assert decision.booked_session is not None
    assert (decision.booked_session.plan_id, decision.booked_session.protocol_code) == (None, "")


# --- the dashboard's filters --------------------------------------------------------------

NOW = at(200)
RESPONDER = ([0, 2, 4], [(-1, 30), (1, 12), (20, 10)])


@pytest.fixture
def three_courses(team: Team) -> dict[str, Patient]:
    """An esketamine plan (intranasal, major depression, the on-call prescriber), an IV
    plan by the other prescriber, and IV sessions outside any plan."""
    made = {}
    for name, protocol, by in (
        ("esk", "esketamine_trd", "prescriber"),
        ("iv", "iv_ketamine", "prescriber_off_call"),
    ):
        made[name] = register(team.nurse, mrn=name.upper())
        plan = make_plan(team, made[name], protocol, by=by)
        write_plan_course(team, made[name], plan, *RESPONDER, instrument="madrs")
    made["loose"] = register(team.nurse, mrn="LOOSE")
    for day in RESPONDER[0]:
        record_past(locum(team), made["loose"], at(day), protocol="iv_ketamine", dose="35")
    return made


def locum(team: Team) -> ClinicAccess:
    """A third prescriber, who ordered and gave the IV sessions outside any plan."""
    found = User.objects.filter(username=f"locum.{team.clinic.slug}").first()
    if found is None:
        return add_member(team.clinic, Role.PRESCRIBER, "locum")
    return ClinicAccess(user=found, clinic=team.clinic, role=Role.PRESCRIBER)


def started(team: Team, **filters: Any) -> int:
    board = dashboard_open(
        access=team.prescriber, filters=Filters(instrument="madrs", **filters), now=NOW
    )
    assert board.started is not None  # a prescriber's counts are never suppressed
    return board.started


def test_each_dashboard_filter_narrows_the_courses(
    team: Team, three_courses: dict[str, Patient]
) -> None:
    assert started(team) == 3
    assert started(team, protocol="esketamine_trd") == 1
    assert started(team, protocol="iv_ketamine") == 2
    assert started(team, protocol="kap") == 0
    assert started(team, route="intranasal") == 1
    assert started(team, route="iv") == 2
    assert started(team, indication="major_depression") == 2  # the loose course has none
    assert started(team, indication="bipolar_depression") == 0
    assert started(team, prescriber_id=team.prescriber_off_call.user.pk) == 1
    assert started(team, prescriber_id=team.prescriber.user.pk) == 1
    assert started(team, protocol="iv_ketamine", prescriber_id=locum(team).user.pk) == 1


def test_the_filters_offer_the_values_present(
    team: Team, three_courses: dict[str, Patient]
) -> None:
    board = dashboard_open(
        access=team.prescriber, filters=Filters(protocol="esketamine_trd"), now=NOW
    )
    assert board.protocols == {"esketamine_trd": ESKETAMINE, "iv_ketamine": "IV racemic ketamine"}
    assert board.routes == {"intranasal": "Intranasal", "iv": "IV"}
    assert board.indications == {"major_depression": "Major depression"}
    assert set(board.prescribers) == {
        team.prescriber.user.pk,
        team.prescriber_off_call.user.pk,
        locum(team).user.pk,
    }
    groups = [row.group for row in board.by_protocol + board.by_route]
    assert groups == [f"Protocol: {ESKETAMINE}", "Route: Intranasal"]


def test_the_dashboard_page_and_api_filter(
    team: Team,
    three_courses: dict[str, Patient],
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    client = Client()
    client.force_login(team.prescriber.user)
    url = reverse("outcomes_dashboard", args=[team.clinic.slug])
    html = client.get(url, {"route": "intranasal"}).content.decode()
    assert '<strong id="courses-started">1</strong>' in html
    assert f'<option value="esketamine_trd" >{ESKETAMINE}</option>' in html
    assert '<option value="intranasal" selected>' in html
    api = api_client(team.prescriber)
    got = api.get("/api/v1/outcomes/dashboard", {"protocol": "iv_ketamine"})
    assert got.status_code == 200 and got.json()["courses_started"] == 2
    got = api.get("/api/v1/outcomes/dashboard", {"indication": "major_depression"})
    assert got.json()["courses_started"] == 2


def test_dashboard_queries_do_not_grow_with_plans(team: Team) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            dashboard_open(access=team.prescriber, filters=Filters(), now=NOW)
        return len(ctx.captured_queries)

    for n in range(2):
        patient = register(team.nurse, mrn=f"Q-{n}")
        write_plan_course(team, patient, make_plan(team, patient), *RESPONDER, instrument="madrs")
    count()
    small = count()
    for n in range(2, 6):
        patient = register(team.nurse, mrn=f"Q-{n}")
        write_plan_course(team, patient, make_plan(team, patient), *RESPONDER, instrument="madrs")
    assert count() == small


def test_the_tab_says_which_course_and_spacing_it_judges(team: Team, patient: Patient) -> None:
    plan = make_plan(team, patient)
    write_plan_course(team, patient, plan, *SHORT_RELIEF)
    client = Client()
    client.force_login(team.prescriber.user)
    url = reverse("patient_chart_section", args=[team.clinic.slug, patient.pk, "outcomes"])
    html = client.get(url).content.decode()
    assert "Judging the current course: first dose 2026-03-02, 3 sessions given, under a " in html
    assert (
        "(Intranasal esketamine (Spravato), treatment-resistant depression). "
        "Minimum spacing: the protocol&#x27;s minimum" in html
    )
