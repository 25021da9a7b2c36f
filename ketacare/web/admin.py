"""The Django admin, opened to clinic administrators for staff and memberships.

A clinic administrator sees and manages only the memberships of the clinics
they administer; superusers see everything. Membership changes go through
membership_set so each one is audited in its clinic's trail.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from ketacare.accounts.models import ApiToken, Clinic, Membership, User
from ketacare.accounts.policy import Permission, Role, can
from ketacare.accounts.services import (
    CLINIC_FIELDS,
    clinic_create,
    clinic_update,
    membership_set,
)


def administered_clinic_ids(request: HttpRequest) -> set[int] | None:
    """Clinic ids the user may manage staff for; None means all (superuser)."""
    user: Any = request.user
    if not user.is_active or not user.is_authenticated:
        return set()
    if user.is_superuser:
        return None
    return {
        m.clinic_id
        for m in Membership.objects.filter(user=user, is_active=True)
        if can(m.role, Permission.MANAGE_STAFF)
    }


class KetaCareAdminSite(admin.AdminSite):
    site_header = "KetaCare administration"
    site_title = "KetaCare admin"

    def has_permission(self, request: HttpRequest) -> bool:
        clinics = administered_clinic_ids(request)
        return clinics is None or bool(clinics)


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

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        clinics = administered_clinic_ids(request)
        users = super().get_queryset(request)
        if clinics is None:
            return users
        # Staff of my clinics, plus accounts I just created that have no clinic yet.
        return users.filter(
            Q(memberships__clinic_id__in=clinics) | Q(memberships__isnull=True, is_superuser=False)
        ).distinct()


@admin.register(Clinic, site=admin_site)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "time_zone", "is_active")
    prepopulated_fields = {"slug": ("name",)}

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
            obj.pk = created.pk


@admin.register(ApiToken, site=admin_site)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "clinic", "expires_at", "revoked_at")
    readonly_fields = ("prefix", "secret_hash", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
