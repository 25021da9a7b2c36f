"""The controlled-substance ledger's pages: stock and the day's reconciliation, the
reports (page, CSV, PDF), and a session's record (withdraw, administration, waste)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Membership
from ketacare.accounts.policy import Permission
from ketacare.common import clock
from ketacare.common.citations import plain_citation
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.common.http import csv_response
from ketacare.ledger import core, reports, services
from ketacare.ledger.models import (
    Balance,
    Count,
    Investigation,
    LedgerEntry,
    LedgerSettings,
    Location,
    Lot,
    Product,
)
from ketacare.web.feedback import flash_failure, flash_form_errors
from ketacare.web.pdf import html_to_pdf
from ketacare.web.views.access import clinic_view

LABELS = {
    "quantity_mg": "Quantity (mg)",
    "lot_id": "Lot",
    "location_id": "Location",
    "session_id": "Session",
    "witness_username": "Witness",
    "supplier_name": "Supplier",
    "supplier_registration": "Supplier's DEA registration",
    "containers": "Containers",
    "lot_number": "Lot number",
    "expiry": "Expiry",
    "product_id": "Product",
    "status": "Session",
    "to_location_id": "To location",
    "kind": "Kind",
    "reason": "Reason",
    "method": "Method",
    "discovered_on": "Date discovered",
    "witness_id": "First witness",
    "second_witness_id": "Second witness",
    "entry_id": "Entry",
    "timing": "Timing",
    "owner_id": "Owner",
    "stock": "Stock",
}


def _reader(access: ClinicAccess) -> None:
    if not (access.can(Permission.LEDGER_VIEW) or access.can(Permission.LEDGER_WITHDRAW)):
        raise PermissionDenied(f"A {access.role.label.lower()} may not read the ledger.")


def _date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _decimal(value: str | None) -> Any:
    return (value or "").strip() or "0"


@clinic_view
def ledger_home(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    """Stock on hand, the day's reconciliation, open discrepancies; receive stock."""
    _reader(access)
    if request.method == "POST":
        try:
            _home_action(access, request.POST)
        except ValidationFailed as exc:
            flash_failure(request, exc, labels=LABELS)
        else:
            messages.success(request, "Saved.")
        return redirect("ledger_home", clinic_slug=access.clinic.slug)
    today = access.clinic.today()
    can_view = access.can(Permission.LEDGER_VIEW)
    return render(
        request,
        "web/ledger/home.html",
        {
            "access": access,
            "stock": Balance.objects.filter(clinic=access.clinic, quantity_mg__gt=0)
            .select_related("lot__product", "location")
            .order_by("location__name", "lot__expiry"),
            "products": Product.objects.filter(clinic=access.clinic, is_active=True),
            "locations": Location.objects.filter(clinic=access.clinic),
            "investigations": Investigation.objects.filter(
                clinic=access.clinic, status=Investigation.Status.OPEN
            ).select_related("lot__product", "owner")
            if can_view
            else [],
            "items": reports.reconciliation_items(access, day=today) if can_view else [],
            "reports": reports.REPORTS,
            "today": today,
            "can_manage": access.can(Permission.LEDGER_MANAGE),
            "can_view": can_view,
            "settings": services.ledger_settings(access.clinic),
        },
    )


def _home_action(access: ClinicAccess, post: Any) -> None:
    action = post.get("action")
    if action == "receive":
        try:
            containers = int(post.get("containers") or 0)
        except ValueError:
            containers = 0
        try:
            expiry = dt.date.fromisoformat(post.get("expiry", ""))
        except ValueError as exc:
            raise ValidationFailed.single("expiry", "Give the expiry as a date.") from exc
        services.receipt_record(
            access=access,
            product_id=post.get("product_id"),
            location_id=post.get("location_id"),
            lot_number=post.get("lot_number", ""),
            expiry=expiry,
            containers=containers,
            supplier_name=post.get("supplier_name", ""),
            supplier_registration=post.get("supplier_registration", ""),
            supplier_address=post.get("supplier_address", ""),
            invoice=post.get("invoice", ""),
        )
    elif action == "close":
        services.investigation_close(
            access=access,
            investigation_id=post.get("investigation_id"),
            resolution=post.get("resolution", ""),
            adjust=post.get("adjust") == "on",
        )
    else:
        raise ValidationFailed.single("action", "Unknown action.")


