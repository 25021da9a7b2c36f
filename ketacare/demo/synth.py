"""A synthetic clinic at scale (issue 14): `ketacare synth --clinic SLUG --patients N`.

Patients, treatment sessions, vital readings, questionnaire responses with their scores
and the audit events of all of them, written in bulk (PostgreSQL's COPY, else
bulk_create) rather than through the services, and built to hold the same invariants
the services keep:

- every row is the clinic's; MRNs are unique (SY<seed>-<number>); names come from the
  demo's lists, dates of birth and everything else from a generator seeded with the
  seed, the clinic's slug and the patient's number (the same seed gives the same rows,
  ids included);
- sessions follow the paper-chart path (ketacare.demo.paper): booked, ordered and
  double-checked, checked in, pre-dose assessment, recorded as given, signed; a few are
  cancelled or missed. Times are ordered (booked < ordered < checked in < dosing <
  signed < now), every reading lies between check-in and signing (the baseline before
  dosing) and within the monitoring limits (no alert is due), as charted from paper;
- each response's Score row is what the pure scorer (ketacare.measures.score) makes of
  its answers with the clinic's configuration; no answer raises a safety finding;
- each row has the audit event its service would write, chained onto the clinic's audit
  chain (sequence and hash as ketacare.audit.services.audit_record computes them), the
  chain head moved to the last one and, once committed, an anchor sealed for it;
- the clinic's course state is rebuilt as `ketacare outcomes-rebuild` does.

Not made: the controlled-substance ledger, administrations (paper-charted sessions
have none), pre-dose assessment rows, consents and screenings, plans, links, alerts.
Everything runs in one transaction: it all lands, or nothing does.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import random
import uuid
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from ketacare.accounts.models import Clinic, Membership, User
from ketacare.accounts.policy import Role
from ketacare.accounts.services import clinic_create, membership_set
from ketacare.audit import anchors, head
from ketacare.audit.models import AuditChainHead, AuditEvent
from ketacare.audit.services import Action
from ketacare.common import clock
from ketacare.demo.measures_seed import _clamp, gad7_answers, phq9_answers
from ketacare.demo.outcomes_seed import INDUCTION_DAYS, KINDS, trajectory
from ketacare.demo.seed import DEMO_PASSWORD, FAMILY, GIVEN_F, GIVEN_M
from ketacare.measures import ScoreResult, score
from ketacare.measures.models import MeasureContext, QuestionnaireResponse, Score
from ketacare.measures.services import score_fields, scoring_config
from ketacare.outcomes.models import CourseInstrumentState, CourseState, CourseWeekValue
from ketacare.outcomes.state import clinic_state_rebuild
from ketacare.patients.models import Patient
from ketacare.patients.search import digits_of, searchable_text
from ketacare.treatment.models import TreatmentSession, VitalReading

SYNTH_PASSWORD = DEMO_PASSWORD  # the synthetic clinic's staff sign in like the demo's
PROTOCOLS = ("iv_ketamine", "iv_ketamine", "im_ketamine")  # no esketamine: no REMS forms
DOSE_MG = {"iv_ketamine": (25, 60), "im_ketamine": (40, 80)}
CHUNK = 500  # patients generated, chained and written per batch
SOURCE = {"source": "synth"}  # in each synthetic audit event's details
STAFF_ROLES = (
    ("admin", Role.CLINIC_ADMIN, "Synthetic Admin"),
    ("prescriber", Role.PRESCRIBER, "Dr Synthetic Prescriber"),
    ("nurse", Role.NURSE, "Synthetic Nurse RN"),
)
S = TreatmentSession.Status


@dataclass(frozen=True)
class Volumes:
    """Per patient, on average. Issue 14's 50,000-patient clinic had 4.2 sessions, 41
    vital readings, 13 responses and 74 audit events per patient: --readings 10 makes
    that; the default, 6 readings a session, fits 50,000 patients into 15 minutes on a
    busy two-core machine (docs/benchmarks.md, "The synthetic clinic")."""

    sessions: int = 4
    readings: int = 6  # per given session
    responses: int = 13


@dataclass(frozen=True)
class Staff:
    admin: User
    prescriber: User
    nurse: User


@dataclass
class Outcome:
    clinic: Clinic
    staff: Staff
    counts: dict[str, int] = field(default_factory=dict)


def mrn_prefix(seed: int) -> str:
    return f"SY{seed}-"


# --- writing rows in bulk ----------------------------------------------------------------


class Table:
    """Rows of one model as dicts of column values; the columns not given take the
    field's default, as a model instance would."""

    def __init__(self, model: type[models.Model], *, skip: Sequence[str] = ()) -> None:
        self.model = model
        fields = [f for f in model._meta.concrete_fields if f.attname not in skip]
        self.columns = [f.attname for f in fields]
        self.db_columns = [f.column for f in fields]
        self.json = {i for i, f in enumerate(fields) if isinstance(f, models.JSONField)}
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.rows: list[dict[str, Any]] = []
        self.written = 0

    def add(self, **values: Any) -> None:
        self.rows.append(values)

    def flush(self) -> None:
        if not self.rows:
            return
        if connection.vendor == "postgresql":
            self._copy()
        else:
            objs = [
                self.model(
                    **{
                        **self.defaults,
                        **{k: v.value if isinstance(v, Json) else v for k, v in row.items()},
                    }
                )
                for row in self.rows
            ]
            self.model._default_manager.bulk_create(objs, batch_size=500)
        self.written += len(self.rows)
        self.rows = []

    def _copy(self) -> None:
        from psycopg.copy import QueuedLibpqWriter  # PostgreSQL only

        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        columns = ", ".join(quote(c) for c in self.db_columns)
        names, defaults, as_json = self.columns, self.defaults, self.json
        with connection.cursor() as cursor:
            raw = cursor.cursor
            sql = f"COPY {table} ({columns}) FROM STDIN"
            # Rows are sent from a thread of psycopg's while the next ones are formatted.
            with raw.copy(sql, writer=QueuedLibpqWriter(raw)) as copy:
                for row in self.rows:
                    values = [row[c] if c in row else defaults[c] for c in names]
                    for i in as_json:
                        if not isinstance(values[i], Json):
                            values[i] = json.dumps(values[i])
                    copy.write_row(values)


