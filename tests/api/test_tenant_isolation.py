"""Clinic B's staff cannot reach clinic A's records through any API operation.

Every operation aimed at a record is tried with clinic A's ids by clinic-B users
(including one who also works in clinic A but holds a clinic-B token), with a valid
body: each answers the same bare 404 and writes nothing. The operations that name no
record are shown to deal only in the caller's clinic.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from ketacare.accounts.models import ApiToken
from ketacare.accounts.policy import Role
from ketacare.accounts.services import api_token_create
from ketacare.audit.models import AuditEvent
from ketacare.patients.models import Patient
from ketacare.referrals.models import LetterTemplate, Referral
from tests.api.operations import (
    ACCEPTED_REFERRAL_OPERATIONS,
    API,
    MERGE_OPERATIONS,
    NON_RECORD_PARAMS,
    PATIENT_BODY,
    PHQ9_BODY,
    RECORD_ID_PARAMS,
    RECORD_OPERATIONS,
    SESSION_KIND,
    UNSCOPED_OPERATIONS,
    Op,
    expected_success,
    is_ledger,
    op_id,
    path_params,
    schema_operations,
    section_of,
    url_for,
)
from tests.api.world import (
    WORLD_NOW,
    World,
    accept_referrals,
    add_merge_records,
    add_state_session,
    call,
    clinic_state,
    member,
    record_counts,
    session_client,
    token_client,
)
from tests.factories import clinic_today

# The two-clinic world runs on its own fixed clock: the shifted-clock pass leaves it out.
pytestmark = pytest.mark.fixed_world

NOT_FOUND = {"detail": "Not found."}

# Ways a clinic-B user reaches the API.
CLINIC_B_CALLERS = [
    "b-member-session",
    "b-member-token",
    "dual-member-session-b",
    "dual-member-token-b",
    "dual-member-token-b-naming-clinic-a",  # X-Clinic must not override the token's clinic
]


def clinic_b_client(world: World, caller: str) -> Client:
    return {
        "b-member-session": lambda: session_client(world.b_member),
        "b-member-token": lambda: token_client(world.b_token),
        "dual-member-session-b": lambda: session_client(world.dual_b),
        "dual-member-token-b": lambda: token_client(world.dual_token_b),
        "dual-member-token-b-naming-clinic-a": lambda: token_client(
            world.dual_token_b, **{"X-Clinic": world.a.clinic.slug}
        ),
    }[caller]()


def test_every_api_operation_is_known() -> None:
    """A new endpoint fails here until tests/api/operations.py says how to exercise it."""
    operations = {op: spec for op, spec in schema_operations().items() if not is_ledger(op)}
    known = set(RECORD_OPERATIONS) | set(UNSCOPED_OPERATIONS)
    assert not set(operations) - known, "add the new operation to tests/api/operations.py"
    assert not known - set(operations), "tests/api/operations.py lists a removed operation"
    for op, spec in operations.items():
        params = {p["name"] for p in spec.get("parameters", []) if p["in"] == "path"}
        assert params == path_params(op[1])
        if op in RECORD_OPERATIONS:
            assert params, f"{op_id(op)} names no record in its path"
            assert params <= RECORD_ID_PARAMS, op_id(op)
            assert ("requestBody" in spec) == (RECORD_OPERATIONS[op] is not None), op_id(op)
        else:
            assert params <= NON_RECORD_PARAMS, (
                f"{op_id(op)} takes a record id: add it to RECORD_OPERATIONS"
            )
            assert UNSCOPED_OPERATIONS[op] in globals(), f"missing {UNSCOPED_OPERATIONS[op]}"
    # Every operation taking a record id in its path is covered above.
    with_record_ids = {op for op in operations if path_params(op[1]) & RECORD_ID_PARAMS}
    assert with_record_ids <= set(RECORD_OPERATIONS)


def prepare(world: World, op: Op) -> None:
    """The session in the state the action needs, when it needs one."""
    if op in SESSION_KIND:
        add_state_session(world, SESSION_KIND[op])
    if op in ACCEPTED_REFERRAL_OPERATIONS:
        accept_referrals(world)
    if op in MERGE_OPERATIONS:
        add_merge_records(world)


@pytest.mark.parametrize("op", sorted(RECORD_OPERATIONS), ids=op_id)
def test_operation_succeeds_on_its_own_clinics_records(world: World, op: Op) -> None:
    """The control: the same request, with a token for clinic A, works. So the bodies
    are valid and the 404s below come from clinic scoping alone."""
    prepare(world, op)
    response = call(
        token_client(world.dual_token_a), op[0], url_for(op, world.a), RECORD_OPERATIONS[op]
    )
    assert response.status_code == expected_success(op), response.content


@pytest.mark.parametrize("caller", CLINIC_B_CALLERS)
@pytest.mark.parametrize("op", sorted(RECORD_OPERATIONS), ids=op_id)
def test_clinic_b_caller_gets_404_for_clinic_a_records(world: World, op: Op, caller: str) -> None:
    prepare(world, op)
    client = clinic_b_client(world, caller)
    before, counts = clinic_state(world.a.clinic), record_counts()

    response = call(client, op[0], url_for(op, world.a), RECORD_OPERATIONS[op])

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND  # the same answer as for an id that never existed
    assert clinic_state(world.a.clinic) == before
    assert record_counts() == counts


# Entries and sessions named under a patient (the schedule's operations name the session
# alone: their other-clinic 404s are the tests above).
ENTRY_OPERATIONS = sorted(
    op
    for op in RECORD_OPERATIONS
    if "{patient_id}" in op[1] and ("{entry_id}" in op[1] or "{session_id}" in op[1])
)


@pytest.mark.parametrize("caller", ["b-member-session", "dual-member-token-b"])
@pytest.mark.parametrize("op", ENTRY_OPERATIONS, ids=op_id)
def test_clinic_a_entry_under_a_clinic_b_patient_is_404(world: World, op: Op, caller: str) -> None:
    """A chart entry or treatment session of clinic A, named under clinic B's patient."""
    prepare(world, op)
    section = section_of(op[1])
    assert section
    before_a, before_b = clinic_state(world.a.clinic), clinic_state(world.b.clinic)
    if "{session_id}" in op[1]:
        url = url_for(op, world.b, session_id=world.a.session_id)
    else:
        url = url_for(op, world.b, entry_id=world.a.entries[section])

    response = call(clinic_b_client(world, caller), op[0], url, RECORD_OPERATIONS[op])

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND
    assert clinic_state(world.a.clinic) == before_a
    after_b = clinic_state(world.b.clinic)
    assert after_b["AuditEvent"] == before_b["AuditEvent"]
    assert after_b["Patient"] == before_b["Patient"]


