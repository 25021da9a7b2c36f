"""Demo data for measurement-based care: months of scores that tell a story.

For a dozen patients per demo clinic: a baseline PHQ-9, QIDS-SR16 and MADRS; an
induction course of six ketamine sessions over about two and a half weeks; PHQ-9 (with
GAD-7) before each session and PHQ-9 24 hours after; MADRS by a prescriber and CADSS
after dosing; then maintenance boosters every two to five weeks, before which the
scores drift up as relief fades, and after which they drop. Most patients respond,
some only partly, one does not. One patient answered PHQ-9 item 9 above 0 minutes ago,
leaving an open safety alert; another did weeks ago and the alert was acknowledged.
A few self-report links are open, and each clinic has a default measurement plan.

Everything clinical goes through the services with explicit past times, so the audit
trail is real. The IV sessions were charted on paper and are entered from it under the
same rules as a live session (ketacare.demo.paper): the patient is screened and weighed,
each dose is ordered by the prescriber, double-checked by the nurse, with a baseline and
the prescriber supervising, and the late entries carry their reason. Past self-report
links are "shown on screen only", so that seeding queues no messages for months gone
by; the few open links are sent by email or SMS, which the demo's worker delivers to its
console. A fixed random seed makes the same story every time.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, Membership, User
from ketacare.accounts.policy import Role
from ketacare.common.course_state import refreshes_deferred
from ketacare.demo import paper
from ketacare.demo import planning_seed as planning
from ketacare.measures import services as measures
from ketacare.patients.models import Patient
from ketacare.treatment import services as treatment

STORY_PATIENTS = 12
# One non-responder per clinic, a few partial responders, the rest respond.
COURSES = [
    "responder",
    "partial",
    "responder",
    "responder",
    "non_responder",
    "partial",
    "responder",
    "responder",
    "partial",
    "responder",
    "responder",
    "partial",
]
OPEN_ALERT_PATIENT = 1  # index in the story list: a partial responder whose relief fades
ACKNOWLEDGED_ALERT_PATIENT = 3
OWN_PLAN_PATIENT = 0
OPEN_LINK_PATIENTS = (2, 6, 9)
INDUCTION_DAYS = (0, 3, 5, 8, 12, 16)  # six sessions over about two and a half weeks
PROTOCOL = "iv_ketamine"

CRISIS_RESOURCES = {
    "riverside": (
        "If you are thinking about suicide or might harm yourself, get help now. Call 999 "
        "in an emergency, or NHS 111 and choose the mental health option. Samaritans: call "
        "116 123, free, day or night. Riverside Ketamine Clinic: 020 7946 0000 (weekdays "
        "8am-6pm)."
    ),
    "harbour": (
        "If you are thinking about suicide or might harm yourself, get help now. Call or text "
        "988 (988 Suicide & Crisis Lifeline), or call 911 in an emergency. Harbour Mood "
        "Centre: (617) 555-0140 (weekdays 8am-6pm)."
    ),
}
# (username, mobile phone, {clinic slug: on call}) for safety-alert escalations.
ON_CALL = [
    ("admin", "07700 900101", {}),
    ("dr.okafor", "07700 900102", {"riverside": True}),
    ("dr.lindqvist", "07700 900103", {}),
    ("np.walsh", "+1 617 555 0104", {"harbour": True}),
]


@dataclass
class Course:
    """A patient's response to treatment, as the level of depression over time."""

    kind: str
    baseline: float  # PHQ-9 before treatment
    floor: float  # where sustained treatment takes them
    half_life_days: float  # how fast relief fades after a session
    rng: random.Random
    doses: list[dt.datetime] = field(default_factory=list)

    def effect(self, at: dt.datetime) -> float:
        """0 (no relief) to 1 (full relief): each session adds, time takes away."""
        effect, last = 0.0, None
        for dose in self.doses:
            if dose > at:
                break
            if last is not None:
                effect *= self._fade(dose - last)
            boost = 0.55 if self.kind == "non_responder" else 0.65
            effect += (1 - effect) * boost
            last = dose
        return effect * self._fade(at - last) if last is not None else 0.0

    def _fade(self, elapsed: dt.timedelta) -> float:
        return math.exp(-math.log(2) * elapsed.total_seconds() / 86400 / self.half_life_days)

    def phq9(self, at: dt.datetime) -> int:
        level = self.floor + (self.baseline - self.floor) * (1 - self.effect(at))
        if self.doses and self.doses[0] <= at:
            # The rapid response: lowest a day after a session, gone within a few days.
            since = (at - max(d for d in self.doses if d <= at)).total_seconds() / 86400
            level -= (4.0 if self.kind != "non_responder" else 1.0) * math.exp(-since / 2.5)
        return _clamp(round(level + self.rng.gauss(0, 1.0)), 0, 27)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _spread(rng: random.Random, total: int, count: int, top: int) -> list[int]:
    """`count` item values in 0..top that add up to `total` (capped at count * top)."""
    values = [0] * count
    for _ in range(_clamp(total, 0, count * top)):
        values[rng.choice([i for i, v in enumerate(values) if v < top])] += 1
    return values