def _cell(value: Any) -> Any:
    """Quantities as people write them: 500.00 -> 500, 12.50 -> 12.5."""
    if isinstance(value, Decimal):
        return (
            f"{value.normalize():f}"
            if value == value.to_integral_value()
            else (f"{value.quantize(Decimal('0.01')).normalize():f}")
        )
    return value


@clinic_view
def ledger_report(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    """One report (?code=dispensing...) as a page, &format=csv or &format=pdf."""
    code = request.GET.get("code", "dispensing")
    if code not in reports.REPORTS:
        raise NotFound("report")
    today = access.clinic.today()
    get = request.GET
    params: dict[str, Any] = {}
    if code in {"dispensing", "disposals"}:
        params = {
            "date_from": _date(get.get("date_from"), today - dt.timedelta(days=30)),
            "date_to": _date(get.get("date_to"), today),
        }
    elif code == "reconciliation":
        params = {"day": _date(get.get("day"), today)}
    elif code == "patient":
        params = {"patient_id": get.get("patient_id", "")}
    elif code == "running":
        params = {k: get[k] for k in ("lot_id", "location_id") if get.get(k)}
    fmt = get.get("format", "page")
    if code == "patient" and not params["patient_id"]:
        access.require(Permission.LEDGER_VIEW)
        return render(
            request,
            "web/ledger/report.html",
            {"access": access, "report": None, "code": code, "title": reports.REPORTS[code]},
        )
    report = reports.report_read(access, code, fmt=fmt, **params)
    if fmt == "csv":
        return csv_response(f"ledger-{code}.csv", [report.columns, *report.rows])
    context = {
        "access": access,
        "report": report,
        "rows": [[_cell(c) for c in row] for row in report.rows],
        "code": code,
        "title": report.title,
        "params": params,
        "query": get.urlencode(),
        "printed": clock.now(),
        "clinic": access.clinic,
    }
    if fmt == "pdf":
        html = render_to_string("web/ledger/report_pdf.html", context)
        response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="ledger-{code}.pdf"'
        return response
    return render(request, "web/ledger/report.html", context)


@clinic_view
def session_ledger(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> HttpResponse:
    """A session's controlled-substance record: withdraw, enter the administration, waste
    with a witness who signs in person."""
    _reader(access)
    session = services.session_get(access=access, session_id=session_id)
    if session.patient_id != patient_id:
        raise NotFound("session")
    if request.method == "POST":
        try:
            _session_action(request, access, session.pk, request.POST)
        except ValidationFailed as exc:
            flash_failure(request, exc, labels=LABELS)  # refused: nothing saved, each reason
        else:
            messages.success(request, "Saved.")
        return redirect(
            "session_ledger",
            clinic_slug=access.clinic.slug,
            patient_id=patient_id,
            session_id=session_id,
        )
    record = services.session_record(session)
    lots = (
        Balance.objects.filter(clinic=access.clinic, quantity_mg__gt=0)
        .select_related("lot__product", "location")
        .order_by("lot__expiry")
    )
    return render(
        request,
        "web/ledger/session.html",
        {
            "access": access,
            "session": session,
            "patient": session.patient,
            "record": record,
            "entries": LedgerEntry.objects.filter(session=session)
            .select_related("lot__product", "location", "actor", "witness")
            .order_by("sequence"),
            "stock": lots,
            "withdrawn_lots": Lot.objects.filter(
                entries__session=session, entries__kind="withdrawal"
            ).distinct(),
            "can_withdraw": access.can(Permission.LEDGER_WITHDRAW),
            "ordered": services.ordered_dose(session),
        },
    )


def _session_action(
    request: HttpRequest, access: ClinicAccess, session_id: uuid.UUID, post: Any
) -> None:
    action = post.get("action")
    if action == "withdraw":
        stock = post.get("stock", "")
        lot_id, _, location_id = stock.partition(":")
        if not lot_id or not location_id:
            raise ValidationFailed.single("lot_id", "Choose the lot to draw from.")
        services.withdrawal_record(
            access=access,
            session_id=session_id,
            lot_id=lot_id or None,
            location_id=location_id or None,
            quantity_mg=_decimal(post.get("quantity_mg")),
        )
    elif action == "administration":
        services.administration_record(access=access, session_id=session_id)
    elif action == "waste":
        services.waste_record(
            access=access,
            session_id=session_id,
            quantity_mg=_decimal(post.get("quantity_mg")),
            witness_username=post.get("witness_username", ""),
            witness_password=post.get("witness_password", ""),
            witness_code=post.get("witness_code", ""),
            lot_id=post.get("lot_id") or None,
            request=request,
        )
    else:
        raise ValidationFailed.single("action", "Unknown action.")


# --- stock operations, counts and settings (compliance officers and administrators) -------


def _stock_choice(value: str) -> tuple[str, str]:
    lot_id, _, location_id = (value or "").partition(":")
    if not lot_id or not location_id:
        raise ValidationFailed.single("stock", "Choose the lot and location.")
    return lot_id, location_id


def _optional_date(value: str | None, field: str) -> dt.date | None:
    if not (value or "").strip():
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValidationFailed.single(field, "Give a date (YYYY-MM-DD).") from exc


def _manage_action(access: ClinicAccess, post: Any) -> LedgerEntry:
    action = post.get("action")
    if action == "transfer":
        lot_id, location_id = _stock_choice(post.get("stock", ""))
        return services.transfer_record(
            access=access,
            lot_id=lot_id,
            from_location_id=location_id,
            to_location_id=post.get("to_location_id"),
            quantity_mg=_decimal(post.get("quantity_mg")),
        )
    if action in {"return", "destruction", "loss"}:
        lot_id, location_id = _stock_choice(post.get("stock", ""))
        return services.disposal_record(
            access=access,
            kind=action,
            lot_id=lot_id,
            location_id=location_id,
            quantity_mg=_decimal(post.get("quantity_mg")),
            reason=post.get("reason", ""),
            method=post.get("method", ""),
            discovered_on=_optional_date(post.get("discovered_on"), "discovered_on"),
            supplier_name=post.get("supplier_name", ""),
            supplier_registration=post.get("supplier_registration", ""),
            witness_id=post.get("witness_id") or None,
            second_witness_id=post.get("second_witness_id") or None,
        )
    if action == "reverse":
        return services.entry_reverse(
            access=access, entry_id=post.get("entry_id"), reason=post.get("reason", "")
        )
    raise ValidationFailed.single("action", "Unknown action.")


@clinic_view
def ledger_manage(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    """Transfer, return, destruction with witnesses, loss or theft (with the DEA Form 106
    prompt for a significant loss) and reversal with a reason."""
    access.require(Permission.LEDGER_MANAGE)
    if request.method == "POST":
        try:
            entry = _manage_action(access, request.POST)
        except ValidationFailed as exc:
            flash_failure(request, exc, labels=LABELS)
        else:
            messages.success(request, f"Recorded: {entry.get_kind_display().lower()}.")
            if entry.kind == "loss":
                return redirect(
                    f"{request.path}?loss={entry.pk}#loss-report"  # the Form 106 prompt
                )
        return redirect("ledger_manage", clinic_slug=access.clinic.slug)
    loss_id = request.GET.get("loss")
    loss_fields = services.loss_report(access=access, entry_id=loss_id) if loss_id else None
    return render(
        request,
        "web/ledger/manage.html",
        {
            "access": access,
            "stock": Balance.objects.filter(clinic=access.clinic, quantity_mg__gt=0)
            .select_related("lot__product", "location")
            .order_by("location__name", "lot__expiry"),
            "locations": Location.objects.filter(clinic=access.clinic),
            "members": Membership.objects.filter(clinic=access.clinic, is_active=True)
            .select_related("user")
            .order_by("user__username"),
            "entries": LedgerEntry.objects.filter(clinic=access.clinic)
            .select_related("lot__product", "location", "actor")
            .order_by("-sequence")[:50],
            "loss_id": loss_id,
            "loss_fields": loss_fields,
        },
    )


@clinic_view
def ledger_count(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    """A blind count: the counter sees the lots at the location, never the expected
    figures, and enters what they count; the witness signs in person with it."""
    access.require(Permission.LEDGER_MANAGE)
    locations = list(Location.objects.filter(clinic=access.clinic).order_by("name"))
    chosen = request.POST.get("location_id") or request.GET.get("location_id")
    location = next((loc for loc in locations if str(loc.pk) == chosen), None)
    if location is None and locations and not chosen:
        location = locations[0]
    if chosen and location is None:
        raise NotFound("location")
    lots = (
        [
            b.lot
            for b in Balance.objects.filter(
                clinic=access.clinic, location=location, quantity_mg__gt=0
            )
            .select_related("lot__product")
            .order_by("lot__expiry")
        ]
        if location is not None
        else []
    )
    if request.method == "POST":
        prefix = "counted_"
        counted = {
            key[len(prefix) :]: _decimal(request.POST.get(key))
            for key in request.POST
            if key.startswith(prefix)
        }
        try:
            if location is None:
                raise ValidationFailed.single("location_id", "Choose the location to count.")
            count = services.count_record(
                access=access,
                location_id=location.pk,
                kind=request.POST.get("kind", ""),
                timing=request.POST.get("timing", "close"),
                counted=counted,
                witness_username=request.POST.get("witness_username", ""),
                witness_password=request.POST.get("witness_password", ""),
                witness_code=request.POST.get("witness_code", ""),
                request=request,
            )
        except ValidationFailed as exc:
            flash_failure(request, exc, labels=_count_labels(lots))
            return redirect(f"{request.path}?location_id={request.POST.get('location_id', '')}")
        messages.success(request, "Count recorded.")
        return redirect("ledger_count_result", clinic_slug=access.clinic.slug, count_id=count.pk)
    return render(
        request,
        "web/ledger/count.html",
        {
            "access": access,
            "locations": locations,
            "location": location,
            "lots": lots,
            "kinds": Count.Kind.choices,
            "timings": Count.Timing.choices,
        },
    )


def _count_labels(lots: list[Lot]) -> dict[str, str]:
    return LABELS | {
        f"counted.{lot.pk}": f"Counted, {lot.product.name} lot {lot.lot_number}" for lot in lots
    }


@clinic_view
def ledger_count_result(
    request: HttpRequest, access: ClinicAccess, count_id: uuid.UUID
) -> HttpResponse:
    """After the count is submitted: expected and counted per lot, and each discrepancy's
    investigation (with the theft/loss report prompt when the loss is significant)."""
    count = services.count_get(access=access, count_id=count_id)
    lines = list(count.lines.select_related("lot__product"))
    return render(
        request,
        "web/ledger/count_result.html",
        {
            "access": access,
            "count": count,
            "lines": lines,
            "investigations": Investigation.objects.filter(
                clinic=access.clinic, count_line__count=count
            ).select_related("lot__product", "owner"),
        },
    )


class LedgerSettingsForm(forms.ModelForm):
    class Meta:
        model = LedgerSettings
        fields = [
            "registration_number",
            "schedule_authority",
            "registrant_name",
            "require_balanced_to_sign",
            "waste_witness_required",
            "significant_loss_mg",
            "loss_pattern_count",
            "loss_notice_business_days",
            "investigation_days",
            "multi_dose_open_days",
            "record_retention_years",
        ]


@clinic_view
def ledger_settings_page(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    """The clinic's registration details and the ledger's choices (cited defaults)."""
    access.require(Permission.LEDGER_MANAGE)
    current = services.ledger_settings(access.clinic)
    form = LedgerSettingsForm(request.POST or None, instance=current)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.settings_save(access=access, data=form.cleaned_data)
            except ValidationFailed as exc:
                flash_failure(request, exc, form=form)
            else:
                messages.success(request, "Ledger settings saved.")
                return redirect("ledger_settings", clinic_slug=access.clinic.slug)
        else:
            flash_form_errors(request, form)
    return render(
        request,
        "web/ledger/settings.html",
        {
            "access": access,
            "form": form,
            "sources": [
                (form.fields[name].label if name in form.fields else name, plain_citation(source))
                for name, source in core.RULE_SOURCES.items()
            ],
        },
    )
