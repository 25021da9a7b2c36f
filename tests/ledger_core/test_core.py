from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.ledger import core
from ketacare.ledger.core import Decision, Form, Kind, ProductSpec, SessionRecord, Witness

VIAL_50 = ProductSpec(Form.VIAL, Decimal(50), Decimal(10))  # 50 mg/mL, 10 mL
VIAL_10 = ProductSpec(Form.VIAL, Decimal(10), Decimal(20))  # 10 mg/mL, 20 mL
DEVICE = ProductSpec(Form.DEVICE, Decimal(28), Decimal(2))  # 56 mg kit
TODAY = dt.date(2024, 3, 4)
D = Decimal


def test_units() -> None:
    assert VIAL_50.container_mg == 500
    assert core.units_to_mg(VIAL_50, D("0.7")) == 35
    assert core.mg_to_units(VIAL_50, D(35)) == D("0.70")
    assert core.containers_to_mg(DEVICE, 3) == 168
    assert core.mg_to_units(DEVICE, D(84)) == 3
    assert core.whole_devices(DEVICE, D(56)) and not core.whole_devices(DEVICE, D(30))


def test_required_waste_limit() -> None:
    assert core.required_waste_limit(VIAL_50, D(35)) == 500
    assert core.required_waste_limit(VIAL_10, D(250)) == 400
    assert core.required_waste_limit(DEVICE, D(84)) == 84
    assert core.required_waste_limit(DEVICE, D(80)) == 84


def _withdraw(**kw: object) -> Decision:
    args: dict[str, object] = {
        "balance_mg": D(1000),
        "quantity_mg": D(500),
        "expiry": TODAY,
        "today": TODAY,
        "ordered_mg": D(35),
    }
    args.update(kw)
    return core.check_withdrawal(VIAL_50, **args)  # type: ignore[arg-type]


def test_withdrawal_rules_each_say_why() -> None:
    assert _withdraw().allowed
    expired = _withdraw(expiry=TODAY - dt.timedelta(days=1))
    assert expired.field == "lot" and "expired on 03 Mar 2024" in expired.reason
    over = _withdraw(quantity_mg=D(501))
    assert over.field == "quantity" and "at most 500 mg" in over.reason
    short = _withdraw(balance_mg=D(400))
    assert "Only 400 mg is in stock" in short.reason
    assert _withdraw(ordered_mg=None).field == "session"
    assert "above zero" in _withdraw(quantity_mg=D(0)).reason
    again = _withdraw(quantity_mg=D(100), already_withdrawn_mg=D(450))
    assert not again.allowed and "450 mg is drawn already" in again.reason


def test_witness_rules() -> None:
    good = Witness(2, licensed=True, authenticated=True)
    assert core.check_witness(actor_id=1, witness=good, required=True).allowed
    assert "must witness" in core.check_witness(actor_id=1, witness=None, required=True).reason
    assert core.check_witness(actor_id=1, witness=None, required=False).allowed
    same = core.check_witness(actor_id=2, witness=good, required=True)
    assert "different person" in same.reason
    unlicensed = Witness(2, licensed=False, authenticated=True)
    assert "licensed" in core.check_witness(actor_id=1, witness=unlicensed, required=True).reason
    unproven = Witness(2, licensed=True, authenticated=False)
    assert "password" in core.check_witness(actor_id=1, witness=unproven, required=True).reason


def test_waste_within_what_was_drawn() -> None:
    ok = core.check_waste(VIAL_50, quantity_mg=D(465), withdrawn_mg=D(500), accounted_mg=D(35))
    assert ok.allowed
    over = core.check_waste(VIAL_50, quantity_mg=D(466), withdrawn_mg=D(500), accounted_mg=D(35))
    assert "Only 465 mg" in over.reason


def test_reconcile() -> None:
    balanced = core.reconcile(SessionRecord(D(35), D(500), D(465)))
    assert balanced.balanced and balanced.reasons == ()
    # Within 0.1 mg: a pump record's 34.96 mg rounds with the ledger's 35.
    assert core.reconcile(SessionRecord(D("34.96"), D(500), D(465))).balanced
    off = core.reconcile(SessionRecord(D(35), D(500), D(400)))
    assert not off.balanced and "65 mg drawn is neither given nor wasted" in off.reasons[0]
    more = core.reconcile(SessionRecord(D(40), D(500), D(465)))
    assert "more was given" in more.reasons[0]
    assert "not recorded yet" in core.reconcile(SessionRecord(None, D(500), D(0))).reasons[0]
    assert "No withdrawal" in core.reconcile(SessionRecord(D(35), D(0), D(0))).reasons[-1]
    unwitnessed = core.reconcile(SessionRecord(D(35), D(500), D(465), unwitnessed_waste=1))
    assert "no witness" in unwitnessed.reasons[0]
    devices = SessionRecord(D(56), D(84), D(0), form=Form.DEVICE, strength_mg=D(28))
    assert "1 device(s)" in core.reconcile(devices).reasons[0]