def phq9_answers(rng: random.Random, total: int, item9: int = 0) -> list[int | None]:
    items: list[int | None] = list(_spread(rng, total - item9, 8, 3))
    difficulty = _clamp(total // 7, 0, 3)
    return [*items, item9, difficulty]


def gad7_answers(rng: random.Random, total: int) -> list[int]:
    return _spread(rng, total, 7, 3)


def qids_answers(rng: random.Random, total: int) -> list[int]:
    """QIDS-SR16 items whose nine domains add up to `total` (no suicidal ideation)."""
    sleep, mood, appetite, concentration, self_view, interest, energy, psychomotor = _spread(
        rng, total, 8, 3
    )
    sleep_items = [rng.randint(0, sleep) for _ in range(4)]
    sleep_items[rng.randrange(4)] = sleep
    appetite_items = [0, 0, 0, 0]
    appetite_items[rng.randrange(4)] = appetite
    moving = [rng.randint(0, psychomotor), psychomotor]
    rng.shuffle(moving)
    return [
        *sleep_items,
        mood,
        *appetite_items,
        concentration,
        self_view,
        0,
        interest,
        energy,
        *moving,
    ]


def madrs_answers(rng: random.Random, total: int) -> list[int]:
    suicidal_thoughts = 1 if total >= 20 and rng.random() < 0.5 else 0  # below the flag
    return [*_spread(rng, total - suicidal_thoughts, 9, 6), suicidal_thoughts]


def cadss_answers(rng: random.Random, total: int) -> list[int]:
    return _spread(rng, total, 23, 4)


@dataclass(frozen=True)
class Staff:
    clinic: Clinic
    zone: zoneinfo.ZoneInfo
    admin: ClinicAccess
    prescriber: ClinicAccess
    nurse: ClinicAccess


def _access(clinic: Clinic, username: str) -> ClinicAccess:
    membership = Membership.objects.select_related("user").get(
        clinic=clinic, user__username=username
    )
    return ClinicAccess(user=membership.user, clinic=clinic, role=Role(membership.role))


def _staff(clinic: Clinic) -> Staff:
    members = {
        m.role: m.user.get_username()
        for m in Membership.objects.filter(clinic=clinic).select_related("user").order_by("id")
    }
    return Staff(
        clinic=clinic,
        zone=zoneinfo.ZoneInfo(clinic.time_zone),
        admin=_access(clinic, members[Role.CLINIC_ADMIN.value]),
        prescriber=_access(clinic, "dr.okafor"),
        nurse=_access(clinic, members[Role.NURSE.value]),
    )


def seed_measures(users: dict[str, User]) -> None:
    """Seed step: measurement settings, plans and months of scores."""
    from ketacare.demo.seed import CLINICS

    now = timezone.now()
    for username, mobile, on_call in ON_CALL:
        User.objects.filter(pk=users[username].pk).update(mobile_phone=mobile)
        for slug, value in on_call.items():
            Membership.objects.filter(user=users[username], clinic__slug=slug).update(
                is_on_call=value
            )
    for spec in CLINICS:
        clinic = Clinic.objects.get(slug=spec.slug)
        staff = _staff(clinic)
        config = measures.measure_settings_for(clinic)
        config.crisis_resources = CRISIS_RESOURCES.get(spec.slug, config.crisis_resources)
        config.save()
        measures.plan_set(
            access=staff.admin,
            patient_id=None,
            starts_on=clinic.today() - dt.timedelta(days=365),
            rules=[
                measures.RuleInput(kind="before_session", instruments=("phq9", "gad7")),
                measures.RuleInput(kind="after_session", instruments=("phq9",), hours_after=24),
            ],
        )
        rng = random.Random(f"ketacare-demo-measures-{spec.slug}")
        story = Patient.objects.filter(clinic=clinic).order_by("mrn")[:STORY_PATIENTS]
        for index, patient in enumerate(story):
            with refreshes_deferred():  # the patient's course is recomputed once, at the end
                Story(staff, patient, COURSES[index % len(COURSES)], rng, now, index).tell()


class Story:
    """One patient's months of treatment and measurement, written in time order."""

    def __init__(
        self,
        staff: Staff,
        patient: Patient,
        kind: str,
        rng: random.Random,
        now: dt.datetime,
        index: int,
    ) -> None:
        self.staff, self.patient, self.rng, self.now, self.index = staff, patient, rng, now, index
        baseline = rng.uniform(16, 23)
        floor = {
            "responder": rng.uniform(3, 6),
            "partial": baseline - rng.uniform(7, 10),
            "non_responder": baseline - rng.uniform(1, 3),
        }[kind]
        half_life = {"responder": 35.0, "partial": 14.0, "non_responder": 5.0}[kind]
        self.course = Course(kind, baseline, floor, rng.uniform(0.8, 1.2) * half_life, rng)
        self.kind = kind

    # --- time ---------------------------------------------------------------------------

    def local(self, day: dt.date, hour: float) -> dt.datetime:
        whole = int(hour)
        minute = int((hour - whole) * 60)
        return dt.datetime.combine(day, dt.time(whole, minute), tzinfo=self.staff.zone)

    def today(self) -> dt.date:
        return timezone.localtime(self.now, self.staff.zone).date()

    # --- the story ----------------------------------------------------------------------

    def tell(self) -> None:
        rng = self.rng
        start = self.today() - dt.timedelta(days=rng.randint(100, 160))
        session_hour = rng.choice([9, 9.5, 10, 11, 13, 14])
        baseline_day = start - dt.timedelta(days=rng.randint(5, 9))
        self.baseline(self.local(baseline_day, 10))
        self.clear_for_treatment(baseline_day)

        days = [start + dt.timedelta(days=d) for d in INDUCTION_DAYS]
        for number, day in enumerate(days, start=1):
            self.session(self.local(day, session_hour), number, madrs=number in (1, 3, 6))
        self.qids(self.local(days[-1] + dt.timedelta(days=2), 18), "follow_up")

        # Maintenance: boosters every 2-5 weeks while the patient benefits.
        last = days[-1]
        boosters = 0
        while True:
            # Responders hold their gains longer, so their boosters are further apart.
            gap = rng.randint(21, 35) if self.kind == "responder" else rng.randint(14, 24)
            day = last + dt.timedelta(days=gap)
            stopped = self.kind == "non_responder" and boosters >= 1
            if stopped or day > self.today() - dt.timedelta(days=5):
                break
            self.weekly_between(last, day)
            boosters += 1
            self.session(self.local(day, session_hour), 6 + boosters, madrs=boosters % 2 == 1)
            if boosters % 3 == 0:
                self.qids(self.local(day + dt.timedelta(days=4), 19), "follow_up")
            last = day
        end = self.today() if self.kind != "non_responder" else last + dt.timedelta(days=21)
        self.weekly_between(last, end + dt.timedelta(days=1))
        if self.kind != "non_responder":
            self.book_next(last)
        self.specials()

    def baseline(self, at: dt.datetime) -> None:
        phq9 = self.course.phq9(at)
        self.self_report(at, {"phq9": phq9_answers(self.rng, phq9)}, "baseline")
        self.qids(at + dt.timedelta(minutes=10), "baseline")
        self.madrs(at + dt.timedelta(minutes=40), "baseline")

    def clear_for_treatment(self, consented: dt.date) -> None:
        """Consent at the baseline visit, a treatment-resistant history, a screening that
        allows IV ketamine and a current weight: what the paper sessions' entry needs."""
        access, today = self.staff.prescriber, self.today()
        paper.consent(access, self.patient, consented)
        planning.resistant_history(access, self.patient, today)
        planning.screen_and_accept(access, self.patient, PROTOCOL)
        planning.weigh(self.staff.nurse, self.patient, today)
        self.dose = paper.protocol_dose(access, self.patient, PROTOCOL)

    def session(self, start: dt.datetime, number: int, *, madrs: bool) -> None:
        """Book the session, then give it: measures before, during and after."""
        rng, nurse = self.rng, self.staff.nurse
        session = paper.book(nurse, self.patient, start, PROTOCOL)
        # On arrival, on the clinic's tablet: PHQ-9 and GAD-7.
        arrived = start - dt.timedelta(minutes=rng.randint(25, 45))
        phq9 = self.course.phq9(arrived)
        gad7 = _clamp(round(phq9 * 0.7 + rng.gauss(0, 1.5)), 0, 21)
        self.self_report(
            arrived,
            {"phq9": phq9_answers(rng, phq9), "gad7": gad7_answers(rng, gad7)},
            "pre_session",
            session=session.pk,
        )
        if madrs:
            self.madrs(start - dt.timedelta(minutes=15), "pre_session", session=session.pk)
        dosing = start + dt.timedelta(minutes=rng.randint(8, 25))
        paper.enter_given(self.staff.prescriber, nurse, session, dosing, self.dose)
        self.course.doses.append(dosing)
        # Dissociation 40 minutes after dosing: strongest in the first sessions.
        cadss = _clamp(round(4 + 26 * math.exp(-(number - 1) / 3) + rng.gauss(0, 3)), 0, 92)
        measures.response_record(
            access=nurse,
            patient_id=self.patient.pk,
            instrument="cadss",
            answers=cadss_answers(rng, cadss),
            context="post_session",
            session_id=session.pk,
            offset_hours=1,
            answered_at=dosing + dt.timedelta(minutes=40),
        )
        # 24 hours after dosing, at home: the rapid response.
        after = dosing + dt.timedelta(hours=24, minutes=rng.randint(5, 240))
        self.self_report(
            after,
            {"phq9": phq9_answers(rng, self.course.phq9(after))},
            "post_session",
            session=session.pk,
            offset_hours=24,
        )

    def weekly_between(self, since: dt.date, until: dt.date) -> None:
        """A PHQ-9 a week between sessions (none within two days of one)."""
        day = since + dt.timedelta(days=7)
        while day < until - dt.timedelta(days=2):
            at = self.local(day, self.rng.uniform(9.5, 21))
            if at < self.now - dt.timedelta(hours=12):
                phq9 = self.course.phq9(at)
                self.self_report(at, {"phq9": phq9_answers(self.rng, phq9)}, "between_sessions")
            day += dt.timedelta(days=7)

    def book_next(self, last: dt.date) -> None:
        """The next booster, booked for the weeks ahead."""
        day = max(last + dt.timedelta(days=self.rng.randint(14, 28)), self.today())
        day += dt.timedelta(days=self.rng.randint(3, 10))
        treatment.session_schedule(
            access=self.staff.nurse,
            patient_id=self.patient.pk,
            scheduled_start=self.local(day, 10),
            protocol_code=PROTOCOL,
        )

    def specials(self) -> None:
        rng, staff = self.rng, self.staff
        if self.index == OPEN_ALERT_PATIENT:
            # Minutes ago, as relief fades: thoughts of death "several days".
            at = self.now - dt.timedelta(minutes=6)
            phq9 = max(self.course.phq9(at), 15)
            self.self_report(at, {"phq9": phq9_answers(rng, phq9, item9=1)}, "between_sessions")
        if self.index == ACKNOWLEDGED_ALERT_PATIENT:
            at = self.local(self.today() - dt.timedelta(days=38), 20.25)
            phq9 = max(self.course.phq9(at), 12)
            (recorded,) = self.self_report(
                at, {"phq9": phq9_answers(rng, phq9, item9=1)}, "between_sessions"
            )
            measures.alert_acknowledge(
                access=staff.prescriber,
                alert_id=recorded.alerts[0].pk,
                action_taken="contacted_patient",
                note=(
                    "Phoned within 10 minutes. Fleeting passive thoughts after a hard week; "
                    "no plan or intent, protective factors intact. Safety plan reviewed "
                    "with the patient."
                ),
                now=at + dt.timedelta(minutes=9),
            )
        if self.index == OWN_PLAN_PATIENT:
            monday = self.today() + dt.timedelta(days=7 - self.today().weekday())
            measures.plan_set(
                access=staff.nurse,
                patient_id=self.patient.pk,
                starts_on=monday,
                rules=[
                    measures.RuleInput("every_n_days", ("phq9",), interval_days=7),
                    measures.RuleInput("before_session", ("phq9", "gad7")),
                    measures.RuleInput("after_session", ("phq9",), hours_after=24),
                    measures.RuleInput(
                        "on_dates",
                        ("gad7",),
                        dates=(monday + dt.timedelta(days=28), monday + dt.timedelta(days=84)),
                    ),
                ],
            )
        if self.index in OPEN_LINK_PATIENTS:
            sent = self.now - dt.timedelta(hours=rng.randint(2, 40))
            channel = "email" if self.patient.email and self.index != 6 else "sms"
            measures.link_create(
                access=staff.nurse,
                patient_id=self.patient.pk,
                instruments=["phq9", "gad7"] if self.index == 9 else ["phq9"],
                context="between_sessions",
                channel=channel,
                now=sent,
            )

    # --- writing ------------------------------------------------------------------------

    def self_report(
        self,
        at: dt.datetime,
        answers: dict[str, list[Any]],
        context: str,
        *,
        session: uuid.UUID | None = None,
        offset_hours: int | None = None,
    ) -> list[measures.Recorded]:
        """The patient answers through a link opened a little before `at`."""
        link = measures.link_create(
            access=self.staff.nurse,
            patient_id=self.patient.pk,
            instruments=list(answers),
            context=context,
            channel="none",
            session_id=session,
            offset_hours=offset_hours,
            now=at - dt.timedelta(minutes=self.rng.randint(3, 30)),
        )
        token = measures.link_token(link)
        for code, values in answers.items():
            measures.link_save_draft(
                token=token,
                instrument=code,
                answers={number: value for number, value in enumerate(values, start=1)},
                now=at,
            )
        return measures.link_submit(token=token, now=at)

    def qids(self, at: dt.datetime, context: str) -> None:
        total = _clamp(round(self.course.phq9(at) * 0.85 + self.rng.gauss(0, 1.5)), 0, 24)
        # QIDS-SR16 is answered on its paper form and entered by staff: KetaCare may not
        # show its wording on screen, so it is never sent as a link (instruments.md 2.4).
        measures.response_record(
            access=self.staff.nurse,
            patient_id=self.patient.pk,
            instrument="qids_sr16",
            answers=qids_answers(self.rng, total),
            context=context,
            answered_at=at,
        )

    def madrs(self, at: dt.datetime, context: str, *, session: uuid.UUID | None = None) -> None:
        total = _clamp(round(self.course.phq9(at) * 1.6 + self.rng.gauss(0, 2.5)), 0, 55)
        measures.response_record(
            access=self.staff.prescriber,
            patient_id=self.patient.pk,
            instrument="madrs",
            answers=madrs_answers(self.rng, total),
            context=context,
            session_id=session,
            answered_at=at,
        )
