"""Seed step: each demo clinic's chairs and room, and the sessions of its day and the
coming week placed in them (through ketacare.schedule.services), so the schedule board
opens on a working day."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import Q

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, User
from ketacare.accounts.policy import Role
from ketacare.common.errors import ValidationFailed
from ketacare.schedule import core, services
from ketacare.treatment.models import TreatmentSession

UNDER_WAY = ("checked_in", "pre_dose", "dosing", "monitoring", "ready_for_discharge")
ROOMS = (("Chair 1", "chair"), ("Chair 2", "chair"), ("Chair 3", "chair"), ("Room A", "room"))


def seed_schedule(users: dict[str, User]) -> None:
    from ketacare.demo.seed import CLINICS

    for spec in CLINICS:
        clinic = Clinic.objects.get(slug=spec.slug)
        access = ClinicAccess(user=users["admin"], clinic=clinic, role=Role.CLINIC_ADMIN)
        rooms = [
            services.room_save(access=access, name=name, kind=kind, position=n)
            for n, (name, kind) in enumerate(ROOMS)
        ]
        zone = zoneinfo.ZoneInfo(clinic.time_zone)
        start = dt.datetime.combine(clinic.today(), dt.time(0), tzinfo=zone)
        # The coming week's sessions, and any under way now even if it began before the
        # clinic's midnight (the demo's live session, seeded just after midnight).
        sessions = (
            TreatmentSession.objects.filter(clinic=clinic, status__in=core.HOLDING_STATES)
            .filter(
                Q(scheduled_start__gte=start, scheduled_start__lt=start + dt.timedelta(days=8))
                | Q(status__in=UNDER_WAY)
            )
            .order_by("scheduled_start")
        )
        for session in sessions:
            for room in rooms:  # the first chair free at its time
                try:
                    services.session_place(access=access, session_id=session.pk, room_id=room.pk)
                except ValidationFailed:
                    continue
                break
