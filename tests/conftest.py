from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, settings

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, User
from ketacare.accounts.policy import Role
from tests.clock import RUN_STARTED, fix_clock, release_clock
from tests.factories import ClinicFactory, MembershipFactory, UserFactory

# No test depends on how fast the machine is: Hypothesis's deadline and its "input
# generation is slow" check measure wall time, which a loaded CI machine stretches.
settings.register_profile("ketacare", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ketacare")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL pass, leave out the tests marked own_sqlite: their processes use
    SQLite files of their own whatever the test database, so they would repeat the SQLite
    pass exactly."""
    if not os.environ.get("KETACARE_TEST_DATABASE_URL"):
        return
    repeated = [item for item in items if item.get_closest_marker("own_sqlite")]
    if repeated:
        config.hook.pytest_deselected(items=repeated)
        items[:] = [item for item in items if not item.get_closest_marker("own_sqlite")]


def pytest_report_header() -> str:
    return f"test clock: {RUN_STARTED:%Y-%m-%d %H:%M:%S} UTC unless a test fixes its own"


@pytest.fixture(autouse=True)
def _fixed_clock() -> Iterator[None]:
    """Each test starts on the clock fixed at RUN_STARTED, and it is released after the
    test (tests/clock.py)."""
    fix_clock(RUN_STARTED)
    yield
    release_clock()


@pytest.fixture(autouse=True)
def _own_anchor_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test seals its audit anchors in a file of its own, as each test has its own
    database: anchors from another test's clinics would not match."""
    path = tmp_path_factory.getbasetemp() / "anchors" / f"{uuid.uuid4().hex}.jsonl"
    with override_settings(KETACARE_AUDIT_ANCHOR_FILE=path):
        yield


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
