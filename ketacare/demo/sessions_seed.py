"""Demo treatment sessions charted in full: for three patients per demo clinic, two IV
ketamine sessions in the past fortnight and, for the third patient, two esketamine
sessions with their REMS forms (one submitted, one still to submit); at Riverside, one
IV session is under way now.

The vital signs follow what the sources report (clinical.md §4.1): blood pressure rises
during the infusion, peaking around 30-40 minutes (mean +3 to +16 mmHg systolic) and
settling within the hour; heart rate rises a little; SpO2 stays normal. One session has
a rise above the clinic's threshold, acknowledged by the prescriber. Everything goes
through the services on the clock of the moment it happened, so the audit trail and the
timings (device spacing, the 2-hour esketamine observation) are real.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, User
from ketacare.common import clock
from ketacare.demo import paper
from ketacare.demo import planning_seed as planning
from ketacare.demo.measures_seed import STORY_PATIENTS, Staff, _staff
from ketacare.demo.paper import protocol_dose, weight_of
from ketacare.measures import services as measures
from ketacare.patients.models import Patient
from ketacare.treatment import charting, services
from ketacare.treatment.discharge import CHECKLIST_LABELS
from ketacare.treatment.models import SessionAlert, TreatmentSession

IV, ESKETAMINE = "iv_ketamine", "esketamine_trd"
ALL_CLEAR = dict.fromkeys(CHECKLIST_LABELS, True)
IV_READINGS_MIN = (10, 20, 30, 40, 55, 70, 85, 100)  # every 10 min during, 15 after
ESK_READINGS_MIN = (40, 70, 100, 118)  # about 40 min, then until stable


@contextmanager
def at(moment: dt.datetime) -> Iterator[None]:
    with clock.writing_history_at(moment):
        yield


class Charting:
    """One session, charted by the clinic's nurse and supervised by its prescriber."""

    def __init__(self, staff: Staff, patient: Patient, rng: random.Random, start: dt.datetime):
        self.staff, self.patient, self.rng, self.start = staff, patient, rng, start
        self.ids: dict[str, Any] = {"patient_id": patient.pk}
        self.baseline = {
            "systolic": round(rng.gauss(124, 8)),
            "diastolic": round(rng.gauss(78, 5)),
            "heart_rate": round(rng.gauss(72, 7)),
            "spo2": rng.choice((97, 98, 98, 99)),
            "respiratory_rate": rng.choice((12, 14, 14, 16)),
        }
        self.peak = {"systolic": rng.uniform(6, 16), "diastolic": rng.uniform(3, 9)}

    @property
    def nurse(self) -> ClinicAccess:
        return self.staff.nurse

    @property
    def prescriber(self) -> ClinicAccess:
        return self.staff.prescriber

    def minutes(self, m: float) -> dt.datetime:
        return self.start + dt.timedelta(minutes=m)

    def prepare(self, protocol: str, dose: Decimal) -> None:
        """Booked, ordered and double-checked, supervised, checked in, assessed: ready to
        dose at `start`."""
        with at(self.minutes(-40)):
            session = services.session_schedule(
                access=self.nurse,
                patient_id=self.patient.pk,
                scheduled_start=self.minutes(-20),
                protocol_code=protocol,
            )
            self.ids["session_id"] = session.pk
            services.session_order_set(
                access=self.prescriber, **self.ids, protocol_code=protocol, ordered_dose_mg=dose
            )
            services.session_order_double_check(access=self.nurse, **self.ids)
        with at(self.minutes(-20)):
            services.session_transition(access=self.nurse, **self.ids, event="check_in")
            services.supervisor_attest(access=self.prescriber, **self.ids)
        with at(self.minutes(-10)):
            services.assessment_save(
                access=self.nurse,
                **self.ids,
                version=1,
                data={
                    "fasting_confirmed": protocol == ESKETAMINE,
                    "no_decongestant_confirmed": protocol == ESKETAMINE,
                    "medicines_today": "Usual morning medicines taken.",
                    "medication_changes": "None since the last session.",
                },
                weight_kg=weight_of(self.patient) if protocol == IV else None,
                baseline=self.baseline,
            )

    def reading(self, minute: float, *, spike: int = 0) -> None:
        """A reading following the usual rise and fall, peaking around 35 min."""
        bump = math.exp(-(((minute - 35) / 22) ** 2))
        rng = self.rng
        values = {
            "systolic": round(
                self.baseline["systolic"] + self.peak["systolic"] * bump + rng.gauss(0, 3)
            )
            + spike,
            "diastolic": round(
                self.baseline["diastolic"] + self.peak["diastolic"] * bump + rng.gauss(0, 2)
            )
            + spike // 2,
            "heart_rate": round(self.baseline["heart_rate"] + 6 * bump + rng.gauss(0, 3)),
            "spo2": rng.choice((96, 97, 98, 98, 99)),
            "respiratory_rate": rng.choice((12, 14, 14, 16)),
            "moaas": 4 if 15 <= minute <= 45 and rng.random() < 0.4 else 5,
        }
        with at(self.minutes(minute)):
            charting.vitals_record(
                access=self.nurse,
                **self.ids,
                readings=[charting.ReadingIn(f"demo-{minute:g}", self.minutes(minute), values)],
            )

    def acknowledge_alerts(self, minute: float, action: str, note: str) -> None:
        with at(self.minutes(minute)):
            for alert in SessionAlert.objects.filter(
                session_id=self.ids["session_id"], acknowledged_at=None
            ):
                charting.alert_acknowledge(
                    access=self.prescriber, **self.ids, alert_id=alert.pk, action=action, note=note
                )

    def effects(self, minute: float, *effects: tuple[str, str]) -> None:
        with at(self.minutes(minute)):
            for effect, severity in effects:
                charting.side_effect_record(
                    access=self.nurse, **self.ids, effect=effect, severity=severity
                )

    def cadss6(self, minute: float) -> None:
        answers = [self.rng.choice((0, 0, 1, 1, 2)) for _ in range(6)]
        measures.response_record(
            access=self.prescriber,
            patient_id=self.patient.pk,
            instrument="cadss6",
            answers=answers,
            context="post_session",
            offset_hours=0,
            answered_at=self.minutes(minute),
            session_id=self.ids["session_id"],
        )

    def discharge(self, minute: float, *, sign_after: float | None = 20) -> None:
        with at(self.minutes(minute - 2)):
            session = TreatmentSession.objects.get(pk=self.ids["session_id"])
            services.checklist_save(
                access=self.nurse, **self.ids, version=session.version, items=ALL_CLEAR
            )
            services.session_transition(access=self.nurse, **self.ids, event="mark_ready")
        with at(self.minutes(minute)):
            services.session_discharge(access=self.nurse, **self.ids)
        if sign_after is not None:
            with at(self.minutes(minute + sign_after)):
                services.session_sign(access=self.prescriber, **self.ids)