@pytest.mark.parametrize("caller", ["b-member-session", "dual-member-token-b"])
def test_a_clinic_b_record_cannot_be_merged_into_a_clinic_a_record(
    world: World, caller: str
) -> None:
    add_merge_records(world)
    before_a, before_b = clinic_state(world.a.clinic), clinic_state(world.b.clinic)
    url = f"{API}/patients/{world.b.patient.pk}/merge/{world.a.merge_ids['kept']}"
    client = clinic_b_client(world, caller)
    for method, body in (("GET", None), ("POST", {"reason": "Registered twice"})):
        response = call(client, method, url, body)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert clinic_state(world.a.clinic) == before_a
    assert clinic_state(world.b.clinic)["Patient"] == before_b["Patient"]


def test_unknown_ids_get_the_same_404(world: World) -> None:
    client = token_client(world.dual_token_b)
    for op in RECORD_OPERATIONS:
        unknown = {name: uuid.uuid4() for name in RECORD_ID_PARAMS}
        url = url_for(op, world.a, **{**unknown, "token_id": 99999})
        response = call(client, op[0], url, RECORD_OPERATIONS[op])
        assert (response.status_code, response.json()) == (404, NOT_FOUND), op_id(op)


# --- operations that name no record ------------------------------------------------------


def test_me_reports_the_clinic_of_the_credential(world: World) -> None:
    for client in (
        token_client(world.dual_token_b),
        token_client(world.dual_token_b, **{"X-Clinic": world.a.clinic.slug}),
        session_client(world.dual_b),
    ):
        me = client.get(f"{API}/me").json()
        assert (me["clinic"], me["role"]) == ("clinic-b", "prescriber")
    me = token_client(world.b_token).get(f"{API}/me").json()
    assert me["clinic"] == "clinic-b"
    assert [m["clinic"] for m in me["memberships"]] == ["clinic-b"]


