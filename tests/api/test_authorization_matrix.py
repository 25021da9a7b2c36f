"""The authorization matrix, generated from the OpenAPI document and the URL
configuration, so a new endpoint or page is covered without a new test:

- every API operation x every role, in the role's own clinic (never a server error, and
  never 404 for the clinic's own records), against another clinic's records (404 or 403,
  never data), with no clinic and anonymously (401);
- every web page under a clinic x every role: own clinic (the page or 403), another
  clinic (404), no clinic (404) and anonymous (to the sign-in page).

Which role may do what is shown by tests/api/test_roles.py and the services' own tests;
this matrix shows that every cell answers one of the expected ways.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from django.db import transaction
from django.test import Client

from ketacare.accounts.policy import Permission, Role, can
from tests.api.operations import (
    API,
    PSYCHOTHERAPY_NOTE_OPERATIONS,
    RECORD_OPERATIONS,
    STATE_SESSION_OPERATIONS,
    Op,
    op_id,
    schema_operations,
    url_for,
)
from tests.api.world import (
    World,
    add_merge_records,
    add_state_session,
    call,
    member,
    session_client,
)
from tests.factories import UserFactory
from tests.web.test_tenant_isolation import PAGES

# The two-clinic world runs on its own fixed clock: the shifted-clock pass leaves it out.
pytestmark = pytest.mark.fixed_world

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

OPERATIONS = sorted(schema_operations())
OWN_CLINIC = {200, 201, 403, 409, 422}
# A token is revoked by its own user only; the world's token is another user's.
OTHER_USERS_RECORDS = {op for op in OPERATIONS if "{token_id}" in op[1]}
PROTOCOL = "esketamine_trd"  # {code} names a protocol here, an instrument elsewhere


def _with_sessions(world: World) -> World:
    """Every session the state-dependent operations and pages need, in both clinics, and
    the records the merge operations name."""
    for kind in STATE_SESSION_OPERATIONS:
        add_state_session(world, kind)
    add_merge_records(world)
    return world


def _requests(world: World, client: Client) -> Iterator[tuple[Op, Response]]:
    """Each operation aimed at clinic A's records, in a savepoint that is rolled back, so
    one operation's writes (an archive, a revoked token) do not change the next."""
    for op in OPERATIONS:
        with transaction.atomic():
            code = PROTOCOL if op[1].startswith(f"{API}/protocols/") else None
            url = url_for(op, world.a, code=code)
            yield op, call(client, op[0], url, RECORD_OPERATIONS.get(op))
            transaction.set_rollback(True)


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_operation_in_the_roles_own_clinic(world: World, role: Role) -> None:
    client = session_client(member(world.a.clinic, role))
    for op, response in _requests(_with_sessions(world), client):
        hidden = OTHER_USERS_RECORDS | (
            set()
            if can(role, Permission.READ_PSYCHOTHERAPY_NOTES)
            else PSYCHOTHERAPY_NOTE_OPERATIONS
        )
        allowed = OWN_CLINIC | ({404} if op in hidden else set())
        assert response.status_code in allowed, (op_id(op), response.status_code)


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_operation_on_another_clinics_records(world: World, role: Role) -> None:
    client = session_client(member(world.b.clinic, role))
    for op, response in _requests(_with_sessions(world), client):
        if op in RECORD_OPERATIONS:
            assert response.status_code in (403, 404), (op_id(op), response.status_code)
        else:  # names no record: answers about clinic B only (test_tenant_isolation)
            assert response.status_code < 500, op_id(op)


def test_every_operation_without_a_clinic_or_anonymously_is_401(world: World) -> None:
    no_clinic = Client()
    no_clinic.force_login(UserFactory.create())
    for client in (no_clinic, Client(enforce_csrf_checks=True)):
        for op, response in _requests(world, client):
            assert response.status_code == 401, (op_id(op), response.status_code)


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_page_for_every_role(world: World, role: Role) -> None:
    own = Client()
    own.force_login(member(world.a.clinic, role).user)
    other = Client()
    other.force_login(member(world.b.clinic, role).user)
    _with_sessions(world)
    for page in PAGES:
        url = page.url(world.a)
        got = own.get(url)
        expected = {200, 302, 403} if page.serves_get else {404, 405}
        assert got.status_code in expected, (page.id, got.status_code)
        assert other.get(url).status_code in (404, 405), page.id


def test_every_page_without_a_clinic_or_anonymously(world: World) -> None:
    _with_sessions(world)
    no_clinic = Client()
    no_clinic.force_login(UserFactory.create())
    anonymous = Client()
    for page in PAGES:
        url = page.url(world.a)
        assert no_clinic.get(url).status_code in (404, 405), page.id
        got = anonymous.get(url)
        if not page.serves_get and got.status_code == 405:
            got = anonymous.post(url, page.post)  # a POST-only page
        assert got.status_code == 302 and got["Location"].startswith("/login/"), page.id
