"""Demo data for the outcome dashboard: a cohort of synthetic courses with varied
outcomes in the first demo clinic, so the response and remission rates, the time to
response, the Kaplan-Meier curve of durability and the weekly trajectories have
something meaningful to show.

Each course is a new patient: a baseline PHQ-9 (and MADRS for some), six induction
sessions over two and a half weeks with PHQ-9 before sessions and 24 hours after the
first, weekly PHQ-9 after that, and boosters while the patient benefits. The kinds:
remitters, responders who do not remit, relapsers (relief lost at varied days),
non-responders who stop after induction, and courses with missing data (no baseline,
or no 24-hour score). Everything goes through the services with explicit past times, so
the audit trail is real: each patient consents, is screened for the course's protocol
(and weighed, for weight-based dosing), and the sessions, charted on paper, are entered
from it under the same rules as a live session (ketacare.demo.paper).
A fixed random seed makes the same cohort every time.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from ketacare.accounts.models import Clinic, User
from ketacare.common.course_state import refreshes_deferred
from ketacare.demo import paper
from ketacare.demo import planning_seed as planning
from ketacare.demo.measures_seed import Staff, _clamp, _staff, madrs_answers, phq9_answers
from ketacare.measures import services as measures
from ketacare.patients import services as patients
from ketacare.patients.models import Patient

COHORT_CLINIC = "riverside"
COHORT_SIZE = 150
# Sorts after the clinic's other patients (RI-...), whose first dozen tell the measures story.
MRN_PREFIX = "RO-"
HORIZON_DAYS = 150  # boosters and weekly scores for up to about five months
KINDS = (["remitter"] * 5 + ["responder"] * 3 + ["relapser"] * 4 + ["non_responder"] * 3) + [
    "missing_baseline",
    "missing_24h",
]
INDUCTION_DAYS = (0, 3, 7, 10, 14, 17)
# The protocol each course's sessions are booked under (no plan: the cohort's sessions are
# booked one by one), so the dashboard's protocol and route filters have values. Taken in
# turn, not from the random stream, so the cohort's outcomes stay as they were.
COHORT_PROTOCOLS = ("iv_ketamine", "iv_ketamine", "esketamine_trd", "im_ketamine")
# No cohort session in the last week: the measurement scheduler would otherwise invite
# these patients for the 24-hour questionnaires the seed has already recorded.
RECENT = dt.timedelta(days=7)


@dataclass
class Trajectory:
    kind: str
    baseline: float
    floor: float
    onset_days: float  # days to reach the floor
    relapse_day: float | None  # relief lost from this day (relapsers)

    def phq9(self, day: float, rng: random.Random) -> int:
        if day <= 0:
            value = self.baseline
        else:
            reached = min(1.0, day / self.onset_days)
            value = self.baseline - (self.baseline - self.floor) * reached
            if self.relapse_day is not None and day >= self.relapse_day:
                value = self.baseline * rng.uniform(0.7, 0.95)
        return _clamp(round(value + rng.gauss(0, 1.2)), 0, 27)


def trajectory(kind: str, rng: random.Random) -> Trajectory:
    baseline = rng.uniform(15, 25)
    floor = {
        "remitter": rng.uniform(1, 4),
        "responder": baseline * rng.uniform(0.35, 0.5),
        "relapser": rng.uniform(3, 7),
        "non_responder": baseline * rng.uniform(0.75, 0.95),
    }.get(kind, rng.uniform(2, 9))
    relapse = rng.uniform(20, 110) if kind == "relapser" else None
    return Trajectory(kind, baseline, floor, rng.uniform(3, 21), relapse)


def seed_outcomes(users: dict[str, User], cohort_size: int = COHORT_SIZE) -> None:
    """Seed step: the outcome cohort of the first demo clinic."""
    from ketacare.demo.seed import FAMILY, GIVEN_F, GIVEN_M

    clinic = Clinic.objects.get(slug=COHORT_CLINIC)
    staff = _staff(clinic)
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    today = clinic.today()
    rng = random.Random("ketacare-demo-outcomes")
    now = timezone.now()
    for number in range(cohort_size):
        sex = rng.choice(["female", "male"])
        patient = patients.patient_create(
            access=staff.admin,
            data={
                "mrn": f"{MRN_PREFIX}{30000 + number}",
                "legal_given_name": rng.choice(GIVEN_F if sex == "female" else GIVEN_M),
                "legal_family_name": rng.choice(FAMILY),
                "date_of_birth": today - dt.timedelta(days=rng.randint(20 * 365, 70 * 365)),
                "sex_at_birth": sex,
            },
            # A synthetic cohort: two people drawn with the same name and birthday are two.
            confirm_not_duplicate=True,
        )
        start = today - dt.timedelta(days=rng.randint(30, 540))
        path = trajectory(KINDS[number % len(KINDS)], rng)
        protocol = COHORT_PROTOCOLS[number % len(COHORT_PROTOCOLS)]
        with refreshes_deferred():  # the patient's course is recomputed once, at the end
            Course(staff, patient, path, rng, zone, now, protocol).tell(start)


class Course:
    def __init__(
        self,
        staff: Staff,
        patient: Patient,
        path: Trajectory,
        rng: random.Random,
        zone: zoneinfo.ZoneInfo,
        now: dt.datetime,
        protocol: str = "",
    ) -> None:
        self.staff, self.patient, self.path, self.rng = staff, patient, path, rng
        self.zone, self.now, self.protocol = zone, now, protocol
        self.dose = Decimal(56)  # esketamine's first dose; weight-based ones once weighed

    def at(self, start: dt.date, day: float, hour: float) -> dt.datetime:
        base = dt.datetime.combine(start, dt.time(0), tzinfo=self.zone)
        return base + dt.timedelta(days=int(day), hours=hour)

    def clear(self, start: dt.date) -> None:
        """Before the first session: treatment consent, a treatment-resistant history, a
        screening that allows the protocol and, for weight-based dosing, a weight."""
        prescriber = self.staff.prescriber
        paper.consent(prescriber, self.patient, start - dt.timedelta(days=7))
        planning.resistant_history(prescriber, self.patient, start)
        planning.screen_and_accept(prescriber, self.patient, self.protocol)
        if not self.protocol.startswith("esketamine"):
            planning.weigh(self.staff.nurse, self.patient, self.patient.clinic.today())
            self.dose = paper.protocol_dose(prescriber, self.patient, self.protocol)

    def tell(self, start: dt.date) -> None:
        path, rng = self.path, self.rng
        self.clear(start)
        if path.kind != "missing_baseline":
            self.phq9(self.at(start, -rng.randint(1, 6), 10), "baseline", -1)
            if rng.random() < 0.4:
                self.madrs(self.at(start, -1, 11), path.phq9(0, rng))
        induction = INDUCTION_DAYS[:4] if path.kind == "non_responder" else INDUCTION_DAYS
        days = list(induction)
        last = days[-1]
        stop = path.relapse_day or 10_000
        while path.kind != "non_responder" and last + 21 < min(stop + 14, HORIZON_DAYS):
            last += rng.randint(14, 28)
            days.append(last)
        for index, day in enumerate(days):
            when = self.at(start, day, 9.5)
            if when >= self.now - RECENT:
                break
            if index:
                self.phq9(when - dt.timedelta(minutes=30), "pre_session", day)
            self.session(when)
            if index == 0 and path.kind != "missing_24h":
                self.phq9(when + dt.timedelta(hours=24), "post_session", 1, offset=24)
        final = days[-1] + (28 if path.kind != "non_responder" else 14)
        week = 7
        while week <= final:
            when = self.at(start, week, 18)
            if when < self.now - dt.timedelta(hours=12) and week not in days:
                self.phq9(when, "between_sessions", week)
            week += 7

    def session(self, when: dt.datetime) -> None:
        booked = paper.book(self.staff.nurse, self.patient, when, self.protocol)
        started = when + dt.timedelta(minutes=10)
        paper.enter_given(self.staff.prescriber, self.staff.nurse, booked, started, self.dose)

    def phq9(self, when: dt.datetime, context: str, day: float, offset: int | None = None) -> None:
        total = self.path.phq9(day, self.rng)
        measures.response_record(
            access=self.staff.nurse,
            patient_id=self.patient.pk,
            instrument="phq9",
            answers=phq9_answers(self.rng, total),
            context=context,
            answered_at=when,
            offset_hours=offset,
        )

    def madrs(self, when: dt.datetime, phq9_total: int) -> None:
        total = _clamp(round(phq9_total * 1.6 + self.rng.gauss(0, 2)), 0, 54)
        measures.response_record(
            access=self.staff.prescriber,
            patient_id=self.patient.pk,
            instrument="madrs",
            answers=madrs_answers(self.rng, total),
            context="baseline",
            answered_at=when,
        )