def test_token_list_shows_only_tokens_of_the_clinic(world: World) -> None:
    in_b = set(
        ApiToken.objects.filter(user=world.dual_b.user, clinic=world.b.clinic).values_list(
            "pk", flat=True
        )
    )
    assert in_b
    for client in (token_client(world.dual_token_b), session_client(world.dual_b)):
        listed = {t["id"] for t in client.get(f"{API}/tokens").json()}
        assert listed == in_b
        assert world.a.token_id not in listed


def test_token_create_makes_a_token_for_the_callers_clinic(world: World) -> None:
    before = clinic_state(world.a.clinic)

    response = call(
        session_client(world.dual_b),
        "POST",
        f"{API}/tokens",
        {"name": "lab", "expires_in_days": 30},
    )

    assert response.status_code == 201, response.content
    assert ApiToken.objects.get(pk=response.json()["id"]).clinic == world.b.clinic
    assert clinic_state(world.a.clinic) == before
    me = token_client(response.json()["token"]).get(f"{API}/me").json()
    assert me["clinic"] == "clinic-b"


@pytest.mark.parametrize("caller", CLINIC_B_CALLERS)
def test_patient_search_finds_only_the_callers_clinic(world: World, caller: str) -> None:
    client = clinic_b_client(world, caller)
    b_ids = {
        str(pk) for pk in Patient.objects.filter(clinic=world.b.clinic).values_list("pk", flat=True)
    }
    a = world.a.patient
    for q in ("", "Alice", "Ashworth", "ash", "A-1001", "A-", "1980-05-17", "Alice 1980-05-17"):
        for archived in ("false", "true"):
            page = client.get(f"{API}/patients", {"q": q, "include_archived": archived}).json()
            found = {p["id"] for p in page["items"]}
            assert found <= b_ids, q
            assert str(a.pk) not in found
            assert page["count"] == len(found)
    everyone = client.get(f"{API}/patients").json()
    assert {p["id"] for p in everyone["items"]} == b_ids


def test_patient_create_registers_in_the_callers_clinic(world: World) -> None:
    before = clinic_state(world.a.clinic)
    body = {**PATIENT_BODY, "mrn": world.a.patient.mrn}  # the same MRN is fine elsewhere

    response = call(token_client(world.dual_token_b), "POST", f"{API}/patients", body)

    assert response.status_code == 201, response.content
    assert Patient.objects.get(pk=response.json()["id"]).clinic == world.b.clinic
    assert clinic_state(world.a.clinic) == before


def test_referral_import_matches_and_writes_in_the_callers_clinic(world: World) -> None:
    """Clinic A's patient, named in a CSV sent to clinic B, is not matched: it is new there."""
    before = clinic_state(world.a.clinic)
    a = world.a.patient
    csv = (
        "legal_family_name,legal_given_name,date_of_birth,sex_at_birth,mrn\n"
        f"{a.legal_family_name},{a.legal_given_name},{a.date_of_birth},female,{a.mrn}\n"
    )
    response = token_client(world.dual_token_b).post(
        f"{API}/referrals/import?confirm=true", data=csv, content_type="text/csv"
    )
    assert response.status_code == 200, response.content
    (row,) = response.json()["rows"]
    assert row["action"] == "create"
    assert Patient.objects.get(pk=row["patient_id"]).clinic == world.b.clinic
    assert clinic_state(world.a.clinic) == before


