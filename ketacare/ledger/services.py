"""Ledger writes. Each runs in one transaction, checks the permission, loads rows through
the clinic, asks the pure rules (ketacare.ledger.core), appends the hash-chained entry,
moves the locked balance rows and writes the audit event in the same transaction.

Lock order, always: the session row, the balance rows (by id), the ledger chain head,
then the audit chain head (inside audit_record). Withdrawals from one lot at one location
are serialised on its balance row, so the stock never goes below zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import HttpRequest

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Membership, User
from ketacare.accounts.policy import Permission, can
from ketacare.audit import chain
from ketacare.audit.services import Action, audit_as
from ketacare.common import clock
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.ledger import core
from ketacare.ledger.core import Kind
from ketacare.ledger.models import (
    Balance,
    Count,
    CountLine,
    Investigation,
    LedgerChainHead,
    LedgerEntry,
    LedgerSettings,
    Location,
    Lot,
    Product,
)
from ketacare.treatment import lifecycle
from ketacare.treatment.models import Administration, TreatmentSession

OBJECT = "ledgerentry"


# --- helpers ------------------------------------------------------------------------------


def ledger_settings(clinic: Any) -> LedgerSettings:
    """The clinic's settings row, or an unsaved one holding the cited defaults."""
    return LedgerSettings.objects.filter(clinic=clinic).first() or LedgerSettings(clinic=clinic)


def tracks_stock(clinic: Any) -> bool:
    """A clinic tracks its controlled stock in KetaCare once it has a product: only then
    is a session's record checked against the ledger (docs/ledger.md)."""
    return Product.objects.filter(clinic=clinic, is_active=True).exists()


def _get(model: Any, access: ClinicAccess, pk: Any, name: str) -> Any:
    try:
        row = model.objects.filter(clinic=access.clinic, pk=pk).first()
    except (ValueError, TypeError, ValidationError) as exc:  # malformed id: same as missing
        raise NotFound(name) from exc
    if row is None:
        raise NotFound(name)
    return row


def quantity(value: Any, field: str = "quantity_mg") -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed.single(field, "Enter a number of milligrams.") from exc
    if not result.is_finite():
        raise ValidationFailed.single(field, "Enter a number of milligrams.")
    return result


def _refuse(decision: core.Decision, field_map: Mapping[str, str] | None = None) -> None:
    if not decision.allowed:
        field = (field_map or {}).get(decision.field, decision.field)
        raise ValidationFailed.single(field, decision.reason)


def _locked_balance(access: ClinicAccess, lot: Lot, location: Location) -> Balance:
    rows = Balance.objects.select_for_update()
    row = rows.filter(lot=lot, location=location).first()
    if row is None:
        try:
            with transaction.atomic():
                return Balance.objects.create(clinic=access.clinic, lot=lot, location=location)
        except IntegrityError:
            row = rows.get(lot=lot, location=location)
    return row


def _locked_head(access: ClinicAccess) -> LedgerChainHead:
    heads = LedgerChainHead.objects.select_for_update()
    head = heads.filter(clinic=access.clinic).first()
    if head is None:
        try:
            with transaction.atomic():
                return LedgerChainHead.objects.create(
                    clinic=access.clinic, sequence=0, last_hash=chain.GENESIS_HASH
                )
        except IntegrityError:
            head = heads.get(clinic=access.clinic)
    return head


def _append(
    access: ClinicAccess,
    *,
    kind: Kind,
    lot: Lot,
    location: Location,
    quantity_mg: Decimal,
    stock_delta_mg: Decimal,
    balances: Mapping[Any, tuple[Balance, Decimal]] | None = None,
    **fields: Any,
) -> LedgerEntry:
    """Chain and save one entry, move the (already locked) balances, audit it."""
    balances = balances or {}
    for balance, delta in balances.values():
        balance.quantity_mg += delta
        if balance.quantity_mg < 0:  # the rules refuse first; this is the last guard
            raise ValidationFailed.single("quantity_mg", "The balance cannot go below zero.")
    head = _locked_head(access)
    entry = LedgerEntry(
        clinic=access.clinic,
        sequence=head.sequence + 1,
        kind=kind.value,
        occurred_at=clock.now(),
        actor=access.user,
        lot=lot,
        location=location,
        quantity_mg=quantity_mg.quantize(core.HUNDREDTH),
        stock_delta_mg=stock_delta_mg.quantize(core.HUNDREDTH),
        prev_hash=head.last_hash,
        **fields,
    )
    entry.hash = chain.event_hash(entry.prev_hash, entry.chain_payload())
    entry.save()
    head.sequence, head.last_hash = entry.sequence, entry.hash
    head.save(update_fields=["sequence", "last_hash"])
    for balance, _ in balances.values():
        balance.save(update_fields=["quantity_mg"])
    audit_as(
        access,
        action=Action.CREATE,
        object_type=OBJECT,
        object_id=entry.pk,
        patient_id=entry.patient_id,
        changes={"kind": [None, kind.value], "quantity_mg": [None, entry.quantity_mg]},
        details={
            "sequence": entry.sequence,
            "lot": lot.lot_number,
            "location": location.name,
            "session_id": entry.session_id,
        },
    )
    return entry