# --- the clinic and its staff ------------------------------------------------------------


def clinic_for(slug: str) -> tuple[Clinic, Staff]:
    """The clinic (made if missing, with two-factor sign-in off so its pages open with a
    password alone) and an administrator, a prescriber and a nurse to open them with."""
    clinic = Clinic.objects.filter(slug=slug).first()
    if clinic is None:
        clinic = clinic_create(
            name=f"Synthetic clinic {slug}",
            slug=slug,
            time_zone="Europe/London",
            mfa_required=False,
        )
    users: dict[str, User] = {}
    for key, role, display in STAFF_ROLES:
        member = (
            Membership.objects.filter(clinic=clinic, role=role.value, is_active=True)
            .select_related("user")
            .order_by("id")
            .first()
        )
        if member is not None:
            users[key] = member.user
            continue
        user, created = User.objects.get_or_create(
            username=f"{slug}.{key}",
            defaults={"display_name": display, "email": f"{slug}.{key}@example.org"},
        )
        if created:
            user.set_password(SYNTH_PASSWORD)
            user.save()
        membership_set(clinic=clinic, user=user, role=role, actor=users.get("admin"))
        users[key] = user
    return clinic, Staff(users["admin"], users["prescriber"], users["nurse"])


# --- one patient's story -----------------------------------------------------------------


@dataclass
class Batch:
    """The rows and audit events of a batch of patients, before they are chained."""

    patients: Table
    sessions: Table
    readings: Table
    responses: Table
    scores: Table
    events: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def empty(cls) -> Batch:
        return cls(
            Table(Patient),
            Table(TreatmentSession),
            Table(VitalReading),
            Table(QuestionnaireResponse),
            Table(Score),
        )

    def tables(self) -> list[Table]:
        # In foreign-key order.
        return [self.patients, self.sessions, self.readings, self.responses, self.scores]