def test_audit_events_show_only_the_callers_clinic(world: World) -> None:
    officer_b = member(world.b.clinic, Role.COMPLIANCE)
    officer_a = member(world.a.clinic, Role.COMPLIANCE, user=officer_b.user)
    api_token_create(access=officer_a, name="a", expires_in_days=1)
    _token, raw_b = api_token_create(access=officer_b, name="b", expires_in_days=1)
    client = token_client(raw_b)
    a_hashes = set(AuditEvent.objects.filter(clinic=world.a.clinic).values_list("hash", flat=True))

    page = client.get(f"{API}/audit/events").json()
    b_hashes = set(AuditEvent.objects.filter(clinic=world.b.clinic).values_list("hash", flat=True))
    assert page["count"] == len(b_hashes)
    listed = {e["hash"] for e in page["items"]}
    while page["next_cursor"]:  # 100 events a page, older and older
        page = client.get(f"{API}/audit/events", {"cursor": page["next_cursor"]}).json()
        listed |= {e["hash"] for e in page["items"]}
    # Each page read is itself audited (a view event in clinic B, newer than the cursor),
    # so every event is listed once; none is missed, and none is clinic A's.
    assert listed == b_hashes
    assert not a_hashes & b_hashes

    by_patient = client.get(f"{API}/audit/events", {"patient_id": str(world.a.patient.pk)})
    assert by_patient.json()["items"] == []
    assert by_patient.json()["count"] == 0

    # The dual prescriber did much in clinic A, and only made a token in clinic B.
    by_user = client.get(f"{API}/audit/events", {"user": world.dual_a.user.username}).json()
    assert [(e["object_type"], e["action"]) for e in by_user["items"]] == [("api_token", "create")]


def test_instrument_list_is_the_same_for_every_member(world: World) -> None:
    """Instruments are not clinic data: every member, in any clinic, sees the same list."""
    listed = [
        client.get(f"{API}/measures/instruments").json()
        for client in (
            token_client(world.dual_token_a),
            token_client(world.b_token),
            session_client(member(world.b.clinic, Role.RESEARCHER)),
            session_client(member(world.a.clinic, Role.FRONT_DESK)),
        )
    ]
    assert all(entry == listed[0] for entry in listed)
    assert {i["code"] for i in listed[0]} >= {"phq9", "gad7", "madrs", "cssrs_screen"}


@pytest.mark.parametrize("role", list(Role))
def test_scoring_works_for_any_member_stores_nothing(world: World, role: Role) -> None:
    """Any member may score; the caller's own clinic's thresholds apply, and nothing is
    written in either clinic."""
    client = session_client(member(world.b.clinic, role))
    before_a, before_b = clinic_state(world.a.clinic), clinic_state(world.b.clinic)
    counts = record_counts()
    audit_before = AuditEvent.objects.count()
    body = {"answers": [1, 1, 1, 1, 1, 1, 1, 1, 1, 0]}  # item 9 = 1

    response = call(client, "POST", f"{API}/measures/phq9/score", body)

    assert response.status_code == 200, response.content
    assert (response.json()["total"], response.json()["flags"]) == (9, ["suicidal_ideation"])
    assert call(client, "POST", f"{API}/measures/phq9/score", PHQ9_BODY).json()["flags"] == []
    assert clinic_state(world.a.clinic) == before_a
    assert clinic_state(world.b.clinic) == before_b
    assert record_counts() == counts
    assert AuditEvent.objects.count() == audit_before


def test_scoring_uses_the_callers_clinics_thresholds(world: World) -> None:
    settings_b = world.b.clinic.measure_settings
    settings_b.thresholds = {"phq9": {"suicidal_ideation_threshold": 2}}
    settings_b.save()
    body = {"answers": [1, 1, 1, 1, 1, 1, 1, 1, 1, 0]}

    in_a = call(token_client(world.dual_token_a), "POST", f"{API}/measures/phq9/score", body)
    in_b = call(token_client(world.dual_token_b), "POST", f"{API}/measures/phq9/score", body)

    assert in_a.json()["flags"] == ["suicidal_ideation"]
    assert in_b.json()["flags"] == []
    assert in_a.json()["total"] == in_b.json()["total"] == 9


@pytest.mark.parametrize("caller", CLINIC_B_CALLERS)
def test_alert_list_shows_only_the_callers_clinic(world: World, caller: str) -> None:
    listed = clinic_b_client(world, caller).get(f"{API}/alerts")

    assert listed.status_code == 200, listed.content
    assert [a["id"] for a in listed.json()] == [str(world.b.alert_id)]
    assert [a["patient_id"] for a in listed.json()] == [str(world.b.patient.pk)]
    in_a = token_client(world.dual_token_a).get(f"{API}/alerts").json()
    assert [a["id"] for a in in_a] == [str(world.a.alert_id)]


# --- dosing: protocols, settings and the calendar are per clinic --------------------------


