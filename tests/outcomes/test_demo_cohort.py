"""The demo clinic's outcome dashboard shows meaningful numbers and curves from at least
150 synthetic courses with varied outcomes, written through the services."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, Membership
from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.demo.outcomes_seed import COHORT_CLINIC
from ketacare.demo.seed import seed_demo
from ketacare.outcomes.dashboard import Filters, build_dashboard
from ketacare.treatment.models import TreatmentSession

pytestmark = pytest.mark.django_db


def test_the_demo_dashboard_has_meaningful_numbers() -> None:
    assert seed_demo() is True
    clinic = Clinic.objects.get(slug=COHORT_CLINIC)
    member = Membership.objects.filter(clinic=clinic, role="prescriber").first()
    assert member is not None
    access = ClinicAccess(user=member.user, clinic=clinic, role=Role.PRESCRIBER)
    board = build_dashboard(access, Filters(), timezone.now(), individual_lines=False)
    assert board.started >= 150 and board.completed >= 150
    assert board.overall is not None
    response, remission = board.overall.response, board.overall.remission
    assert 0.3 < response.met / response.denominator < 0.95
    assert response.missing > 0  # courses without a baseline are reported as missing
    assert 0.2 < remission.met / remission.denominator < 0.8
    assert board.median_days_to_response is not None
    assert board.durability is not None and board.durability.relapses >= 20
    assert board.durability.courses - board.durability.relapses >= 20  # censored too
    assert len(board.weeks) >= 10 and board.weeks[0].median > board.weeks[4].median
    # The cohort's sessions carry their protocol: the filters offer it and narrow by it.
    assert {"iv_ketamine", "esketamine_trd", "im_ketamine"} <= set(board.protocols)
    assert {"iv", "intranasal", "im"} <= set(board.routes)
    nasal = build_dashboard(
        access, Filters(route="intranasal"), timezone.now(), individual_lines=False
    )
    assert 30 <= nasal.started < board.started
    assert board.indications  # from the story patients' treatment plans
    # Written through the services: every session is audited.
    assert (
        AuditEvent.objects.filter(object_type="treatmentsession", action="create").count()
        == TreatmentSession.objects.count()
    )