class Writer:
    """Makes the rows and audit events of patients, without touching the database."""

    def __init__(
        self,
        clinic: Clinic,
        staff: Staff,
        seed: int,
        volumes: Volumes,
        now: dt.datetime,
        stamp: dt.datetime,
        configs: dict[str, dict[str, Any]],
    ) -> None:
        self.clinic, self.staff, self.seed, self.volumes = clinic, staff, seed, volumes
        self.now = now
        self.stamp = stamp  # created_at/updated_at of every row, as a save sets them
        self.zone = zoneinfo.ZoneInfo(clinic.time_zone)
        self.today = now.astimezone(self.zone).date()
        self.score = _scorer(configs)
        self.rng = random.Random()
        self.batch = Batch.empty()

    def batch_of(self, numbers: Iterable[int]) -> Batch:
        self.batch = Batch.empty()
        for number in numbers:
            self.patient(number)
        return self.batch

    # Each patient draws from a generator of their own: the same seed gives the same
    # patient whatever the batch size, and ids come from it too.
    def patient(self, number: int) -> None:
        rng = random.Random(f"ketacare-synth-{self.clinic.slug}-{self.seed}-{number}")
        self.rng = rng
        sex = rng.choice(["female", "male"])
        given = rng.choice(GIVEN_F if sex == "female" else GIVEN_M)
        family = rng.choice(FAMILY)
        mrn = f"{mrn_prefix(self.seed)}{number:07d}"
        phone = f"07700 9{rng.randint(10000, 99999)}"
        path = trajectory(KINDS[number % len(KINDS)], rng)
        protocol = rng.choice(PROTOCOLS)
        plan = self._session_days(rng)
        responses = self._response_plan(rng, plan, path.kind)
        last = max([d for d, *_ in plan] + [d for d, *_ in responses] + [0])
        start = self.today - dt.timedelta(days=last + 3 + rng.randint(0, 540))
        registered = self.at(start, -rng.randint(10, 30), 11)
        born = start - dt.timedelta(days=rng.randint(19 * 365, 72 * 365))
        patient_id = self.new_id()
        self.batch.patients.add(
            id=patient_id,
            created_at=self.stamp,
            updated_at=self.stamp,
            clinic_id=self.clinic.pk,
            mrn=mrn,
            legal_given_name=given,
            legal_family_name=family,
            date_of_birth=born,
            sex_at_birth=sex,
            gender_identity="Woman" if sex == "female" else "Man",
            preferred_language="es" if number % 8 == 3 else "en",
            phone=phone,
            phone_digits=digits_of(phone),
            search_text=searchable_text(family, given, "", mrn),
            email=f"{given.lower()}.{family.lower()}.{number}@example.net",
            no_known_allergies=rng.random() < 0.6,
            created_by_id=self.staff.admin.pk,
        )
        self.event(
            registered,
            self.staff.admin,
            patient_id,
            "patient",
            patient_id,
            Action.CREATE,
            {
                "mrn": [None, mrn],
                "legal_given_name": [None, given],
                "legal_family_name": [None, family],
                "date_of_birth": [None, born.isoformat()],
                "sex_at_birth": [None, sex],
            },
        )
        given_at: list[dt.datetime] = []
        dose = Decimal(rng.randint(*DOSE_MG[protocol]))
        for day, status in plan:
            when = self.at(start, day, 9 + rng.randint(0, 13) / 2)
            dosed = self.session(patient_id, when, status, protocol, dose)
            if dosed is not None:
                given_at.append(dosed)
        for on_day, instrument, context in responses:
            self.response(patient_id, path, start, on_day, instrument, context, given_at)

    def at(self, start: dt.date, day: float, hour: float) -> dt.datetime:
        local = dt.datetime.combine(start, dt.time(0), tzinfo=self.zone)
        moment = local + dt.timedelta(days=int(day), hours=hour)
        return moment.astimezone(dt.UTC)

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _session_days(self, rng: random.Random) -> list[tuple[int, str]]:
        mean = self.volumes.sessions
        count = rng.randint(max(0, mean - 2), mean + 2) if mean else 0
        days = list(INDUCTION_DAYS[:count])
        while len(days) < count:
            days.append(days[-1] + rng.randint(14, 28))
        plan: list[tuple[int, str]] = []
        for day in days:
            draw = rng.random()
            status = S.CANCELLED if draw < 0.04 else S.NO_SHOW if draw < 0.07 else S.SIGNED
            plan.append((day, status))
        return plan

    def _response_plan(
        self, rng: random.Random, plan: list[tuple[int, str]], kind: str
    ) -> list[tuple[float, str, str]]:
        """(day, instrument, context) of the patient's responses, about volumes.responses
        of them: baselines, 24 hours after the first session, before each later one,
        then weekly."""
        target = self.volumes.responses
        if target <= 0:
            return []
        count = max(1, target + rng.randint(-3, 3))
        given = [day for day, status in plan if status == S.SIGNED]
        wanted: list[tuple[float, str, str]] = []
        if kind != "missing_baseline":
            wanted += [(-2, "phq9", MeasureContext.BASELINE), (-2, "gad7", MeasureContext.BASELINE)]
        if given:
            if kind != "missing_24h":
                wanted.append((given[0] + 1, "phq9", MeasureContext.POST_SESSION))
            wanted += [(day, "phq9", MeasureContext.PRE_SESSION) for day in given[1:]]
        week = 1
        while len(wanted) < count:
            day = 7 * week
            if day not in given:
                instrument = "gad7" if week % 4 == 0 else "phq9"
                wanted.append((day, instrument, MeasureContext.BETWEEN_SESSIONS))
            week += 1
        return wanted[:count]

    def session(
        self,
        patient_id: uuid.UUID,
        start: dt.datetime,
        status: str,
        protocol: str,
        dose: Decimal,
    ) -> dt.datetime | None:
        """One session; answers when dosing started, if it was given."""
        rng, staff = self.rng, self.staff
        session_id = self.new_id()
        booked = start - dt.timedelta(days=rng.randint(2, 14), hours=rng.randint(0, 5))
        nurse, prescriber = staff.nurse, staff.prescriber
        ev = functools.partial(self.event, patient_id=patient_id, object_id=session_id)
        details = {"session_id": str(session_id)}
        ev(
            booked,
            nurse,
            object_type="treatmentsession",
            action=Action.CREATE,
            changes={
                "scheduled_start": [None, _plain(start)],
                "protocol_code": [None, protocol],
            },
        )
        row: dict[str, Any] = {
            "id": session_id,
            "created_at": self.stamp,
            "updated_at": self.stamp,
            "clinic_id": self.clinic.pk,
            "patient_id": patient_id,
            "scheduled_start": start,
            "status": status,
            "created_by_id": nurse.pk,
            "protocol_code": protocol,
        }
        if status != S.SIGNED:
            reason = "Did not attend" if status == S.NO_SHOW else "Patient unwell; rebooked"
            row.update(status_reason=reason, version=2)
            self.batch.sessions.add(**row)
            ev(
                start + dt.timedelta(minutes=rng.randint(-600, 30)),
                nurse,
                object_type="treatmentsession",
                action=Action.UPDATE,
                changes={"status": [S.SCHEDULED, status], "status_reason": [None, reason]},
                details={
                    **details,
                    "event": "no_show" if status == S.NO_SHOW else "cancel",
                },
            )
            return None
        ordered = booked + dt.timedelta(hours=rng.randint(1, 20))
        checked = ordered + dt.timedelta(minutes=rng.randint(10, 120))
        checked_in = start + dt.timedelta(minutes=rng.randint(-10, 10))
        dosing = checked_in + dt.timedelta(minutes=rng.randint(20, 40))
        signed = dosing + dt.timedelta(hours=rng.randint(3, 30), minutes=rng.randint(0, 59))
        row.update(
            dosing_started_at=dosing,
            ordered_dose_mg=dose,
            ordered_by_id=prescriber.pk,
            ordered_at=ordered,
            order_checked_by_id=nurse.pk,
            order_checked_at=checked,
            supervising_prescriber_id=prescriber.pk,
            supervisor_on_site_at=checked_in + dt.timedelta(minutes=5),
            checked_in_at=checked_in,
            signed_at=signed,
            signed_by_id=prescriber.pk,
            version=7,
        )
        self.batch.sessions.add(**row)
        steps: list[tuple[dt.datetime, User, dict[str, list[Any]], dict[str, Any]]] = [
            (
                ordered,
                prescriber,
                {
                    "protocol_code": [protocol, protocol],
                    "ordered_dose_mg": [None, str(dose)],
                    "ordered_by": [None, prescriber.pk],
                },
                {"event": "order"},
            ),
            (
                checked,
                nurse,
                {"order_checked_by": [None, nurse.pk]},
                {"event": "order_double_check"},
            ),
            (
                checked_in,
                nurse,
                {
                    "status": [S.SCHEDULED, S.CHECKED_IN],
                    "checked_in_at": [None, _plain(checked_in)],
                },
                {"event": "check_in"},
            ),
            (
                checked_in + dt.timedelta(minutes=2),
                nurse,
                {"status": [S.CHECKED_IN, S.PRE_DOSE]},
                {"event": "start_assessment"},
            ),
            (
                dosing + dt.timedelta(hours=2),
                nurse,
                {
                    "status": [S.PRE_DOSE, S.DISCHARGED],
                    "dosing_started_at": [None, _plain(dosing)],
                },
                {"event": "record_given"},
            ),
            (
                signed,
                prescriber,
                {
                    "status": [S.DISCHARGED, S.SIGNED],
                    "signed_at": [None, _plain(signed)],
                    "signed_by": [None, prescriber.pk],
                },
                {"event": "sign"},
            ),
        ]
        for moment, actor, changes, more in steps:
            ev(
                moment,
                actor,
                object_type="treatmentsession",
                action=Action.UPDATE,
                changes=changes,
                details={**details, **more},
            )
        self.readings(patient_id, session_id, checked_in, dosing)
        return dosing

    def readings(
        self,
        patient_id: uuid.UUID,
        session_id: uuid.UUID,
        checked_in: dt.datetime,
        dosing: dt.datetime,
    ) -> None:
        """A baseline before dosing, then readings every 15 minutes or so, all within the
        monitoring limits (Thresholds' defaults) and before signing."""
        rng, mean = self.rng, self.volumes.readings
        if mean <= 0:
            return
        count = max(1, mean + rng.randint(-2, 2))
        spacing = min(15.0, 170.0 / max(1, count - 1))
        systolic, diastolic = rng.randint(108, 135), rng.randint(66, 84)
        heart = rng.randint(60, 88)
        for index in range(count):
            baseline = index == 0
            taken = (
                dosing - dt.timedelta(minutes=rng.randint(3, 15))
                if baseline
                else dosing + dt.timedelta(minutes=round(spacing * index))
            )
            taken = max(taken, checked_in)
            rise = 0 if baseline else rng.randint(0, 18)
            values = {
                "systolic": systolic + rise,
                "diastolic": diastolic + rise // 2,
                "heart_rate": heart + rng.randint(-4, 10),
                "spo2": rng.randint(95, 99),
                "respiratory_rate": rng.randint(12, 18),
                "moaas": 5 if baseline else rng.randint(3, 5),
            }
            reading_id = self.new_id()
            self.batch.readings.add(
                id=reading_id,
                created_at=self.stamp,
                updated_at=self.stamp,
                clinic_id=self.clinic.pk,
                session_id=session_id,
                entered_by_id=self.staff.nurse.pk,
                reading_id=f"paper-{index + 1}",
                taken_at=taken,
                is_baseline=baseline,
                source=VitalReading.Source.MANUAL,
                **values,
            )
            # Entered from the paper chart once the session is recorded as given.
            entered = dosing + dt.timedelta(hours=2, seconds=20 * (index + 1))
            self.event(
                entered,
                self.staff.nurse,
                patient_id,
                "vitalreading",
                reading_id,
                Action.CREATE,
                {k: [None, v] for k, v in values.items()},
                {"session_id": str(session_id), "baseline": baseline},
            )

    def response(
        self,
        patient_id: uuid.UUID,
        path: Any,
        start: dt.date,
        day: float,
        instrument: str,
        context: str,
        given_at: list[dt.datetime],
    ) -> None:
        rng = self.rng
        offset = None
        if context == MeasureContext.POST_SESSION and given_at:
            answered = given_at[0] + dt.timedelta(hours=24)
            offset = 24
        elif context == MeasureContext.PRE_SESSION:
            answered = self.at(start, day, 9 - 0.5)
        else:
            answered = self.at(start, day, 18 if context != MeasureContext.BASELINE else 10)
        if instrument == "gad7":
            answered += dt.timedelta(minutes=5)
        phq9 = path.phq9(day, rng)
        answers: list[Any] = (
            gad7_answers(rng, _clamp(round(phq9 * 0.75), 0, 21))
            if instrument == "gad7"
            else phq9_answers(rng, phq9)
        )
        result = self.score(instrument, tuple(answers))
        response_id = self.new_id()
        self.batch.responses.add(
            id=response_id,
            created_at=self.stamp,
            updated_at=self.stamp,
            clinic_id=self.clinic.pk,
            patient_id=patient_id,
            instrument=instrument,
            instrument_version=result.version,
            answers=answers,
            respondent=QuestionnaireResponse.Respondent.PATIENT,
            entered_by_id=self.staff.nurse.pk,
            context=context,
            offset_hours=offset,
            answered_at=answered,
        )
        self.batch.scores.add(
            id=self.new_id(),
            response_id=response_id,
            clinic_id=self.clinic.pk,
            patient_id=patient_id,
            instrument=instrument,
            answered_at=answered,
            **score_fields(result),
            is_current=True,
            created_at=self.stamp,
        )
        self.event(
            answered,
            self.staff.nurse,
            patient_id,
            "questionnaireresponse",
            response_id,
            Action.CREATE,
            {
                "instrument": [None, instrument],
                "answers": [None, answers],
                "total": [None, result.total],
                "flags": [None, list(result.flags)],
            },
            {"context": context, "supersedes": None, "link": None},
        )

    def event(
        self,
        occurred_at: dt.datetime,
        actor: User,
        patient_id: uuid.UUID,
        object_type: str,
        object_id: Any,
        action: str,
        changes: dict[str, list[Any]] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """An audit event as audit_record stores it. Changes and details are given in
        their JSON form (what chain.jsonable would make of them: _plain)."""
        self.batch.events.append(
            {
                "clinic_id": self.clinic.pk,
                "occurred_at": occurred_at,
                "actor_id": actor.pk,
                "actor_username": actor.get_username(),
                "patient_id": patient_id,
                "object_type": object_type,
                "object_id": str(object_id),
                "action": str(action),
                "ip_address": None,
                "request_id": "",
                "changes": Json.of(changes or {}),
                "details": Json.of({**(details or {}), **SOURCE}),
            }
        )


def _plain(value: Any) -> Any:
    """chain.jsonable for the values synth puts in changes and details (it is called on
    millions of them, and jsonable's generic checks would take most of the run)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


INSTRUMENTS = ("phq9", "gad7")


def _scorer(configs: dict[str, dict[str, Any]]) -> Callable[[str, tuple[Any, ...]], ScoreResult]:
    """The pure scorer with the clinic's configuration, remembered per answer set (many
    patients give the same answers). An answer that raises a safety finding would need
    its alert: the generated answers never do."""

    @functools.lru_cache(maxsize=200_000)
    def scored(instrument: str, answers: tuple[Any, ...]) -> ScoreResult:
        result = score(instrument, list(answers), config=configs[instrument])
        if result.findings:
            raise RuntimeError(f"synthetic {instrument} answers raised a safety finding")
        return result

    return scored


def _batches(writer: Writer, patients: int) -> Iterator[Batch]:
    """The batches of CHUNK patients, in order. (Made in worker processes they were no
    faster on a loaded two-core machine: unpickling the rows cost what making them did.)"""
    for first in range(0, patients, CHUNK):
        yield writer.batch_of(range(first + 1, min(first + CHUNK, patients) + 1))


# --- the audit chain ---------------------------------------------------------------------


class Chain:
    """The clinic's audit chain, extended in bulk from its locked head."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        current = head.locked(clinic)  # held until the transaction ends
        self.sequence, self.last_hash = current.sequence, current.last_hash
        self.table = Table(AuditEvent, skip=("id",))

    def extend(self, events: Iterable[dict[str, Any]]) -> None:
        # Within a batch, in the order they happened.
        for event in sorted(events, key=lambda e: e["occurred_at"]):
            self.sequence += 1
            event["sequence"] = self.sequence
            event["prev_hash"] = self.last_hash
            event["hash"] = self.last_hash = _event_hash(self.last_hash, event)
            self.table.add(**event)
        self.table.flush()

    def close(self) -> None:
        """Move the head to the last event, and seal it in the anchor file once the
        transaction commits (as audit_record does for each event)."""
        AuditChainHead.objects.filter(clinic=self.clinic).update(
            sequence=self.sequence, last_hash=self.last_hash
        )
        # The connection's remembered head (head.py) has moved: forget it, so the next
        # audit_record in this connection reads the head again.
        head._remembered.get(transaction.get_connection(), {}).pop(self.clinic.pk, None)
        if self.sequence:
            sealed = anchors.anchor_head(self.clinic.pk, self.sequence, self.last_hash)
            transaction.on_commit(lambda: anchors.append_after_commit(sealed))


