"""The clinic's day: the schedule board by room or chair (day and week), the front desk's
session page and actions, rooms and chairs, and the staff calendar feed."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.patients.models import Patient
from ketacare.schedule import core, feed, selectors, services
from ketacare.schedule.models import Room
from ketacare.web.feedback import flash_failure, flash_form_errors
from ketacare.web.views.access import clinic_view
from ketacare.web.views.sessions import DateTimeInput

LABELS = {
    "scheduled_start": "New date and time",
    "status": "Session",
    "room": "Room or chair",
    "staff": "Staff",
    "minutes": "Minutes",
    "reason": "Reason",
    "patient": "Patient",
}


class MoveForm(forms.Form):
    scheduled_start = forms.DateTimeField(widget=DateTimeInput(), label="New date and time")
    override_reason = forms.CharField(
        max_length=300, required=False, label="Reason to proceed despite a rule"
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Reason")


class NoShowForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False, label="Note (optional)")


class PlaceForm(forms.Form):
    room = forms.ChoiceField(label="Room or chair", required=False)
    staff = forms.ChoiceField(label="Staff with the patient", required=False)
    minutes = forms.IntegerField(label="Minutes", min_value=15, max_value=720, required=False)

    def __init__(self, access: ClinicAccess, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        room, staff = self.fields["room"], self.fields["staff"]
        assert isinstance(room, forms.ChoiceField) and isinstance(staff, forms.ChoiceField)
        room.choices = [("", "Not placed")] + [
            (str(r.pk), r.name) for r in selectors.rooms_of(access.clinic)
        ]
        staff.choices = [("", "Nobody assigned")] + [
            (str(u.pk), str(u)) for u in selectors.staff_choices(access.clinic)
        ]

    def place(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "room_id": uuid.UUID(data["room"]) if data["room"] else None,
            "staff_id": int(data["staff"]) if data["staff"] else None,
            "minutes": data["minutes"],
        }


class BookForm(PlaceForm):
    mrn = forms.CharField(max_length=32, label="Patient MRN")
    scheduled_start = forms.DateTimeField(widget=DateTimeInput(), label="Start")
    reason = forms.CharField(
        max_length=300, required=False, label="Reason, if far in the past or ahead"
    )
    field_order = ["mrn", "scheduled_start", "room", "staff", "minutes", "reason"]


class RoomForm(forms.Form):
    name = forms.CharField(max_length=60, label="Name")
    kind = forms.ChoiceField(choices=Room.Kind.choices, label="Kind")
    position = forms.IntegerField(min_value=0, initial=0, label="Order on the board")
    active = forms.BooleanField(required=False, initial=True, label="In use")


class MinutesForm(forms.Form):
    session_minutes = forms.IntegerField(
        min_value=15, max_value=720, label="Minutes a session holds its room or chair"
    )


def _day(request: HttpRequest, access: ClinicAccess) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return access.clinic.today()


def session_link(access: ClinicAccess, session: Any) -> str:
    """Clinicians open the session's chart; the front desk its schedule summary."""
    if access.can(Permission.VIEW_CHART):
        return reverse(
            "session_page",
            kwargs={
                "clinic_slug": access.clinic.slug,
                "patient_id": session.patient_id,
                "session_id": session.pk,
            },
        )
    return reverse(
        "schedule_session", kwargs={"clinic_slug": access.clinic.slug, "session_id": session.pk}
    )


def _board_context(request: HttpRequest, access: ClinicAccess) -> dict[str, Any]:
    day = _day(request, access)
    view = "week" if request.GET.get("view") == "week" else "day"
    days = core.week_of(day) if view == "week" else [day]
    board = selectors.board(access, days)
    for column in board.columns:
        for cards in column.cards.values():
            for card in cards:
                card.url = session_link(access, card.session)
    step = dt.timedelta(days=7 if view == "week" else 1)
    return {
        "access": access,
        "board": board,
        "day": day,
        "view": view,
        "today": access.clinic.today(),
        "previous": day - step,
        "next": day + step,
        "legend": _legend(),
        "can_schedule": access.can(Permission.SCHEDULE_SESSIONS),
    }


def _legend() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for tone, label in core.BOARD_STATUS.values():
        seen.setdefault(tone, label)
    return list(seen.items())


@clinic_view
def schedule_board(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    selectors.require_board(access)
    context = _board_context(request, access)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/schedule/_board.html", context)
    context["book_form"] = BookForm(
        access, initial={"scheduled_start": _default_start(access, context["day"])}
    )
    return render(request, "web/schedule/board.html", context)


def _default_start(access: ClinicAccess, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9, 0))