def test_protocols_and_settings_are_the_callers_clinics(world: World) -> None:
    """Clinic A's adjusted protocol, settings and calendar never show in clinic B."""
    admin_a = member(world.a.clinic, Role.CLINIC_ADMIN)
    a = session_client(admin_a)
    assert (
        call(
            a,
            "POST",
            f"{API}/protocols/iv_ketamine/versions",
            {"overrides": {"futility_review_after": 5}, "reason": "A's choice"},
        ).status_code
        == 201
    )
    assert call(a, "PUT", f"{API}/dosing/settings", {"weight_max_age_days": 7}).status_code == 200
    assert (
        call(
            a, "PUT", f"{API}/clinic/calendar", {"open_weekdays": [0, 2], "daily_capacity": 3}
        ).status_code
        == 200
    )
    for client in (token_client(world.dual_token_b), session_client(world.b_member)):
        one = client.get(f"{API}/protocols/iv_ketamine").json()
        assert (one["version"], one["futility_review_after"]) == (1, 3)
        listed = {p["code"]: p for p in client.get(f"{API}/protocols").json()}
        assert listed["iv_ketamine"]["version"] == 1
        assert client.get(f"{API}/dosing/settings").json()["weight_max_age_days"] == 30
        assert client.get(f"{API}/clinic/calendar").json()["open_weekdays"] == [0, 1, 2, 3, 4]
    mine = token_client(world.dual_token_a).get(f"{API}/protocols/iv_ketamine").json()
    assert (mine["version"], mine["futility_review_after"]) == (2, 5)


def test_protocol_copy_is_made_in_the_callers_clinic(world: World) -> None:
    """Writes naming no record (protocol copies, dose settings, calendar) land in the
    caller's clinic, even for a token naming clinic A in X-Clinic."""
    before = clinic_state(world.a.clinic)
    client = token_client(world.dual_token_b, **{"X-Clinic": world.a.clinic.slug})
    adjusted = call(
        client,
        "POST",
        f"{API}/protocols/iv_ketamine/versions",
        {"overrides": {"futility_review_after": 4}, "reason": "B's choice"},
    )
    assert adjusted.status_code == 201, adjusted.content
    assert call(client, "PUT", f"{API}/dosing/settings", {"bmi_threshold": "35"}).status_code == 200
    calendar = call(client, "PUT", f"{API}/clinic/calendar", {"open_weekdays": [1, 3]})
    assert calendar.status_code == 403  # a prescriber does not run the calendar
    front_desk_b = session_client(member(world.b.clinic, Role.FRONT_DESK))
    assert (
        call(front_desk_b, "PUT", f"{API}/clinic/calendar", {"open_weekdays": [1, 3]}).status_code
        == 200
    )
    assert clinic_state(world.a.clinic) == before
    b = token_client(world.dual_token_b)
    assert b.get(f"{API}/protocols/iv_ketamine").json()["futility_review_after"] == 4
    assert b.get(f"{API}/clinic/calendar").json()["open_weekdays"] == [1, 3]


def test_dose_calculation_reads_and_writes_nothing(world: World) -> None:
    before_a, before_b, counts = (
        clinic_state(world.a.clinic),
        clinic_state(world.b.clinic),
        record_counts(),
    )
    body = {
        "protocol_code": "iv_ketamine",
        "dose": "0.5",
        "weight_kg": "70",
        "height_cm": "170",
        "sex_at_birth": "male",
        "concentration_mg_per_ml": "10",
        "weight_measured_on": clinic_today(world.b.clinic).isoformat(),
    }
    response = call(token_client(world.b_token), "POST", f"{API}/dosing/calculate", body)
    assert response.status_code == 200, response.content
    assert (response.json()["dose_mg"], response.json()["rate_ml_per_h"]) == ("35.0", "5.25")
    assert clinic_state(world.a.clinic) == before_a
    after_b = clinic_state(world.b.clinic)
    after_b.pop("ApiToken"), before_b.pop("ApiToken")  # the token's last use is recorded
    assert after_b == before_b
    assert record_counts() == counts