_text = json.encoder.encode_basestring  # a str as json.dumps(..., ensure_ascii=False) writes it


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Json(str):
    """A JSON column's value already written out (once, for both the hash and COPY)."""

    value: Any

    @classmethod
    def of(cls, value: Any) -> Json:
        text = cls(_compact(value))
        text.value = value
        return text


def _event_hash(prev_hash: str, event: dict[str, Any]) -> str:
    """chain.event_hash(prev_hash, payload) of the row as it will be stored, where the
    payload is its chain_payload: chain.canonical's bytes (keys sorted, compact, not
    ASCII-escaped), written out directly since the values are already in JSON form.
    tests/synth checks every stored event against chain.event_hash."""
    patient_id = event["patient_id"]
    if event["ip_address"] is not None:
        raise ValueError("synthetic audit events carry no IP address")
    canonical = (
        f'{{"action":{_text(event["action"])},"actor_id":{event["actor_id"]},'
        f'"actor_username":{_text(event["actor_username"])},"changes":{event["changes"]},'
        f'"clinic_id":{event["clinic_id"]},"details":{event["details"]},"ip_address":null,'
        f'"object_id":{_text(event["object_id"])},"object_type":{_text(event["object_type"])},'
        f'"occurred_at":{_text(event["occurred_at"].astimezone(dt.UTC).isoformat())},'
        f'"patient_id":{"null" if patient_id is None else _text(str(patient_id))},'
        f'"request_id":{_text(event["request_id"])},"sequence":{event["sequence"]}}}'
    )
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical.encode()).hexdigest()


