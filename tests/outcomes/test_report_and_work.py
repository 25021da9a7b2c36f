"""The report's parts read from the other capabilities (resistance history and staging,
the treatment plan, doses and routes, adverse events), and the worklist's sections fed by
them (REMS forms due, plans awaiting prescriber action), each linked to where the work is
done, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketacare.dosing import services as dosing
from ketacare.dosing.models import DoseOrder
from ketacare.eligibility import services as eligibility
from ketacare.eligibility.models import AntidepressantTrial, ScreeningResult
from ketacare.eligibility.selectors import open_cautions
from ketacare.outcomes.report import report_open
from ketacare.outcomes.worklist import build_worklist
from ketacare.patients import services as patients
from ketacare.patients.models import Medication, Patient
from ketacare.treatment import charting
from ketacare.treatment import services as treatment
from ketacare.treatment.models import AdverseEvent
from tests.clinical import ANEURYSM_CHECKLIST, FAILED_TRIALS, MAOI
from tests.clock import advance_clock, fix_clock
from tests.factories import BodyMeasurementFactory, clinic_today
from tests.measures.conftest import Team, register
from tests.sessions import build

from .plans import make_plan


@pytest.fixture(autouse=True)
def _clock_before_the_sessions() -> None:
    fix_clock(build.BEFORE_SESSIONS)


ESKETAMINE = "Intranasal esketamine (Spravato), treatment-resistant depression"


def charted(team: Team, patient: Patient) -> None:
    """An esketamine session charted live to discharge (56 mg, two devices; its REMS form
    a draft), with an adverse event, one entered in error, and a side effect."""
    session = build.esketamine_discharged(team.nurse, team.prescriber, patient)
    for description in ("Vasovagal episode after the second device", "Typo"):
        charting.adverse_event_record(
            access=team.nurse,
            patient_id=patient.pk,
            session_id=session.pk,
            description=description,
            serious=False,
            action_taken="Lay flat, observed 30 minutes",
            outcome="resolved",
        )
    wrong = AdverseEvent.objects.get(description="Typo")
    charting.entry_mark_in_error(
        access=team.nurse,
        patient_id=patient.pk,
        session_id=session.pk,
        kind="adverse-events",
        entry_id=wrong.pk,
        reason="Entered on the wrong patient",
    )
    charting.side_effect_record(
        access=team.nurse,
        patient_id=patient.pk,
        session_id=session.pk,
        effect="nausea",
        severity="mild",
    )


def test_an_empty_report_says_none_recorded(team: Team, patient: Patient) -> None:
    content = report_open(access=team.prescriber, patient_id=patient.pk, now=timezone.now())
    assert (content.resistance, content.plan, content.sessions, content.adverse_events) == (
        [],
        [],
        [],
        [],
    )
    from django.test import Client

    client = Client()
    client.force_login(team.prescriber.user)
    html = client.get(reverse("patient_report", args=[team.clinic.slug, patient.pk])).content
    text = html.decode()
    assert text.count("None recorded.") >= 4 and "not recorded in this version" not in text.lower()


def test_the_report_reads_history_plan_doses_and_adverse_events(
    team: Team, patient: Patient
) -> None:
    plan = make_plan(team, patient)  # records the current episode and screens the patient
    for data in FAILED_TRIALS:
        eligibility.history_add(
            access=team.prescriber, patient_id=patient.pk, model=AntidepressantTrial, data=data
        )
    charted(team, patient)
    content = report_open(access=team.prescriber, patient_id=patient.pk, now=timezone.now())
    resistance = "\n".join(content.resistance)
    assert "Current episode since 2024-01-10: severe" in resistance
    assert "Treatment-resistance status: treatment-resistant (2 different drug(s)" in resistance
    assert "Thase-Rush stage: " in resistance and "Maudsley Staging Method: " in resistance
    assert "Trial: Sertraline up to 150 mg/day for 8 weeks, no response: Adequate" in resistance
    (plan_line,) = content.plan
    assert plan_line.startswith(f"{ESKETAMINE} (protocol version 1) for major depression: active")
    assert f"from {plan.start_date:%Y-%m-%d} at 09:00; Induction: 2 times a week for 4 weeks" in (
        plan_line
    )
    assert "plan version 1; 0 of " in plan_line
    (row,) = content.sessions
    assert row.course == ESKETAMINE
    assert row.dose == "56 mg given, esketamine Intranasal"
    events = content.adverse_events
    assert len(events) == 2
    assert events[0].startswith("Adverse event 2024-03-04: Vasovagal episode after the second")
    assert "not serious; action: Lay flat, observed 30 minutes; outcome: resolved" in events[0]
    assert events[1] == "Side effect 2024-03-04: nausea or vomiting, mild"
    assert not any("Typo" in line for line in events)


def test_the_reports_queries_do_not_grow_with_the_sessions(team: Team, patient: Patient) -> None:
    charted(team, patient)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            report_open(access=team.prescriber, patient_id=patient.pk, now=timezone.now())
        return len(ctx.captured_queries)

    count()
    small = count()
    for _ in range(3):
        build.given(team.nurse, patient)
    content = report_open(access=team.prescriber, patient_id=patient.pk, now=timezone.now())
    assert len(content.sessions) == 4
    # Recorded as given off-system: the double-checked order is on record (issue 12).
    assert [row.dose for row in content.sessions].count("35 mg ordered, IV (not charted)") == 3
    assert count() == small


# --- the worklist ------------------------------------------------------------------------


def items(team: Team, kind: str) -> list[tuple[str, str, str]]:
    work = build_worklist(team.prescriber, timezone.now())
    return [(i.mrn, i.summary, i.url) for i in work.items if i.kind == kind]


def test_rems_forms_due_link_to_the_form_until_submitted(team: Team, patient: Patient) -> None:
    session = build.esketamine_discharged(team.nurse, team.prescriber, patient)
    ((mrn, summary, url),) = items(team, "rems_forms_due")
    assert mrn == patient.mrn
    assert summary == (
        "REMS patient monitoring form for the session of 2024-03-04: not submitted, due 2024-03-11"
    )
    fix_clock(dt.datetime(2024, 3, 12, 9, 0, tzinfo=dt.UTC))  # the day after it was due
    ((mrn, summary, url),) = items(team, "rems_forms_due")
    assert summary == (
        "REMS patient monitoring form for the session of 2024-03-04: not submitted, "
        "overdue since 2024-03-11"
    )
    assert url == reverse("rems_form_page", args=[team.clinic.slug, patient.pk, session.pk])
    treatment.rems_form_submit(
        access=team.nurse,
        patient_id=patient.pk,
        session_id=session.pk,
        submitted_on=dt.date(2024, 3, 5),
        confirmation_number="RMS-123",
    )
    assert items(team, "rems_forms_due") == []


def weigh(patient: Patient) -> None:
    BodyMeasurementFactory.create(
        patient=patient,
        measured_on=clinic_today(patient.clinic),
        weight_kg=Decimal("70.0"),
        height_cm=Decimal("170.0"),
    )


def weighed_and_ordered(team: Team, patient: Patient) -> DoseOrder:
    """Weighed today, then a prescriber's esketamine order of 56 mg, not yet double-checked."""
    weigh(patient)
    return dosing.order_create(
        access=team.prescriber,
        patient_id=patient.pk,
        given=dosing.DoseInput("esketamine_trd", Decimal("56")),
    )


