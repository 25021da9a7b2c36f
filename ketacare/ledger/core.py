"""The controlled-substance ledger's rules (pure Python, no Django).

Quantities are held in milligrams (Decimal). A product says how milligrams relate to its
units: a vial's liquid in mL at its concentration, an intranasal device as a whole unit
of its strength. Every rule answers a `Decision` with a reason a person can act on.

Sources are in ../shared/reference/controlled.md (quoted as controlled.md below):
records under 21 CFR 1304.22(c), waste witnessed by a second licensed person (a state
board and accreditation practice, a clinic setting), loss reports under 1301.76(b).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import StrEnum

TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")
ZERO = Decimal(0)


class Form(StrEnum):
    VIAL = "vial"  # a liquid: units are mL at the concentration
    DEVICE = "device"  # a counted unit of fixed strength (Spravato 28 mg)


class Kind(StrEnum):
    RECEIPT = "receipt"
    TRANSFER = "transfer"
    WITHDRAWAL = "withdrawal"
    ADMINISTRATION = "administration"
    WASTE = "waste"
    RETURN = "return"
    DESTRUCTION = "destruction"
    LOSS = "loss"
    COUNT_ADJUSTMENT = "count_adjustment"
    REVERSAL = "reversal"


KIND_LABELS = {
    Kind.RECEIPT: "Receipt",
    Kind.TRANSFER: "Transfer",
    Kind.WITHDRAWAL: "Withdrawal for a session",
    Kind.ADMINISTRATION: "Administration",
    Kind.WASTE: "Waste",
    Kind.RETURN: "Return to supplier",
    Kind.DESTRUCTION: "Destruction",
    Kind.LOSS: "Loss or theft",
    Kind.COUNT_ADJUSTMENT: "Count adjustment",
    Kind.REVERSAL: "Reversal",
}

# How each kind moves the stock of its lot at its location (the transfer also adds at its
# destination). Administration and waste account for what a withdrawal took out of the
# safe: they do not move stock again, they settle the session's record.
STOCK_SIGN: dict[Kind, int] = {
    Kind.RECEIPT: +1,
    Kind.TRANSFER: -1,
    Kind.WITHDRAWAL: -1,
    Kind.ADMINISTRATION: 0,
    Kind.WASTE: 0,
    Kind.RETURN: -1,
    Kind.DESTRUCTION: -1,
    Kind.LOSS: -1,
    Kind.COUNT_ADJUSTMENT: 0,  # signed: the quantity itself carries the direction
    Kind.REVERSAL: 0,  # the opposite of the reversed entry
}


@dataclass(frozen=True)
class ProductSpec:
    """What the rules need to know of a product. strength_mg is per mL for a vial and per
    device for a device; container_units is mL per vial or devices per kit."""

    form: Form
    strength_mg: Decimal
    container_units: Decimal

    @property
    def container_mg(self) -> Decimal:
        return self.strength_mg * self.container_units

    @property
    def unit_label(self) -> str:
        return "mL" if self.form is Form.VIAL else "devices"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    field: str = ""
    reason: str = ""

    @classmethod
    def ok(cls) -> Decision:
        return cls(True)

    @classmethod
    def no(cls, field: str, reason: str) -> Decision:
        return cls(False, field, reason)


def mg(value: Decimal) -> str:
    """A quantity in words: '35 mg', '12.5 mg'."""
    return f"{value.quantize(HUNDREDTH).normalize():f} mg"


# --- units --------------------------------------------------------------------------------


def units_to_mg(spec: ProductSpec, units: Decimal) -> Decimal:
    """mL (vial) or devices (device) to mg."""
    return units * spec.strength_mg


def mg_to_units(spec: ProductSpec, quantity_mg: Decimal) -> Decimal:
    """mg to mL (to 0.01 mL) or devices (a whole number only if the mg is whole devices)."""
    units = quantity_mg / spec.strength_mg
    return units.quantize(HUNDREDTH, ROUND_HALF_UP)


def containers_to_mg(spec: ProductSpec, containers: int) -> Decimal:
    return spec.container_mg * containers


def whole_devices(spec: ProductSpec, quantity_mg: Decimal) -> bool:
    return spec.form is not Form.DEVICE or (quantity_mg % spec.strength_mg) == 0


# --- balance ------------------------------------------------------------------------------


def stock_delta(kind: Kind, quantity_mg: Decimal) -> Decimal:
    """The change to the lot's stock at the entry's location."""
    if kind is Kind.COUNT_ADJUSTMENT:
        return quantity_mg
    return STOCK_SIGN[kind] * quantity_mg


def running_balance(deltas: Iterable[Decimal], start: Decimal = ZERO) -> list[Decimal]:
    out, balance = [], start
    for delta in deltas:
        balance += delta
        out.append(balance)
    return out


def check_quantity(spec: ProductSpec, quantity_mg: Decimal, *, field: str = "quantity") -> Decision:
    if quantity_mg <= 0:
        return Decision.no(field, "Enter a quantity above zero.")
    if not whole_devices(spec, quantity_mg):
        return Decision.no(
            field, f"Devices are counted whole: {mg(quantity_mg)} is not a number of devices."
        )
    return Decision.ok()


def check_take(balance_mg: Decimal, quantity_mg: Decimal, *, field: str = "quantity") -> Decision:
    """Stock never goes negative."""
    if quantity_mg > balance_mg:
        return Decision.no(
            field,
            f"Only {mg(balance_mg)} is in stock at this location for this lot; "
            f"{mg(quantity_mg)} would take the balance below zero.",
        )
    return Decision.ok()


def check_expiry(expiry: dt.date, today: dt.date) -> Decision:
    if expiry < today:
        return Decision.no("lot", f"This lot expired on {expiry:%d %b %Y}: it cannot be drawn.")
    return Decision.ok()


def required_waste_limit(spec: ProductSpec, ordered_mg: Decimal) -> Decimal:
    """The most a session may draw: the ordered dose rounded up to whole containers for a
    vial (the rest of a single-dose vial must be wasted), whole devices for a device."""
    step = spec.strength_mg if spec.form is Form.DEVICE else spec.container_mg
    count = (ordered_mg / step).to_integral_value(ROUND_CEILING)
    return count * step


def check_withdrawal(
    spec: ProductSpec,
    *,
    balance_mg: Decimal,
    quantity_mg: Decimal,
    expiry: dt.date,
    today: dt.date,
    ordered_mg: Decimal | None,
    already_withdrawn_mg: Decimal = ZERO,
) -> Decision:
    """A withdrawal for a session: a positive quantity, from an unexpired lot, within the
    stock, and no more than the order plus the waste that must follow."""
    for decision in (
        check_quantity(spec, quantity_mg),
        check_expiry(expiry, today),
    ):
        if not decision.allowed:
            return decision
    if ordered_mg is None or ordered_mg <= 0:
        return Decision.no("session", "The session has no dose order to draw against.")
    limit = required_waste_limit(spec, ordered_mg)
    if already_withdrawn_mg + quantity_mg > limit:
        return Decision.no(
            "quantity",
            f"The order is {mg(ordered_mg)}: at most {mg(limit)} may be drawn for it "
            f"(the order plus the remainder of the last container to waste); "
            f"{mg(already_withdrawn_mg)} is drawn already.",
        )
    return check_take(balance_mg, quantity_mg)


@dataclass(frozen=True)
class Witness:
    """Who co-signs a waste or destruction, and whether they proved it in person."""

    user_id: int | None
    licensed: bool = False
    authenticated: bool = False


def check_witness(
    *, actor_id: int, witness: Witness | None, required: bool, field: str = "witness"
) -> Decision:
    """A second licensed person who re-authenticated (own password or one-time code)."""
    if witness is None or witness.user_id is None:
        return (
            Decision.no(field, "A second licensed person must witness this waste.")
            if required
            else Decision.ok()
        )
    if witness.user_id == actor_id:
        return Decision.no(field, "The witness must be a different person from the one wasting.")
    if not witness.licensed:
        return Decision.no(field, "The witness must be a licensed nurse or prescriber.")
    if not witness.authenticated:
        return Decision.no(
            field, "The witness's password or one-time code was not accepted: sign in person."
        )
    return Decision.ok()


def check_waste(
    spec: ProductSpec, *, quantity_mg: Decimal, withdrawn_mg: Decimal, accounted_mg: Decimal
) -> Decision:
    """Waste never exceeds what was drawn for the session and not yet accounted for."""
    decision = check_quantity(spec, quantity_mg)
    if not decision.allowed:
        return decision
    open_mg = withdrawn_mg - accounted_mg
    if quantity_mg > open_mg:
        return Decision.no(
            "quantity",
            f"Only {mg(open_mg)} drawn for this session is not yet given or wasted; "
            f"{mg(quantity_mg)} cannot be wasted.",
        )
    return Decision.ok()


# --- reconciliation -----------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRecord:
    """A session's controlled-substance record: the chart's dose given against the ledger."""

    given_mg: Decimal | None  # the chart's dose given (None: dosing not ended)
    withdrawn_mg: Decimal
    wasted_mg: Decimal
    returned_mg: Decimal = ZERO  # drawn but put back into stock (a reversal)
    unwitnessed_waste: int = 0
    form: Form = Form.VIAL
    strength_mg: Decimal = Decimal(1)


@dataclass(frozen=True)
class Reconciliation:
    balanced: bool
    difference_mg: Decimal
    reasons: tuple[str, ...]


def reconcile(record: SessionRecord) -> Reconciliation:
    """Given dose == withdrawn - wasted - returned, to 0.1 mg (devices: to the device), and
    every waste witnessed."""
    reasons: list[str] = []
    accounted = record.withdrawn_mg - record.wasted_mg - record.returned_mg
    given = record.given_mg
    if given is None:
        reasons.append("The dose given is not recorded yet (dosing has not ended).")
        diff = ZERO
    elif record.form is Form.DEVICE:
        diff = accounted - given
        devices = (diff / record.strength_mg).to_integral_value(ROUND_HALF_UP)
        if devices != 0:
            reasons.append(_difference_words(given, accounted, f"{abs(devices)} device(s)"))
    else:
        diff = (accounted - given).quantize(TENTH, ROUND_HALF_UP)
        if diff != 0:
            reasons.append(_difference_words(given, accounted, mg(abs(diff))))
    if record.withdrawn_mg == 0 and given:
        reasons.append("No withdrawal is recorded for this session.")
    if record.unwitnessed_waste:
        reasons.append(f"{record.unwitnessed_waste} waste entry(ies) have no witness.")
    return Reconciliation(not reasons, diff, tuple(reasons))


def _difference_words(given: Decimal, accounted: Decimal, amount: str) -> str:
    if accounted > given:
        return (
            f"{amount} drawn is neither given nor wasted: the chart gives {mg(given)}, the "
            f"ledger accounts for {mg(accounted)} (withdrawn less wasted)."
        )
    return (
        f"{amount} more was given than the ledger shows drawn: the chart gives {mg(given)}, "
        f"the ledger accounts for {mg(accounted)}."
    )


# --- counts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountLine:
    expected_mg: Decimal
    counted_mg: Decimal

    @property
    def discrepancy_mg(self) -> Decimal:
        return self.counted_mg - self.expected_mg


def significant_loss(
    missing_mg: Decimal, *, threshold_mg: Decimal, pattern_count: int, pattern_threshold: int
) -> bool:
    """Whether a shortfall prompts the theft/loss report (DEA Form 106). 21 CFR 1301.76(b)
    leaves "significant" to listed factors (quantity, a pattern of losses, the substance);
    the clinic sets the quantity and the pattern (controlled.md, Loss)."""
    if missing_mg <= 0:
        return False
    return missing_mg >= threshold_mg or pattern_count + 1 >= pattern_threshold


def business_days_after(
    start: dt.date, days: int, holidays: frozenset[dt.date] = frozenset()
) -> dt.date:
    """The date `days` business days after `start` (weekends and given holidays skipped):
    the DEA notice of a theft or significant loss is due within 1 business day."""
    current, left = start, days
    while left > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            left -= 1
    return current


# --- the clinic's choices, with their cited defaults -----------------------------------------


@dataclass(frozen=True)
class LedgerRules:
    require_balanced_to_sign: bool = True
    waste_witness_required: bool = True
    significant_loss_mg: Decimal = Decimal(500)
    loss_pattern_count: int = 3
    loss_notice_business_days: int = 1
    investigation_days: int = 7
    multi_dose_open_days: int = 28
    record_retention_years: int = 2


RULE_SOURCES: dict[str, str] = {
    "require_balanced_to_sign": (
        "Clinic choice, on by default: the dispensing record of 21 CFR 1304.22(c) must "
        "account for every milligram administered (controlled.md [V])."
    ),
    "waste_witness_required": (
        "Most state boards and accreditation bodies expect a second licensed person to "
        "witness and co-sign waste (controlled.md [S]); on by default."
    ),
    "significant_loss_mg": (
        "21 CFR 1301.76(b) judges a significant loss on listed factors, quantity first "
        "(controlled.md [S]); clinic choice, default one 50 mg/mL 10 mL vial (500 mg)."
    ),
    "loss_pattern_count": (
        "21 CFR 1301.76(b) names a pattern of losses as a factor (controlled.md [S]); "
        "clinic choice, default the third unexplained shortfall in the period."
    ),
    "loss_notice_business_days": (
        "DEA Field Division notified in writing within 1 business day of discovery, 21 CFR "
        "1301.76(b) (controlled.md [S])."
    ),
    "investigation_days": "Clinic choice: days to resolve a count discrepancy.",
    "multi_dose_open_days": (
        "Beyond-use date of an opened multi-dose vial, a pharmacy rule (USP <797>: 28 days "
        "unless the labelling says otherwise; controlled.md [S])."
    ),
    "record_retention_years": "Records kept at least 2 years, 21 CFR 1304.04 (controlled.md [S]).",
}
