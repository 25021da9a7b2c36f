"""Findings 3 and 6: password rules, self-service change and e-mail reset; API tokens
always expire, die with a password change or a membership's end, and /me on a token
shows only the token's clinic."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import ApiToken
from ketacare.accounts.policy import Role
from ketacare.accounts.services import api_token_create, membership_set
from ketacare.audit.models import AuditEvent
from ketacare.common.errors import ValidationFailed
from tests.signin.conftest import PASSWORD, Clinics, sign_in, signed_in, staff

NEW = "a brand new long passphrase"


@pytest.mark.parametrize("weak", ["ketacare", "Summer2026", "short pass", "123456789012"])
def test_weak_passwords_are_refused(db, weak):
    with pytest.raises(ValidationError):
        validate_password(weak)


def test_a_long_passphrase_is_accepted(db):
    validate_password(NEW)


def test_any_staff_member_changes_their_own_password(clinics: Clinics):
    nurse = staff("nurse.r", {clinics.riverside: Role.NURSE})
    client = signed_in(nurse)

    weak = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "Summer2026", "new_password2": "Summer2026"},
    )
    assert weak.status_code == 200
    done = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )

    assert done.status_code == 302
    nurse.refresh_from_db()
    assert nurse.check_password(NEW)
    assert client.get("/account/").status_code == 200  # this session stays signed in
    event = AuditEvent.objects.get(clinic=clinics.riverside, action="set_password")
    assert event.actor == nurse and event.details["by"] == "self"


def test_a_forgotten_password_is_reset_by_email(clinics: Clinics):
    staff("nurse.r", {clinics.riverside: Role.NURSE})
    client = Client()

    assert client.post("/password-reset/", {"email": "nurse.r@example.org"}).status_code == 302
    (message,) = mail.outbox
    link = re.search(r"http://testserver(/password-reset/\S+/)", str(message.body))
    assert link is not None
    form_url = client.get(link.group(1))["Location"]  # Django hides the token from the page
    done = client.post(form_url, {"new_password1": NEW, "new_password2": NEW})

    assert done.status_code == 302
    assert sign_in(Client(), "nurse.r", NEW)["Location"] == "/"
    assert AuditEvent.objects.filter(clinic=clinics.riverside, action="set_password").exists()


# --- API tokens ---------------------------------------------------------------------------


def _session(user: object, clinic_slug: str) -> Client:
    client = Client(headers={"X-Clinic": clinic_slug})
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.mark.parametrize("body", [{}, {"expires_in_days": None}, {"expires_in_days": 367}])
def test_a_token_must_expire_within_the_limit(clinics: Clinics, body):
    nurse = staff("nurse.r", {clinics.riverside: Role.NURSE})
    response = _session(nurse, "riverside").post(
        "/api/v1/tokens", {"name": "lab", **body}, content_type="application/json"
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "expires_in_days"
    assert not ApiToken.objects.exists()


def test_the_limit_is_a_setting(clinics: Clinics, settings):
    settings.KETACARE_API_TOKEN_MAX_DAYS = 30
    access = ClinicAccess(
        user=staff("nurse.r", {clinics.riverside: Role.NURSE}),
        clinic=clinics.riverside,
        role=Role.NURSE,
    )
    with pytest.raises(ValidationFailed):
        api_token_create(access=access, name="lab", expires_in_days=31)
    assert api_token_create(access=access, name="lab", expires_in_days=30)[0].expires_at


def _token(user: object, clinic: object) -> tuple[ApiToken, str]:
    access = ClinicAccess(user=user, clinic=clinic, role=Role.PRESCRIBER)  # type: ignore[arg-type]
    return api_token_create(access=access, name="lab", expires_in_days=30)


def test_me_on_a_token_shows_only_the_tokens_clinic(clinics: Clinics):
    dual = staff("dr.both", {clinics.riverside: Role.NURSE, clinics.harbour: Role.NURSE})
    _token_row, raw = _token(dual, clinics.riverside)

    me = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me").json()

    assert me["clinic"] == "riverside"
    assert [m["clinic"] for m in me["memberships"]] == ["riverside"]
    session_me = _session(dual, "riverside").get("/api/v1/me").json()
    assert len(session_me["memberships"]) == 2  # the signed-in person sees their own clinics


def test_a_password_change_revokes_the_tokens(clinics: Clinics):
    dual = staff("dr.both", {clinics.riverside: Role.NURSE, clinics.harbour: Role.NURSE})
    _row, raw = _token(dual, clinics.harbour)
    signed_in(dual).post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )

    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me").status_code == 401
    revoke = AuditEvent.objects.get(clinic=clinics.harbour, action="revoke")
    assert revoke.details["reason"] == "password changed"


def test_the_end_of_a_membership_revokes_that_clinics_tokens(clinics: Clinics):
    dual = staff("dr.both", {clinics.riverside: Role.NURSE, clinics.harbour: Role.NURSE})
    harbour, _raw = _token(dual, clinics.harbour)
    riverside, _raw = _token(dual, clinics.riverside)

    membership_set(clinic=clinics.harbour, user=dual, role=Role.NURSE, actor=None, is_active=False)

    harbour.refresh_from_db()
    riverside.refresh_from_db()
    assert harbour.revoked_at is not None and riverside.revoked_at is None