def _move(
    access: ClinicAccess,
    kind: Kind,
    lot: Lot,
    location: Location,
    quantity_mg: Decimal,
    **fields: Any,
) -> LedgerEntry:
    """An entry that takes stock out of (or puts it into) one location."""
    balance = _locked_balance(access, lot, location)
    delta = core.stock_delta(kind, quantity_mg)
    if delta < 0:
        _refuse(core.check_take(balance.quantity_mg, -delta), {"quantity": "quantity_mg"})
    return _append(
        access,
        kind=kind,
        lot=lot,
        location=location,
        quantity_mg=quantity_mg,
        stock_delta_mg=delta,
        balances={balance.pk: (balance, delta)} if delta else {},
        **fields,
    )


# --- catalogue ----------------------------------------------------------------------------


@transaction.atomic
def product_create(*, access: ClinicAccess, data: Mapping[str, Any]) -> Product:
    access.require(Permission.LEDGER_MANAGE)
    product = Product(clinic=access.clinic, **data)
    _clean(product)
    product.save()
    audit_as(
        access,
        action=Action.CREATE,
        object_type="ledgerproduct",
        object_id=product.pk,
        changes={k: [None, v] for k, v in data.items()},
    )
    return product


@transaction.atomic
def location_create(*, access: ClinicAccess, name: str, kind: str = "safe") -> Location:
    access.require(Permission.LEDGER_MANAGE)
    location = Location(clinic=access.clinic, name=name.strip(), kind=kind)
    _clean(location)
    location.save()
    audit_as(
        access,
        action=Action.CREATE,
        object_type="ledgerlocation",
        object_id=location.pk,
        changes={"name": [None, location.name], "kind": [None, kind]},
    )
    return location


def _clean(row: Any) -> None:
    try:
        row.full_clean(exclude=["clinic"])
    except ValidationError as exc:
        raise ValidationFailed(
            {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        ) from exc


@transaction.atomic
def settings_save(*, access: ClinicAccess, data: Mapping[str, Any]) -> LedgerSettings:
    access.require(Permission.LEDGER_MANAGE)
    fields = [
        f.name
        for f in LedgerSettings._meta.get_fields()
        if f.name not in {"id", "clinic", "updated_at"}
    ]
    unknown = set(data) - set(fields)
    if unknown:
        raise ValidationFailed({name: ["Not a ledger setting."] for name in sorted(unknown)})
    row, _ = LedgerSettings.objects.select_for_update().get_or_create(clinic=access.clinic)
    before = {f: getattr(row, f) for f in fields}
    for name, value in data.items():
        setattr(row, name, value)
    _clean(row)
    row.save()
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="ledgersettings",
        object_id=row.pk,
        changes={f: [before[f], getattr(row, f)] for f in fields if before[f] != getattr(row, f)},
    )
    return row


# --- stock movements (compliance officers and administrators) -------------------------------


@transaction.atomic
def receipt_record(
    *,
    access: ClinicAccess,
    product_id: Any,
    location_id: Any,
    lot_number: str,
    expiry: dt.date,
    containers: int,
    supplier_name: str,
    supplier_registration: str,
    supplier_address: str = "",
    invoice: str = "",
) -> LedgerEntry:
    """Containers received from a supplier into a location (21 CFR 1304.22(c): the number
    of containers, the date, the supplier's name, address and registration number)."""
    access.require(Permission.LEDGER_MANAGE)
    product = _get(Product, access, product_id, "product")
    location = _get(Location, access, location_id, "location")
    errors: dict[str, list[str]] = {}
    if not lot_number.strip():
        errors["lot_number"] = ["Required."]
    if not supplier_name.strip():
        errors["supplier_name"] = ["Required: the supplier's name."]
    if not supplier_registration.strip():
        errors["supplier_registration"] = ["Required: the supplier's DEA registration number."]
    if containers is None or containers < 1:
        errors["containers"] = ["Enter the number of containers received (1 or more)."]
    if expiry is None:
        errors["expiry"] = ["Required."]
    if errors:
        raise ValidationFailed(errors)
    lot = Lot.objects.filter(product=product, lot_number=lot_number.strip()).first()
    if lot is None:
        lot = Lot.objects.create(
            clinic=access.clinic, product=product, lot_number=lot_number.strip(), expiry=expiry
        )
    elif lot.expiry != expiry:
        raise ValidationFailed.single(
            "expiry", f"Lot {lot.lot_number} is recorded with expiry {lot.expiry:%d %b %Y}."
        )
    return _move(
        access,
        Kind.RECEIPT,
        lot,
        location,
        core.containers_to_mg(product.spec, containers),
        containers=containers,
        supplier_name=supplier_name.strip(),
        supplier_address=supplier_address.strip(),
        supplier_registration=supplier_registration.strip(),
        invoice=invoice.strip(),
    )


@transaction.atomic
def transfer_record(
    *,
    access: ClinicAccess,
    lot_id: Any,
    from_location_id: Any,
    to_location_id: Any,
    quantity_mg: Any,
) -> LedgerEntry:
    access.require(Permission.LEDGER_MANAGE)
    lot = _get(Lot, access, lot_id, "lot")
    source = _get(Location, access, from_location_id, "location")
    target = _get(Location, access, to_location_id, "location")
    amount = quantity(quantity_mg)
    if source.pk == target.pk:
        raise ValidationFailed.single("to_location_id", "Choose a different location.")
    _refuse(core.check_quantity(lot.product.spec, amount), {"quantity": "quantity_mg"})
    first, second = sorted([(source, -amount), (target, amount)], key=lambda p: str(p[0].pk))
    locked = {loc.pk: (_locked_balance(access, lot, loc), delta) for loc, delta in (first, second)}
    _refuse(core.check_take(locked[source.pk][0].quantity_mg, amount), {"quantity": "quantity_mg"})
    return _append(
        access,
        kind=Kind.TRANSFER,
        lot=lot,
        location=source,
        quantity_mg=amount,
        stock_delta_mg=-amount,
        balances={b.pk: (b, d) for b, d in locked.values()},
        to_location=target,
    )


