"""Who may call the API at all: sessions (with CSRF) and Bearer tokens, each scoped to
one clinic; tokens stored hashed, and dead once expired, revoked or orphaned."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.accounts import services as accounts
from ketacare.accounts.models import ApiToken
from ketacare.accounts.policy import Role
from ketacare.accounts.tokens import parse
from ketacare.audit.models import AuditEvent
from tests.api.operations import API, RECORD_OPERATIONS, op_id, schema_operations, url_for
from tests.api.world import World, call, clinic_state, record_counts, session_client, token_client

UNAUTHORIZED = {"detail": "Unauthorized"}


def _anonymous_clients(world: World) -> dict[str, Client]:
    inactive = session_client(world.b_member)
    world.b_member.user.is_active = False
    world.b_member.user.save()
    return {
        "no credentials": Client(),
        "unknown token": token_client("kc_0123456789_" + "x" * 43),
        "not a token": token_client("hello"),
        "empty bearer": Client(headers={"Authorization": "Bearer "}),
        "basic auth": Client(headers={"Authorization": "Basic YTpi"}),
        "session of an inactive user": inactive,
    }


def test_every_operation_needs_credentials(world: World) -> None:
    operations = schema_operations()
    clients = _anonymous_clients(world)
    before, counts = clinic_state(world.a.clinic), record_counts()
    for op in operations:
        body = RECORD_OPERATIONS.get(op) or ({"name": "x"} if op[0] == "POST" else None)
        for name, client in clients.items():
            response = call(client, op[0], url_for(op, world.a), body)
            assert (response.status_code, response.json()) == (401, UNAUTHORIZED), (
                op_id(op),
                name,
            )
    assert clinic_state(world.a.clinic) == before
    assert record_counts() == counts


def test_bearer_token_is_scoped_to_its_clinic(world: World) -> None:
    """The dual member has a token per clinic; each reaches only its own clinic."""
    patient_a = f"{API}/patients/{world.a.patient.pk}"
    patient_b = f"{API}/patients/{world.b.patient.pk}"
    token_a, token_b = token_client(world.dual_token_a), token_client(world.dual_token_b)
    naming_a = token_client(world.dual_token_b, **{"X-Clinic": "clinic-a"})

    assert token_a.get(f"{API}/me").json()["clinic"] == "clinic-a"
    assert token_b.get(f"{API}/me").json()["clinic"] == "clinic-b"
    assert naming_a.get(f"{API}/me").json()["clinic"] == "clinic-b"
    assert token_a.get(patient_a).status_code == 200
    assert token_a.get(patient_b).status_code == 404
    assert token_b.get(patient_b).status_code == 200
    assert token_b.get(patient_a).status_code == 404
    assert naming_a.get(patient_a).status_code == 404


def test_session_works_in_the_clinic_named_in_x_clinic(world: World) -> None:
    client = Client()
    client.force_login(world.dual_a.user)
    # Two clinics and none named: the caller must choose.
    assert client.get(f"{API}/me").status_code == 400
    assert client.get(f"{API}/me", headers={"X-Clinic": "clinic-b"}).json()["clinic"] == "clinic-b"
    # Naming a clinic one is not a member of is the same as naming none that exists.
    stranger = session_client(world.b_member)
    response = stranger.get(f"{API}/me", headers={"X-Clinic": "clinic-a"})
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


def test_token_is_shown_once_and_stored_hashed(world: World) -> None:
    response = call(
        session_client(world.dual_a), "POST", f"{API}/tokens", {"name": "lab", "expires_in_days": 7}
    )
    assert response.status_code == 201, response.content
    created = response.json()
    raw = created["token"]
    parts = parse(raw)
    assert parts is not None

    stored = ApiToken.objects.get(pk=created["id"])
    assert stored.prefix == parts.prefix == created["prefix"]
    assert stored.secret_hash == hashlib.sha256(parts.secret.encode()).hexdigest()
    assert stored.clinic == world.a.clinic
    expected_expiry = timezone.now() + dt.timedelta(days=7)
    assert stored.expires_at is not None
    assert abs(stored.expires_at - expected_expiry) < dt.timedelta(minutes=1)
    every_stored_value = repr(list(ApiToken.objects.values())) + repr(
        list(AuditEvent.objects.values())
    )
    assert parts.secret not in every_stored_value
    assert raw not in every_stored_value

    listed = session_client(world.dual_a).get(f"{API}/tokens")
    assert parts.secret not in listed.content.decode()
    assert all("token" not in t for t in listed.json())
    assert token_client(raw).get(f"{API}/me").json()["clinic"] == "clinic-a"


def test_wrong_secret_for_a_real_prefix_is_401(world: World) -> None:
    parts = parse(world.dual_token_a)
    assert parts is not None
    forged = f"kc_{parts.prefix}_{parts.secret[:-1]}{'A' if parts.secret[-1] != 'A' else 'B'}"
    assert token_client(forged).get(f"{API}/me").status_code == 401


def _token(raw: str) -> ApiToken:
    parts = parse(raw)
    assert parts is not None
    return ApiToken.objects.get(prefix=parts.prefix)


def test_expired_token_is_401(world: World) -> None:
    client = token_client(world.dual_token_a)
    assert client.get(f"{API}/me").status_code == 200
    ApiToken.objects.filter(pk=_token(world.dual_token_a).pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get(f"{API}/patients/{world.a.patient.pk}")
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_revoked_token_is_401(world: World) -> None:
    client = token_client(world.dual_token_a)
    assert client.get(f"{API}/me").status_code == 200
    token_id = _token(world.dual_token_a).pk
    revoked = call(session_client(world.dual_a), "POST", f"{API}/tokens/{token_id}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    response = client.get(f"{API}/me")
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    # The other clinic's token of the same user lives on.
    assert token_client(world.dual_token_b).get(f"{API}/me").status_code == 200


def test_token_dies_with_the_membership(world: World) -> None:
    client = token_client(world.dual_token_b)
    assert client.get(f"{API}/me").status_code == 200
    accounts.membership_set(
        clinic=world.b.clinic,
        user=world.dual_b.user,
        role=Role.PRESCRIBER,
        actor=None,
        is_active=False,
    )
    response = client.get(f"{API}/patients/{world.b.patient.pk}")
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert token_client(world.dual_token_a).get(f"{API}/me").status_code == 200


def test_token_dies_with_the_clinic_or_the_user(world: World) -> None:
    world.b.clinic.is_active = False
    world.b.clinic.save()
    assert token_client(world.dual_token_b).get(f"{API}/me").status_code == 401
    assert token_client(world.dual_token_a).get(f"{API}/me").status_code == 200
    world.dual_a.user.is_active = False
    world.dual_a.user.save()
    assert token_client(world.dual_token_a).get(f"{API}/me").status_code == 401


def test_a_token_cannot_create_tokens(world: World) -> None:
    for raw in (world.dual_token_b, world.b_token):
        client = token_client(raw)
        client.get(f"{API}/me")  # first use stamps last_used_at; take the state after it
        before = clinic_state(world.b.clinic)
        response = call(client, "POST", f"{API}/tokens", {"name": "more"})
        assert response.status_code == 403, response.content
        assert "session" in response.json()["detail"]
        assert clinic_state(world.b.clinic) == before


@pytest.fixture
def csrf_client(world: World) -> Client:
    """A signed-in browser session that must present CSRF tokens, like a real one."""
    return session_client(world.dual_a, enforce_csrf_checks=True)


def _csrf_token(client: Client) -> str:
    page = client.get("/c/clinic-a/tokens/")  # any page with a form sets the cookie
    assert page.status_code == 200
    return client.cookies[settings.CSRF_COOKIE_NAME].value


@pytest.mark.parametrize(
    "op",
    [
        ("POST", f"{API}/tokens"),
        ("POST", f"{API}/patients"),
        ("PATCH", f"{API}/patients/{{patient_id}}"),
        ("POST", f"{API}/patients/{{patient_id}}/weights"),
        ("POST", f"{API}/patients/{{patient_id}}/archive"),
        ("POST", f"{API}/tokens/{{token_id}}/revoke"),
    ],
    ids=op_id,
)
def test_session_writes_need_a_csrf_token(
    world: World, csrf_client: Client, op: tuple[str, str]
) -> None:
    body = RECORD_OPERATIONS.get(op) or (
        {"name": "lab", "expires_in_days": 30}
        if op[1].endswith("/tokens")
        else {
            "mrn": "N-1",
            "legal_given_name": "N",
            "legal_family_name": "N",
            "date_of_birth": "1990-01-01",
            "sex_at_birth": "male",
        }
    )
    url = url_for(op, world.a)
    before, counts = clinic_state(world.a.clinic), record_counts()

    refused = call(csrf_client, op[0], url, body)

    assert refused.status_code == 403, refused.content
    assert "CSRF" in refused.json()["detail"]
    assert clinic_state(world.a.clinic) == before
    assert record_counts() == counts

    token = _csrf_token(csrf_client)
    wrong = call(csrf_client, op[0], url, body, **{"X-CSRFToken": "x" * 32})
    assert (wrong.status_code, wrong.json()) == (403, refused.json())
    accepted = call(csrf_client, op[0], url, body, **{"X-CSRFToken": token})
    assert accepted.status_code in (200, 201), accepted.content


def test_reads_and_bearer_writes_need_no_csrf_token(world: World, csrf_client: Client) -> None:
    assert csrf_client.get(f"{API}/patients/{world.a.patient.pk}").status_code == 200
    bearer = Client(
        enforce_csrf_checks=True, headers={"Authorization": f"Bearer {world.dual_token_a}"}
    )
    url = f"{API}/patients/{world.a.patient.pk}/weights"
    body = RECORD_OPERATIONS[("POST", f"{API}/patients/{{patient_id}}/weights")]
    assert call(bearer, "POST", url, body).status_code == 201


def test_random_uuid_is_not_a_token(world: World) -> None:
    assert (
        token_client(f"kc_{uuid.uuid4().hex[:10]}_{uuid.uuid4().hex}").get(f"{API}/me").status_code
        == 401
    )


def test_a_token_finds_its_user_clinic_and_role_in_one_query(world: World) -> None:
    """Every API request with a token starts with this read: the token, its user, its
    clinic and the membership's role come in one query."""
    with CaptureQueriesContext(connection) as queries:
        found = accounts.api_token_access(world.dual_token_b)
    assert found is not None
    access, token = found
    assert (access.clinic, access.user, access.role) == (
        world.b.clinic,
        world.dual_b.user,
        world.dual_b.role,
    )
    assert token.clinic_id == world.b.clinic.pk
    selects = [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 1, selects
