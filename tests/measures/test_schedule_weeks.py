"""The measurement schedule over six weeks, hour by hour.

A patient's plan: PHQ-9 every 7 days; PHQ-9 + GAD-7 before each session; PHQ-9 24 hours
after each session; QIDS-SR16 on two named dates. A course of six sessions over three
weeks (five given, one cancelled, one booked at short notice). The scheduler tick runs
every hour of the six weeks with `now` passed in, and the links it creates are exactly
the ones the plan calls for, on the right day, with the right context, session and
offset. The clinic is in London, so the weeks cross the change to summer time.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pytest
from django.utils import timezone

from ketacare.common import clock
from ketacare.measures import services
from ketacare.measures.models import SelfReportLink
from ketacare.measures.services import RuleInput
from ketacare.patients.models import Patient
from ketacare.patients.services import patient_archive
from ketacare.treatment import services as treatment
from ketacare.treatment.models import TreatmentSession
from tests.clinical import clear_for_protocol
from tests.clock import fix_clock
from tests.measures.conftest import GAD7_MILD, PHQ9_MODERATE, Team, register
from tests.sessions.build import ready_to_give

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
START = dt.datetime(2025, 3, 3, 0, 0, tzinfo=dt.UTC)  # Monday
END = START + dt.timedelta(weeks=6)


def utc(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=dt.UTC)


PLAN = [
    RuleInput(kind="every_n_days", instruments=("phq9",), interval_days=7),
    RuleInput(kind="before_session", instruments=("phq9", "gad7")),
    RuleInput(kind="after_session", instruments=("phq9",), hours_after=24),
    RuleInput(
        kind="on_dates",
        instruments=("pcl5",),
        dates=(dt.date(2025, 3, 24), dt.date(2025, 4, 7)),
    ),
]

# Session name: (booked at, starts at, dosing began at, or None for a cancelled session)
COURSE: dict[str, tuple[dt.datetime, dt.datetime, dt.datetime | None]] = {
    "S1": (START, utc(3, 4, 10), utc(3, 4, 10, 20)),
    "S2": (START, utc(3, 6, 10), utc(3, 6, 10, 15)),
    "S3": (START, utc(3, 11, 14), None),  # cancelled on 9 March
    "S4": (START, utc(3, 13, 10), utc(3, 13, 10, 30)),
    "S5": (START, utc(3, 18, 10), utc(3, 18, 10, 10)),
    "S6": (utc(3, 20, 15), utc(3, 21, 10), utc(3, 21, 10, 5)),  # booked the day before
}
CANCELLED_AT = utc(3, 9, 12)
GIVEN_RECORDED = H  # the nurse records a session as given within the hour


@dataclass(frozen=True)
class Created:
    """A link as the tick created it: when, what, and for which session."""

    at: dt.datetime
    instruments: tuple[str, ...]
    context: str
    session: str | None
    offset_hours: int | None


def pre(at: dt.datetime, session: str) -> Created:
    return Created(at, ("phq9", "gad7"), "pre_session", session, None)


def post(at: dt.datetime, session: str) -> Created:
    return Created(at, ("phq9",), "post_session", session, 24)


def weekly(at: dt.datetime) -> Created:
    return Created(at, ("phq9",), "between_sessions", None, None)


def named(at: dt.datetime) -> Created:
    return Created(at, ("pcl5",), "follow_up", None, None)


# 09:00 in London is 09:00 UTC until 30 March, then 08:00 UTC. Session links count from
# the session: the pre-session link 24 hours before it starts, the post-session link 24
# hours after dosing began (picked up by the first hourly tick at or after that time).
EXPECTED = [
    weekly(utc(3, 3, 9)),
    pre(utc(3, 3, 10), "S1"),
    pre(utc(3, 5, 10), "S2"),
    post(utc(3, 5, 11), "S1"),  # due 10:20
    post(utc(3, 7, 11), "S2"),  # due 10:15
    weekly(utc(3, 10, 9)),
    # S3 was cancelled before its pre-session link was due: nothing for it.
    pre(utc(3, 12, 10), "S4"),
    post(utc(3, 14, 11), "S4"),  # due 10:30
    weekly(utc(3, 17, 9)),
    pre(utc(3, 17, 10), "S5"),
    post(utc(3, 19, 11), "S5"),
    pre(utc(3, 20, 15), "S6"),  # booked less than 24 hours ahead: sent at once
    post(utc(3, 22, 11), "S6"),
    weekly(utc(3, 24, 9)),
    named(utc(3, 24, 9)),
    weekly(utc(3, 31, 8)),  # summer time
    weekly(utc(4, 7, 8)),
    named(utc(4, 7, 8)),
]


def answer_all(link: SelfReportLink, now: dt.datetime) -> None:
    token = services.link_token(link)
    for code, values in (("phq9", PHQ9_MODERATE), ("gad7", GAD7_MILD)):
        services.link_save_draft(
            token=token,
            instrument=code,
            answers={n: v for n, v in enumerate(values, start=1)},
            now=now,
        )
    services.link_submit(token=token, now=now)


def test_six_weeks_of_hourly_ticks_create_exactly_the_planned_links(
    team: Team, patient: Patient
) -> None:
    nurse = team.nurse
    services.plan_set(
        access=nurse, patient_id=patient.pk, starts_on=dt.date(2025, 3, 3), rules=PLAN
    )
    sessions: dict[str, uuid.UUID] = {}

    def book(name: str) -> None:
        session = treatment.session_schedule(
            access=nurse, patient_id=patient.pk, scheduled_start=COURSE[name][1]
        )
        sessions[name] = session.pk

    def give(name: str, dosing: dt.datetime) -> None:
        """Given on its day (esketamine, with what the rules ask), recorded within the hour."""
        recorded_at = clock.now()
        session = TreatmentSession.objects.get(pk=sessions[name])
        fix_clock(session.scheduled_start)
        ready_to_give(nurse, team.prescriber, session, "56", protocol="esketamine_trd")
        fix_clock(recorded_at)
        treatment.session_record_given(
            access=nurse, patient_id=patient.pk, session_id=sessions[name], dosing_started_at=dosing
        )

    def cancel(name: str) -> None:
        treatment.session_cancel(
            access=nurse,
            patient_id=patient.pk,
            session_id=sessions[name],
            reason="Patient has a chest infection",
        )

    def answer_first_pre_session_link(now: dt.datetime) -> None:
        answer_all(SelfReportLink.objects.get(patient=patient, context="pre_session"), now)

    fix_clock(START)
    clear_for_protocol(team.prescriber, patient.pk, "esketamine_trd")
    # What happens at each hour (on the clock), before that hour's tick.
    events: dict[dt.datetime, list[Callable[[], None]]] = defaultdict(list)
    for name, (booked, _starts, dosing) in COURSE.items():
        events[booked].append(partial(book, name))
        if dosing is not None:
            events[dosing.replace(minute=0) + GIVEN_RECORDED].append(partial(give, name, dosing))
    events[CANCELLED_AT].append(partial(cancel, "S3"))
    # The patient answers the first pre-session link that evening.
    events[utc(3, 3, 20)].append(partial(answer_first_pre_session_link, utc(3, 3, 20)))

    created: list[Created] = []
    seen: set[uuid.UUID] = set()
    names: dict[uuid.UUID, str] = {}
    now = START
    while now < END:
        for event in events.pop(now, []):
            fix_clock(now)
            event()
        names = {pk: name for name, pk in sessions.items()}
        counts = services.scheduler_tick(now=now)
        new = SelfReportLink.objects.filter(patient=patient).exclude(pk__in=seen)
        for link in new.order_by("schedule_key"):
            seen.add(link.pk)
            assert link.expires_at - dt.timedelta(hours=72) == now  # created by this tick
            created.append(
                Created(
                    now,
                    tuple(link.instruments),
                    link.context,
                    names.get(link.session_id) if link.session_id else None,
                    link.offset_hours,
                )
            )
        assert counts["invitations"] == len(new)
        if counts["invitations"]:
            # The same tick again finds everything already issued.
            assert services.scheduler_tick(now=now)["invitations"] == 0
        now += H

    def order(c: Created) -> tuple[dt.datetime, str]:
        return (c.at, c.context)

    assert sorted(created, key=order) == sorted(EXPECTED, key=order)
    links = SelfReportLink.objects.filter(patient=patient)
    assert links.count() == len(EXPECTED) == 18
    assert not links.filter(session_id=sessions["S3"]).exists()
    assert TreatmentSession.objects.get(pk=sessions["S3"]).status == "cancelled"
    # Scheduled links are sent by email, named by their schedule slot, created by nobody.
    assert set(links.values_list("channel", flat=True)) == {"email"}
    assert all(link.schedule_key and link.created_by is None for link in links)
    assert len({link.schedule_key for link in links}) == 18
    # Every unanswered link had its two reminders; the answered one had none.
    answered = links.get(completed_at__isnull=False)
    assert answered.session_id is not None
    assert (answered.context, names[answered.session_id]) == ("pre_session", "S1")
    assert answered.reminders_sent == 0
    assert set(links.exclude(pk=answered.pk).values_list("reminders_sent", flat=True)) == {2}


# --- the clinic default plan -------------------------------------------------------------


def test_the_clinic_default_plan_applies_to_patients_without_their_own(team: Team) -> None:
    zone = zoneinfo.ZoneInfo(team.clinic.time_zone)
    today = timezone.localdate(timezone=zone)
    services.plan_set(
        access=team.admin,
        patient_id=None,
        starts_on=today - dt.timedelta(days=56),
        rules=[RuleInput(kind="every_n_days", instruments=("phq9",), interval_days=14)],
    )
    new = register(team.nurse, mrn="NEW-1")
    veteran = register(team.nurse, mrn="OLD-1")
    Patient.objects.filter(pk=veteran.pk).update(created_at=timezone.now() - dt.timedelta(days=90))
    own = register(team.nurse, mrn="OWN-1")
    services.plan_set(
        access=team.nurse,
        patient_id=own.pk,
        starts_on=today,
        rules=[RuleInput(kind="every_n_days", instruments=("gad7",), interval_days=7)],
    )
    archived = register(team.nurse, mrn="ARC-1")
    patient_archive(access=team.prescriber, patient_id=archived.pk, reason="Discharged")

    send_time = dt.datetime.combine(today, dt.time(9), tzinfo=zone)
    assert services.scheduler_tick(now=send_time - dt.timedelta(minutes=1))["invitations"] == 0
    assert services.scheduler_tick(now=send_time)["invitations"] == 3
    assert services.scheduler_tick(now=send_time + H)["invitations"] == 0

    def issued(patient: Patient) -> list[tuple[str, list[str]]]:
        return [
            (link.schedule_key, link.instruments)
            for link in SelfReportLink.objects.filter(patient=patient)
        ]

    # A new patient's default plan starts on the day of registration...
    assert issued(new) == [("rphq9/14:every:0", ["phq9"])]
    # ... an earlier one's on the plan's own start: 56 days ago, the fifth fortnight.
    assert issued(veteran) == [("rphq9/14:every:4", ["phq9"])]
    # A patient with a plan of their own follows it instead; an archived one gets nothing.
    assert [instruments for _key, instruments in issued(own)] == [["gad7"]]
    assert issued(archived) == []


def test_the_default_plan_starts_on_the_clinics_day_of_registration(team: Team) -> None:
    # Registered at 00:30 on 9 April in London (summer time), which is still 8 April in
    # UTC: the plan starts on the 9th, at 09:00 London time (08:00 UTC), not at once.
    services.plan_set(
        access=team.admin,
        patient_id=None,
        starts_on=dt.date(2025, 1, 1),
        rules=[RuleInput(kind="every_n_days", instruments=("phq9",), interval_days=7)],
    )
    patient = register(team.nurse, mrn="LATE-1")
    Patient.objects.filter(pk=patient.pk).update(created_at=utc(4, 8, 23, 30))

    assert services.scheduler_tick(now=utc(4, 8, 23, 31))["invitations"] == 0
    assert services.scheduler_tick(now=utc(4, 9, 7, 59))["invitations"] == 0
    assert services.scheduler_tick(now=utc(4, 9, 8))["invitations"] == 1
    link = SelfReportLink.objects.get(patient=patient)
    assert link.expires_at == utc(4, 9, 8) + 72 * H


def test_without_any_plan_nothing_is_scheduled(team: Team, patient: Patient) -> None:
    fix_clock(START)
    treatment.session_schedule(
        access=team.nurse, patient_id=patient.pk, scheduled_start=utc(3, 4, 10)
    )
    for hour in range(0, 96, 6):
        assert services.schedule_run(now=START + hour * H) == []
    assert not SelfReportLink.objects.exists()


def test_scheduled_links_use_sms_when_there_is_no_email(team: Team) -> None:
    patient = register(team.nurse, mrn="SMS-1", email="")
    no_contact = register(team.nurse, mrn="NONE-1", email="", phone="")
    for who in (patient, no_contact):
        services.plan_set(
            access=team.nurse,
            patient_id=who.pk,
            starts_on=dt.date(2025, 3, 3),
            rules=[RuleInput(kind="every_n_days", instruments=("phq9",), interval_days=7)],
        )
    services.scheduler_tick(now=utc(3, 3, 9))
    assert SelfReportLink.objects.get(patient=patient).channel == "sms"
    assert SelfReportLink.objects.get(patient=no_contact).channel == "none"