@transaction.atomic
def disposal_record(
    *,
    access: ClinicAccess,
    kind: str,
    lot_id: Any,
    location_id: Any,
    quantity_mg: Any,
    reason: str = "",
    method: str = "",
    discovered_on: dt.date | None = None,
    supplier_name: str = "",
    supplier_registration: str = "",
    witness_id: Any = None,
    second_witness_id: Any = None,
) -> LedgerEntry:
    """Stock leaving other than by administration: a return to the supplier or a reverse
    distributor, a destruction (two witnesses, the DEA Form 41 fields) or a loss or theft
    (the date discovered)."""
    access.require(Permission.LEDGER_MANAGE)
    try:
        what = Kind(kind)
    except ValueError as exc:
        raise ValidationFailed.single("kind", "Choose return, destruction or loss.") from exc
    if what not in {Kind.RETURN, Kind.DESTRUCTION, Kind.LOSS}:
        raise ValidationFailed.single("kind", "Choose return, destruction or loss.")
    lot = _get(Lot, access, lot_id, "lot")
    location = _get(Location, access, location_id, "location")
    amount = quantity(quantity_mg)
    _refuse(core.check_quantity(lot.product.spec, amount), {"quantity": "quantity_mg"})
    witness_user = _get_member(access, witness_id, "witness_id") if witness_id else None
    second_witness_user = (
        _get_member(access, second_witness_id, "second_witness_id") if second_witness_id else None
    )
    errors: dict[str, list[str]] = {}
    if what is Kind.LOSS and discovered_on is None:
        errors["discovered_on"] = ["Enter the date the loss or theft was discovered."]
    if what is Kind.LOSS and not reason.strip():
        errors["reason"] = ["Describe the loss or theft."]
    if what is Kind.RETURN and not supplier_name.strip():
        errors["supplier_name"] = ["Name the supplier or reverse distributor."]
    if what is Kind.DESTRUCTION:
        if not method.strip():
            errors["method"] = ["Enter the method of destruction."]
        if witness_user is None or second_witness_user is None:
            errors["witness_id"] = ["Destruction on site needs two witnesses (DEA Form 41)."]
        elif witness_user.pk == second_witness_user.pk:
            errors["second_witness_id"] = ["The two witnesses must be different people."]
    if errors:
        raise ValidationFailed(errors)
    entry = _move(
        access,
        what,
        lot,
        location,
        amount,
        reason=reason.strip(),
        method=method.strip(),
        discovered_on=discovered_on,
        supplier_name=supplier_name.strip(),
        supplier_registration=supplier_registration.strip(),
        witness=witness_user,
        second_witness=second_witness_user,
    )
    if what is Kind.LOSS:
        _open_loss_investigation(access, entry)
    return entry


def _open_loss_investigation(access: ClinicAccess, entry: LedgerEntry) -> Investigation | None:
    """A significant loss or theft recorded directly opens its investigation, with the
    DEA Form 106 fields and the notice date, as a count's shortfall does."""
    if loss_report(access=access, entry_id=entry.pk) is None:
        return None
    rules = ledger_settings(access.clinic).rules()
    discovered = entry.discovered_on or access.clinic.date_of(entry.occurred_at)
    investigation = Investigation.objects.create(
        clinic=access.clinic,
        lot=entry.lot,
        discrepancy_mg=-entry.quantity_mg,
        owner=access.user,
        due_on=discovered + dt.timedelta(days=rules.investigation_days),
        significant_loss=True,
        notice_due_on=core.business_days_after(discovered, rules.loss_notice_business_days),
        form_106=_form_106(access, entry.lot, entry.quantity_mg, discovered, entry.reason),
    )
    _audit_investigation_opened(access, investigation)
    return investigation


def _form_106(
    access: ClinicAccess, lot: Lot, lost_mg: Decimal, discovered: dt.date, kind_of_loss: str
) -> dict[str, str]:
    product = lot.product
    return {
        "registration_number": ledger_settings(access.clinic).registration_number,
        "date_of_loss_discovered": discovered.isoformat(),
        "type_of_loss": kind_of_loss,
        "substance": product.get_substance_display(),
        "ndc": product.ndc,
        "strength": f"{product.strength_mg.normalize():f} mg",
        "form": product.get_form_display(),
        "quantity_lost_mg": f"{lost_mg.normalize():f}",
        "lot_number": lot.lot_number,
    }


