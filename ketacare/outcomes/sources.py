"""The seam between the outcome rules and the records they judge (Django side).

Every session and score the outcomes capability reads comes through here, built into the
pure core's `Course` in one SQL pass per clinic: current (not superseded) `Score` rows of
the judged instruments, the patient's clinical events (not entered in error), and the
given sessions (`TreatmentSession.GIVEN_STATUSES`), each
with its treatment plan and administration record joined in the same query.

Courses are scoped to treatment plans (ketacare.dosing): the sessions of one plan form
one course, its first dose the plan's first given session; a patient's sessions that
belong to no plan form one course of their own. A course carries its protocol (the
plan's, else the sessions' `protocol_code`), route (the protocol's, else the
administration record's), indication (the plan's) and prescriber (the plan's prescriber,
else whoever ordered, else booked, the first given session).

A course's scores are the patient's scores up to the first dose of the patient's next
course, when that course begins after this one's last session (a later course's
follow-up is not this course's); the baseline is the last score before the first dose.
When a patient has several courses, the current one is the one whose latest session is
the most recent: the worklist, the maintenance plan and the report judge that one.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ketacare.accounts.models import Clinic
from ketacare.dosing.protocols import SHIPPED
from ketacare.measures import get_instrument
from ketacare.measures.models import MeasureContext, Score
from ketacare.outcomes.data import Course, EventPoint, ScorePoint, SessionPoint
from ketacare.outcomes.models import ClinicalEvent
from ketacare.outcomes.options import JUDGED_INSTRUMENTS
from ketacare.treatment.models import TreatmentSession, session_given_at


@dataclass(frozen=True)
class PatientCourse:
    patient_id: uuid.UUID
    course: Course
    plan_id: uuid.UUID | None = None  # None: the patient's sessions outside any plan
    prescriber_id: int | None = None
    protocol: str | None = None  # protocol code
    route: str | None = None  # ketacare.dosing.protocols.Route value
    indication: str | None = None  # ketacare.dosing.protocols.Indication value

    @property
    def last_session(self) -> SessionPoint:
        return self.course.sessions[-1]


def band_rank(instrument: str, band: str) -> int | None:
    """The index of a severity band in the band set that holds it (0 the mildest)."""
    if not band:
        return None
    found = get_instrument(instrument)
    for bands in (found.bands, *(s.bands for s in found.band_sets)):
        keys = [b.key for b in bands]
        if band in keys:
            return keys.index(band)
    return None


@dataclass(frozen=True)
class _Given:
    at: dt.datetime
    id: uuid.UUID
    booked_by: int
    ordered_by: int | None
    protocol_code: str
    route: str | None  # from the administration record


@dataclass
class _Group:
    patient_id: uuid.UUID
    plan_id: uuid.UUID | None
    plan_protocol: str | None
    indication: str | None
    plan_prescriber: int | None
    given: list[_Given]


def _protocol_of(group: _Group) -> str | None:
    if group.plan_protocol:
        return group.plan_protocol
    return next((g.protocol_code for g in group.given if g.protocol_code), None)


def _route_of(protocol: str | None, group: _Group) -> str | None:
    if protocol in SHIPPED:  # a clinic's copy never changes the route
        return SHIPPED[protocol].route.value
    return next((g.route for g in group.given if g.route), None)


def _given_groups(
    clinic: Clinic, patient_ids: list[uuid.UUID] | None
) -> dict[uuid.UUID, list[_Group]]:
    """Each patient's given sessions, grouped into courses (one query)."""
    sessions = TreatmentSession.objects.filter(
        clinic=clinic, status__in=TreatmentSession.GIVEN_STATUSES
    )
    if patient_ids is not None:
        sessions = sessions.filter(patient_id__in=patient_ids)
    rows = sessions.annotate(given_at=session_given_at()).values_list(
        "patient_id",
        "given_at",
        "id",
        "created_by_id",
        "ordered_by_id",
        "protocol_code",
        "plan_id",
        "plan__protocol_code",
        "plan__indication",
        "plan__created_by_id",
        "administration__route",
    )
    groups: dict[tuple[uuid.UUID, uuid.UUID | None], _Group] = {}
    for (
        patient_id,
        given_at,
        session_id,
        booked_by,
        ordered_by,
        code,
        plan_id,
        plan_code,
        indication,
        plan_by,
        route,
    ) in rows:
        group = groups.setdefault(
            (patient_id, plan_id),
            _Group(patient_id, plan_id, plan_code, indication, plan_by, []),
        )
        group.given.append(_Given(given_at, session_id, booked_by, ordered_by, code, route))
    by_patient: dict[uuid.UUID, list[_Group]] = defaultdict(list)
    for group in groups.values():
        group.given.sort(key=lambda g: (g.at, str(g.id)))
        by_patient[group.patient_id].append(group)
    for found in by_patient.values():
        found.sort(key=lambda g: (g.given[0].at, g.plan_id is not None))
    return by_patient


