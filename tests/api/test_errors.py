"""An unexpected error answers 500 with a request id, and the log keeps the stack but
not the exception's message, which may hold patient data."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from ketacare.common.logging import RedactingFormatter
from ketacare.patients import services
from tests.api.operations import API
from tests.api.world import World, session_client


@pytest.fixture
def configured_log() -> Iterator[io.StringIO]:
    """What the configured console handler writes: its formatter and filters, into a buffer."""
    console = next(
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler.formatter, RedactingFormatter)
    )
    buffer = io.StringIO()
    capture = logging.StreamHandler(buffer)
    capture.setFormatter(console.formatter)
    for log_filter in console.filters:
        capture.addFilter(log_filter)
    logging.getLogger().addHandler(capture)
    yield buffer
    logging.getLogger().removeHandler(capture)


def test_unhandled_error_is_500_with_request_id_and_no_patient_data_in_the_log(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    configured_log: io.StringIO,
) -> None:
    patient = world.a.patient
    assert patient.legal_given_name == "Alice"

    def failing_view(**kwargs: Any) -> None:
        raise RuntimeError(f"secret patient name {patient.legal_given_name}")

    monkeypatch.setattr(services, "patient_view", failing_view)

    response = session_client(world.dual_a).get(f"{API}/patients/{patient.pk}")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["request_id"] == response["X-Request-ID"]
    assert "Alice" not in response.content.decode()

    (record,) = [r for r in caplog.records if r.name == "ketacare.api"]
    assert record.levelno == logging.ERROR
    assert record.exc_info and record.exc_info[0] is RuntimeError
    output = configured_log.getvalue()
    assert "Unhandled API error on GET" in output
    assert f"[{body['request_id']}]" in output
    assert "RuntimeError" in output and "failing_view" in output  # type and stack are kept
    assert "Alice" not in output  # (the stack shows source lines, not the values in them)