@transaction.atomic
def entry_reverse(*, access: ClinicAccess, entry_id: Any, reason: str) -> LedgerEntry:
    """A correction: the opposite of an entry, with the reason. The entry itself stays."""
    access.require(Permission.LEDGER_MANAGE)
    if not reason.strip():
        raise ValidationFailed.single("reason", "Give the reason for the reversal.")
    original = _get(LedgerEntry, access, entry_id, "entry")
    if original.kind == Kind.REVERSAL:
        raise ValidationFailed.single("entry_id", "A reversal cannot itself be reversed.")
    if LedgerEntry.objects.filter(reverses=original).exists():
        raise ValidationFailed.single("entry_id", "This entry is already reversed.")
    locs = [original.location] + ([original.to_location] if original.to_location else [])
    deltas = {original.location.pk: -original.stock_delta_mg}
    if original.to_location:
        deltas[original.to_location.pk] = original.stock_delta_mg
    locked = {
        loc.pk: (_locked_balance(access, original.lot, loc), deltas[loc.pk])
        for loc in sorted(locs, key=lambda loc: str(loc.pk))
        if deltas[loc.pk]
    }
    for balance, delta in locked.values():
        if delta < 0:
            _refuse(core.check_take(balance.quantity_mg, -delta), {"quantity": "entry_id"})
    return _append(
        access,
        kind=Kind.REVERSAL,
        lot=original.lot,
        location=original.location,
        quantity_mg=original.quantity_mg,
        stock_delta_mg=-original.stock_delta_mg,
        balances=locked,
        to_location=original.to_location,
        session=original.session,
        patient=original.patient,
        reverses=original,
        reason=reason.strip(),
    )


def loss_report(*, access: ClinicAccess, entry_id: Any) -> list[tuple[str, str]] | None:
    """For a loss or theft entry that is significant (the clinic's quantity, or its pattern
    of losses within a year: 21 CFR 1301.76(b)), the DEA Form 106 fields with the notice
    date (one business day after discovery, by default); None when no report is prompted."""
    access.require(Permission.LEDGER_VIEW)
    entry = _get(LedgerEntry, access, entry_id, "entry")
    if entry.kind != Kind.LOSS:
        return None
    rules = ledger_settings(access.clinic).rules()
    earlier = LedgerEntry.objects.filter(
        clinic=access.clinic,
        kind=Kind.LOSS,
        sequence__lt=entry.sequence,
        occurred_at__gte=entry.occurred_at - dt.timedelta(days=365),
    ).count()
    if not core.significant_loss(
        entry.quantity_mg,
        threshold_mg=rules.significant_loss_mg,
        pattern_count=earlier,
        pattern_threshold=rules.loss_pattern_count,
    ):
        return None
    product = entry.lot.product
    discovered = entry.discovered_on or access.clinic.date_of(entry.occurred_at)
    notice = core.business_days_after(discovered, rules.loss_notice_business_days)
    settings_ = ledger_settings(access.clinic)
    return [
        ("Registrant", settings_.registrant_name or access.clinic.name),
        ("DEA registration number", settings_.registration_number or "not set"),
        ("Date the loss or theft was discovered", f"{discovered:%Y-%m-%d}"),
        ("Notify the DEA in writing by", f"{notice:%Y-%m-%d}"),
        ("Description (type of loss)", entry.reason),
        ("Substance", product.get_substance_display()),
        ("NDC", product.ndc),
        ("Strength", f"{product.strength_mg.normalize():f} mg"),
        ("Form", product.get_form_display()),
        ("Lot number", entry.lot.lot_number),
        ("Quantity lost", core.mg(entry.quantity_mg)),
    ]


def count_get(*, access: ClinicAccess, count_id: Any) -> Count:
    """A count of the caller's clinic, once submitted: only then are the expected figures
    (and the discrepancies) shown to the counter."""
    count: Count = _get(Count, access, count_id, "count")  # another clinic's: 404 first
    access.require(Permission.LEDGER_MANAGE)
    return count


# --- the session's record (nurses and prescribers) ------------------------------------------


def _session(access: ClinicAccess, session_id: Any) -> TreatmentSession:
    try:
        session = (
            TreatmentSession.objects.select_for_update(of=("self",))
            .filter(clinic=access.clinic, pk=session_id)
            .first()
        )
    except (ValueError, TypeError, ValidationError) as exc:
        raise NotFound("session") from exc
    if session is None:
        raise NotFound("session")
    return session


def session_get(*, access: ClinicAccess, session_id: Any) -> TreatmentSession:
    """A session of the caller's clinic (read, not locked); another clinic's: NotFound."""
    try:
        session = (
            TreatmentSession.objects.select_related("patient", "clinic")
            .filter(clinic=access.clinic, pk=session_id)
            .first()
        )
    except (ValueError, TypeError, ValidationError) as exc:
        raise NotFound("session") from exc
    if session is None:
        raise NotFound("session")
    return session


def _open_for_ledger(session: TreatmentSession) -> None:
    if session.state not in lifecycle.CHARTING_STATES:
        raise ValidationFailed.single(
            "session",
            "The session is not open for charting: record a correction as a reversal "
            "by a compliance officer.",
        )


def _session_sums(session: TreatmentSession) -> dict[str, Decimal]:
    """Withdrawn, wasted and administered mg for the session, without reversed entries."""
    rows = (
        LedgerEntry.objects.filter(session=session, reversed_by__isnull=True)
        .exclude(kind=Kind.REVERSAL)
        .values("kind")
        .annotate(total=Sum("quantity_mg"))
    )
    sums = {k.value: Decimal(0) for k in Kind}
    for row in rows:
        sums[row["kind"]] = row["total"] or Decimal(0)
    return sums


