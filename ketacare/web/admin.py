"""The Django admin, opened to clinic administrators for staff and memberships, and
for their clinics' measurement settings and licensed scale wording.

A clinic administrator sees and manages only the rows of the clinics they
administer; superusers see everything. Membership changes go through
membership_set, staff accounts through the account services (which refuse, and audit,
a change to an account that also belongs to a clinic the administrator does not run),
and measure settings and wording changes are audited, so each one is in its clinic's
trail. Signing in to the admin is the app's own sign-in, with its second factor.
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin
from axes.models import AccessAttempt, AccessFailureLog
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from ketacare.accounts import access
from ketacare.accounts.models import ApiToken, Clinic, Membership, User
from ketacare.accounts.policy import Role
from ketacare.accounts.services import (
    ACCOUNT_FIELDS,
    CLINIC_FIELDS,
    SITE_FIELDS,
    account_create,
    account_password_set,
    account_update,
    clinic_create,
    clinic_update,
    may_change_account,
    membership_set,
    mfa_reset,
    require_account_change,
)
from ketacare.audit.services import Action, audit_record
from ketacare.common.errors import PermissionDenied
from ketacare.measures import INSTRUMENTS, Instrument, ScoringError, get_instrument, score
from ketacare.measures.models import ClinicMeasureSettings, InstrumentWording


def administered_clinic_ids(request: HttpRequest) -> set[int] | None:
    """Clinic ids the user may manage staff for; None means all (superuser)."""
    return access.administered_clinic_ids(request.user)


class KetaCareAdminSite(admin.AdminSite):
    site_header = "KetaCare administration"
    site_title = "KetaCare admin"

    def has_permission(self, request: HttpRequest) -> bool:
        clinics = administered_clinic_ids(request)
        return clinics is None or bool(clinics)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # One sign-in for the whole app, so the admin cannot skip lockout or the second
        # factor. Someone signed in without admin rights is refused, not sent round again.
        if request.user.is_authenticated:
            raise DjangoPermissionDenied("Your roles do not include staff administration.")
        return redirect_to_login(
            request.GET.get("next") or reverse("admin:index"), login_url=reverse("login")
        )


admin_site = KetaCareAdminSite(name="admin")


class ClinicScopedAdmin(admin.ModelAdmin):
    def _allowed(self, request: HttpRequest) -> bool:
        clinics = administered_clinic_ids(request)
        return clinics is None or bool(clinics)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead; history must stay


@admin.register(Membership, site=admin_site)
class MembershipAdmin(ClinicScopedAdmin):
    list_display = ("user", "clinic", "role", "is_active", "created_at")
    list_filter = ("role", "is_active", "clinic")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("user",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        clinics = administered_clinic_ids(request)
        memberships = super().get_queryset(request).select_related("user", "clinic")
        return memberships if clinics is None else memberships.filter(clinic_id__in=clinics)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        clinics = administered_clinic_ids(request)
        if db_field.name == "clinic" and clinics is not None:
            kwargs["queryset"] = Clinic.objects.filter(pk__in=clinics)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        saved = membership_set(
            clinic=obj.clinic,
            user=obj.user,
            role=Role(obj.role),
            actor=request.user,  # type: ignore[arg-type]  # admin views require a login
            is_active=obj.is_active,
        )
        obj.pk = saved.pk


def _as_403(actor: Any, user: User, what: str) -> None:
    try:
        require_account_change(actor=actor, user=user, what=what)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc


@admin.register(User, site=admin_site)
class StaffAdmin(ClinicScopedAdmin, UserAdmin):
    list_display = ("username", "display_name", "email", "is_active", "last_login")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            "Person",
            {"fields": ("first_name", "last_name", "display_name", "professional_title", "email")},
        ),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    actions = ["reset_two_factor"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        clinics = administered_clinic_ids(request)
        users = super().get_queryset(request)
        if clinics is None:
            return users
        # Staff of my clinics, plus accounts I just created that have no clinic yet.
        return users.filter(
            Q(memberships__clinic_id__in=clinics) | Q(memberships__isnull=True, is_superuser=False)
        ).distinct()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not may_change_account(actor=request.user, user=obj):  # type: ignore[arg-type]
            return False  # shown read-only; a change posted anyway is refused and audited
        return super().has_change_permission(request, obj)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: Any = None,
    ) -> Any:
        # Checked here, before the admin's own transaction, so the refusal's audit event
        # is not rolled back with it.
        if request.method == "POST" and object_id is not None:
            user = self.get_object(request, unquote(object_id))
            if user is not None:
                _as_403(request.user, user, "details")
        return super().changeform_view(request, object_id, form_url, extra_context)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        user = self.get_object(request, unquote(id))
        if user is not None:
            _as_403(request.user, user, "password")
        if user is not None and request.method == "POST":
            form = self.change_password_form(user, request.POST)
            if form.is_valid():
                usable = form.cleaned_data.get("set_usable_password", True)
                account_password_set(
                    actor=request.user,  # type: ignore[arg-type]  # admin views require a login
                    user=user,
                    password=form.cleaned_data["password1"] if usable else None,
                )
                messages.success(request, "Password changed; the account's API tokens are revoked.")
                return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))
        return super().user_change_password(request, id, form_url)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        actor: Any = request.user
        data = {f: getattr(obj, f) for f in form.changed_data if f in ACCOUNT_FIELDS}
        if change:
            account_update(actor=actor, user=User.objects.get(pk=obj.pk), data=data)
            return
        usable = form.cleaned_data.get("usable_password", True) not in (False, "false")
        created = account_create(
            actor=actor,
            username=obj.username,
            password=form.cleaned_data.get("password1") if usable else None,
            data={f: v for f, v in data.items() if f != "username"},
        )
        obj.pk = created.pk
        obj._state.adding = False

    @admin.action(description="Reset two-factor sign-in (superusers only)")
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            try:
                mfa_reset(actor=request.user, user=user)  # type: ignore[arg-type]
            except PermissionDenied as exc:
                messages.error(request, f"{user}: {exc}")
            else:
                messages.success(request, f"{user}: two-factor sign-in reset.")


@admin.register(Clinic, site=admin_site)
class ClinicAdmin(admin.ModelAdmin):
    """Superusers create and rename clinics; a clinic administrator keeps the site details
    of their own clinic (address, city, state, ZIP, phone: the REMS form's setting)."""

    list_display = ("name", "slug", "time_zone", "is_active", "site_city", "site_state")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "slug", "time_zone", "is_active")}),
        ("Sign-in", {"fields": ("mfa_required",)}),
        ("Healthcare setting (REMS monitoring form)", {"fields": SITE_FIELDS}),
    )

    def _clinics(self, request: HttpRequest) -> set[int] | None:
        return administered_clinic_ids(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Clinic]:
        clinics = self._clinics(request)
        found = super().get_queryset(request)
        return found if clinics is None else found.filter(pk__in=clinics)

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> dict[str, Any]:
        return dict(self.prepopulated_fields) if self._clinics(request) is None else {}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if self._clinics(request) is None:
            return ()
        return ("name", "slug", "time_zone", "is_active")

    def has_module_permission(self, request: HttpRequest) -> bool:
        clinics = self._clinics(request)
        return clinics is None or bool(clinics)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        clinics = self._clinics(request)
        return clinics is None or (bool(clinics) and (obj is None or obj.pk in clinics))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._clinics(request) is None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Clinic, form: Any, change: bool) -> None:
        # Through the services, so a new clinic starts its audit chain and edits are audited.
        actor: Any = request.user
        if change:
            current = Clinic.objects.get(pk=obj.pk)
            clinic_update(
                clinic=current, actor=actor, data={f: getattr(obj, f) for f in CLINIC_FIELDS}
            )
        else:
            created = clinic_create(
                name=obj.name, slug=obj.slug, time_zone=obj.time_zone, actor=actor
            )
            site = {f: getattr(obj, f) for f in SITE_FIELDS if getattr(obj, f)}
            if site:
                clinic_update(clinic=created, actor=actor, data=site)
            obj.pk = created.pk


