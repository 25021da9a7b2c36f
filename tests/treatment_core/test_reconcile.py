"""The dose given, reconciled from the pump record (issue 12, finding 6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ketacare.treatment.reconcile import PumpEvent, difference, infusion_delivered

T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
RATE = Decimal("150")  # mL/h: 100 mL over 40 min
CONC = Decimal("0.36")  # mg/mL: 36 mg in 100 mL (0.5 mg/kg for 72 kg)
BAG = Decimal("36")


def start(minute: float = 0, rate: Decimal = RATE) -> PumpEvent:
    return PumpEvent("start", T0 + minute * MIN, rate)


def test_a_40_min_infusion_stopped_after_2_min_gave_1_8_mg_not_36() -> None:
    """The issue's example: the partial dose, not the prefilled full dose."""
    delivered = infusion_delivered(
        [start(), PumpEvent("stop", T0 + 2 * MIN)], concentration_mg_per_ml=CONC, bag_mg=BAG,
        until=T0 + 2 * MIN,
    )  # fmt: skip
    assert delivered.mg == Decimal("1.8")
    assert delivered.explanation == "the pump ran 2 min: 5.0 mL = 1.8 mg"


def test_the_full_infusion_gives_the_ordered_dose() -> None:
    delivered = infusion_delivered([start()], concentration_mg_per_ml=CONC, bag_mg=BAG,
                                   until=T0 + 40 * MIN)  # fmt: skip
    assert delivered.mg == BAG


def test_a_10_min_pause_subtracts_10_min_of_infusion() -> None:
    events = [start(), PumpEvent("pause", T0 + 10 * MIN), PumpEvent("resume", T0 + 20 * MIN)]
    delivered = infusion_delivered(events, concentration_mg_per_ml=CONC, bag_mg=BAG,
                                   until=T0 + 40 * MIN)  # fmt: skip
    assert delivered.mg == Decimal("27.0")  # 30 of 40 min
    assert delivered.paused == 10 * MIN
    assert "paused 10 min" in delivered.explanation


def test_a_rate_change_counts_each_rate_for_its_own_time() -> None:
    events = [start(), PumpEvent("rate", T0 + 20 * MIN, Decimal("75"))]
    delivered = infusion_delivered(events, concentration_mg_per_ml=CONC, bag_mg=BAG,
                                   until=T0 + 40 * MIN)  # fmt: skip
    assert delivered.ml == Decimal("75")  # 50 mL + 25 mL
    assert delivered.mg == Decimal("27.0")


def test_the_pump_record_never_exceeds_the_bag() -> None:
    delivered = infusion_delivered([start()], concentration_mg_per_ml=CONC, bag_mg=BAG,
                                   until=T0 + 90 * MIN)  # fmt: skip
    assert (delivered.mg, delivered.capped) == (BAG, True)


def test_the_difference_from_the_order_is_said_in_words() -> None:
    assert difference(Decimal("1.8"), Decimal("36")) == "1.8 mg given of 36 mg ordered (5%)"
    assert difference(Decimal("36"), Decimal("36")) == ""


EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["pause", "resume", "rate"]),
        st.integers(0, 60),
        st.sampled_from([Decimal("50"), Decimal("150"), Decimal("300")]),
    ),
    max_size=6,
)


def _events(raw: list[tuple[str, int, Decimal]]) -> list[PumpEvent]:
    return [start()] + [
        PumpEvent(kind, T0 + minute * MIN, rate if kind == "rate" else None)
        for kind, minute, rate in raw
    ]


@given(EVENTS, st.integers(0, 90))
def test_never_negative_never_above_the_bag_nor_the_fastest_rate_all_along(
    raw: list[tuple[str, int, Decimal]], stop_min: int
) -> None:
    until = T0 + stop_min * MIN
    delivered = infusion_delivered(_events(raw), concentration_mg_per_ml=CONC, bag_mg=BAG,
                                   until=until)  # fmt: skip
    assert Decimal(0) <= delivered.mg <= BAG
    fastest = max([RATE, *(r for k, _, r in raw if k == "rate")])
    assert delivered.mg <= fastest * CONC * stop_min / 60
    assert delivered.running + delivered.paused <= until - T0


@given(st.integers(1, 39), st.integers(1, 30))
def test_a_pause_subtracts_exactly_its_length(pause_at: int, pause_min: int) -> None:
    until = T0 + 40 * MIN
    plain = infusion_delivered([start()], concentration_mg_per_ml=CONC, bag_mg=Decimal(999),
                               until=until)  # fmt: skip
    resumed = min(pause_at + pause_min, 40)
    events = [start(), PumpEvent("pause", T0 + pause_at * MIN),
              PumpEvent("resume", T0 + resumed * MIN)]  # fmt: skip
    paused = infusion_delivered(events, concentration_mg_per_ml=CONC, bag_mg=Decimal(999),
                                until=until)  # fmt: skip
    assert plain.ml - paused.ml == RATE * (resumed - pause_at) / 60
    assert paused.mg <= plain.mg