@transaction.atomic
def withdrawal_record(
    *, access: ClinicAccess, session_id: Any, lot_id: Any, location_id: Any, quantity_mg: Any
) -> LedgerEntry:
    """Draw stock for a session: from an unexpired lot, within the stock, and no more than
    the order plus the remainder of the last container that must be wasted."""
    access.require(Permission.LEDGER_WITHDRAW)
    session = _session(access, session_id)
    lot = _get(Lot, access, lot_id, "lot")
    location = _get(Location, access, location_id, "location")
    amount = quantity(quantity_mg)
    _open_for_ledger(session)
    drug = _session_drug(session)
    if drug and lot.product.substance != drug:
        raise ValidationFailed.single(
            "lot_id", f"The session's protocol gives {drug}; this lot is {lot.product.substance}."
        )
    balance = _locked_balance(access, lot, location)
    decision = core.check_withdrawal(
        lot.product.spec,
        balance_mg=balance.quantity_mg,
        quantity_mg=amount,
        expiry=lot.expiry,
        today=access.clinic.today(),
        ordered_mg=ordered_dose(session),
        already_withdrawn_mg=_session_sums(session)[Kind.WITHDRAWAL],
    )
    _refuse(decision, {"quantity": "quantity_mg", "lot": "lot_id", "session": "session_id"})
    return _append(
        access,
        kind=Kind.WITHDRAWAL,
        lot=lot,
        location=location,
        quantity_mg=amount,
        stock_delta_mg=-amount,
        balances={balance.pk: (balance, -amount)},
        session=session,
        patient_id=session.patient_id,
    )


def ordered_dose(session: TreatmentSession) -> Decimal | None:
    from ketacare.treatment.integration import active_order

    dose = active_order(session).dose_mg
    return Decimal(dose) if dose is not None else None


def _given(session: TreatmentSession) -> tuple[Administration | None, Decimal | None]:
    """The chart's dose given: the administration record's, or for a session recorded as
    given after the fact (charted elsewhere, no administration record) the order's."""
    administration = Administration.objects.filter(session=session).first()
    if administration is not None:
        return administration, administration.dose_given_mg
    if session.status in TreatmentSession.GIVEN_STATUSES:
        return None, ordered_dose(session)
    return None, None


def _session_drug(session: TreatmentSession) -> str:
    from ketacare.treatment.rules import protocol_of

    protocol = protocol_of(session.protocol_code)
    return protocol.drug.value if protocol is not None else ""


def _session_lot(session: TreatmentSession, lot_id: Any) -> LedgerEntry:
    """The session's (unreversed) withdrawal of this lot: its lot and location."""
    withdrawal = (
        LedgerEntry.objects.filter(
            session=session, kind=Kind.WITHDRAWAL, reversed_by__isnull=True, lot_id=lot_id
        )
        .select_related("lot__product", "location")
        .first()
        if lot_id
        else LedgerEntry.objects.filter(
            session=session, kind=Kind.WITHDRAWAL, reversed_by__isnull=True
        )
        .select_related("lot__product", "location")
        .first()
    )
    if withdrawal is None:
        raise ValidationFailed.single(
            "lot_id", "Nothing was withdrawn for this session from this lot."
        )
    return withdrawal


@transaction.atomic
def administration_record(
    *, access: ClinicAccess, session_id: Any, lot_id: Any = None
) -> LedgerEntry:
    """The dose given (from the chart's administration record) entered in the ledger, for
    the dispensing record: the patient, the date, who administered."""
    access.require(Permission.LEDGER_WITHDRAW)
    session = _session(access, session_id)
    _open_for_ledger(session)
    administration, given = _given(session)
    if given is None:
        raise ValidationFailed.single(
            "session_id", "The dose given is not recorded yet: stop dosing first."
        )
    if LedgerEntry.objects.filter(
        session=session, kind=Kind.ADMINISTRATION, reversed_by__isnull=True
    ).exists():
        raise ValidationFailed.single("session_id", "The administration is already entered.")
    withdrawal = _session_lot(session, lot_id)
    return _append(
        access,
        kind=Kind.ADMINISTRATION,
        lot=withdrawal.lot,
        location=withdrawal.location,
        quantity_mg=given,
        stock_delta_mg=Decimal(0),
        session=session,
        administration=administration,
        patient_id=session.patient_id,
    )


def witness_check(
    access: ClinicAccess,
    *,
    username: str,
    password: str = "",
    code: str = "",
    request: HttpRequest | None = None,
    field: str = "witness_username",
) -> tuple[User | None, core.Witness, str]:
    """Who the witness is and whether they proved it in person: their own password, or a
    one-time code from their own device (django-otp).

    The witness's credentials count like a sign-in (docs/ledger.md): a wrong password or
    code is recorded by django-axes (and audited) as a failed sign-in of the witness, and
    a witness locked out by django-axes is refused, whatever they type. Call it outside the
    write's transaction, so that a refused write does not roll the failure back."""
    user = (
        User.objects.filter(username=username.strip(), is_active=True).first()
        if username.strip()
        else None
    )
    if user is None:
        return None, core.Witness(None), ""
    role = (
        Membership.objects.filter(user=user, clinic=access.clinic, is_active=True)
        .values_list("role", flat=True)
        .first()
    )
    licensed = role is not None and can(role, Permission.LEDGER_WITNESS)
    if not (code.strip() or password):
        return user, core.Witness(user.pk, licensed=licensed, authenticated=False), ""
    # Without a request (a script, a test) failures are still counted per username.
    req = request if request is not None else HttpRequest()
    credentials = {"username": user.get_username()}
    was_locked = getattr(req, "axes_locked_out", False)
    try:
        if not AxesProxyHandler.is_allowed(req, credentials):
            raise ValidationFailed.single(
                field,
                f"The witness {user.get_username()} is locked out after too many failed "
                "sign-ins (of their account, or from this address); they may witness again "
                "once the lockout ends or an administrator lifts it.",
            )
        method = ""
        if code.strip() and django_otp.user_has_device(user):
            if django_otp.match_token(user, code.replace(" ", "")) is not None:
                method = "otp"
            else:
                user_login_failed.send(
                    sender=__name__, credentials={**credentials, "step": "code"}, request=req
                )
        elif password:
            if user.check_password(password):
                method = "password"
            else:
                user_login_failed.send(
                    sender=__name__, credentials={**credentials, "step": "password"}, request=req
                )
    finally:
        # axes marks the request locked out when the witness reaches the limit; the
        # person signed in is not, so their page is not replaced by the lockout page.
        req.axes_locked_out = was_locked  # type: ignore[attr-defined]
    return user, core.Witness(user.pk, licensed=licensed, authenticated=bool(method)), method