@require_POST
@clinic_view
def schedule_book(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    access.require(Permission.SCHEDULE_SESSIONS)
    form = BookForm(access, request.POST)
    day = access.clinic.today()
    if not form.is_valid():
        flash_form_errors(request, form)
    else:
        patient = Patient.objects.filter(
            clinic=access.clinic, mrn=form.cleaned_data["mrn"].strip()
        ).first()
        day = access.clinic.date_of(form.cleaned_data["scheduled_start"])
        if patient is None:
            messages.error(request, "Patient MRN: no patient of this clinic has this MRN.")
        else:
            try:
                services.session_book(
                    access=access,
                    patient_id=patient.pk,
                    scheduled_start=form.cleaned_data["scheduled_start"],
                    reason=form.cleaned_data["reason"],
                    **form.place(),
                )
            except ValidationFailed as exc:
                flash_failure(request, exc, form, LABELS)
            else:
                messages.success(request, f"Session booked for {patient.display_name}.")
    return redirect(
        reverse("schedule_board", kwargs={"clinic_slug": access.clinic.slug})
        + f"?day={day.isoformat()}"
    )


@clinic_view
def schedule_session(
    request: HttpRequest, access: ClinicAccess, session_id: uuid.UUID
) -> HttpResponse:
    """The front desk's view of one session: who, when, where, its state and the actions it
    may take. Nothing clinical is shown (no dose, readings or notes)."""
    selectors.require_board(access)
    session = selectors.schedule_session(access, session_id)
    place = selectors.place_of(session)
    zone = zoneinfo.ZoneInfo(access.clinic.time_zone)
    slot = selectors.slot_of(session, place, selectors.session_minutes(access.clinic))
    tone, label = core.board_status(session.status)
    initial_place = {
        "room": str(place.room_id) if place and place.room_id else "",
        "staff": str(place.staff_id) if place and place.staff_id else "",
        "minutes": place.minutes if place else None,
    }
    local_start = slot.start.astimezone(zone)
    return render(
        request,
        "web/schedule/session.html",
        {
            "access": access,
            "session": session,
            "patient": session.patient,
            "place": place,
            "start": local_start,
            "end": slot.end.astimezone(zone),
            "tone": tone,
            "label": label,
            "can_schedule": access.can(Permission.SCHEDULE_SESSIONS),
            "can_chart": access.can(Permission.VIEW_CHART),
            "chart_url": session_link(access, session) if access.can(Permission.VIEW_CHART) else "",
            "is_booked": session.status == "scheduled",
            "can_no_show": session.status in ("scheduled", "checked_in"),
            "can_cancel": session.status in ("scheduled", "checked_in", "pre_dose"),
            "holds_place": session.status in core.HOLDING_STATES,
            "move_form": MoveForm(initial={"scheduled_start": local_start.replace(tzinfo=None)}),
            "place_form": PlaceForm(access, initial=initial_place),
            "cancel_form": ReasonForm(prefix="cancel"),
            "no_show_form": NoShowForm(prefix="noshow"),
            "board_url": reverse("schedule_board", kwargs={"clinic_slug": access.clinic.slug})
            + f"?day={local_start.date().isoformat()}",
        },
    )


ACTIONS = ("check-in", "move", "no-show", "cancel", "place")


@require_POST
@clinic_view
def schedule_act(
    request: HttpRequest, access: ClinicAccess, session_id: uuid.UUID, action: str
) -> HttpResponse:
    session = selectors.schedule_session(access, session_id)  # 404 before anything else
    if action not in ACTIONS:
        raise Http404("Not found")
    done = {
        "check-in": "Checked in.",
        "move": "Session moved.",
        "no-show": "Marked as a no-show.",
        "cancel": "Session cancelled.",
        "place": "Room and staff saved.",
    }[action]
    form: forms.Form
    try:
        if action == "check-in":
            services.session_check_in(access=access, session_id=session.pk)
        elif action == "move":
            form = MoveForm(request.POST)
            if not form.is_valid():
                flash_form_errors(request, form)
                return _back(access, session.pk)
            services.session_move(
                access=access,
                session_id=session.pk,
                scheduled_start=form.cleaned_data["scheduled_start"],
                override_reason=form.cleaned_data["override_reason"],
            )
        elif action == "no-show":
            form = NoShowForm(request.POST, prefix="noshow")
            form.is_valid()
            services.session_no_show(
                access=access, session_id=session.pk, reason=form.cleaned_data.get("reason", "")
            )
        elif action == "cancel":
            form = ReasonForm(request.POST, prefix="cancel")
            if not form.is_valid():
                flash_form_errors(request, form)
                return _back(access, session.pk)
            services.session_cancel(
                access=access, session_id=session.pk, reason=form.cleaned_data["reason"]
            )
        else:
            place_form = PlaceForm(access, request.POST)
            if not place_form.is_valid():
                flash_form_errors(request, place_form)
                return _back(access, session.pk)
            services.session_place(access=access, session_id=session.pk, **place_form.place())
    except ValidationFailed as exc:
        flash_failure(request, exc, labels=LABELS)
    else:
        messages.success(request, done)
    if request.POST.get("next") == "board":
        day = access.clinic.date_of(session.scheduled_start)
        return redirect(
            reverse("schedule_board", kwargs={"clinic_slug": access.clinic.slug})
            + f"?day={day.isoformat()}"
        )
    return _back(access, session.pk)


def _back(access: ClinicAccess, session_id: uuid.UUID) -> HttpResponse:
    return redirect("schedule_session", clinic_slug=access.clinic.slug, session_id=session_id)


@clinic_view
def schedule_rooms(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    """Rooms and chairs, and how long a session holds one (clinic administrators and the
    front desk: whoever keeps the clinic calendar)."""
    can_manage = access.can(Permission.MANAGE_CLINIC_CALENDAR)
    if not can_manage:
        selectors.require_board(access)
    form = RoomForm(prefix="new")
    minutes_form = MinutesForm(
        initial={"session_minutes": selectors.session_minutes(access.clinic)}
    )
    if request.method == "POST":
        access.require(Permission.MANAGE_CLINIC_CALENDAR)
        try:
            if "session_minutes" in request.POST:
                minutes_form = MinutesForm(request.POST)
                if minutes_form.is_valid():
                    services.settings_save(
                        access=access, session_minutes=minutes_form.cleaned_data["session_minutes"]
                    )
                    messages.success(request, "Session length saved.")
                else:
                    flash_form_errors(request, minutes_form)
            else:
                room_id = request.POST.get("room_id") or None
                posted = RoomForm(request.POST, prefix=None if room_id else "new")
                if posted.is_valid():
                    services.room_save(
                        access=access,
                        room_id=uuid.UUID(room_id) if room_id else None,
                        **posted.cleaned_data,
                    )
                    messages.success(request, "Saved.")
                else:
                    flash_form_errors(request, posted)
        except ValidationFailed as exc:
            flash_failure(
                request, exc, labels={"name": "Name", "kind": "Kind", "session_minutes": "Minutes"}
            )
        except (ValueError, NotFound) as exc:
            raise Http404("Not found") from exc
        return redirect("schedule_rooms", clinic_slug=access.clinic.slug)
    return render(
        request,
        "web/schedule/rooms.html",
        {
            "access": access,
            "rooms": selectors.rooms_of(access.clinic, include_inactive=True),
            "form": form,
            "minutes_form": minutes_form,
            "kinds": Room.Kind.choices,
            "can_manage": can_manage,
        },
    )


@clinic_view
def schedule_feed_page(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    """Your own calendar feed: create or reset its secret address, or turn it off."""
    feed_url = ""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.feed_token_revoke(access=access)
            messages.success(request, "Calendar feed turned off.")
        else:
            raw = services.feed_token_reset(access=access)
            feed_url = request.build_absolute_uri(reverse("schedule_ics", kwargs={"token": raw}))
            messages.success(request, "New feed address made; the previous one no longer works.")
    active = services.CalendarFeedToken.objects.filter(
        user=access.user, clinic=access.clinic, revoked_at__isnull=True
    ).first()
    return render(
        request,
        "web/schedule/feed.html",
        {"access": access, "feed_url": feed_url, "active": active},
    )


FEED_DAYS_BACK, FEED_DAYS_AHEAD = 14, 90


@require_GET
def schedule_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The .ics feed a calendar app subscribes to: no sign-in, the secret is the address."""
    try:
        user, clinic = services.feed_owner(token)
    except NotFound as exc:
        raise Http404("Not found") from exc
    now = timezone.now()
    sessions = selectors.feed_sessions(
        user,
        clinic,
        now - dt.timedelta(days=FEED_DAYS_BACK),
        now + dt.timedelta(days=FEED_DAYS_AHEAD),
    )
    minutes = selectors.session_minutes(clinic)
    entries = []
    for session in sessions:
        place = getattr(session, "place", None)
        slot = selectors.slot_of(session, place, minutes)
        entries.append(
            feed.FeedEntry(
                uid=str(session.pk),
                start=slot.start,
                end=slot.end,
                initials=core.initials(
                    session.patient.legal_given_name, session.patient.legal_family_name
                ),
                room=place.room.name if place and place.room else "",
                status_label=core.board_status(session.status)[1],
                cancelled=session.status in ("cancelled", "no_show"),
            )
        )
    services.feed_audit(user, clinic, len(entries))
    body = feed.build(entries, clinic_name=clinic.name, stamp=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="ketacare.ics"'
    return response