def test_stock_delta_and_running_balance() -> None:
    assert core.stock_delta(Kind.RECEIPT, D(500)) == 500
    assert core.stock_delta(Kind.WITHDRAWAL, D(500)) == -500
    assert core.stock_delta(Kind.WASTE, D(465)) == 0
    assert core.stock_delta(Kind.COUNT_ADJUSTMENT, D(-5)) == -5
    assert core.running_balance([D(500), D(-200), D(-100)]) == [500, 300, 200]


def test_significant_loss_and_notice_day() -> None:
    assert core.significant_loss(D(500), threshold_mg=D(500), pattern_count=0, pattern_threshold=3)
    assert not core.significant_loss(
        D(5), threshold_mg=D(500), pattern_count=0, pattern_threshold=3
    )
    assert core.significant_loss(D(5), threshold_mg=D(500), pattern_count=2, pattern_threshold=3)
    assert not core.significant_loss(D(0), threshold_mg=D(1), pattern_count=9, pattern_threshold=1)
    friday = dt.date(2024, 3, 8)
    assert core.business_days_after(friday, 1) == dt.date(2024, 3, 11)
    assert core.business_days_after(TODAY, 1) == dt.date(2024, 3, 5)


def test_every_rule_setting_has_a_source() -> None:
    assert set(core.RULE_SOURCES) == set(core.LedgerRules.__dataclass_fields__)


# --- properties ---------------------------------------------------------------------------

amounts = st.decimals(min_value=D("0.01"), max_value=D(5000), places=2)


@given(balance=st.decimals(min_value=D(0), max_value=D(5000), places=2), take=amounts)
def test_an_allowed_take_never_leaves_a_negative_balance(balance: Decimal, take: Decimal) -> None:
    decision = core.check_take(balance, take)
    assert decision.allowed == (balance - take >= 0)
    if not decision.allowed:
        assert decision.reason and decision.field


@given(
    ordered=st.decimals(min_value=D("0.1"), max_value=D(1000), places=1),
    take=amounts,
    drawn=st.decimals(min_value=D(0), max_value=D(2000), places=2),
    expired=st.booleans(),
)
def test_an_allowed_withdrawal_respects_order_stock_and_expiry(
    ordered: Decimal, take: Decimal, drawn: Decimal, expired: bool
) -> None:
    expiry = TODAY - dt.timedelta(days=1) if expired else TODAY
    decision = core.check_withdrawal(
        VIAL_50,
        balance_mg=D(1000),
        quantity_mg=take,
        expiry=expiry,
        today=TODAY,
        ordered_mg=ordered,
        already_withdrawn_mg=drawn,
    )
    if decision.allowed:
        assert not expired
        assert take <= D(1000)
        assert drawn + take <= core.required_waste_limit(VIAL_50, ordered)
        assert drawn + take < ordered + VIAL_50.container_mg
    else:
        assert decision.reason


@given(devices=st.integers(1, 6), ordered_devices=st.integers(1, 3))
def test_device_withdrawals_are_whole_and_within_the_order(
    devices: int, ordered_devices: int
) -> None:
    decision = core.check_withdrawal(
        DEVICE,
        balance_mg=D(28 * 10),
        quantity_mg=D(28 * devices),
        expiry=TODAY,
        today=TODAY,
        ordered_mg=D(28 * ordered_devices),
    )
    assert decision.allowed == (devices <= ordered_devices)


@given(
    actor=st.integers(1, 5),
    witness=st.one_of(st.none(), st.integers(1, 5)),
    lic=st.booleans(),
    auth=st.booleans(),
)
def test_an_accepted_witness_is_another_licensed_authenticated_person(
    actor: int, witness: int | None, lic: bool, auth: bool
) -> None:
    w = None if witness is None else Witness(witness, licensed=lic, authenticated=auth)
    decision = core.check_witness(actor_id=actor, witness=w, required=True)
    assert decision.allowed == (witness is not None and witness != actor and lic and auth)
    assert decision.allowed or decision.field == "witness"


@given(
    given_mg=st.decimals(min_value=D(0), max_value=D(500), places=2),
    withdrawn=st.decimals(min_value=D(0), max_value=D(1000), places=2),
    wasted=st.decimals(min_value=D(0), max_value=D(1000), places=2),
)
def test_reconciliation_is_balanced_exactly_within_a_tenth(
    given_mg: Decimal, withdrawn: Decimal, wasted: Decimal
) -> None:
    result = core.reconcile(SessionRecord(given_mg, withdrawn, wasted))
    close = abs(withdrawn - wasted - given_mg) < D("0.05")
    if result.balanced:
        assert abs(withdrawn - wasted - given_mg) <= D("0.05")
    if close and (withdrawn > 0 or given_mg == 0):
        assert result.balanced


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_has_a_label_and_a_sign(kind: Kind) -> None:
    assert core.KIND_LABELS[kind] and kind in core.STOCK_SIGN
