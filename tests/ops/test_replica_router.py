"""The read-replica router: inside `replica_reads()`, clinical reads go to the "replica"
alias (here a second alias for the same database); writes, the audit trail, accounts
and everything outside the block stay on the primary."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings

from ketacare.accounts.models import Clinic, Membership
from ketacare.audit.models import AuditEvent
from ketacare.measures.models import Score
from ketacare.operations.routers import ReplicaRouter, replica_reads
from ketacare.patients.models import Patient
from tests.measures.conftest import Team

# Committed rows: the replica alias is a second connection, which cannot see the rows of
# the primary's open test transaction.
pytestmark = pytest.mark.django_db(databases=["default", "replica"], transaction=True)


@pytest.fixture(autouse=True)
def replica_on(settings: Settings) -> None:
    settings.KETACARE_REPLICA_READS = True


def test_clinical_reads_in_a_report_go_to_the_replica() -> None:
    router = ReplicaRouter()
    assert router.db_for_read(Patient) is None
    with replica_reads():
        assert router.db_for_read(Patient) == "replica"
        assert router.db_for_read(Score) == "replica"
        assert router.db_for_read(AuditEvent) is None  # read FOR UPDATE: the primary
        assert router.db_for_read(Membership) is None
        assert router.db_for_read(Clinic) is None
        assert router.db_for_write(Patient) is None
    assert router.db_for_read(Patient) is None


def test_nothing_goes_to_the_replica_when_it_is_switched_off(settings: Settings) -> None:
    settings.KETACARE_REPLICA_READS = False
    with replica_reads():
        assert ReplicaRouter().db_for_read(Patient) is None


def test_migrations_never_run_on_the_replica() -> None:
    assert ReplicaRouter().allow_migrate("replica", "patients") is False
    assert ReplicaRouter().allow_migrate("default", "patients") is True


def test_the_replica_alias_reads_the_same_rows(team: Team) -> None:
    from tests.measures.conftest import register

    patient = register(team.nurse)
    with replica_reads():
        assert Patient.objects.get(pk=patient.pk).mrn == patient.mrn
        assert Patient.objects.all().db == "replica"


def test_the_outcome_dashboard_reads_clinical_rows_from_the_replica(team: Team) -> None:
    client = Client()
    client.force_login(team.prescriber.user)
    with (
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        response = client.get(f"/c/{team.clinic.slug}/outcomes/")

    assert response.status_code == 200
    assert replica.captured_queries, "no query went to the replica"
    assert not any("audit_" in q["sql"] for q in replica.captured_queries)
    assert any('INSERT INTO "audit_auditevent"' in q["sql"] for q in primary.captured_queries)