@pytest.mark.parametrize("caller", CLINIC_B_CALLERS)
def test_worklist_shows_only_the_callers_clinic(world: World, caller: str) -> None:
    listed = clinic_b_client(world, caller).get(f"{API}/worklist")

    assert listed.status_code == 200, listed.content
    assert {item["patient_id"] for item in listed.json()} == {str(world.b.patient.pk)}
    in_a = token_client(world.dual_token_a).get(f"{API}/worklist").json()
    assert {item["patient_id"] for item in in_a} == {str(world.a.patient.pk)}


@pytest.mark.parametrize("caller", CLINIC_B_CALLERS)
def test_outcome_dashboard_counts_only_the_callers_clinic(world: World, caller: str) -> None:
    before_a = clinic_state(world.a.clinic)
    board = clinic_b_client(world, caller).get(f"{API}/outcomes/dashboard?instrument=phq9")

    assert board.status_code == 200, board.content
    assert board.json()["courses_started"] == 1
    assert clinic_state(world.a.clinic) == before_a


@pytest.mark.parametrize("caller", CLINIC_B_CALLERS)
def test_outcome_settings_are_the_callers_clinics(world: World, caller: str) -> None:
    client = clinic_b_client(world, caller)
    changed = call(client, "PUT", f"{API}/outcomes/settings", {"lead_days": 2})

    assert changed.status_code == 200, changed.content
    in_b = {row["key"]: row["value"] for row in client.get(f"{API}/outcomes/settings").json()}
    assert in_b["lead_days"] == 2
    in_a = token_client(world.dual_token_a).get(f"{API}/outcomes/settings").json()
    assert {row["key"]: row["value"] for row in in_a}["lead_days"] == 3


@pytest.mark.parametrize("caller", CLINIC_B_CALLERS)
def test_consent_documents_are_the_callers_clinics(world: World, caller: str) -> None:
    listed = clinic_b_client(world, caller).get(f"{API}/consent/documents")
    assert listed.status_code == 200, listed.content
    ids = {d["id"] for d in listed.json()}
    assert str(world.b.consent_document_id) in ids
    assert str(world.a.consent_document_id) not in ids


@pytest.mark.parametrize("caller", CLINIC_B_CALLERS)
def test_education_articles_are_the_callers_clinics(world: World, caller: str) -> None:
    listed = clinic_b_client(world, caller).get(f"{API}/education/articles")
    assert listed.status_code == 200, listed.content
    ids = {a["id"] for a in listed.json()}
    assert str(world.b.article_id) in ids
    assert str(world.a.article_id) not in ids


@pytest.mark.parametrize("caller", CLINIC_B_CALLERS)
def test_rems_form_list_shows_only_the_callers_clinic(world: World, caller: str) -> None:
    add_state_session(world, "rems")
    client = clinic_b_client(world, caller)
    listed = client.get(f"{API}/rems-forms")

    assert listed.status_code == 200, listed.content
    assert [f["session_id"] for f in listed.json()] == [str(world.b.sessions["rems"])]
    exported = client.get(f"{API}/rems-forms.csv?include_submitted=true")
    assert exported.status_code == 200
    text = exported.content.decode()
    assert str(world.b.sessions["rems"]) in text
    assert str(world.a.sessions["rems"]) not in text
    in_a = token_client(world.dual_token_a).get(f"{API}/rems-forms").json()
    assert [f["session_id"] for f in in_a] == [str(world.a.sessions["rems"])]


@pytest.mark.parametrize("caller", CLINIC_B_CALLERS)
def test_schedule_board_and_booking_keep_to_the_callers_clinic(world: World, caller: str) -> None:
    from ketacare.schedule.models import Room
    from ketacare.treatment.models import TreatmentSession

    Room.objects.create(clinic=world.a.clinic, name="Chair A")
    b_room = Room.objects.create(clinic=world.b.clinic, name="Chair B")
    session_a = TreatmentSession.objects.get(pk=world.a.session_id)
    session_b = TreatmentSession.objects.get(pk=world.b.session_id)
    client = clinic_b_client(world, caller)
    for session in (session_a, session_b):
        day = session.clinic.date_of(session.scheduled_start)
        board = client.get(f"{API}/schedule/board?day={day.isoformat()}&view=week")
        assert board.status_code == 200, board.content
        listed = {s["id"] for s in board.json()["sessions"]}
        assert str(world.a.session_id) not in listed
    assert str(world.b.session_id) in listed
    assert [r["name"] for r in client.get(f"{API}/schedule/rooms").json()] == ["Chair B"]
    before, counts = clinic_state(world.a.clinic), record_counts()
    body = {"scheduled_start": "2024-03-11T10:00:00Z", "reason": "Catch-up"}
    refused = client.post(
        f"{API}/schedule/sessions",
        {**body, "patient_id": str(world.a.patient.pk)},
        content_type="application/json",
    )
    assert (refused.status_code, refused.json()) == (404, NOT_FOUND)
    assert (clinic_state(world.a.clinic), record_counts()) == (before, counts)
    booked = client.post(
        f"{API}/schedule/sessions",
        {**body, "patient_id": str(world.b.patient.pk), "room_id": str(b_room.pk)},
        content_type="application/json",
    )
    assert booked.status_code == 201, booked.content
    assert TreatmentSession.objects.get(pk=booked.json()["id"]).clinic == world.b.clinic


