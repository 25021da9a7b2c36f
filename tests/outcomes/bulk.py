"""Many courses fast, for query-count tests and the outcomes benchmark: patients, given
sessions and PHQ-9 scores inserted in bulk (no audit events, no charting), then the
clinic's course state rebuilt once, as `ketacare outcomes-rebuild` would. The courses vary
with a seeded generator: responders who remit, responders whose relief wears off (a
booster recommended, some relapse), non-responders (futility reviews), no baseline."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from ketacare.measures.models import MeasureContext, QuestionnaireResponse, Score
from ketacare.outcomes.state import clinic_state_rebuild
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession

SESSION_DAYS = (0, 3, 7, 10, 14, 21)


def _shape(rng: random.Random, kind: int) -> list[tuple[int, int]]:
    """(day, PHQ-9 total) of one course: baseline on day -1, then follow-up."""
    base = rng.randint(15, 24)
    if kind == 0:  # remits
        return [(-1, base), (1, base - 6), (4, 8), (8, 4), (15, 3), (22, 2)]
    if kind == 1:  # responds, relief wears off after each session
        return [(-1, base), (1, 6), (4, 12), (8, 5), (12, 11), (15, 5), (19, 12), (25, 20)]
    if kind == 2:  # does not respond
        return [(-1, base), (1, base - 1), (4, base - 2), (8, base - 2), (15, base - 1)]
    return [(1, 10), (8, 6)]  # no baseline


def bulk_courses(clinic: Any, user: Any, count: int, *, origin: dt.datetime, seed: int = 7) -> None:
    """`count` patients, each with one course starting within 90 days after `origin`."""
    rng = random.Random(seed)
    stamp = f"{origin:%Y%m%d}{count}{seed}"
    patients = Patient.objects.bulk_create(
        [
            Patient(
                clinic=clinic,
                created_by=user,
                mrn=f"BLK-{stamp}-{n:06d}",
                legal_given_name="Bulk",
                legal_family_name=f"Course {n}",
                date_of_birth=dt.date(1980, 1, 1) + dt.timedelta(days=n % 7000),
                sex_at_birth="female",
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    sessions, responses, scores = [], [], []
    for n, patient in enumerate(patients):
        start = origin + dt.timedelta(days=rng.randint(0, 90), hours=rng.randint(0, 8))
        for day in SESSION_DAYS[: rng.randint(3, len(SESSION_DAYS))]:
            at = start + dt.timedelta(days=day)
            sessions.append(
                TreatmentSession(
                    clinic=clinic,
                    patient=patient,
                    scheduled_start=at,
                    dosing_started_at=at,
                    status=TreatmentSession.Status.SIGNED,
                    created_by=user,
                    protocol_code="esketamine_trd",
                )
            )
        for day, total in _shape(rng, n % 4):
            at = start + dt.timedelta(days=day, hours=1)
            response = QuestionnaireResponse(
                clinic=clinic,
                patient=patient,
                instrument="phq9",
                instrument_version="1",
                answers=[],
                respondent=QuestionnaireResponse.Respondent.PATIENT,
                context=MeasureContext.BETWEEN_SESSIONS,
                answered_at=at,
            )
            responses.append(response)
            scores.append(
                Score(
                    response=response,
                    clinic=clinic,
                    patient=patient,
                    instrument="phq9",
                    answered_at=at,
                    total=total,
                    scoring_version="1",
                )
            )
    TreatmentSession.objects.bulk_create(sessions, batch_size=1000)
    QuestionnaireResponse.objects.bulk_create(responses, batch_size=1000)
    Score.objects.bulk_create(scores, batch_size=1000)
    clinic_state_rebuild(clinic)


def bulk_left_open(clinic: Any, user: Any, count: int, *, since: dt.datetime) -> None:
    """`count` patients, each with a session left in dosing since `since` (no course
    state: the worklist's "Session left open" reads the sessions themselves)."""
    stamp = f"{since:%Y%m%d%H%M}{count}"
    patients = Patient.objects.bulk_create(
        [
            Patient(
                clinic=clinic,
                created_by=user,
                mrn=f"OPN-{stamp}-{n:06d}",
                legal_given_name="Open",
                legal_family_name=f"Session {n}",
                date_of_birth=dt.date(1980, 1, 1) + dt.timedelta(days=n),
                sex_at_birth="female",
            )
            for n in range(count)
        ]
    )
    TreatmentSession.objects.bulk_create(
        TreatmentSession(
            clinic=clinic,
            patient=patient,
            scheduled_start=since,
            checked_in_at=since,
            dosing_started_at=since,
            status=TreatmentSession.Status.DOSING,
            created_by=user,
            protocol_code="esketamine_trd",
        )
        for patient in patients
    )
