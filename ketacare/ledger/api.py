"""/api/v1/ledger: the controlled-substance ledger. Other clinics' records answer 404;
refusals answer 422 naming the field."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.api.auth import access_of
from ketacare.api.paging import link_next
from ketacare.common.errors import PermissionDenied
from ketacare.common.http import csv_response
from ketacare.ledger import reports, services
from ketacare.ledger.models import (
    Balance,
    Investigation,
    LedgerEntry,
    LedgerSettings,
    Location,
    Product,
)

router = Router(tags=["ledger"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


def _reader(access: ClinicAccess) -> None:
    """Stock is read by those who manage it and those who draw from it."""
    if not (access.can(Permission.LEDGER_VIEW) or access.can(Permission.LEDGER_WITHDRAW)):
        raise PermissionDenied(f"A {access.role.label.lower()} may not read the ledger.")


class LedgerProductIn(Strict):
    name: str = Field(..., min_length=1, max_length=120)
    substance: str
    form: str
    strength_mg: Decimal = Field(..., gt=0)
    container_units: Decimal = Field(..., gt=0)
    container_name: str = "vial"
    ndc: str = ""


class LedgerProductOut(Schema):
    id: uuid.UUID
    name: str
    substance: str
    schedule: str
    form: str
    strength_mg: Decimal
    container_units: Decimal
    container_name: str
    ndc: str


class LedgerLocationIn(Strict):
    name: str = Field(..., min_length=1, max_length=80)
    kind: str = "safe"


class LedgerLocationOut(Schema):
    id: uuid.UUID
    name: str
    kind: str


class LedgerStockOut(Schema):
    lot_id: uuid.UUID
    lot_number: str
    expiry: dt.date
    product_id: uuid.UUID
    product: str
    location_id: uuid.UUID
    location: str
    quantity_mg: Decimal


class LedgerEntryOut(Schema):
    id: int
    sequence: int
    kind: str
    occurred_at: dt.datetime
    actor_id: int
    lot_id: uuid.UUID
    location_id: uuid.UUID
    to_location_id: uuid.UUID | None
    quantity_mg: Decimal
    stock_delta_mg: Decimal
    containers: int | None
    session_id: uuid.UUID | None
    patient_id: uuid.UUID | None
    witness_id: int | None
    second_witness_id: int | None
    reverses_id: int | None
    supplier_name: str
    supplier_registration: str
    invoice: str
    method: str
    discovered_on: dt.date | None
    reason: str
    hash: str


class LedgerReceiptIn(Strict):
    product_id: uuid.UUID
    location_id: uuid.UUID
    lot_number: str = Field(..., max_length=60)
    expiry: dt.date
    containers: int
    supplier_name: str = Field(..., max_length=200)
    supplier_registration: str = Field(..., max_length=20)
    supplier_address: str = Field("", max_length=300)
    invoice: str = Field("", max_length=60)


class LedgerTransferIn(Strict):
    lot_id: uuid.UUID
    from_location_id: uuid.UUID
    to_location_id: uuid.UUID
    quantity_mg: Decimal


class LedgerDisposalIn(Strict):
    kind: str = Field(..., description="return, destruction or loss")
    lot_id: uuid.UUID
    location_id: uuid.UUID
    quantity_mg: Decimal
    reason: str = Field("", max_length=500)
    method: str = Field("", max_length=120)
    discovered_on: dt.date | None = None
    supplier_name: str = Field("", max_length=200)
    supplier_registration: str = Field("", max_length=20)
    witness_id: int | None = None
    second_witness_id: int | None = None


class LedgerReverseIn(Strict):
    reason: str = Field(..., max_length=500)


class LedgerWithdrawalIn(Strict):
    lot_id: uuid.UUID
    location_id: uuid.UUID
    quantity_mg: Decimal


class LedgerAdministrationIn(Strict):
    lot_id: uuid.UUID | None = None


class LedgerWasteIn(Strict):
    quantity_mg: Decimal
    witness_username: str = Field("", max_length=150)
    witness_password: str = Field("", max_length=200)
    witness_code: str = Field("", max_length=20)
    lot_id: uuid.UUID | None = None
    method: str = Field("", max_length=120)


class LedgerSessionRecordOut(Schema):
    session_id: uuid.UUID
    balanced: bool
    reasons: list[str]
    entries: list[LedgerEntryOut]


class LedgerCountIn(Strict):
    location_id: uuid.UUID
    kind: str = Field(..., description="shift, daily, initial or biennial")
    timing: str = "close"
    counted: dict[str, Decimal] = Field(..., description="lot id -> mg counted")
    witness_username: str = Field(..., max_length=150)
    witness_password: str = Field("", max_length=200)
    witness_code: str = Field("", max_length=20)
    owner_id: int | None = None


class LedgerCountOut(Schema):
    id: uuid.UUID
    kind: str
    timing: str
    counted_at: dt.datetime
    counted_by_id: int
    witness_id: int
    discrepancies: int

    @staticmethod
    def resolve_discrepancies(obj: Any) -> int:
        return sum(1 for line in obj.lines.all() if line.discrepancy_mg)


class LedgerInvestigationOut(Schema):
    id: uuid.UUID
    lot_id: uuid.UUID
    discrepancy_mg: Decimal
    owner_id: int
    due_on: dt.date
    status: str
    significant_loss: bool
    notice_due_on: dt.date | None
    form_106: dict[str, Any]
    resolution: str


class LedgerCloseIn(Strict):
    resolution: str = Field(..., max_length=500)
    adjust: bool = False


class LedgerReportOut(Schema):
    code: str
    title: str
    subtitle: str
    registrant: str
    columns: list[str]
    rows: list[list[Any]]


class LedgerSettingsIn(Strict):
    registration_number: str | None = Field(None, max_length=20)
    schedule_authority: str | None = Field(None, max_length=40)
    registrant_name: str | None = Field(None, max_length=200)
    require_balanced_to_sign: bool | None = None
    waste_witness_required: bool | None = None
    significant_loss_mg: Decimal | None = Field(None, ge=0)
    loss_pattern_count: int | None = Field(None, ge=1)
    loss_notice_business_days: int | None = Field(None, ge=1)
    investigation_days: int | None = Field(None, ge=1)
    multi_dose_open_days: int | None = Field(None, ge=1)
    record_retention_years: int | None = Field(None, ge=2)


class LedgerSettingsOut(Schema):
    registration_number: str
    schedule_authority: str
    registrant_name: str
    require_balanced_to_sign: bool
    waste_witness_required: bool
    significant_loss_mg: Decimal
    loss_pattern_count: int
    loss_notice_business_days: int
    investigation_days: int
    multi_dose_open_days: int
    record_retention_years: int


# --- catalogue and stock ------------------------------------------------------------------


@router.get("/products", response=list[LedgerProductOut], summary="Ledger products")
def product_list(request: HttpRequest) -> Any:
    access = access_of(request)
    _reader(access)
    return Product.objects.filter(clinic=access.clinic, is_active=True)


@router.post("/products", response={201: LedgerProductOut}, summary="Add a product")
def product_create(request: HttpRequest, payload: LedgerProductIn) -> Any:
    return Status(201, services.product_create(access=access_of(request), data=payload.dict()))


@router.get("/locations", response=list[LedgerLocationOut], summary="Storage locations")
def location_list(request: HttpRequest) -> Any:
    access = access_of(request)
    _reader(access)
    return Location.objects.filter(clinic=access.clinic)


@router.post("/locations", response={201: LedgerLocationOut}, summary="Add a storage location")
def location_create(request: HttpRequest, payload: LedgerLocationIn) -> Any:
    return Status(
        201,
        services.location_create(access=access_of(request), name=payload.name, kind=payload.kind),
    )


@router.get("/stock", response=list[LedgerStockOut], summary="Stock on hand per lot and location")
def stock_list(request: HttpRequest) -> Any:
    access = access_of(request)
    _reader(access)
    rows = (
        Balance.objects.filter(clinic=access.clinic, quantity_mg__gt=0)
        .select_related("lot__product", "location")
        .order_by("location__name", "lot__expiry")
    )
    return [
        {
            "lot_id": b.lot_id,
            "lot_number": b.lot.lot_number,
            "expiry": b.lot.expiry,
            "product_id": b.lot.product_id,
            "product": b.lot.product.name,
            "location_id": b.location_id,
            "location": b.location.name,
            "quantity_mg": b.quantity_mg,
        }
        for b in rows
    ]


class EntryPageQuery(Schema):
    after: int = Field(
        0, ge=0, description="Entries after this sequence number (0: from the first)"
    )
    limit: int = Field(500, ge=1, le=2000, description="At most this many entries")


@router.get(
    "/entries",
    response=list[LedgerEntryOut],
    summary="The ledger's entries in order, a page at a time",
    description="Entries in sequence order after `after`. When more follow, the `Link` "
    'header names the next page (rel="next"), which starts on the index after the last '
    "entry listed, however long the ledger.",
)
def entry_list(request: HttpRequest, response: HttpResponse, query: Query[EntryPageQuery]) -> Any:
    access = access_of(request)
    access.require(Permission.LEDGER_VIEW)
    entries = LedgerEntry.objects.filter(clinic=access.clinic, sequence__gt=query.after)
    page = list(entries.order_by("sequence")[: query.limit + 1])
    if len(page) > query.limit:
        link_next(
            request, response, {"after": page[query.limit - 1].sequence, "limit": query.limit}
        )
    return page[: query.limit]


# --- movements ----------------------------------------------------------------------------


@router.post("/receipts", response={201: LedgerEntryOut}, summary="Receive stock from a supplier")
def receipt_create(request: HttpRequest, payload: LedgerReceiptIn) -> Any:
    return Status(201, services.receipt_record(access=access_of(request), **payload.dict()))


@router.post("/transfers", response={201: LedgerEntryOut}, summary="Move stock between locations")
def transfer_create(request: HttpRequest, payload: LedgerTransferIn) -> Any:
    return Status(201, services.transfer_record(access=access_of(request), **payload.dict()))


@router.post(
    "/disposals", response={201: LedgerEntryOut}, summary="Return, destruction, or loss and theft"
)
def disposal_create(request: HttpRequest, payload: LedgerDisposalIn) -> Any:
    return Status(201, services.disposal_record(access=access_of(request), **payload.dict()))


@router.post(
    "/entries/{ledger_entry_id}/reverse", response={201: LedgerEntryOut}, summary="Reverse an entry"
)
def entry_reverse(request: HttpRequest, ledger_entry_id: int, payload: LedgerReverseIn) -> Any:
    return Status(
        201,
        services.entry_reverse(
            access=access_of(request), entry_id=ledger_entry_id, reason=payload.reason
        ),
    )


# --- a session's record -------------------------------------------------------------------


@router.get(
    "/sessions/{session_id}", response=LedgerSessionRecordOut, summary="A session's ledger record"
)
def session_record(request: HttpRequest, session_id: uuid.UUID) -> Any:
    access = access_of(request)
    _reader(access)
    session = services.session_get(access=access, session_id=session_id)
    record = services.session_record(session)
    return {
        "session_id": session.pk,
        "balanced": record.balanced,
        "reasons": list(record.reasons),
        "entries": list(LedgerEntry.objects.filter(session=session).order_by("sequence")),
    }


@router.post(
    "/sessions/{session_id}/withdrawals",
    response={201: LedgerEntryOut},
    summary="Withdraw stock for a session",
)
def withdrawal_create(
    request: HttpRequest, session_id: uuid.UUID, payload: LedgerWithdrawalIn
) -> Any:
    return Status(
        201,
        services.withdrawal_record(
            access=access_of(request), session_id=session_id, **payload.dict()
        ),
    )


@router.post(
    "/sessions/{session_id}/administration",
    response={201: LedgerEntryOut},
    summary="Enter the session's dose given in the ledger",
)
def administration_create(
    request: HttpRequest, session_id: uuid.UUID, payload: LedgerAdministrationIn
) -> Any:
    return Status(
        201,
        services.administration_record(
            access=access_of(request), session_id=session_id, lot_id=payload.lot_id
        ),
    )


@router.post(
    "/sessions/{session_id}/waste",
    response={201: LedgerEntryOut},
    summary="Waste with a witness who signs with their own password or one-time code",
)
def waste_create(request: HttpRequest, session_id: uuid.UUID, payload: LedgerWasteIn) -> Any:
    return Status(
        201,
        services.waste_record(
            access=access_of(request), session_id=session_id, request=request, **payload.dict()
        ),
    )


# --- counts, investigations, reports, settings --------------------------------------------


@router.post("/counts", response={201: LedgerCountOut}, summary="A blind two-person count")
def count_create(request: HttpRequest, payload: LedgerCountIn) -> Any:
    return Status(
        201, services.count_record(access=access_of(request), request=request, **payload.dict())
    )


@router.get("/investigations", response=list[LedgerInvestigationOut], summary="Count discrepancies")
def investigation_list(request: HttpRequest) -> Any:
    access = access_of(request)
    access.require(Permission.LEDGER_VIEW)
    return Investigation.objects.filter(clinic=access.clinic)


@router.post(
    "/investigations/{investigation_id}/close",
    response=LedgerInvestigationOut,
    summary="Close a discrepancy",
)
def investigation_close(
    request: HttpRequest, investigation_id: uuid.UUID, payload: LedgerCloseIn
) -> Any:
    return services.investigation_close(
        access=access_of(request), investigation_id=investigation_id, **payload.dict()
    )


def _report_params(code: str, request: HttpRequest) -> dict[str, Any]:
    get = request.GET
    today = access_of(request).clinic.today()

    def day(name: str) -> dt.date:
        try:
            return dt.date.fromisoformat(get.get(name) or today.isoformat())
        except ValueError as exc:
            from ketacare.common.errors import ValidationFailed

            raise ValidationFailed.single(name, "Give a date as YYYY-MM-DD.") from exc

    if code in {"dispensing", "disposals"}:
        params: dict[str, Any] = {"date_from": day("date_from"), "date_to": day("date_to")}
        if code == "dispensing" and get.get("product_id"):
            params["product_id"] = get["product_id"]
        return params
    if code == "reconciliation":
        return {"day": day("day")}
    if code == "patient":
        if not get.get("patient_id"):
            from ketacare.common.errors import ValidationFailed

            raise ValidationFailed.single("patient_id", "Choose the patient.")
        return {"patient_id": get["patient_id"]}
    if code == "running":
        return {k: get[k] for k in ("lot_id", "location_id") if get.get(k)}
    return {}


def _report_routes(code: str) -> None:
    """One page of JSON and one CSV per report: /ledger/reports/<code> and .../csv."""

    def as_json(request: HttpRequest) -> Any:
        return reports.report_read(access_of(request), code, **_report_params(code, request))

    def as_csv(request: HttpRequest) -> HttpResponse:
        report = reports.report_read(
            access_of(request), code, fmt="csv", **_report_params(code, request)
        )
        return csv_response(f"ledger-{code}.csv", [report.columns, *report.rows])

    title = reports.REPORTS[code]
    router.get(
        f"/reports/{code}",
        response=LedgerReportOut,
        summary=title,
        operation_id=f"ledger_report_{code}",
    )(as_json)
    router.get(
        f"/reports/{code}/csv", summary=f"{title} (CSV)", operation_id=f"ledger_report_{code}_csv"
    )(as_csv)


for _code in reports.REPORTS:
    _report_routes(_code)


@router.get("/settings", response=LedgerSettingsOut, summary="The clinic's ledger settings")
def settings_view(request: HttpRequest) -> Any:
    access = access_of(request)
    access.require(Permission.LEDGER_VIEW)
    return services.ledger_settings(access.clinic)


@router.put("/settings", response=LedgerSettingsOut, summary="Change the clinic's ledger settings")
def settings_save(request: HttpRequest, payload: LedgerSettingsIn) -> LedgerSettings:
    data = {k: v for k, v in payload.dict().items() if v is not None}
    return services.settings_save(access=access_of(request), data=data)
