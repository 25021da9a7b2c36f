"""On PostgreSQL the app's role owns nothing: it cannot TRUNCATE the audit trail, switch
off its append-only trigger, or update and delete its rows (docs/security.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import DatabaseError, connection, transaction

from ketacare.accounts.models import Clinic
from ketacare.audit.models import AuditEvent
from ketacare.audit.services import audit_record
from ketacare.common.dbroles import grant_app_role

pytestmark = pytest.mark.django_db

APP_ROLE = "ketacare_test_app"

REFUSED = [
    "TRUNCATE audit_auditevent",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_auditevent_append_only ON audit_auditevent",
    "DROP TABLE audit_auditevent",
    "DELETE FROM audit_auditevent",
    "UPDATE audit_auditevent SET action = 'view'",
    "TRUNCATE accounts_clinic CASCADE",
]


@pytest.fixture
def as_app_role() -> Iterator[None]:
    if connection.vendor != "postgresql":
        pytest.skip("database roles exist on PostgreSQL only; SQLite has no roles")
    # Roles are created in the test's transaction, so they vanish with it.
    with connection.cursor() as cursor:
        grant_app_role(cursor, APP_ROLE)
        cursor.execute(f"SET ROLE {APP_ROLE}")
        yield
        cursor.execute("RESET ROLE")


@pytest.mark.parametrize("statement", REFUSED)
def test_the_app_role_cannot_erase_or_unprotect_the_trail(
    as_app_role: None, statement: str
) -> None:
    with (
        pytest.raises(DatabaseError, match=r"permission denied|must be owner"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


def test_the_app_role_reads_and_appends_and_writes_rows(clinic: Clinic, as_app_role: None) -> None:
    with transaction.atomic():
        audit_record(actor=None, clinic=clinic, action="view", object_type="patient")
        audit_record(actor=None, clinic=clinic, action="view", object_type="patient")
    Clinic.objects.filter(pk=clinic.pk).update(name="Renamed")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_session")

    sequences = AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True)
    assert list(sequences) == [1, 2]


def test_a_superuser_or_the_owner_is_refused_as_the_app_role() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("database roles exist on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        with pytest.raises(ValueError, match=r"superuser|owner"):
            grant_app_role(cursor, owner)
