"""Findings 3 and 4: sign-in with a second factor where required, lockout after repeated
failures, the idle timeout, and every sign-in, failure, lockout and sign-out audited."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts import signin
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.accounts.services import clinic_update
from ketacare.audit.models import AuditEvent
from tests.clock import advance_clock
from tests.signin.conftest import (
    Clinics,
    current_code,
    enrolled,
    sign_in,
    signed_in,
    staff,
)


def _is_signed_in(client: Client) -> bool:
    return client.get("/account/").status_code == 200


def _actions(clinic: Clinic) -> list[str]:
    events = AuditEvent.objects.filter(clinic=clinic, object_type="staff_account")
    return list(events.order_by("sequence").values_list("action", flat=True))


# --- second factor -----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PRESCRIBER, Role.CLINIC_ADMIN, Role.COMPLIANCE])
def test_a_role_that_needs_it_cannot_get_in_without_the_code(clinics: Clinics, role: Role):
    user = staff("dr.a", {clinics.riverside: role})
    device = enrolled(user)
    client = Client()

    response = sign_in(client, "dr.a")
    assert response["Location"] == "/login/code/"
    assert not _is_signed_in(client)
    wrong = client.post("/login/code/", {"code": "000000"})
    assert wrong.status_code == 200 and "not right" in wrong.content.decode()
    assert not _is_signed_in(client)

    advance_clock(seconds=30)  # django-otp slows guessing down after a wrong code
    right = client.post("/login/code/", {"code": current_code(device)})

    assert right.status_code == 302
    assert _is_signed_in(client)
    assert _actions(clinics.riverside)[-2:] == ["sign_in_failed", "sign_in"]
    event = AuditEvent.objects.get(clinic=clinics.riverside, action="sign_in")
    assert event.details["with"] == "password and authenticator code"


def test_the_code_step_cannot_be_skipped(clinics: Clinics):
    staff("dr.a", {clinics.riverside: Role.PRESCRIBER})
    enrolled(staff("dr.b", {clinics.riverside: Role.PRESCRIBER}))
    client = Client()
    sign_in(client, "dr.b")

    for path in ("/c/riverside/", "/api/v1/me", "/admin/"):
        assert client.get(path).status_code in (302, 401)
    assert not _is_signed_in(client)


def test_a_role_that_needs_it_enrols_during_sign_in(clinics: Clinics):
    user = staff("dr.a", {clinics.riverside: Role.PRESCRIBER})
    client = Client()

    assert sign_in(client, "dr.a")["Location"] == "/account/two-factor/"
    page = client.get("/account/two-factor/").content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    assert not _is_signed_in(client)

    device = TOTPDevice.objects.get(user=user)
    done = client.post("/account/two-factor/", {"code": current_code(device)})

    assert done.status_code == 200
    assert len(done.context["codes"]) == 10
    assert _is_signed_in(client)
    assert _actions(clinics.riverside)[-2:] == ["enrol_mfa", "sign_in"]


def test_a_recovery_code_works_once(clinics: Clinics):
    user = staff("dr.a", {clinics.riverside: Role.PRESCRIBER})
    enrolled(user)
    code = signin.recovery_codes_renew(user)[0]

    first = Client()
    sign_in(first, "dr.a")
    assert first.post("/login/code/", {"code": code}).status_code == 302
    assert not StaticToken.objects.filter(token=code).exists()

    again = Client()
    sign_in(again, "dr.a")
    advance_clock(seconds=30)
    assert again.post("/login/code/", {"code": code}).status_code == 200
    assert not _is_signed_in(again)


def test_other_roles_and_clinics_without_the_setting_sign_in_with_the_password(clinics):
    staff("nurse.r", {clinics.riverside: Role.NURSE})
    clinic_update(clinic=clinics.harbour, data={"mfa_required": False}, actor=None)
    staff("dr.h", {clinics.harbour: Role.PRESCRIBER})

    for username in ("nurse.r", "dr.h"):
        client = Client()
        assert sign_in(client, username)["Location"] == "/"
        assert _is_signed_in(client)
    assert _actions(clinics.riverside) == ["sign_in"]


def test_an_enrolled_user_always_needs_the_code(clinics):
    enrolled(staff("nurse.r", {clinics.riverside: Role.NURSE}))
    assert sign_in(Client(), "nurse.r")["Location"] == "/login/code/"


def test_the_admin_site_signs_in_through_the_same_steps(clinics):
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


# --- lockout -----------------------------------------------------------------------------


def test_the_51st_attempt_is_refused_even_with_the_right_password(clinics, settings):
    assert settings.AXES_FAILURE_LIMIT == 50
    staff("nurse.r", {clinics.riverside: Role.NURSE})
    client = Client()
    answers = [sign_in(client, "nurse.r", "wrong password").status_code for _ in range(50)]

    assert answers[:49] == [200] * 49  # the form again, with its error
    assert answers[49] == 429  # the 50th failure locks the account
    assert sign_in(client, "nurse.r").status_code == 429
    assert sign_in(Client(), "nurse.r").status_code == 429  # another browser too
    assert "lockout" in _actions(clinics.riverside)
    assert _actions(clinics.riverside).count("sign_in_failed") >= 50

    advance_clock(minutes=16)  # the cool-off (15 minutes) has passed
    assert sign_in(client, "nurse.r")["Location"] == "/"


def test_wrong_codes_count_towards_the_lockout(clinics, settings):
    settings.AXES_FAILURE_LIMIT = 3
    device = enrolled(staff("dr.a", {clinics.riverside: Role.PRESCRIBER}))
    client = Client()
    sign_in(client, "dr.a")
    for _ in range(3):
        advance_clock(seconds=60)
        client.post("/login/code/", {"code": "000000"})

    advance_clock(seconds=60)
    assert client.post("/login/code/", {"code": current_code(device)}).status_code == 429
    assert not _is_signed_in(client)


def test_a_failure_for_an_unknown_name_is_kept_by_axes(db):
    from axes.models import AccessFailureLog

    sign_in(Client(), "nobody", "whatever it is")
    assert AccessFailureLog.objects.filter(username="nobody").count() == 1
    assert not AuditEvent.objects.exists()


# --- sign-out and the idle timeout --------------------------------------------------------


def test_sign_out_is_audited(clinics):
    client = signed_in(staff("nurse.r", {clinics.riverside: Role.NURSE}))
    client.post("/logout/")
    assert _actions(clinics.riverside)[-1] == "sign_out"
    assert not _is_signed_in(client)


def test_an_idle_session_ends_and_the_absolute_limit_stays(clinics, settings):
    settings.KETACARE_IDLE_MINUTES = 30  # the default (tests/settings.py lengthens it)
    client = signed_in(staff("nurse.r", {clinics.riverside: Role.NURSE}))
    assert _is_signed_in(client)
    advance_clock(minutes=settings.KETACARE_IDLE_MINUTES - 1)
    assert _is_signed_in(client)  # activity within the limit keeps it
    advance_clock(minutes=settings.KETACARE_IDLE_MINUTES + 1)
    assert not _is_signed_in(client)
    event = AuditEvent.objects.filter(clinic=clinics.riverside, action="sign_out").get()
    assert event.details["reason"] == "idle timeout"

    busy = signed_in(staff("nurse.s", {clinics.riverside: Role.NURSE}))
    assert _is_signed_in(busy)
    for _ in range(settings.SESSION_COOKIE_AGE // 1200):
        advance_clock(minutes=20)
        assert _is_signed_in(busy)
    advance_clock(minutes=20)
    assert not _is_signed_in(busy)  # active all along, but past the absolute lifetime