def test_plans_awaiting_the_prescriber(team: Team, patient: Patient) -> None:
    plan_url = reverse("patient_chart_section", args=[team.clinic.slug, patient.pk, "plan"])
    make_plan(team, patient)
    ((_mrn, summary, url),) = items(team, "plans_awaiting_prescriber")
    assert summary.startswith(f"{ESKETAMINE} plan (from ")
    assert summary.endswith("has sessions booked but no active dose order")
    assert url == plan_url
    order = weighed_and_ordered(team, patient)
    ((_mrn, summary, url),) = items(team, "plans_awaiting_prescriber")
    assert summary.startswith(f"Dose order 56 mg ({ESKETAMINE}) of ")
    assert summary.endswith("awaits a second clinician's double-check") and url == plan_url
    dosing.order_double_check(
        access=team.prescriber_off_call, patient_id=patient.pk, order_id=order.pk
    )
    assert items(team, "plans_awaiting_prescriber") == []
    advance_clock(minutes=5)
    eligibility.screening_run(
        access=team.prescriber,
        patient_id=patient.pk,
        protocol_code="esketamine_trd",
        checklist=ANEURYSM_CHECKLIST,
    )
    ((_mrn, summary, url),) = items(team, "plans_awaiting_prescriber")
    assert "found the patient not eligible: review the plan" in summary and url == plan_url


def test_a_new_caution_holds_the_plan_until_a_prescriber_accepts_it(
    team: Team, patient: Patient
) -> None:
    plan_url = reverse("patient_chart_section", args=[team.clinic.slug, patient.pk, "plan"])
    make_plan(team, patient)
    order = weighed_and_ordered(team, patient)
    dosing.order_double_check(
        access=team.prescriber_off_call, patient_id=patient.pk, order_id=order.pk
    )
    assert items(team, "plans_awaiting_prescriber") == []
    advance_clock(minutes=5)
    patients.record_add(
        access=team.nurse,
        patient_id=patient.pk,
        model=Medication,
        data=MAOI,
    )  # the automatic re-screen raises the MAOI caution
    ((_mrn, summary, url),) = items(team, "plans_awaiting_prescriber")
    assert "raised 1 caution no prescriber has accepted (Phenelzine (phenelzine, maoi)" in summary
    assert summary.endswith("dosing waits for a decision") and url == plan_url
    screening = ScreeningResult.objects.filter(patient=patient).latest("created_at")
    for caution in open_cautions(screening):
        eligibility.caution_accept(
            access=team.prescriber,
            patient_id=patient.pk,
            screening_id=screening.pk,
            code=caution["code"],
            justification="Blood pressure checked every 10 minutes.",
        )
    assert items(team, "plans_awaiting_prescriber") == []


def test_the_sources_queries_do_not_grow(team: Team) -> None:
    def populate(first: int, count: int) -> None:
        for n in range(first, first + count):
            patient = register(team.nurse, mrn=f"W-{n}")
            make_plan(team, patient)
            other = register(team.nurse, mrn=f"O-{n}")
            weighed_and_ordered(team, other)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            build_worklist(team.prescriber, timezone.now())
        return len(ctx.captured_queries)

    populate(0, 1)
    count()
    small = count()
    populate(1, 3)
    assert len(items(team, "plans_awaiting_prescriber")) == 8
    assert count() == small
