from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from ketacare.accounts.policy import ROLE_LABELS, Role
from ketacare.common import clock


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone, e.g. Europe/London.")


class User(AbstractUser):
    """A staff member. Clinical access comes only through memberships."""

    display_name = models.CharField(max_length=150, blank=True)
    professional_title = models.CharField(max_length=80, blank=True)
    mobile_phone = models.CharField(
        max_length=40, blank=True, help_text="For urgent safety-alert escalations by SMS."
    )

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Clinic(models.Model):
    """The tenant: every clinical record belongs to exactly one clinic."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # On by default (issue 13): prescribers, administrators and compliance officers of this
    # clinic sign in with a one-time code as well as their password (policy.MFA_ROLES).
    mfa_required = models.BooleanField(
        "Two-factor sign-in required",
        default=True,
        help_text="Prescribers, clinic administrators and compliance officers of this clinic "
        "must sign in with a code from an authenticator app as well as their password.",
    )
    # The healthcare setting's details, as the Spravato REMS Patient Monitoring Form asks
    # for them (clinical.md 5.3); a clinic administrator keeps them current.
    site_address = models.CharField("Street address", max_length=200, blank=True)
    site_city = models.CharField("City", max_length=100, blank=True)
    site_state = models.CharField("State", max_length=50, blank=True)
    site_zip = models.CharField(
        "ZIP code",
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^\d{5}(-\d{4})?$", "Give a ZIP code as 12345 or 12345-6789.")],
    )
    site_phone = models.CharField(
        "Phone",
        max_length=30,
        blank=True,
        help_text="The setting's phone; the REMS form uses it when the monitoring provider "
        "has no phone on file.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def today(self) -> dt.date:
        """The clinic's calendar date now: a record dated "today" at the clinic is not
        in the future, whatever the server's zone (ketacare.common.clock)."""
        return self.date_of(clock.now())

    def start_of_day(self, day: dt.date) -> dt.datetime:
        """The instant `day` begins at the clinic: a date filter becomes a range on an
        indexed timestamp, not a function of every row."""
        return dt.datetime.combine(day, dt.time(), tzinfo=zoneinfo.ZoneInfo(self.time_zone))

    def date_of(self, moment: dt.datetime) -> dt.date:
        """The clinic's calendar date at `moment` (an aware datetime)."""
        return moment.astimezone(zoneinfo.ZoneInfo(self.time_zone)).date()


class Membership(models.Model):
    ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    is_active = models.BooleanField(default=True)
    is_on_call = models.BooleanField(
        default=False, help_text="On-call prescribers receive safety-alert escalations."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="one_role_per_clinic"),
        ]
        ordering = ["clinic__name"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.clinic}"


class ApiToken(models.Model):
    """A per-user API token for one clinic. Only a SHA-256 of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
