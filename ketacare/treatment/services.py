from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.patients.selectors import patient_get
from ketacare.treatment.models import TreatmentSession


@transaction.atomic
def session_schedule(
    *, access: ClinicAccess, patient_id: uuid.UUID, scheduled_start: dt.datetime
) -> TreatmentSession:
    access.require(Permission.SCHEDULE_SESSIONS)
    patient = patient_get(access=access, patient_id=patient_id)
    if patient.is_archived:
        raise ValidationFailed.single("patient", "This patient is archived.")
    session = TreatmentSession.objects.create(
        clinic=access.clinic,
        patient=patient,
        scheduled_start=scheduled_start,
        created_by=access.user,
    )
    audit_as(
        access,
        action=Action.CREATE,
        object_type="treatmentsession",
        object_id=session.pk,
        patient_id=patient.pk,
        changes={"scheduled_start": [None, scheduled_start]},
    )
    return session


def _open_session(
    access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> TreatmentSession:
    session = (
        TreatmentSession.objects.select_for_update()
        .filter(clinic=access.clinic, patient_id=patient_id, pk=session_id)
        .first()
    )
    if session is None:
        raise NotFound("session")
    if session.status != TreatmentSession.Status.SCHEDULED:
        raise ValidationFailed.single(
            "status", f"This session is already {session.get_status_display().lower()}."
        )
    return session


@transaction.atomic
def session_record_given(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    dosing_started_at: dt.datetime,
) -> TreatmentSession:
    """Mark a session as given; post-session measures count from dosing_started_at."""
    access.require(Permission.SCHEDULE_SESSIONS)
    session = _open_session(access, patient_id, session_id)
    session.status = TreatmentSession.Status.COMPLETED
    session.dosing_started_at = dosing_started_at
    session.save(update_fields=["status", "dosing_started_at", "updated_at"])
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="treatmentsession",
        object_id=session.pk,
        patient_id=session.patient_id,
        changes={
            "status": ["scheduled", session.status],
            "dosing_started_at": [None, dosing_started_at],
        },
    )
    return session


@transaction.atomic
def session_cancel(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    reason: str,
    no_show: bool = False,
) -> TreatmentSession:
    access.require(Permission.SCHEDULE_SESSIONS)
    if not reason.strip():
        raise ValidationFailed.single("reason", "Give a reason.")
    session = _open_session(access, patient_id, session_id)
    session.status = (
        TreatmentSession.Status.NO_SHOW if no_show else TreatmentSession.Status.CANCELLED
    )
    session.status_reason = reason.strip()[:300]
    session.save(update_fields=["status", "status_reason", "updated_at"])
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="treatmentsession",
        object_id=session.pk,
        patient_id=session.patient_id,
        changes={
            "status": ["scheduled", session.status],
            "status_reason": ["", session.status_reason],
        },
    )
    return session
