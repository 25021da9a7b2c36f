"""The two-clinic world of the tenant-isolation tests, built once per test module.

Building it writes hundreds of rows through the services (charts, measures, plans, a live
session), which took about a second per test. Like Django's `setUpTestData`, the world is
written inside a module-wide transaction; each test runs in a savepoint of it (pytest-
django's `db`) and is rolled back to the world as built, and the module's end rolls the
world back too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from ketacare.accounts.models import Clinic
from tests.api.world import WORLD_NOW, World, build_world
from tests.clock import fix_clock
from tests.factories import ClinicFactory


@pytest.fixture(scope="module")
def module_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world(
                ClinicFactory.create(slug="clinic-a", name="Clinic A"),
                ClinicFactory.create(slug="clinic-b", name="Clinic B"),
            )
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(module_world: World, db: None) -> World:
    """Clinic A ("clinic-a") and clinic B ("clinic-b"), each with a full chart. The
    sessions and merge records a test builds on demand (add_state_session,
    add_merge_records) start empty for every test,
    since the rows of an earlier test were rolled back. The clock is fixed at WORLD_NOW."""
    fix_clock(WORLD_NOW)
    return dataclasses.replace(
        module_world,
        a=dataclasses.replace(module_world.a, sessions={}, merge_ids={}),
        b=dataclasses.replace(module_world.b, sessions={}, merge_ids={}),
    )


@pytest.fixture
def clinic(world: World) -> Clinic:
    return world.a.clinic


@pytest.fixture
def other_clinic(world: World) -> Clinic:
    return world.b.clinic