# --- the whole run -----------------------------------------------------------------------


class AlreadySynthesised(Exception):
    pass


def _analyze(tables: Iterable[type[models.Model]]) -> None:
    """Refresh PostgreSQL's statistics of the tables just filled: its planner otherwise
    keeps the row counts of the empty tables, and picks plans for a handful of rows (a
    registry search scanned every patient until the statistics caught up)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def synthesise(
    *,
    slug: str,
    patients: int,
    seed: int,
    volumes: Volumes = Volumes(),
    progress: Callable[[int], None] = lambda _n: None,
    rebuild_progress: Callable[[int, int], None] | None = None,
) -> Outcome:
    """Fill the clinic `slug` (made if missing) with `patients` synthetic patients, in
    one transaction. `progress(n)` is told of each n patients written."""
    with transaction.atomic():
        clinic, staff = clinic_for(slug)
        if Patient.objects.filter(clinic=clinic, mrn__startswith=mrn_prefix(seed)).exists():
            raise AlreadySynthesised(
                f"Clinic {slug} already has synthetic patients of seed {seed} "
                f"(MRNs {mrn_prefix(seed)}…): choose another seed."
            )
        configs = {code: scoring_config(clinic, code) for code in INSTRUMENTS}
        writer = Writer(clinic, staff, seed, volumes, clock.now(), timezone.now(), configs)
        audit = Chain(clinic)
        written = Batch.empty()
        for batch in _batches(writer, patients):
            for table, total in zip(batch.tables(), written.tables(), strict=True):
                table.flush()
                total.written += table.written
            audit.extend(batch.events)
            progress(batch.patients.written)
        audit.close()
        _analyze([t.model for t in written.tables()] + [AuditEvent])
        courses = clinic_state_rebuild(clinic, rebuild_progress)
        _analyze([CourseState, CourseInstrumentState, CourseWeekValue])
        counts = {t.model._meta.label: t.written for t in written.tables()}
        counts[AuditEvent._meta.label] = audit.table.written
        counts["outcomes.CourseState"] = courses
        return Outcome(clinic=clinic, staff=staff, counts=counts)