@pytest.mark.parametrize("caller", CLINIC_B_CALLERS)
def test_note_templates_are_the_callers_clinics(world: World, caller: str) -> None:
    from ketacare.notes import services as notes
    from ketacare.notes.models import NoteTemplate

    admin_a = member(world.a.clinic, Role.CLINIC_ADMIN)
    notes.note_template_save(access=admin_a, note_type="therapy", sections=[{"label": "Clinic A"}])
    client = clinic_b_client(world, caller)
    rows = {r["note_type"]: r for r in client.get(f"{API}/notes/templates").json()}
    assert rows["therapy"]["version"] == 0
    assert "Clinic A" not in [s["label"] for s in rows["therapy"]["sections"]]
    admin_b = session_client(member(world.b.clinic, Role.CLINIC_ADMIN))
    saved = admin_b.put(
        f"{API}/notes/templates/therapy",
        {"sections": [{"label": "Clinic B"}]},
        content_type="application/json",
    )
    assert saved.status_code == 200 and saved.json()["version"] == 1
    mine = NoteTemplate.objects.filter(note_type="therapy")
    assert {(t.clinic_id, t.sections[0]["label"]) for t in mine} == {
        (world.a.clinic.pk, "Clinic A"),
        (world.b.clinic.pk, "Clinic B"),
    }


@pytest.mark.parametrize("caller", CLINIC_B_CALLERS)
def test_referrals_list_and_record_in_the_callers_clinic(world: World, caller: str) -> None:
    client = clinic_b_client(world, caller)
    listed = client.get(f"{API}/referrals")
    assert listed.status_code == 200, listed.content
    assert [r["id"] for r in listed.json()["referrals"]] == [str(world.b.referral_id)]
    body = {"referrer_name": "Dr B", "reason": "TRD", "received_on": "2024-03-01"}
    # Clinic A's patient cannot be named from clinic B.
    refused = client.post(
        f"{API}/referrals", {**body, "patient_id": str(world.a.patient.pk)}, "application/json"
    )
    assert refused.status_code == 404
    made = client.post(
        f"{API}/referrals", {**body, "patient_id": str(world.b.patient.pk)}, "application/json"
    )
    assert made.status_code == 201, made.content
    assert Referral.objects.get(pk=made.json()["id"]).clinic == world.b.clinic


@pytest.mark.parametrize("caller", CLINIC_B_CALLERS)
def test_letter_templates_are_the_callers_clinics(world: World, caller: str) -> None:
    path = f"{API}/referrals/letter-templates/acceptance"
    LetterTemplate.objects.create(
        clinic=world.a.clinic,
        kind="acceptance",
        subject="Clinic A's own",
        body="A",
        updated_at=WORLD_NOW,
        updated_by=world.dual_a.user,
    )
    client = clinic_b_client(world, caller)
    assert client.get(path).json()["subject"] != "Clinic A's own"
    saved = client.put(path, {"subject": "B's", "body": "Dear {referrer_name}"}, "application/json")
    if saved.status_code == 200:
        assert LetterTemplate.objects.get(clinic=world.b.clinic).subject == "B's"
    else:
        assert saved.status_code == 403  # a caller who may not change templates
    assert LetterTemplate.objects.get(clinic=world.a.clinic).subject == "Clinic A's own"
