"""A vital-sign write issues a fixed number of queries (issue 14): however many readings
the session already has, and however many readings a batch carries."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ketacare.accounts.access import ClinicAccess
from ketacare.audit.models import AuditEvent
from ketacare.audit.selectors import audit_chain_verify
from ketacare.common import clock
from ketacare.treatment import charting
from ketacare.treatment.models import SessionAlert, TreatmentSession, VitalReading
from ketacare.treatment.services import baseline_of, latest_baseline
from tests.factories import PatientFactory
from tests.sessions.build import at, ids, to_pre_dose

pytestmark = pytest.mark.django_db
CALM = {"systolic": 126, "diastolic": 80, "heart_rate": 72, "spo2": 98}
HIGH = {"systolic": 215, "diastolic": 120, "heart_rate": 88, "spo2": 97}  # raises an alert


def _session_with(nurse: ClinicAccess, prescriber: ClinicAccess, earlier: int) -> TreatmentSession:
    patient = PatientFactory.create(clinic=nurse.clinic, created_by=nurse.user)
    session = to_pre_dose(nurse, prescriber, patient)
    at(5)
    if earlier:
        _record(nurse, session, [(f"early-{n}", CALM) for n in range(earlier)])
    at(6)
    return session


def _record(
    nurse: ClinicAccess, session: TreatmentSession, readings: list[tuple[str, dict[str, Any]]]
) -> list[charting.Stored]:
    return charting.vitals_record(
        access=nurse,
        **ids(session),
        readings=[charting.ReadingIn(rid, clock.now(), values) for rid, values in readings],
    )


def _queries(action: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries.captured_queries)


def test_a_service_write_does_not_grow_with_the_readings_already_charted(
    nurse: ClinicAccess, prescriber: ClinicAccess
) -> None:
    counts = {}
    for earlier in (5, 200):
        session = _session_with(nurse, prescriber, earlier)
        _record(nurse, session, [("warm", CALM)])  # the chain head is this connection's
        counts[earlier] = _queries(partial(_record, nurse, session, [("next", CALM)]))
        assert VitalReading.objects.filter(session=session).count() == earlier + 3  # + baseline
    assert counts[5] == counts[200], counts


def test_an_api_write_does_not_grow_with_the_readings_already_charted(
    nurse: ClinicAccess, prescriber: ClinicAccess, api_client: Callable[[ClinicAccess], Client]
) -> None:
    client = api_client(nurse)
    counts = {}
    for earlier in (5, 200):
        session = _session_with(nurse, prescriber, earlier)
        url = f"/api/v1/patients/{session.patient_id}/sessions/{session.pk}/vitals"

        def post(rid: str, url: str = url) -> None:
            body = {"readings": [{"reading_id": rid, "taken_at": clock.now().isoformat(), **CALM}]}
            response = client.post(url, json.dumps(body), content_type="application/json")
            assert response.status_code == 200, response.content
            assert response.json()[0]["created"] is True

        post("warm")
        counts[earlier] = _queries(partial(post, "next"))
    assert counts[5] == counts[200], counts


def test_a_batch_takes_as_many_queries_as_one_reading_and_audits_each(
    nurse: ClinicAccess, prescriber: ClinicAccess
) -> None:
    session = _session_with(nurse, prescriber, 0)
    _record(nurse, session, [("warm", CALM)])
    one = _queries(lambda: _record(nurse, session, [("one", HIGH)]))
    events = AuditEvent.objects.count()
    # 20 readings, 20 alerts and 40 audit events stay within one INSERT each, even under
    # SQLite's 999 parameters a statement (beyond, Django splits an insert in several).
    batch = [(f"b{n}", HIGH) for n in range(20)]
    stored: list[charting.Stored] = []
    twenty = _queries(lambda: stored.extend(_record(nurse, session, batch)))
    assert twenty == one
    # Every reading stored, every one raised its alert, every row has its audit event.
    assert [s.created for s in stored] == [True] * 20
    assert all(len(s.alerts) == 1 for s in stored)
    alerts = SessionAlert.objects.filter(session=session, reading__reading_id__startswith="b")
    assert alerts.count() == 20
    assert AuditEvent.objects.count() == events + 40
    assert audit_chain_verify(clinic=nurse.clinic).broken is None


def test_a_batch_repeating_stored_ids_answers_them_stored_and_refuses_a_changed_one(
    nurse: ClinicAccess, prescriber: ClinicAccess
) -> None:
    session = _session_with(nurse, prescriber, 2)
    at(5)  # the time the earlier readings were taken: the same reading, sent again
    again = _record(nurse, session, [("early-0", CALM), ("new", CALM), ("new", CALM)])
    assert [s.created for s in again] == [False, True, False]
    assert again[1].reading.pk == again[2].reading.pk
    with pytest.raises(charting.ValidationFailed):
        _record(nurse, session, [("other", CALM), ("early-1", HIGH)])
    assert not VitalReading.objects.filter(session=session, reading_id="other").exists()


def test_a_reading_is_judged_against_the_newest_baseline_read_in_the_same_look_up(
    nurse: ClinicAccess, prescriber: ClinicAccess
) -> None:
    """The batch's look-up also reads the baseline: a superseded baseline (entered in
    error) is not the one a reading's rise is measured from."""
    session = _session_with(nurse, prescriber, 0)  # baseline 128/82
    at(5.5)
    with transaction.atomic():
        charting.baseline_record(nurse, session, {**CALM, "systolic": 100, "diastolic": 60})
    newest = baseline_of(session)
    assert newest is not None and newest.systolic == 100
    at(6)
    # A systolic of 150 rises 50 over the newest baseline (limit 40), 22 over the first.
    stored = _record(nurse, session, [("rise", {**CALM, "systolic": 150})])
    assert [f["rule"] for f in stored[0].alerts[0].findings] == ["systolic_rise"]


def test_latest_baseline_chooses_as_the_query_does(
    nurse: ClinicAccess, prescriber: ClinicAccess
) -> None:
    session = _session_with(nurse, prescriber, 3)
    for minutes, systolic in ((5.2, 110), (5.4, 120)):
        at(minutes)
        with transaction.atomic():
            charting.baseline_record(nurse, session, {**CALM, "systolic": systolic})
    rows = list(VitalReading.objects.filter(session=session))
    chosen = latest_baseline(rows)
    assert chosen is not None and chosen == baseline_of(session) and chosen.systolic == 120
    assert latest_baseline([r for r in rows if not r.is_baseline]) is None
