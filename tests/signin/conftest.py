"""Two clinics, Riverside and Harbour, and staff in one or both: the issue-13 findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts.models import Clinic, User
from ketacare.accounts.policy import Role
from ketacare.accounts.services import clinic_create, membership_set

PASSWORD = "correct horse battery staple"


@dataclass
class Clinics:
    riverside: Clinic
    harbour: Clinic


@pytest.fixture
def clinics(db: None) -> Clinics:
    return Clinics(
        riverside=clinic_create(name="Riverside", slug="riverside"),
        harbour=clinic_create(name="Harbour", slug="harbour"),
    )


def staff(username: str, roles: dict[Clinic, Role], *, superuser: bool = False) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.org"
    )
    if superuser:
        User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
        user.refresh_from_db()
    for clinic, role in roles.items():
        membership_set(clinic=clinic, user=user, role=role, actor=None)
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def enrolled(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """The code the authenticator app shows now (on the test's fixed clock)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def sign_in(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post("/login/", {"username": username, "password": password})
