"""Seeding (through the services) and page steps shared by the browser tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from playwright.sync_api import Page, expect

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, User
from ketacare.accounts.policy import Role
from ketacare.accounts.services import clinic_create, membership_set
from ketacare.patients import services as patients
from ketacare.patients.models import Patient
from tests.factories import UserFactory

PASSWORD = "e2e-Passw0rd"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
TABLET = {"width": 820, "height": 1180}  # an iPad Air held upright


ACTION_URL = re.compile(r"/do/[a-z_]+/$")


def said(page: Page, text: str) -> None:
    """The page's messages say `text`, and the page is back at its own address: a refused
    action answers the page at the action's address until the page script restores it, and
    a reload before then would post the action again."""
    expect(page.locator("ul.messages")).to_contain_text(text)
    expect(page).not_to_have_url(ACTION_URL)


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header .username")).to_be_visible()


def open_patients(page: Page) -> None:
    """From any clinic page, the patient list through the top navigation."""
    page.locator("nav.mainnav").get_by_role("link", name="Patients", exact=True).click()
    expect(page).to_have_url(re.compile(r"/c/[\w-]+/patients/$"))
    # The URL changes before htmx has wired the live search; typing earlier is lost.
    page.wait_for_load_state("load")


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


# --- seeding, through the services ----------------------------------------------------------


def make_clinic(slug: str, name: str, time_zone: str = "Europe/London") -> Clinic:
    # These browser tests are about clinical work, so staff sign in with the password alone;
    # the second factor has its own tests (tests/signin).
    return clinic_create(name=name, slug=slug, time_zone=time_zone, mfa_required=False)


def make_staff(username: str, roles: dict[Clinic, Role], display_name: str = "") -> User:
    user = cast(
        User,
        UserFactory(username=username, display_name=display_name or username, password=PASSWORD),
    )
    for clinic, role in roles.items():
        membership_set(clinic=clinic, user=user, role=role, actor=None)
    return user


def access_for(user: User, clinic: Clinic) -> ClinicAccess:
    role = Role(user.memberships.get(clinic=clinic).role)
    return ClinicAccess(user=user, clinic=clinic, role=role)


def register(access: ClinicAccess, mrn: str, given: str, family: str, **extra: Any) -> Patient:
    data = {
        "mrn": mrn,
        "legal_given_name": given,
        "legal_family_name": family,
        "date_of_birth": "1984-03-09",
        "sex_at_birth": "female",
        **extra,
    }
    return patients.patient_create(access=access, data=data, confirm_not_duplicate=True)