def start_iv(c: Charting, dose: Decimal) -> None:
    with at(c.start):
        charting.administration_start(
            access=c.nurse,
            **c.ids,
            dose_mg=dose,
            formulation="Ketamine 50 mg/mL, diluted to 0.5 mg/mL in sodium chloride 0.9%",
            concentration_mg_per_ml=Decimal("0.5"),
            lot_number=f"KT{c.rng.randint(10000, 99999)}",
            expiry=c.start.date() + dt.timedelta(days=400),
            pump_rate_ml_per_h=dose * 3,  # 2 mL per mg at 0.5 mg/mL: the bag in 40 min
            container_ref=f"VIAL-{c.rng.randint(1000, 9999)}",
        )


def iv_session(
    staff: Staff, patient: Patient, rng: random.Random, start: dt.datetime, *, spike: bool = False
) -> None:
    c = Charting(staff, patient, rng, start)
    dose = protocol_dose(staff.prescriber, patient, IV)
    c.prepare(IV, dose)
    start_iv(c, dose)
    for minute in IV_READINGS_MIN[:4]:
        c.reading(minute, spike=34 if spike and minute == 30 else 0)
        if spike and minute == 30:
            c.acknowledge_alerts(31, "continue", "Rechecked manually; asymptomatic. Observe.")
    c.effects(25, ("dissociation", "mild"), ("dizziness", "mild"))
    c.cadss6(41)
    with at(c.minutes(40)):
        charting.administration_stop(access=c.nurse, **c.ids)  # the pump record: the dose
    for minute in IV_READINGS_MIN[4:]:
        c.reading(minute)
    c.discharge(104)  # 60 min observation from the end of the infusion at 40 min


