"""The seam between the outcome rules and the records they judge (Django side).

Every session and score the outcomes capability reads comes through here, built into the
pure core's `Course` in one SQL pass per clinic: current (not superseded) `Score` rows of
the judged instruments, and `TreatmentSession` rows whose dosing began (given sessions).

A course starts at the patient's first given session and runs to the latest one. When
treatment plans land (ketacare.dosing), the integrator scopes courses to plans here:
one course per plan, its first dose the plan's first given session, and fills the
protocol, route, indication and prescriber the dashboard filters by (None until then;
`prescriber_id` is meanwhile the clinician who booked the first given session).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ketacare.accounts.models import Clinic
from ketacare.measures import get_instrument
from ketacare.measures.models import MeasureContext, Score
from ketacare.outcomes.data import Course, ScorePoint, SessionPoint
from ketacare.outcomes.options import JUDGED_INSTRUMENTS
from ketacare.treatment.models import TreatmentSession


@dataclass(frozen=True)
class PatientCourse:
    patient_id: uuid.UUID
    course: Course
    prescriber_id: int | None = None
    protocol: str | None = None  # seam: from the treatment plan
    route: str | None = None  # seam: from the session's administration record
    indication: str | None = None  # seam: from the treatment plan

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


def clinic_courses(
    clinic: Clinic,
    *,
    patient_ids: Iterable[uuid.UUID] | None = None,
    instruments: Iterable[str] = JUDGED_INSTRUMENTS,
) -> dict[uuid.UUID, PatientCourse]:
    """Each patient's course (patients with at least one given session), by patient id.
    Two queries whatever the number of patients."""
    sessions = TreatmentSession.objects.filter(clinic=clinic, dosing_started_at__isnull=False)
    scores = Score.objects.filter(
        clinic=clinic, is_current=True, instrument__in=list(instruments), total__isnull=False
    )
    if patient_ids is not None:
        wanted = list(patient_ids)
        sessions, scores = (
            sessions.filter(patient_id__in=wanted),
            scores.filter(patient_id__in=wanted),
        )
    given: dict[uuid.UUID, list[tuple[dt.datetime, uuid.UUID, int]]] = defaultdict(list)
    for patient_id, given_at, session_id, booked_by in sessions.values_list(
        "patient_id", "dosing_started_at", "id", "created_by_id"
    ):
        assert given_at is not None  # filtered above
        given[patient_id].append((given_at, session_id, booked_by))
    points: dict[uuid.UUID, list[ScorePoint]] = defaultdict(list)
    rows = scores.order_by("answered_at", "created_at").values_list(
        "patient_id",
        "id",
        "instrument",
        "total",
        "answered_at",
        "severity",
        "response__context",
        "response__offset_hours",
    )
    for patient_id, score_id, code, total, at, band, context, offset in rows:
        if patient_id not in given or total is None:
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
    courses = {}
    for patient_id, rows_given in given.items():
        rows_given.sort()
        courses[patient_id] = PatientCourse(
            patient_id=patient_id,
            course=Course.build(
                sessions=[SessionPoint(at, str(pk)) for at, pk, _by in rows_given],
                scores=points.get(patient_id, ()),
            ),
            prescriber_id=rows_given[0][2],
        )
    return courses


def patient_course(clinic: Clinic, patient_id: uuid.UUID) -> PatientCourse | None:
    return clinic_courses(clinic, patient_ids=[patient_id]).get(patient_id)
