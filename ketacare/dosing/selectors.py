"""Reads of protocols, settings, the clinic calendar, orders and plans."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.common.errors import NotFound
from ketacare.dosing import schedule
from ketacare.dosing.calculator import BasisPolicy, DosingPolicy
from ketacare.dosing.models import (
    ClinicCalendar,
    ClinicDosingSettings,
    ClinicProtocol,
    DoseOrder,
    TreatmentPlan,
)
from ketacare.dosing.protocols import SHIPPED, ProtocolDefinition, adjusted
from ketacare.patients.models import BodyMeasurement, Patient
from ketacare.treatment.models import TreatmentSession

DEFAULT_POLICY = DosingPolicy()
DEFAULT_OPEN_WEEKDAYS = [0, 1, 2, 3, 4]  # Monday to Friday; a clinic sets its own


def _definition(clinic: Clinic, code: str, row: ClinicProtocol | None) -> ProtocolDefinition:
    base = SHIPPED[code]
    return base if row is None else adjusted(base, row.overrides, version=row.version)


def protocol_definition(*, clinic: Clinic, code: str) -> ProtocolDefinition:
    """The clinic's current version of protocol `code`: its latest adjusted copy, else the
    shipped protocol. NotFound when no protocol has this code."""
    if code not in SHIPPED:
        raise NotFound(f"protocol {code!r}")
    row = ClinicProtocol.objects.filter(clinic=clinic, code=code).order_by("-version").first()
    return _definition(clinic, code, row)


def protocol_catalogue(*, clinic: Clinic) -> list[ProtocolDefinition]:
    latest: dict[str, ClinicProtocol] = {}
    for row in ClinicProtocol.objects.filter(clinic=clinic).order_by("code", "-version"):
        latest.setdefault(row.code, row)
    return [_definition(clinic, code, latest.get(code)) for code in SHIPPED]


def protocol_versions(*, clinic: Clinic, code: str) -> QuerySet[ClinicProtocol]:
    return ClinicProtocol.objects.filter(clinic=clinic, code=code).select_related("created_by")


def dosing_settings_for(clinic: Clinic) -> ClinicDosingSettings:
    """The clinic's dosing settings, created from the cited defaults on first use."""
    found, _ = ClinicDosingSettings.objects.get_or_create(
        clinic=clinic,
        defaults={
            "basis_policy": DEFAULT_POLICY.basis_policy.value,
            "bmi_threshold": DEFAULT_POLICY.bmi_threshold,
            "adjusted_factor": DEFAULT_POLICY.adjusted_factor,
            "syringe_precision_ml": DEFAULT_POLICY.syringe_precision_ml,
            "pump_precision_ml_per_h": DEFAULT_POLICY.pump_precision_ml_per_h,
            "weight_max_age_days": DEFAULT_POLICY.weight_max_age_days,
        },
    )
    return found


def dosing_policy(clinic: Clinic) -> DosingPolicy:
    found = dosing_settings_for(clinic)
    return DosingPolicy(
        basis_policy=BasisPolicy(found.basis_policy),
        bmi_threshold=found.bmi_threshold,
        adjusted_factor=found.adjusted_factor,
        syringe_precision_ml=found.syringe_precision_ml,
        pump_precision_ml_per_h=found.pump_precision_ml_per_h,
        weight_max_age_days=found.weight_max_age_days,
        mg_ceilings={k: Decimal(str(v)) for k, v in (found.mg_ceilings or {}).items()},
    )


def ceilings_in_force(found: ClinicDosingSettings) -> dict[str, Decimal]:
    """Every protocol's absolute mg ceiling: the clinic's, or the cited default."""
    policy = DosingPolicy(
        mg_ceilings={k: Decimal(str(v)) for k, v in (found.mg_ceilings or {}).items()}
    )
    return {code: policy.ceiling_mg(protocol) for code, protocol in SHIPPED.items()}


def calendar_for(clinic: Clinic) -> ClinicCalendar:
    found, _ = ClinicCalendar.objects.get_or_create(
        clinic=clinic, defaults={"open_weekdays": DEFAULT_OPEN_WEEKDAYS, "closures": []}
    )
    return found


BOOKED = TreatmentSession.BOOKED_STATUSES