@admin.register(ApiToken, site=admin_site)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "clinic", "expires_at", "revoked_at")
    readonly_fields = ("prefix", "secret_hash", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# --- Measurement-based care: a clinic's measure settings and licensed item wording -------


def _neutral_answers(instrument: Instrument) -> list[Any]:
    """Lowest answers that the instrument's skip logic accepts: enough to try a config."""
    given: dict[str, Any] = {}
    for item in instrument.items:
        asked = item.asked_when is None or given.get(item.asked_when[0]) == item.asked_when[1]
        given[item.key] = min(item.values) if asked else None
    return [given[item.key] for item in instrument.items]


def thresholds_problems(value: Any) -> list[str]:
    """What is wrong with a thresholds override, in the scoring core's own words."""
    if not isinstance(value, dict):
        return ['Give an object keyed by instrument, e.g. {"phq9": {...}}.']
    problems = []
    for code, config in value.items():
        try:
            instrument = get_instrument(code)
            if not isinstance(config, dict):
                raise ScoringError(f"{code}: give an object of setting: value")
            score(code, _neutral_answers(instrument), config=config)
        except ScoringError as exc:
            problems.append(str(exc))
    return problems


class ClinicMeasureSettingsForm(forms.ModelForm):
    class Meta:
        model = ClinicMeasureSettings
        fields = (
            "clinic",
            "crisis_resources",
            "thresholds",
            "alert_escalation_minutes",
            "link_expiry_hours",
            "reminder_count",
            "reminder_interval_hours",
            "pre_session_lead_hours",
            "send_hour_local",
        )

    def clean_thresholds(self) -> Any:
        value = self.cleaned_data.get("thresholds") or {}
        problems = thresholds_problems(value)
        if problems:
            raise forms.ValidationError(problems)
        return value

    def clean_send_hour_local(self) -> Any:
        hour = self.cleaned_data.get("send_hour_local")
        if hour is not None and not 0 <= hour <= 23:
            raise forms.ValidationError("Give an hour from 0 to 23.")
        return hour


class InstrumentWordingForm(forms.ModelForm):
    instrument = forms.ChoiceField(
        choices=[(code, i.name) for code, i in INSTRUMENTS.items()],
        help_text="Load licensed wording only for scales your clinic holds a licence for.",
    )

    class Meta:
        model = InstrumentWording
        fields = ("clinic", "instrument", "item_number", "text", "option_labels")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code, number = data.get("instrument"), data.get("item_number")
        if code not in INSTRUMENTS or number is None:
            return data
        item = next((i for i in get_instrument(code).items if i.number == number), None)
        if item is None:
            self.add_error("item_number", f"{code} has items 1-{len(get_instrument(code).items)}.")
            return data
        labels = data.get("option_labels") or {}
        if not isinstance(labels, dict):
            self.add_error("option_labels", 'Give an object such as {"0": "Never"}.')
            return data
        allowed = {str(int(v)) for v in item.values} | {str(v).lower() for v in item.values}
        unknown = sorted(set(map(str, labels)) - allowed)
        if unknown:
            self.add_error(
                "option_labels",
                f"Item {number} has no answer {', '.join(unknown)}; "
                f"its answers are {', '.join(str(v) for v in item.values)}.",
            )
        return data


class ClinicRowsAdmin(ClinicScopedAdmin):
    """Rows that belong to one clinic: a clinic admin sees and picks only theirs, and
    each change is audited in that clinic's trail."""

    audit_type = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        clinics = administered_clinic_ids(request)
        rows = super().get_queryset(request).select_related("clinic")
        return rows if clinics is None else rows.filter(clinic_id__in=clinics)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        clinics = administered_clinic_ids(request)
        if db_field.name == "clinic" and clinics is not None:
            kwargs["queryset"] = Clinic.objects.filter(pk__in=clinics)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        clinics = administered_clinic_ids(request)
        if obj is not None and clinics is not None and obj.clinic_id not in clinics:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        clinics = administered_clinic_ids(request)
        if clinics is not None and obj.clinic_id not in clinics:
            raise DjangoPermissionDenied("Not a clinic you administer.")
        fields = [f.name for f in obj._meta.concrete_fields]
        before = type(obj).objects.filter(pk=obj.pk).values(*fields).first() if change else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            after = {
                name: getattr(obj, f.attname)
                for name, f in ((f.name, f) for f in obj._meta.concrete_fields)
            }
            changes = {
                name: [before.get(name) if before else None, value]
                for name, value in after.items()
                if before is None or before.get(name) != value
            }
            audit_record(
                actor=request.user,  # type: ignore[arg-type]  # admin views require a login
                clinic=obj.clinic,
                action=Action.UPDATE if change else Action.CREATE,
                object_type=self.audit_type,
                object_id=obj.pk,
                changes=changes,
            )


@admin.register(ClinicMeasureSettings, site=admin_site)
class ClinicMeasureSettingsAdmin(ClinicRowsAdmin):
    form = ClinicMeasureSettingsForm
    audit_type = "clinicmeasuresettings"
    list_display = (
        "clinic",
        "alert_escalation_minutes",
        "link_expiry_hours",
        "reminder_count",
        "reminder_interval_hours",
    )
    fieldsets = (
        (None, {"fields": ("clinic", "crisis_resources")}),
        ("Safety alerts", {"fields": ("thresholds", "alert_escalation_minutes")}),
        (
            "Self-report links and reminders",
            {
                "fields": (
                    "link_expiry_hours",
                    "reminder_count",
                    "reminder_interval_hours",
                    "pre_session_lead_hours",
                    "send_hour_local",
                )
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("clinic",) if obj is not None else ()


@admin.register(InstrumentWording, site=admin_site)
class InstrumentWordingAdmin(ClinicRowsAdmin):
    form = InstrumentWordingForm
    audit_type = "instrumentwording"
    list_display = ("instrument", "item_number", "clinic")
    list_filter = ("instrument",)
    ordering = ("clinic", "instrument", "item_number")


# Failed sign-ins and lockouts (django-axes): superusers see them and can lift a lockout by
# deleting the attempt; these rows are the record of failures for unknown usernames.
admin_site.register(AccessAttempt, AccessAttemptAdmin)
admin_site.register(AccessFailureLog, AccessFailureLogAdmin)