def _score_points(
    clinic: Clinic, patient_ids: Iterable[uuid.UUID], instruments: Iterable[str], limit: bool
) -> dict[uuid.UUID, list[ScorePoint]]:
    scores = Score.objects.filter(
        clinic=clinic, is_current=True, instrument__in=list(instruments), total__isnull=False
    )
    wanted = set(patient_ids)
    if limit:
        scores = scores.filter(patient_id__in=wanted)
    # Recorded order, and the id last: scores stored in the same instant (a bulk import)
    # must come in one order on every read, or a rebuild could differ from the state the
    # writes kept (Course.build keeps ties in the order given).
    rows = scores.order_by("answered_at", "created_at", "id").values_list(
        "patient_id",
        "id",
        "instrument",
        "total",
        "answered_at",
        "severity",
        "response__context",
        "response__offset_hours",
    )
    points: dict[uuid.UUID, list[ScorePoint]] = defaultdict(list)
    for patient_id, score_id, code, total, at, band, context, offset in rows:
        if patient_id not in wanted or total is None:
            continue
        post = context == MeasureContext.POST_SESSION
        points[patient_id].append(
            ScorePoint(
                instrument=code,
                value=total,
                taken_at=at,
                id=str(score_id),
                hours_since_dose=float(offset) if post and offset is not None else None,
                band=band or None,
                band_rank=band_rank(code, band),
            )
        )
    return points


def _event_points(
    clinic: Clinic, patient_ids: Iterable[uuid.UUID], limit: bool
) -> dict[uuid.UUID, list[EventPoint]]:
    """Each patient's clinical events (hospitalisation, suicide attempt...), not those
    entered in error (one query)."""
    events = ClinicalEvent.objects.filter(clinic=clinic, entered_in_error_at__isnull=True)
    wanted = set(patient_ids)
    if limit:
        events = events.filter(patient_id__in=wanted)
    found: dict[uuid.UUID, list[EventPoint]] = defaultdict(list)
    # In one order on every read, ties included (as the scores above).
    for patient_id, event_id, kind, at in events.order_by("occurred_at", "id").values_list(
        "patient_id", "id", "kind", "occurred_at"
    ):
        if patient_id in wanted:
            found[patient_id].append(EventPoint(kind, at, str(event_id)))
    return found


def _course_of(
    group: _Group,
    scores: list[ScorePoint],
    until: dt.datetime | None,
    zone: dt.tzinfo,
    events: list[EventPoint] | None = None,
) -> PatientCourse:
    first = group.given[0]
    protocol = _protocol_of(group)
    kept = scores if until is None else [p for p in scores if p.taken_at < until]
    happened = [e for e in events or [] if until is None or e.occurred_at < until]
    return PatientCourse(
        patient_id=group.patient_id,
        course=Course.build(
            sessions=[SessionPoint(g.at, str(g.id)) for g in group.given],
            scores=kept,
            zone=zone,
            events=happened,
        ),
        plan_id=group.plan_id,
        prescriber_id=group.plan_prescriber or first.ordered_by or first.booked_by,
        protocol=protocol,
        route=_route_of(protocol, group),
        indication=group.indication or None,
    )


def all_courses(
    clinic: Clinic,
    *,
    patient_ids: Iterable[uuid.UUID] | None = None,
    instruments: Iterable[str] = JUDGED_INSTRUMENTS,
) -> list[PatientCourse]:
    """Every course of the clinic's patients (of those given), each patient's in order of
    first dose. Three queries whatever the number of patients and courses."""
    wanted = list(patient_ids) if patient_ids is not None else None
    groups = _given_groups(clinic, wanted)
    zone = zoneinfo.ZoneInfo(clinic.time_zone)  # the clinic's calendar days
    points = _score_points(clinic, groups, instruments, limit=wanted is not None)
    events = _event_points(clinic, groups, limit=wanted is not None)
    courses = []
    for patient_id, found in groups.items():
        scores = points.get(patient_id, [])
        for index, group in enumerate(found):
            following = found[index + 1] if index + 1 < len(found) else None
            until = None
            if following is not None and following.given[0].at > group.given[-1].at:
                until = following.given[0].at
            courses.append(_course_of(group, scores, until, zone, events.get(patient_id)))
    return courses


def current_of(courses: Iterable[PatientCourse]) -> dict[uuid.UUID, PatientCourse]:
    """Each patient's current course: the one whose latest session is the most recent
    (on a tie, a plan's course before the sessions outside any plan)."""
    current: dict[uuid.UUID, PatientCourse] = {}
    for pc in courses:
        held = current.get(pc.patient_id)
        key = (pc.last_session.given_at, pc.plan_id is not None)
        if held is None or key > (held.last_session.given_at, held.plan_id is not None):
            current[pc.patient_id] = pc
    return current


def clinic_courses(
    clinic: Clinic,
    *,
    patient_ids: Iterable[uuid.UUID] | None = None,
    instruments: Iterable[str] = JUDGED_INSTRUMENTS,
) -> dict[uuid.UUID, PatientCourse]:
    """Each patient's current course (patients with at least one given session), by
    patient id. Three queries whatever the number of patients."""
    return current_of(all_courses(clinic, patient_ids=patient_ids, instruments=instruments))


def patient_course(clinic: Clinic, patient_id: uuid.UUID) -> PatientCourse | None:
    """The patient's current course."""
    return clinic_courses(clinic, patient_ids=[patient_id]).get(patient_id)