def calendar_rules(
    clinic: Clinic, *, exclude_session: uuid.UUID | None = None
) -> schedule.ClinicCalendar:
    """The clinic's calendar as the pure scheduler takes it, with sessions booked per day
    (only counted when the clinic sets a daily capacity)."""
    found = calendar_for(clinic)
    booked: Counter[dt.date] = Counter()
    if found.daily_capacity is not None:
        sessions = TreatmentSession.objects.filter(clinic=clinic, status__in=BOOKED)
        if exclude_session:
            sessions = sessions.exclude(pk=exclude_session)
        booked.update(clinic.date_of(s) for s in sessions.values_list("scheduled_start", flat=True))
    return schedule.ClinicCalendar(
        open_weekdays=frozenset(found.open_weekdays),
        closures={dt.date.fromisoformat(c["date"]): c.get("reason", "") for c in found.closures},
        daily_capacity=found.daily_capacity,
        booked=dict(booked),
    )


def latest_weight(*, patient: Patient) -> BodyMeasurement | None:
    return (
        BodyMeasurement.objects.filter(patient=patient, entered_in_error_at__isnull=True)
        .order_by("-measured_on", "-created_at")
        .first()
    )


def latest_height(*, patient: Patient) -> Decimal | None:
    """The last recorded height (an adult's height is taken once; weights are frequent and
    a pre-dose weight is often recorded without it)."""
    return (
        BodyMeasurement.objects.filter(
            patient=patient, entered_in_error_at__isnull=True, height_cm__isnull=False
        )
        .order_by("-measured_on", "-created_at")
        .values_list("height_cm", flat=True)
        .first()
    )


def orders_of(*, patient: Patient) -> QuerySet[DoseOrder]:
    return DoseOrder.objects.filter(patient=patient).select_related("ordered_by", "checked_by")


def order_get(
    *, access: ClinicAccess, patient_id: uuid.UUID, order_id: uuid.UUID, for_update: bool = False
) -> DoseOrder:
    orders = DoseOrder.objects.filter(clinic=access.clinic, patient_id=patient_id)
    if for_update:
        orders = orders.select_for_update(of=("self",))
    try:
        return orders.get(pk=order_id)
    except (DoseOrder.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound("order") from exc


def plans_of(*, patient: Patient) -> QuerySet[TreatmentPlan]:
    return TreatmentPlan.objects.filter(patient=patient)


def plan_get(
    *, access: ClinicAccess, patient_id: uuid.UUID, plan_id: uuid.UUID, for_update: bool = False
) -> TreatmentPlan:
    plans = TreatmentPlan.objects.filter(clinic=access.clinic, patient_id=patient_id)
    if for_update:
        plans = plans.select_for_update(of=("self",))
    try:
        return plans.get(pk=plan_id)
    except (TreatmentPlan.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound("plan") from exc


def plan_sessions(plan: TreatmentPlan) -> QuerySet[TreatmentSession]:
    return TreatmentSession.objects.filter(plan=plan).order_by("scheduled_start")


@dataclass(frozen=True)
class PlanSummary:
    plan: TreatmentPlan
    protocol: ProtocolDefinition
    given: int
    total: int
    next_session: TreatmentSession | None
    active_order: DoseOrder | None


def plan_summary(*, patient: Patient) -> PlanSummary | None:
    """The patient's active plan at a glance, for the chart header."""
    plan = plans_of(patient=patient).filter(status=TreatmentPlan.Status.ACTIVE).first()
    if plan is None:
        return None
    sessions = list(plan_sessions(plan).exclude(status=TreatmentSession.Status.CANCELLED))
    now = timezone.now()
    upcoming = [
        s
        for s in sessions
        if s.status == TreatmentSession.Status.SCHEDULED and s.scheduled_start >= now
    ]
    return PlanSummary(
        plan=plan,
        protocol=protocol_definition(clinic=plan.clinic, code=plan.protocol_code),
        given=sum(1 for s in sessions if s.status in TreatmentSession.GIVEN_STATUSES),
        total=len(sessions),
        next_session=upcoming[0] if upcoming else None,
        active_order=orders_of(patient=patient).filter(status=DoseOrder.Status.ACTIVE).first(),
    )
