"""Schemathesis over every API operation: generated requests (valid and invalid, NUL
characters and huge numbers included), sent with a clinic-A token to the Django app. No
answer may be a server error, and every answer must match the documented schema.

Bounded: EXAMPLES generated cases per operation besides the boundary cases Schemathesis
derives from each schema (about 5,000 cases per database, 1.5 min serial), in the normal suite, so
CI runs it on SQLite and on PostgreSQL. The number of cases is printed (-s shows it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from ketacare.wsgi import application
from tests.api.world import World

# The two-clinic world runs on its own fixed clock: the shifted-clock pass leaves it out.
pytestmark = pytest.mark.fixed_world

EXAMPLES = 2
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
CASES = {"sent": 0}


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    print(f"\nschemathesis: {CASES['sent']} cases, 0 server errors, 0 schema violations")


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """The requests go to the WSGI app directly, not through Django's test client, so do
    what the client does: the end of a request must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is shown as found
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
    derandomize=True,  # the same cases on every run, so CI is repeatable
)
def test_no_server_error_and_every_answer_as_documented(
    case: schemathesis.Case, world: World
) -> None:
    CASES["sent"] += 1
    response = case.call(headers={"Authorization": f"Bearer {world.dual_token_a}"})
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
