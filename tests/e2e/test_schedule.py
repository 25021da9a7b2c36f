"""Issue 19, the clinic's day: the front desk sees today's board, checks a patient in,
moves a plan's session (refused on a date that breaks the protocol's spacing, then to an
allowed date) and marks a no-show; a nurse opens the checked-in session from the board.
axe-core runs on every page visited."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from ketacare.accounts.policy import Role
from ketacare.common import clock
from ketacare.dosing import services as dosing
from ketacare.dosing.services import PlanInput
from ketacare.patients import services as patients
from ketacare.patients.models import BodyMeasurement
from ketacare.schedule import services as schedule
from ketacare.treatment.models import TreatmentSession
from tests.clinical import clear_for_protocol
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import OpenPage
from tests.e2e.helpers import (
    access_for,
    log_in,
    log_out,
    make_clinic,
    make_staff,
    register,
    said,
)

pytestmark = pytest.mark.e2e


def visit(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    assert_accessible(page)


def test_front_desk_runs_the_day_and_a_nurse_opens_the_checked_in_session(
    open_page: OpenPage,
) -> None:
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    admin = make_staff("admin.ray", {clinic: Role.CLINIC_ADMIN}, "Ray Admin")
    prescriber = make_staff("dr.okafor", {clinic: Role.PRESCRIBER}, "Dr Adaeze Okafor")
    nurse = make_staff("nurse.lee", {clinic: Role.NURSE}, "Sam Lee")
    make_staff("desk.kim", {clinic: Role.FRONT_DESK}, "Kim Desk")
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    today = clinic.today()

    def at(day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=zone)

    doctor = access_for(prescriber, clinic)
    chair1 = schedule.room_save(access=access_for(admin, clinic), name="Chair 1")
    chair2 = schedule.room_save(access=access_for(admin, clinic), name="Chair 2", position=1)
    ravi = register(doctor, "RKC-0101", "Ravi", "Rossi")
    mia = register(doctor, "RKC-0102", "Mia", "Novak")
    desk = access_for(make_staff("desk.seed", {clinic: Role.FRONT_DESK}), clinic)
    checked = schedule.session_book(
        access=desk,
        patient_id=ravi.pk,
        scheduled_start=at(today, 9),
        room_id=chair1.pk,
        staff_id=nurse.pk,
        reason="Today's list",
    )
    missed = schedule.session_book(
        access=desk,
        patient_id=mia.pk,
        scheduled_start=at(today, 10),
        room_id=chair2.pk,
        reason="Today's list",
    )
    # Ravi's esketamine plan: twice a week from next Monday (Monday and Thursday).
    patients.record_add(
        access=doctor,
        patient_id=ravi.pk,
        model=BodyMeasurement,
        data={"measured_on": today, "weight_kg": "70.0", "height_cm": "170.0"},
    )
    clear_for_protocol(doctor, ravi.pk, "esketamine_trd")
    monday = today + dt.timedelta(days=7 - today.weekday())
    first, second = dosing.plan_create(
        access=doctor,
        patient_id=ravi.pk,
        given=PlanInput(
            indication="major_depression",
            protocol_code="esketamine_trd",
            schedule="label_then_every_2_weeks",
            start_date=monday,
            start_dose=Decimal("84"),
        ),
    ).sessions[:2]
    assert clinic.date_of(first.scheduled_start) == monday
    second_day = clinic.date_of(second.scheduled_start)

    page = open_page()
    log_in(page, "desk.kim")
    # 1. Today's board, through the top navigation.
    page.locator("nav.mainnav").get_by_role("link", name="Schedule", exact=True).click()
    expect(page.get_by_role("heading", name="Schedule", exact=True)).to_be_visible()
    assert_accessible(page)
    board = page.locator("#board")
    chair_one = board.locator("section.board-column", has_text="Chair 1")
    expect(chair_one).to_contain_text("Rossi, Ravi")
    expect(chair_one.locator(".board-state")).to_have_text("Booked")
    expect(board.locator("section.board-column", has_text="Chair 2")).to_contain_text("Novak, Mia")

    # 2. Check Ravi in from the board.
    chair_one.get_by_role("button", name=re.compile(r"^Check in Rossi, Ravi")).click()
    said(page, "Checked in.")
    expect(
        page.locator("#board section.board-column", has_text="Chair 1").locator(".board-state")
    ).to_have_text("Checked in")
    assert_accessible(page)
    assert TreatmentSession.objects.get(pk=checked.pk).status == "checked_in"

    # 3. Move the plan's second session to the day after the first: refused, with why.
    visit(page, f"/c/riverside/schedule/?day={second_day.isoformat()}")
    page.locator("#board").get_by_role("link", name=re.compile("Rossi, Ravi")).click()
    expect(page.get_by_role("heading", name="Session for Rossi, Ravi")).to_be_visible()
    assert_accessible(page)
    move = page.locator("#move-form")
    move.get_by_label("New date and time").fill(
        f"{(monday + dt.timedelta(days=1)).isoformat()}T09:00"
    )
    move.get_by_role("button", name="Move session").click()
    said(page, "1 day(s) from the session on")
    expect(page.locator("ul.messages")).to_contain_text("New date and time:")
    assert_accessible(page)
    assert TreatmentSession.objects.get(pk=second.pk).scheduled_start == second.scheduled_start

    # 4. To an allowed date: two days after the first.
    allowed = monday + dt.timedelta(days=2)
    page.locator("#move-form").get_by_label("New date and time").fill(
        f"{allowed.isoformat()}T09:00"
    )
    page.locator("#move-form").get_by_role("button", name="Move session").click()
    said(page, "Session moved.")
    expect(page.locator(".session-summary")).to_contain_text(allowed.strftime("%-d %B %Y"))
    assert_accessible(page)
    assert clinic.date_of(TreatmentSession.objects.get(pk=second.pk).scheduled_start) == allowed

    # 5. Mia did not come: a no-show, from her session page.
    visit(page, "/c/riverside/schedule/")
    page.locator("#board").get_by_role("link", name=re.compile("Novak, Mia")).click()
    page.locator("#no-show-form").get_by_role("button", name="Mark as no-show").click()
    said(page, "Marked as a no-show.")
    expect(page.locator(".session-summary")).to_contain_text("No-show")
    assert_accessible(page)
    assert TreatmentSession.objects.get(pk=missed.pk).status == "no_show"
    visit(page, "/c/riverside/schedule/")
    expect(
        page.locator("#board section.board-column", has_text="Chair 2").locator(".board-state")
    ).to_have_text("No-show")

    # A nurse opens the checked-in session from the board: its chart.
    log_out(page)
    log_in(page, "nurse.lee")
    visit(page, "/c/riverside/schedule/")
    page.locator("#board").get_by_role("link", name=re.compile("Rossi, Ravi")).click()
    expect(page).to_have_url(re.compile(rf"/patients/{ravi.pk}/sessions/{checked.pk}/chart/$"))
    page.wait_for_load_state("load")
    assert_accessible(page)
    assert clock.now()  # the test ran on the fixed clock