def waste_record(
    *,
    access: ClinicAccess,
    session_id: Any,
    quantity_mg: Any,
    witness_username: str = "",
    witness_password: str = "",
    witness_code: str = "",
    lot_id: Any = None,
    method: str = "",
    request: HttpRequest | None = None,
) -> LedgerEntry:
    """Waste of the drawn-up remainder or a partly used vial, witnessed in person by a
    second licensed person (a clinic setting, on by default). The witness's password or
    code is checked first, outside the write's transaction, so a failure stays counted."""
    access.require(Permission.LEDGER_WITHDRAW)
    checked = witness_check(
        access,
        username=witness_username,
        password=witness_password,
        code=witness_code,
        request=request,
    )
    return _waste_write(
        access=access,
        session_id=session_id,
        quantity_mg=quantity_mg,
        witness_username=witness_username,
        checked=checked,
        lot_id=lot_id,
        method=method,
    )


@transaction.atomic
def _waste_write(
    *,
    access: ClinicAccess,
    session_id: Any,
    quantity_mg: Any,
    witness_username: str,
    checked: tuple[User | None, core.Witness, str],
    lot_id: Any,
    method: str,
) -> LedgerEntry:
    session = _session(access, session_id)
    _open_for_ledger(session)
    amount = quantity(quantity_mg)
    witness_user, witness, signed_with = checked
    if witness_username.strip() and witness_user is None:
        raise ValidationFailed.single(
            "witness_username", "No active staff member has this username."
        )
    rules = ledger_settings(access.clinic).rules()
    _refuse(
        core.check_witness(
            actor_id=access.user.pk,
            witness=witness if witness_username.strip() else None,
            required=rules.waste_witness_required,
        ),
        {"witness": "witness_username"},
    )
    withdrawal = _session_lot(session, lot_id)
    sums = _session_sums(session)
    accounted = sums[Kind.WASTE] + sums[Kind.ADMINISTRATION]
    if not sums[Kind.ADMINISTRATION]:
        _, given = _given(session)
        accounted += given if given is not None else (ordered_dose(session) or Decimal(0))
    _refuse(
        core.check_waste(
            withdrawal.lot.product.spec,
            quantity_mg=amount,
            withdrawn_mg=sums[Kind.WITHDRAWAL],
            accounted_mg=accounted,
        ),
        {"quantity": "quantity_mg"},
    )
    return _append(
        access,
        kind=Kind.WASTE,
        lot=withdrawal.lot,
        location=withdrawal.location,
        quantity_mg=amount,
        stock_delta_mg=Decimal(0),
        session=session,
        patient_id=session.patient_id,
        witness=witness_user,
        witness_method=signed_with,
        method=method.strip() or "Wasted at the point of care",
    )


# --- reconciliation -------------------------------------------------------------------------


def session_record(session: TreatmentSession) -> core.Reconciliation:
    """The session's controlled-substance record against its chart."""
    sums = _session_sums(session)
    _, given = _given(session)
    first = (
        LedgerEntry.objects.filter(session=session, kind=Kind.WITHDRAWAL)
        .select_related("lot__product")
        .first()
    )
    spec = first.lot.product.spec if first else None
    rules = ledger_settings(session.clinic).rules()
    unwitnessed = (
        LedgerEntry.objects.filter(
            session=session, kind=Kind.WASTE, witness__isnull=True, reversed_by__isnull=True
        ).count()
        if rules.waste_witness_required
        else 0
    )
    result = core.reconcile(
        core.SessionRecord(
            given_mg=given,
            withdrawn_mg=sums[Kind.WITHDRAWAL],
            wasted_mg=sums[Kind.WASTE],
            unwitnessed_waste=unwitnessed,
            form=spec.form if spec else core.Form.VIAL,
            strength_mg=spec.strength_mg if spec else Decimal(1),
        )
    )
    reasons = list(result.reasons)
    if given is not None and sums[Kind.WITHDRAWAL] and not sums[Kind.ADMINISTRATION]:
        reasons.append("The administration is not entered in the ledger yet.")
    elif sums[Kind.ADMINISTRATION] and given is not None and sums[Kind.ADMINISTRATION] != given:
        reasons.append(
            f"The ledger's administration ({core.mg(sums[Kind.ADMINISTRATION])}) differs from "
            f"the chart's dose given ({core.mg(given)})."
        )
    return core.Reconciliation(not reasons, result.difference_mg, tuple(reasons))


