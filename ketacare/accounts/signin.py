"""Sign-in, its second factor, and sign-out; each is an audit event in the account's clinics.

The password step (Django's LoginView, with django-axes counting failures) never signs a
user in who needs a second factor: it leaves a pending sign-in in the session, and only a
code from the user's authenticator app (or one of their recovery codes) completes it.
Failures and lockouts reach the trail through the signals Django and axes send, so every
credential path is covered. A failure for a username that does not exist belongs to no
clinic: django-axes keeps it in its own tables (AccessFailureLog), the deployment's record.
"""

from __future__ import annotations

import base64
from typing import Any

import django_otp
import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.signals import user_locked_out
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts import policy
from ketacare.accounts.models import Membership, User
from ketacare.accounts.services import audit_account_event
from ketacare.audit.services import Action

PENDING_KEY = "kc_signin_pending"
PENDING_SECONDS = 300  # the code must follow the password within five minutes
RECOVERY_CODES = 10
UNKNOWN = "unknown"  # who tried a wrong password is not known; the row keeps the address


def client_ip(request: HttpRequest) -> str | None:
    """The address django-axes counts failures by: REMOTE_ADDR, as in audit rows."""
    return request.META.get("REMOTE_ADDR")


def second_factor_needed(user: User) -> bool:
    roles = Membership.objects.filter(
        user=user, is_active=True, clinic__is_active=True, clinic__mfa_required=True
    ).values_list("role", flat=True)
    return policy.second_factor_required(
        is_superuser=user.is_superuser,
        has_device=django_otp.user_has_device(user),
        roles_in_mfa_clinics=list(roles),
    )


# --- the two steps ----------------------------------------------------------------------


def sign_in(request: HttpRequest, user: User, device: Device | None = None) -> None:
    auth_login(request, user, backend=getattr(user, "backend", None))
    # The idle and absolute limits count from here (IdleTimeoutMiddleware).
    request.session["kc_started_at"] = request.session["kc_seen_at"] = timezone.now().timestamp()
    if device is not None:
        django_otp.login(request, device)
    factor = "password" if device is None else f"password and {_factor_name(device)}"
    with transaction.atomic():
        audit_account_event(actor=user, user=user, action=Action.SIGN_IN, details={"with": factor})


def sign_out(request: HttpRequest, reason: str) -> None:
    user: Any = request.user
    if user.is_authenticated:
        with transaction.atomic():
            audit_account_event(
                actor=user, user=user, action=Action.SIGN_OUT, details={"reason": reason}
            )
    auth_logout(request)


def begin_second_factor(request: HttpRequest, user: User) -> None:
    """The password was right; remember who for the code step, without signing in."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": getattr(user, "backend", ""),
        "at": timezone.now().timestamp(),
    }


def pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING_KEY)
    if not pending or timezone.now().timestamp() - pending["at"] > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is not None:
        user.backend = pending["backend"]  # type: ignore[attr-defined]  # as authenticate() sets
    return user


def finish_second_factor(request: HttpRequest, user: User, device: Device) -> None:
    request.session.pop(PENDING_KEY, None)
    sign_in(request, user, device)


def verify_code(request: HttpRequest, user: User, code: str) -> Device | None:
    """The device that accepts this code (an authenticator code or an unused recovery
    code, which is used up), or None. A wrong code counts as a failed sign-in, and a
    locked-out account is refused whatever the code."""
    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        request.axes_locked_out = True  # type: ignore[attr-defined]  # axes shows its page
        return None
    device = django_otp.match_token(user, code.replace(" ", "").replace("-", ""))
    if device is None:
        user_login_failed.send(
            sender=__name__, credentials={**credentials, "step": "code"}, request=request
        )
    return device


# --- enrolment --------------------------------------------------------------------------


def totp_device_for_enrolment(user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator, made on first visit of the enrolment page."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as an SVG QR code in a data: URI (nothing loaded elsewhere)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def secret_for_typing(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for apps that cannot scan."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def enrol_confirm(user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with a first code; returns new recovery codes, shown
    once, or None if the code is wrong."""
    if not device.verify_token(code.replace(" ", "")):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    recovery = recovery_codes_renew(user)
    audit_account_event(actor=user, user=user, action=Action.ENROL_MFA)
    return recovery


def recovery_codes_renew(user: User) -> list[str]:
    """Replace the user's recovery codes (django-otp static tokens, each usable once)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes")
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _factor_name(device: Device) -> str:
    return "recovery code" if isinstance(device, StaticDevice) else "authenticator code"


# --- failures and lockouts, from every credential path ----------------------------------


def _account(username: object) -> User | None:
    return User.objects.filter(username=username).first() if username else None


@receiver(user_login_failed)
def _on_failure(sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any) -> None:
    user = _account(credentials.get("username"))
    if user is not None:
        step = "code" if credentials.get("step") == "code" else "password"
        with transaction.atomic():
            audit_account_event(
                actor=None,
                user=user,
                action=Action.SIGN_IN_FAILED,
                details={"step": step},
                actor_label=UNKNOWN,
            )


@receiver(user_locked_out)
def _on_lockout(sender: Any, request: Any = None, username: Any = None, **_: Any) -> None:
    user = _account(username)
    if user is not None:
        with transaction.atomic():
            audit_account_event(actor=None, user=user, action=Action.LOCKOUT, actor_label=UNKNOWN)
