"""The front desk's day through the services: booking into a chair, check-in, moving a
plan's session (its spacing and the calendar), no-shows, cancelling, and the room and
staff rules."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from ketacare.accounts import tokens
from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.dosing import services as dosing
from ketacare.dosing.services import PlanInput
from ketacare.schedule import selectors, services
from ketacare.schedule.models import Room, SessionPlace
from ketacare.treatment import services as treatment
from ketacare.treatment.models import TreatmentSession
from tests.dosing.conftest import Team, next_monday
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def at(team: Team, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(team.clinic.time_zone)
    )


def chairs(team: Team) -> tuple[Room, Room]:
    return (
        services.room_save(access=team.admin, name="Chair 1"),
        services.room_save(access=team.admin, name="Chair 2", position=1),
    )


def book(
    team: Team, start: dt.datetime, room: Room, staff: ClinicAccess | None = None
) -> TreatmentSession:
    """The front desk books the team's patient into `room` (and `staff`'s diary)."""
    return services.session_book(
        access=team.front_desk,
        patient_id=team.patient.pk,
        scheduled_start=start,
        room_id=room.pk,
        staff_id=staff.user.pk if staff else None,
    )


def plan(team: Team) -> list[TreatmentSession]:
    given = PlanInput(
        indication="major_depression",
        protocol_code="esketamine_trd",
        schedule="label_then_every_2_weeks",
        start_date=next_monday(team.clinic),
        start_dose=Decimal("84"),
    )
    return dosing.plan_create(
        access=team.prescriber, patient_id=team.patient.pk, given=given
    ).sessions


def test_front_desk_books_into_a_chair_and_a_second_booking_of_that_chair_is_refused(
    team: Team,
) -> None:
    one, two = chairs(team)
    day = next_monday(team.clinic)
    first = book(team, at(team, day, 9), one, staff=team.nurse)
    assert SessionPlace.objects.get(session=first).minutes == 150
    with pytest.raises(ValidationFailed) as refused:
        book(team, at(team, day, 10), one, staff=team.nurse)
    assert refused.value.errors == {
        "room": ["Chair 1 is already booked 09:00–11:30."],
        "staff": [f"{team.nurse.user} is already booked 09:00–11:30."],
    }
    assert TreatmentSession.objects.count() == 1  # the refused booking left nothing behind
    # Another chair and nobody assigned: fine; and after the first ends: fine.
    book(team, at(team, day, 10), two)
    book(team, at(team, day, 11, 30), one, staff=team.nurse)


def test_a_cancelled_or_missed_session_frees_its_chair(team: Team) -> None:
    one, _ = chairs(team)
    day = next_monday(team.clinic)
    first = book(team, at(team, day, 9), one)
    services.session_no_show(access=team.front_desk, session_id=first.pk)
    first.refresh_from_db()
    assert (first.status, first.status_reason) == ("no_show", "Did not attend")
    book(team, at(team, day, 9), one)


def test_front_desk_moves_a_plan_session_within_the_spacing_rule_only(team: Team) -> None:
    first, second = plan(team)[:2]
    with pytest.raises(ValidationFailed) as refused:
        services.session_move(
            access=team.front_desk,
            session_id=second.pk,
            scheduled_start=first.scheduled_start + dt.timedelta(days=1),
        )
    assert any("1 day(s) from the session on" in r for r in refused.value.errors["scheduled_start"])
    moved = services.session_move(
        access=team.front_desk,
        session_id=second.pk,
        scheduled_start=first.scheduled_start + dt.timedelta(days=3),
    )
    assert moved.scheduled_start == first.scheduled_start + dt.timedelta(days=3)


def test_a_refusal_gives_the_taken_time_on_the_clinics_clock(team: Team) -> None:
    """Stored times are UTC; the reason must read as the front desk booked it. (CI's
    shifted clock found this on the day London's clocks go forward; New York is never
    on UTC, so this fails on any date if the times are shown in UTC.)"""
    team.clinic.time_zone = "America/New_York"
    team.clinic.save(update_fields=["time_zone"])
    one, _ = chairs(team)
    day = next_monday(team.clinic)
    book(team, at(team, day, 9), one)
    with pytest.raises(ValidationFailed) as refused:
        book(team, at(team, day, 10), one)
    assert refused.value.errors == {"room": ["Chair 1 is already booked 09:00–11:30."]}


def test_a_move_into_a_taken_chair_is_refused_with_the_reason(team: Team) -> None:
    one, _ = chairs(team)
    day = next_monday(team.clinic)
    book(team, at(team, day, 9), one)
    later = book(team, at(team, day, 14), one)
    with pytest.raises(ValidationFailed) as refused:
        services.session_move(
            access=team.front_desk, session_id=later.pk, scheduled_start=at(team, day, 10)
        )
    assert refused.value.errors == {"scheduled_start": ["Chair 1 is already booked 09:00–11:30."]}
    later.refresh_from_db()
    assert later.scheduled_start == at(team, day, 14)  # rolled back


def test_front_desk_checks_in_and_cancels_with_a_reason_but_never_charts(team: Team) -> None:
    day = next_monday(team.clinic)
    session = services.session_book(
        access=team.front_desk, patient_id=team.patient.pk, scheduled_start=at(team, day, 9)
    )
    checked = services.session_check_in(access=team.front_desk, session_id=session.pk)
    assert checked.status == "checked_in"
    with pytest.raises(PermissionDenied):
        treatment.session_transition(
            access=team.front_desk,
            patient_id=team.patient.pk,
            session_id=session.pk,
            event="start_assessment",
        )
    with pytest.raises(ValidationFailed) as refused:
        services.session_cancel(access=team.front_desk, session_id=session.pk, reason=" ")
    assert refused.value.errors == {"reason": ["Give a reason."]}
    cancelled = services.session_cancel(
        access=team.front_desk, session_id=session.pk, reason="Unwell"
    )
    assert (cancelled.status, cancelled.status_reason) == ("cancelled", "Unwell")


def test_other_clinics_sessions_and_rooms_are_not_found(
    team: Team, other_clinic: object, make_access: object
) -> None:
    from ketacare.accounts.policy import Role

    outsider: ClinicAccess = make_access(Role.FRONT_DESK, other_clinic)  # type: ignore[operator]
    one, _ = chairs(team)
    session = services.session_book(
        access=team.front_desk,
        patient_id=team.patient.pk,
        scheduled_start=at(team, next_monday(team.clinic), 9),
    )
    for act in (
        lambda: services.session_check_in(access=outsider, session_id=session.pk),
        lambda: services.session_no_show(access=outsider, session_id=session.pk),
        lambda: services.session_place(access=outsider, session_id=session.pk, room_id=None),
    ):
        with pytest.raises(NotFound):
            act()
    with pytest.raises(NotFound):
        services.session_book(
            access=outsider,
            patient_id=team.patient.pk,
            scheduled_start=at(team, next_monday(team.clinic), 9),
        )
    theirs = PatientFactory.create(clinic=outsider.clinic)
    with pytest.raises(ValidationFailed) as refused:  # another clinic's chair is no choice
        services.session_book(
            access=outsider,
            patient_id=theirs.pk,
            scheduled_start=at(team, next_monday(team.clinic), 9),
            room_id=one.pk,
        )
    assert refused.value.errors == {"room": ["Choose a room or chair in use at this clinic."]}


def test_rooms_are_managed_by_who_keeps_the_calendar_and_audited(team: Team) -> None:
    room = services.room_save(access=team.front_desk, name="Room A", kind="room")
    with pytest.raises(PermissionDenied):
        services.room_save(access=team.nurse, name="Chair 9")
    with pytest.raises(ValidationFailed) as refused:
        services.room_save(access=team.admin, name="Room A")
    assert refused.value.errors == {"name": ["There is already a room or chair named Room A."]}
    services.room_save(access=team.admin, room_id=room.pk, name="Room A", kind="room", active=False)
    assert AuditEvent.objects.filter(object_type="room", object_id=str(room.pk)).count() == 2
    assert selectors.rooms_of(team.clinic) == []


def test_staff_must_be_a_clinician_of_the_clinic(team: Team) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.session_book(
            access=team.front_desk,
            patient_id=team.patient.pk,
            scheduled_start=at(team, next_monday(team.clinic), 9),
            staff_id=team.front_desk.user.pk,
        )
    assert refused.value.errors == {"staff": ["Choose a clinician of this clinic."]}


def test_feed_tokens_are_stored_hashed_and_reset_revokes_the_old_one(team: Team) -> None:
    first = services.feed_token_reset(access=team.nurse)
    assert services.feed_owner(first) == (team.nurse.user, team.clinic)
    second = services.feed_token_reset(access=team.nurse)
    with pytest.raises(NotFound):
        services.feed_owner(first)
    assert services.feed_owner(second)[0] == team.nurse.user
    stored = services.CalendarFeedToken.objects.get(revoked_at__isnull=True)
    # The secret as the parser reads it: a url-safe secret may itself hold "_", and a
    # fragment cut at one ("8") can appear in any hash by chance.
    secret = tokens.parse(second)
    assert secret is not None and secret.secret not in stored.secret_hash
    services.feed_token_revoke(access=team.nurse)
    with pytest.raises(NotFound):
        services.feed_owner(second)
    with pytest.raises(NotFound):
        services.feed_owner("not-a-token")