def esketamine_session(
    staff: Staff, patient: Patient, rng: random.Random, start: dt.datetime, *, submitted: bool
) -> None:
    c = Charting(staff, patient, rng, start)
    c.prepare(ESKETAMINE, Decimal("56"))
    with at(c.start):
        charting.administration_start(
            access=c.nurse,
            **c.ids,
            dose_mg=Decimal("56"),
            formulation="Spravato (esketamine) 28 mg nasal spray device",
            lot_number=f"SP{rng.randint(100000, 999999)}",
            expiry=start.date() + dt.timedelta(days=500),
            container_ref=f"PACK-{rng.randint(1000, 9999)}",
        )
    with at(c.minutes(5)):
        charting.device_give(access=c.nurse, **c.ids)
    with at(c.minutes(7)):
        charting.administration_stop(access=c.nurse, **c.ids)
    for minute in ESK_READINGS_MIN:
        c.reading(minute)
    c.effects(30, ("dissociation", "moderate"), ("nausea", "mild"))
    c.cadss6(42)
    c.discharge(122)
    if submitted:
        with at(c.minutes(60 * 24 * 2)):
            services.rems_form_submit(
                access=c.nurse,
                **c.ids,
                submitted_on=c.minutes(60 * 24 * 2).date(),
                confirmation_number=f"REMS-{rng.randint(100000, 999999)}",
            )


def in_progress(staff: Staff, patient: Patient, rng: random.Random, now: dt.datetime) -> None:
    """An IV infusion started 25 minutes ago: readings at 10 and 20 minutes so far."""
    c = Charting(staff, patient, rng, now - dt.timedelta(minutes=25))
    dose = protocol_dose(staff.prescriber, patient, IV)
    c.prepare(IV, dose)
    start_iv(c, dose)
    for minute in (10, 20):
        c.reading(minute)


def cleared_for(staff: Staff, patient: Patient, protocol: str, today: dt.date) -> None:
    """Consent, the treatment-resistant history and accepted screening a first dose needs; for
    IV a weight within the clinic's 30 days for the first order (each session weighs
    again)."""
    paper.consent(staff.prescriber, patient, patient.clinic.today())
    planning.resistant_history(staff.prescriber, patient, today)
    planning.screen_and_accept(staff.prescriber, patient, protocol)
    if protocol == IV:
        planning.weigh(staff.nurse, patient, patient.clinic.today())


def _morning(day: dt.date, zone: Any, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=zone)


def seed_sessions(users: dict[str, User]) -> None:
    """Seed step: fully charted sessions, and one under way at Riverside."""
    from ketacare.demo.seed import CLINICS

    now = timezone.now()
    for spec in CLINICS:
        clinic = Clinic.objects.get(slug=spec.slug)
        staff = _staff(clinic)
        today = clinic.today()
        rng = random.Random(f"ketacare-demo-sessions-{spec.slug}")
        patients = list(
            Patient.objects.filter(clinic=clinic, archived_at=None).order_by("mrn")[
                STORY_PATIENTS : STORY_PATIENTS + 4
            ]
        )
        with at(_morning(today - dt.timedelta(days=20), staff.zone, 8)):
            for patient, protocol in zip(patients, (IV, IV, ESKETAMINE, IV), strict=True):
                cleared_for(staff, patient, protocol, today)
        for day, hour in ((12, 9), (5, 9)):
            when = _morning(today - dt.timedelta(days=day), staff.zone, hour)
            iv_session(staff, patients[0], rng, when, spike=day == 5)
            iv_session(staff, patients[1], rng, when + dt.timedelta(hours=2))
        with at(_morning(today - dt.timedelta(days=30), staff.zone, 9)):
            services.rems_enroll(
                access=staff.nurse,
                patient_id=patients[2].pk,
                enrolled_on=today - dt.timedelta(days=30),
            )
        # Five days back or more: past the 24-h questionnaire's 72-h window, so the worker
        # has nothing to send for them (the measures story covers those links).
        for day, submitted in ((10, True), (5, False)):
            when = _morning(today - dt.timedelta(days=day), staff.zone, 11)
            esketamine_session(staff, patients[2], rng, when, submitted=submitted)
        if spec.slug == "riverside":
            in_progress(staff, patients[3], rng, now)
