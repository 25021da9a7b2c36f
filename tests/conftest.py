from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, User
from ketacare.accounts.policy import Role
from tests.clock import release_clock
from tests.factories import ClinicFactory, MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _release_the_clock_after_each_test() -> Iterator[None]:
    """A clock a test fixed (tests/clock.py) never leaks into the next test."""
    yield
    release_clock()


@pytest.fixture
def clinic(db: None) -> Clinic:
    return ClinicFactory.create(slug="clinic-a", name="Clinic A")


@pytest.fixture
def other_clinic(db: None) -> Clinic:
    return ClinicFactory.create(slug="clinic-b", name="Clinic B")


@pytest.fixture
def make_access(db: None) -> Callable[..., ClinicAccess]:
    """make_access(Role.NURSE, clinic) -> a ClinicAccess for a new user with that role."""

    def make(
        role: Role = Role.PRESCRIBER, clinic: Clinic | None = None, user: User | None = None
    ) -> ClinicAccess:
        membership = MembershipFactory.create(
            role=role.value,
            clinic=clinic or ClinicFactory.create(),
            user=user or UserFactory.create(),
        )
        return ClinicAccess(user=membership.user, clinic=membership.clinic, role=role)

    return make


@pytest.fixture
def api_client() -> Callable[[ClinicAccess], Client]:
    """A client signed in as the access's user, working in the access's clinic."""

    def make(access: ClinicAccess) -> Client:
        client = Client(headers={"X-Clinic": access.clinic.slug})
        client.force_login(access.user)
        return client

    return make
