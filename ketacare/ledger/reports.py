"""Ledger reports: the dispensing log (21 CFR 1304.22(c)), the inventory, waste and
destruction (the DEA Form 41 fields), a patient's administrations, the running balance,
and the daily reconciliation. Each is a title, column headings and rows of plain values,
so the page, the CSV (ketacare.common.csvfile) and the PDF show the same thing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as
from ketacare.common.errors import NotFound
from ketacare.ledger import core
from ketacare.ledger.core import Kind
from ketacare.ledger.models import (
    Balance,
    Investigation,
    LedgerEntry,
    LedgerSettings,
    Location,
    Lot,
    Product,
)
from ketacare.ledger.services import ledger_settings, session_record
from ketacare.treatment.models import TreatmentSession

REPORTS = {
    "dispensing": "Dispensing log",
    "inventory": "Inventory",
    "disposals": "Waste and destruction",
    "patient": "Patient administration history",
    "running": "Running balance",
    "reconciliation": "Daily reconciliation",
}


@dataclass
class Report:
    code: str
    title: str
    subtitle: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    registrant: str = ""


def _local(clinic: Any, moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(clinic.time_zone)).strftime("%Y-%m-%d %H:%M")


def _who(user: Any) -> str:
    if user is None:
        return ""
    return getattr(user, "display_name", "") or user.get_username()


def _units(product: Product, quantity_mg: Decimal) -> str:
    units = core.mg_to_units(product.spec, quantity_mg)
    label = "mL" if product.form == Product.Form.VIAL else "devices"
    return f"{units.normalize():f} {label}"


def _day_range(
    clinic: Any, date_from: dt.date, date_to: dt.date
) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(clinic.time_zone)
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def _entries(access: ClinicAccess) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(clinic=access.clinic).select_related(
        "lot__product", "location", "to_location", "actor", "witness", "second_witness", "patient"
    )


def _registrant(settings_: LedgerSettings) -> str:
    parts = [settings_.registrant_name, settings_.registration_number]
    schedules = f"schedules {settings_.schedule_authority}" if settings_.schedule_authority else ""
    return ", ".join(p for p in [*parts, schedules] if p)


def _patient_words(entry: LedgerEntry) -> str:
    patient = entry.patient
    if patient is None:
        return ""
    return f"{patient.legal_given_name} {patient.legal_family_name} ({patient.mrn})"


def _patient_address(entry: LedgerEntry) -> str:
    patient = entry.patient
    if patient is None:
        return ""
    return patient.address


def dispensing_log(
    access: ClinicAccess, *, date_from: dt.date, date_to: dt.date, product_id: Any = None
) -> Report:
    """Receipts, administrations and other disposals with the 1304.22(c) fields."""
    start, end = _day_range(access.clinic, date_from, date_to)
    entries = _entries(access).filter(occurred_at__gte=start, occurred_at__lt=end)
    if product_id:
        entries = entries.filter(lot__product_id=product_id)
    report = Report(
        "dispensing",
        REPORTS["dispensing"],
        f"{date_from:%d %b %Y} to {date_to:%d %b %Y}",
        [
            "Date",
            "Substance",
            "Finished form",
            "Per container",
            "Lot",
            "Entry",
            "Containers",
            "Quantity (mg)",
            "Quantity (units)",
            "Patient",
            "Patient address",
            "By",
            "Witness",
            "Supplier",
            "Supplier address",
            "Supplier registration",
            "Manner of disposal",
        ],
    )
    for e in entries.order_by("occurred_at", "sequence"):
        product = e.lot.product
        report.rows.append(
            [
                e.occurred_at.astimezone(ZoneInfo(access.clinic.time_zone)).strftime(
                    "%Y-%m-%d %H:%M"
                ),
                product.get_substance_display(),
                product.name,
                f"{product.container_units.normalize():f} "
                + ("mL" if product.form == Product.Form.VIAL else "devices"),
                e.lot.lot_number,
                e.get_kind_display(),
                e.containers or "",
                e.quantity_mg,
                _units(product, e.quantity_mg),
                _patient_words(e),
                _patient_address(e),
                _who(e.actor),
                _who(e.witness),
                e.supplier_name,
                e.supplier_address,
                e.supplier_registration,
                e.method
                if e.kind in {Kind.WASTE, Kind.DESTRUCTION, Kind.RETURN, Kind.LOSS}
                else "",
            ]
        )
    report.registrant = _registrant(ledger_settings(access.clinic))
    return report


def inventory(access: ClinicAccess, *, timing: str = "close") -> Report:
    report = Report(
        "inventory",
        REPORTS["inventory"],
        f"Stock on hand ({'opening' if timing == 'opening' else 'close'} of business)",
        [
            "Location",
            "Substance",
            "Product",
            "NDC",
            "Lot",
            "Expiry",
            "Quantity (mg)",
            "Quantity (units)",
            "Containers",
        ],
    )
    rows = (
        Balance.objects.filter(clinic=access.clinic, quantity_mg__gt=0)
        .select_related("lot__product", "location")
        .order_by("location__name", "lot__product__name", "lot__expiry")
    )
    for b in rows:
        product = b.lot.product
        report.rows.append(
            [
                b.location.name,
                product.get_substance_display(),
                product.name,
                product.ndc,
                b.lot.lot_number,
                b.lot.expiry.isoformat(),
                b.quantity_mg,
                _units(product, b.quantity_mg),
                (b.quantity_mg / product.spec.container_mg).quantize(Decimal("0.01")),
            ]
        )
    report.registrant = _registrant(ledger_settings(access.clinic))
    return report


def disposals(access: ClinicAccess, *, date_from: dt.date, date_to: dt.date) -> Report:
    """Waste (the dispensing record) and destruction/returns (the DEA Form 41 fields:
    registrant, substance, NDC, strength, form, quantity, method, two witnesses)."""
    start, end = _day_range(access.clinic, date_from, date_to)
    report = Report(
        "disposals",
        REPORTS["disposals"],
        f"{date_from:%d %b %Y} to {date_to:%d %b %Y}",
        [
            "Date",
            "Entry",
            "Substance",
            "NDC",
            "Strength",
            "Form",
            "Lot",
            "Quantity (mg)",
            "Quantity (units)",
            "Method",
            "By",
            "Witness",
            "Second witness",
            "Patient",
        ],
    )
    entries = _entries(access).filter(
        occurred_at__gte=start,
        occurred_at__lt=end,
        kind__in=[Kind.WASTE, Kind.DESTRUCTION, Kind.RETURN, Kind.LOSS],
    )
    for e in entries.order_by("occurred_at", "sequence"):
        product = e.lot.product
        report.rows.append(
            [
                e.occurred_at.astimezone(ZoneInfo(access.clinic.time_zone)).strftime(
                    "%Y-%m-%d %H:%M"
                ),
                e.get_kind_display(),
                product.get_substance_display(),
                product.ndc,
                f"{product.strength_mg.normalize():f} mg"
                + ("/mL" if product.form == Product.Form.VIAL else " per device"),
                product.get_form_display(),
                e.lot.lot_number,
                e.quantity_mg,
                _units(product, e.quantity_mg),
                e.method or e.reason,
                _who(e.actor),
                _who(e.witness),
                _who(e.second_witness),
                _patient_words(e),
            ]
        )
    report.registrant = _registrant(ledger_settings(access.clinic))
    return report


def patient_history(access: ClinicAccess, *, patient_id: Any) -> Report:
    from ketacare.patients.models import Patient

    try:
        patient = Patient.objects.filter(clinic=access.clinic, pk=patient_id).first()
    except (ValueError, TypeError, ValidationError) as exc:
        raise NotFound("patient") from exc
    if patient is None:
        raise NotFound("patient")
    report = Report(
        "patient",
        REPORTS["patient"],
        f"{patient.legal_given_name} {patient.legal_family_name} ({patient.mrn})",
        ["Date", "Entry", "Product", "Lot", "Quantity (mg)", "By", "Witness", "Session"],
    )
    for e in _entries(access).filter(patient=patient).order_by("occurred_at", "sequence"):
        report.rows.append(
            [
                e.occurred_at.astimezone(ZoneInfo(access.clinic.time_zone)).strftime(
                    "%Y-%m-%d %H:%M"
                ),
                e.get_kind_display(),
                e.lot.product.name,
                e.lot.lot_number,
                e.quantity_mg,
                _who(e.actor),
                _who(e.witness),
                str(e.session_id or ""),
            ]
        )
    return report


def running_balance(access: ClinicAccess, *, lot_id: Any = None, location_id: Any = None) -> Report:
    """Every entry with the running balance of its lot at its location."""
    entries = _entries(access).order_by("sequence")
    try:
        if lot_id:
            if not Lot.objects.filter(clinic=access.clinic, pk=lot_id).exists():
                raise NotFound("lot")
            entries = entries.filter(lot_id=lot_id)
        if (
            location_id
            and not Location.objects.filter(clinic=access.clinic, pk=location_id).exists()
        ):
            raise NotFound("location")
    except (ValueError, TypeError, ValidationError) as exc:
        raise NotFound("lot") from exc
    report = Report(
        "running",
        REPORTS["running"],
        "Every entry, with the balance after it",
        [
            "#",
            "Date",
            "Entry",
            "Product",
            "Lot",
            "Location",
            "Change (mg)",
            "Balance (mg)",
            "By",
            "Reason",
        ],
    )
    balances: dict[tuple[Any, Any], Decimal] = {}
    for e in entries:
        moves = [(e.location_id, e.location.name, e.stock_delta_mg)]
        if e.to_location_id:
            moves.append(
                (e.to_location_id, e.to_location.name if e.to_location else "", -e.stock_delta_mg)
            )
        for loc_id, loc_name, delta in moves:
            key = (e.lot_id, loc_id)
            balances[key] = balances.get(key, Decimal(0)) + delta
            if location_id and str(loc_id) != str(location_id):
                continue
            report.rows.append(
                [
                    e.sequence,
                    e.occurred_at.astimezone(ZoneInfo(access.clinic.time_zone)).strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                    e.get_kind_display(),
                    e.lot.product.name,
                    e.lot.lot_number,
                    loc_name,
                    delta,
                    balances[key],
                    _who(e.actor),
                    e.reason,
                ]
            )
    return report


@dataclass(frozen=True)
class ReconciliationItem:
    kind: str  # session, waste, investigation
    what: str
    reason: str
    link: str = ""


def reconciliation_items(access: ClinicAccess, *, day: dt.date) -> list[ReconciliationItem]:
    """Everything that does not match on a day: given sessions whose record does not
    balance, unwitnessed waste, and open count discrepancies (whatever their day)."""
    start, end = _day_range(access.clinic, day, day)
    items: list[ReconciliationItem] = []
    sessions = (
        TreatmentSession.objects.filter(
            clinic=access.clinic,
            status__in=TreatmentSession.GIVEN_STATUSES,
            dosing_started_at__gte=start,
            dosing_started_at__lt=end,
        )
        .select_related("patient", "clinic")
        .order_by("dosing_started_at")
    )
    for s in sessions:
        if s.status == TreatmentSession.Status.DOSING:
            continue  # under way: drawn, not yet given or wasted
        record = session_record(s)
        for reason in record.reasons:
            items.append(
                ReconciliationItem(
                    "session",
                    f"Session of {s.patient.legal_given_name} {s.patient.legal_family_name} "
                    f"({s.patient.mrn}), {_local(access.clinic, s.dosing_started_at)}",
                    reason,
                )
            )
    if ledger_settings(access.clinic).waste_witness_required:
        for e in (
            _entries(access)
            .filter(
                kind=Kind.WASTE, witness__isnull=True, occurred_at__gte=start, occurred_at__lt=end
            )
            .exclude(session__in=sessions)
        ):
            items.append(
                ReconciliationItem("waste", f"Waste #{e.sequence}", "This waste has no witness.")
            )
    for inv in (
        Investigation.objects.filter(clinic=access.clinic, status=Investigation.Status.OPEN)
        .select_related("lot__product", "owner")
        .order_by("due_on")
    ):
        items.append(
            ReconciliationItem(
                "investigation",
                f"Count discrepancy, {inv.lot.product.name} lot {inv.lot.lot_number}",
                f"{core.mg(inv.discrepancy_mg)} against the book; owner {_who(inv.owner)}, "
                f"due {inv.due_on:%d %b %Y}",
            )
        )
    return items


def reconciliation(access: ClinicAccess, *, day: dt.date) -> Report:
    report = Report(
        "reconciliation",
        REPORTS["reconciliation"],
        f"{day:%d %b %Y}",
        ["Item", "What", "Why it does not match"],
    )
    for item in reconciliation_items(access, day=day):
        report.rows.append([item.kind.capitalize(), item.what, item.reason])
    return report


@transaction.atomic
def report_read(access: ClinicAccess, code: str, *, fmt: str = "page", **params: Any) -> Report:
    """One report, for a compliance officer or administrator; reading it is audited."""
    access.require(Permission.LEDGER_VIEW)
    builders: dict[str, Callable[..., Report]] = {
        "dispensing": dispensing_log,
        "inventory": inventory,
        "disposals": disposals,
        "patient": patient_history,
        "running": running_balance,
        "reconciliation": reconciliation,
    }
    if code not in builders:
        raise NotFound("report")
    report = builders[code](access, **params)
    audit_as(
        access,
        action=Action.EXPORT if fmt != "page" else Action.VIEW,
        object_type="ledgerreport",
        object_id=code,
        patient_id=params.get("patient_id") if code == "patient" else None,
        details={"format": fmt, **{k: str(v) for k, v in params.items()}},
    )
    return report


def report_csv(report: Report) -> str:
    import io

    from ketacare.common.csvfile import SafeWriter

    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(report.columns)
    writer.writerows(report.rows)
    return out.getvalue()