def sign_blockers(session: TreatmentSession) -> tuple[str, ...]:
    """Why the session may not be signed yet as far as the ledger goes: nothing unless the
    clinic tracks its stock here and requires a balanced record (the default)."""
    if session.status not in TreatmentSession.GIVEN_STATUSES:
        return ()
    if not tracks_stock(session.clinic):
        return ()
    if not ledger_settings(session.clinic).require_balanced_to_sign:
        return ()
    record = session_record(session)
    return tuple(f"Controlled-substance record: {r}" for r in record.reasons)


# --- counts and investigations --------------------------------------------------------------


def count_record(
    *,
    access: ClinicAccess,
    location_id: Any,
    kind: str,
    counted: Mapping[Any, Any],
    witness_username: str,
    witness_password: str = "",
    witness_code: str = "",
    timing: str = Count.Timing.CLOSE,
    owner_id: Any = None,
    request: HttpRequest | None = None,
) -> Count:
    """A blind count: the counter enters every lot's quantity before seeing the expected
    figure; a second licensed person witnesses. A discrepancy opens an investigation; a
    significant shortfall also prompts the theft/loss report fields (DEA Form 106). The
    witness's password or code counts like a sign-in (checked outside the transaction)."""
    access.require(Permission.LEDGER_MANAGE)
    checked = witness_check(
        access,
        username=witness_username,
        password=witness_password,
        code=witness_code,
        request=request,
    )
    return _count_write(
        access=access,
        location_id=location_id,
        kind=kind,
        counted=counted,
        checked=checked,
        timing=timing,
        owner_id=owner_id,
    )


@transaction.atomic
def _count_write(
    *,
    access: ClinicAccess,
    location_id: Any,
    kind: str,
    counted: Mapping[Any, Any],
    checked: tuple[User | None, core.Witness, str],
    timing: str,
    owner_id: Any,
) -> Count:
    location = _get(Location, access, location_id, "location")
    if kind not in Count.Kind.values:
        raise ValidationFailed.single("kind", "Choose shift, daily, initial or biennial.")
    if timing not in Count.Timing.values:
        raise ValidationFailed.single("timing", "Choose opening or close of business.")
    witness_user, witness, _ = checked
    if witness_user is not None and not witness.licensed:
        # Counts may be witnessed by any second staff member of the clinic with ledger duties.
        member = (
            Membership.objects.filter(user=witness_user, clinic=access.clinic, is_active=True)
            .values_list("role", flat=True)
            .first()
        )
        if member is not None and can(member, Permission.LEDGER_MANAGE):
            witness = core.Witness(
                witness.user_id, licensed=True, authenticated=witness.authenticated
            )
    _refuse(
        core.check_witness(actor_id=access.user.pk, witness=witness, required=True),
        {"witness": "witness_username"},
    )
    assert witness_user is not None
    balances = {
        b.lot_id: b
        for b in Balance.objects.select_for_update()
        .filter(clinic=access.clinic, location=location)
        .select_related("lot__product")
        .order_by("pk")
    }
    given = {str(k): v for k, v in counted.items()}
    errors: dict[str, list[str]] = {}
    lines: list[tuple[Balance, Decimal]] = []
    for lot_id, balance in balances.items():
        if balance.quantity_mg == 0 and str(lot_id) not in given:
            continue
        if str(lot_id) not in given:
            errors[f"counted.{lot_id}"] = [f"Count lot {balance.lot.lot_number}."]
            continue
        try:
            value = quantity(given[str(lot_id)], f"counted.{lot_id}")
        except ValidationFailed as exc:
            errors |= exc.errors
            continue
        if value < 0:
            errors[f"counted.{lot_id}"] = ["A count cannot be negative."]
        lines.append((balance, value))
    for unknown in set(given) - {str(k) for k in balances}:
        errors[f"counted.{unknown}"] = ["No stock of this lot is recorded at this location."]
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    count = Count.objects.create(
        clinic=access.clinic,
        location=location,
        kind=kind,
        timing=timing,
        counted_at=now,
        counted_by=access.user,
        witness=witness_user,
    )
    settings_ = ledger_settings(access.clinic)
    rules = settings_.rules()
    owner = _get_member(access, owner_id) if owner_id else access.user
    for balance, value in lines:
        line = CountLine.objects.create(
            count=count, lot=balance.lot, expected_mg=balance.quantity_mg, counted_mg=value
        )
        if line.discrepancy_mg != 0:
            _open_investigation(access, line, owner, rules, access.clinic.date_of(now))
    audit_as(
        access,
        action=Action.CREATE,
        object_type="ledgercount",
        object_id=count.pk,
        details={
            "kind": kind,
            "location": location.name,
            "witness": witness_user.get_username(),
            "lines": len(lines),
            "discrepancies": sum(1 for _, v in lines if v),
        },
    )
    return count


def _get_member(access: ClinicAccess, user_id: Any, field: str = "owner_id") -> User:
    try:
        member = (
            Membership.objects.filter(clinic=access.clinic, user_id=int(user_id), is_active=True)
            .select_related("user")
            .first()
        )
    except (ValueError, TypeError):
        member = None
    if member is None:
        raise ValidationFailed.single(field, "Choose an active member of this clinic.")
    return member.user


def _open_investigation(
    access: ClinicAccess, line: CountLine, owner: User, rules: core.LedgerRules, today: dt.date
) -> Investigation:
    missing = -line.discrepancy_mg
    earlier = Investigation.objects.filter(
        clinic=access.clinic,
        discrepancy_mg__lt=0,
        created_at__gte=clock.now() - dt.timedelta(days=365),
    ).count()
    significant = core.significant_loss(
        missing,
        threshold_mg=rules.significant_loss_mg,
        pattern_count=earlier,
        pattern_threshold=rules.loss_pattern_count,
    )
    investigation = Investigation.objects.create(
        clinic=access.clinic,
        count_line=line,
        lot=line.lot,
        discrepancy_mg=line.discrepancy_mg,
        owner=owner,
        due_on=today + dt.timedelta(days=rules.investigation_days),
        significant_loss=significant,
        notice_due_on=core.business_days_after(today, rules.loss_notice_business_days)
        if significant
        else None,
        form_106=_form_106(access, line.lot, missing, today, "") if significant else {},
    )
    _audit_investigation_opened(access, investigation)
    return investigation


def _audit_investigation_opened(access: ClinicAccess, investigation: Investigation) -> None:
    audit_as(
        access,
        action=Action.CREATE,
        object_type="ledgerinvestigation",
        object_id=investigation.pk,
        changes={
            "discrepancy_mg": [None, investigation.discrepancy_mg],
            "significant_loss": [None, investigation.significant_loss],
            "due_on": [None, investigation.due_on],
        },
    )


@transaction.atomic
def investigation_close(
    *,
    access: ClinicAccess,
    investigation_id: Any,
    resolution: str,
    adjust: bool = False,
) -> Investigation:
    """Close a discrepancy with its resolution; with adjust, the count is made the book
    figure by a count-adjustment entry (signed by the closer, a second person to the
    counter)."""
    access.require(Permission.LEDGER_MANAGE)
    investigation = _get(Investigation, access, investigation_id, "investigation")
    if investigation.status == Investigation.Status.CLOSED:
        raise ValidationFailed.single("investigation_id", "This investigation is closed.")
    if not resolution.strip():
        raise ValidationFailed.single("resolution", "Describe how the discrepancy was resolved.")
    line = investigation.count_line
    if line is not None and line.count.counted_by_id == access.user.pk:
        raise ValidationFailed.single(
            "investigation_id", "A second person must close a discrepancy the counter found."
        )
    if adjust and line is not None:
        location = line.count.location
        balance = _locked_balance(access, investigation.lot, location)
        delta = investigation.discrepancy_mg
        if delta < 0:
            _refuse(core.check_take(balance.quantity_mg, -delta), {"quantity": "adjust"})
        _append(
            access,
            kind=Kind.COUNT_ADJUSTMENT,
            lot=investigation.lot,
            location=location,
            quantity_mg=delta,
            stock_delta_mg=delta,
            balances={balance.pk: (balance, delta)},
            reason=resolution.strip(),
        )
    investigation.status = Investigation.Status.CLOSED
    investigation.resolution = resolution.strip()
    investigation.closed_by = access.user
    investigation.closed_at = clock.now()
    investigation.save()
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="ledgerinvestigation",
        object_id=investigation.pk,
        changes={"status": ["open", "closed"], "resolution": [None, investigation.resolution]},
    )
    return investigation


# --- bulk loading (the demo seed; a migration from paper records) ---------------------------


def entries_import(
    *, access: ClinicAccess, entries: list[LedgerEntry], note: str
) -> list[LedgerEntry]:
    """Append many entries at once, in the given order, for the caller's clinic: each is
    chained like any other, the balances move, and one audit event records the import.
    The entries must already hold lawful values (the rules are the caller's job: used by
    the demo seed, which writes them from its own sessions). Refuses a negative balance."""
    access.require(Permission.LEDGER_MANAGE)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("entries_import must run inside a transaction")
    head = _locked_head(access)
    moves: dict[tuple[Any, Any], Decimal] = {}
    for entry in entries:
        entry.clinic = access.clinic
        entry.sequence = head.sequence + 1
        entry.prev_hash = head.last_hash
        entry.quantity_mg = Decimal(entry.quantity_mg).quantize(core.HUNDREDTH)
        entry.stock_delta_mg = Decimal(entry.stock_delta_mg).quantize(core.HUNDREDTH)
        entry.hash = chain.event_hash(entry.prev_hash, entry.chain_payload())
        head.sequence, head.last_hash = entry.sequence, entry.hash
        for location_id, delta in (
            (entry.location_id, entry.stock_delta_mg),
            (entry.to_location_id, -entry.stock_delta_mg),
        ):
            if location_id is None or not delta:
                continue
            key = (entry.lot_id, location_id)
            moves[key] = moves.get(key, Decimal(0)) + delta
            if (
                moves[key] < 0
                and not Balance.objects.filter(
                    lot_id=entry.lot_id, location_id=location_id, quantity_mg__gte=-moves[key]
                ).exists()
            ):
                raise ValidationFailed.single(
                    "quantity_mg", f"Entry {entry.sequence} would take a balance below zero."
                )
    LedgerEntry.objects.bulk_create(entries)
    head.save(update_fields=["sequence", "last_hash"])
    existing = {
        (b.lot_id, b.location_id): b
        for b in Balance.objects.select_for_update().filter(clinic=access.clinic)
    }
    for (lot_id, location_id), delta in moves.items():
        row = existing.get((lot_id, location_id))
        if row is None:
            Balance.objects.create(
                clinic=access.clinic, lot_id=lot_id, location_id=location_id, quantity_mg=delta
            )
        else:
            row.quantity_mg += delta
            row.save(update_fields=["quantity_mg"])
    audit_as(
        access,
        action=Action.CREATE,
        object_type=OBJECT,
        details={"import": note, "entries": len(entries), "last_sequence": head.sequence},
    )
    return entries
