"""ketacare.audit.chain: canonical JSON, diffs and the hash chain (pure)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.audit import chain
from ketacare.audit.chain import GENESIS_HASH, BrokenLink, ChainedEvent

# --- helpers --------------------------------------------------------------------------------


def build(payloads: Sequence[Mapping[str, Any]], *, first_id: int = 100) -> list[ChainedEvent]:
    """A valid chain, as audit_record would write it."""
    events, prev = [], GENESIS_HASH
    for number, payload in enumerate(payloads, start=1):
        full = {**payload, "sequence": number}
        digest = chain.event_hash(prev, full)
        events.append(
            ChainedEvent(
                event_id=first_id + number,
                sequence=number,
                prev_hash=prev,
                hash=digest,
                payload=full,
            )
        )
        prev = digest
    return events


def payloads(n: int) -> list[dict[str, Any]]:
    return [
        {"action": "update", "object_id": str(i), "changes": {"phone": [str(i), str(i + 1)]}}
        for i in range(n)
    ]


def head_of(events: Sequence[ChainedEvent]) -> dict[str, Any]:
    return {"head_sequence": len(events), "head_hash": events[-1].hash if events else GENESIS_HASH}


# --- jsonable -------------------------------------------------------------------------------


def test_jsonable_turns_aware_datetimes_into_utc_iso() -> None:
    new_york = dt.timezone(dt.timedelta(hours=-5))
    value = dt.datetime(2026, 1, 14, 21, 30, tzinfo=new_york)
    assert chain.jsonable(value) == "2026-01-15T02:30:00+00:00"


def test_jsonable_keeps_naive_datetimes_as_they_are() -> None:
    assert chain.jsonable(dt.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05"


def test_jsonable_converts_dates_decimals_and_uuids_to_strings() -> None:
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert chain.jsonable(dt.date(1980, 1, 2)) == "1980-01-02"
    assert chain.jsonable(Decimal("72.50")) == "72.50"
    assert chain.jsonable(ident) == "12345678-1234-5678-1234-567812345678"


def test_jsonable_walks_mappings_and_sequences() -> None:
    value = {1: (Decimal("1.5"), [dt.date(2026, 1, 1)]), "x": {"y": None, "z": True}}
    assert chain.jsonable(value) == {"1": ["1.5", ["2026-01-01"]], "x": {"y": None, "z": True}}


def test_jsonable_leaves_json_scalars_alone() -> None:
    for value in (None, True, False, 0, -3, 1.5, "text"):
        assert chain.jsonable(value) == value


_json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_field_values = (
    _json_scalars
    | st.decimals(allow_nan=False, allow_infinity=False, places=2)
    | st.dates()
    | st.uuids()
    | st.datetimes(timezones=st.just(dt.UTC))
)


@given(
    st.dictionaries(
        st.text(max_size=6), _field_values | st.lists(_field_values, max_size=3), max_size=6
    )
)
def test_jsonable_survives_a_json_round_trip(value: dict[str, Any]) -> None:
    converted = chain.jsonable(value)
    assert json.loads(json.dumps(converted)) == converted
    assert chain.jsonable(converted) == converted  # idempotent


# --- diff -----------------------------------------------------------------------------------


def test_diff_lists_changed_fields_as_old_new_pairs() -> None:
    before = {"phone": "", "email": "a@example.org", "date_of_birth": dt.date(1980, 1, 2)}
    after = {"phone": "0123", "email": "a@example.org", "date_of_birth": dt.date(1980, 1, 3)}
    assert chain.diff(before, after) == {
        "date_of_birth": ["1980-01-02", "1980-01-03"],
        "phone": ["", "0123"],
    }


def test_diff_counts_a_missing_field_as_none() -> None:
    assert chain.diff({}, {"mrn": "A1", "note": None}) == {"mrn": [None, "A1"]}
    assert chain.diff({"mrn": "A1"}, {}) == {"mrn": ["A1", None]}


def test_diff_compares_stored_forms() -> None:
    # A Decimal read back from the database equals the string it was audited as.
    assert chain.diff({"weight_kg": Decimal("72.5")}, {"weight_kg": "72.5"}) == {}
    assert chain.diff({"weight_kg": Decimal("72.5")}, {"weight_kg": Decimal("72.50")}) == {
        "weight_kg": ["72.5", "72.50"]
    }


def test_diff_of_equal_mappings_is_empty() -> None:
    assert chain.diff({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}) == {}


_records = st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), _field_values, max_size=5)


@given(before=_records, after=_records)
def test_applying_diff_to_before_gives_after(before: dict[str, Any], after: dict[str, Any]) -> None:
    changes = chain.diff(before, after)
    patched = {f: chain.jsonable(v) for f, v in before.items()}
    for field, (old, new) in changes.items():
        assert old == chain.jsonable(before.get(field))
        assert old != new
        patched[field] = new
    for field in set(before) | set(after):
        assert patched.get(field) == chain.jsonable(after.get(field))
    assert list(changes) == sorted(changes)


@given(record=_records)
def test_diff_against_itself_is_empty(record: dict[str, Any]) -> None:
    assert chain.diff(record, dict(record)) == {}


# --- hashing --------------------------------------------------------------------------------


def test_canonical_is_compact_sorted_utf8_json() -> None:
    assert chain.canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


def test_event_hash_is_deterministic_and_independent_of_key_order() -> None:
    payload = {"sequence": 1, "action": "create", "changes": {"x": [None, "1"]}}
    reordered = {"changes": {"x": [None, "1"]}, "action": "create", "sequence": 1}
    first = chain.event_hash(GENESIS_HASH, payload)
    assert first == chain.event_hash(GENESIS_HASH, reordered)
    assert len(first) == 64 and int(first, 16) >= 0


def test_event_hash_depends_on_prev_hash_and_every_value() -> None:
    payload = {"sequence": 1, "action": "create", "changes": {"x": [None, "1"]}}
    base = chain.event_hash(GENESIS_HASH, payload)
    assert chain.event_hash("1" * 64, payload) != base
    assert chain.event_hash(GENESIS_HASH, {**payload, "action": "update"}) != base
    assert chain.event_hash(GENESIS_HASH, {**payload, "changes": {"x": [None, "2"]}}) != base
    assert chain.event_hash(GENESIS_HASH, {**payload, "extra": None}) != base


def test_event_hash_matches_its_definition() -> None:
    payload = {"sequence": 1, "when": dt.date(2026, 1, 1)}
    expected = hashlib.sha256(
        GENESIS_HASH.encode() + b"\n" + b'{"sequence":1,"when":"2026-01-01"}'
    ).hexdigest()
    assert chain.event_hash(GENESIS_HASH, payload) == expected


# --- first_break: intact chains -------------------------------------------------------------


def test_an_empty_chain_is_intact() -> None:
    assert chain.first_break([]) is None
    assert chain.first_break([], head_sequence=0, head_hash=GENESIS_HASH) is None


def test_a_built_chain_is_intact_with_and_without_its_head() -> None:
    events = build(payloads(5))
    assert chain.first_break(events) is None
    assert chain.first_break(events, **head_of(events)) is None


def test_first_break_accepts_any_iterable() -> None:
    events = build(payloads(3))
    assert chain.first_break(iter(events), **head_of(events)) is None


# --- first_break: each kind of break --------------------------------------------------------


def test_changed_payload_is_reported_at_that_event() -> None:
    events = build(payloads(5))
    events[2] = dataclasses.replace(
        events[2], payload={**events[2].payload, "changes": {"phone": ["2", "999"]}}
    )
    assert chain.first_break(events, **head_of(build(payloads(5)))) == BrokenLink(
        events[2].event_id, 3, "stored hash does not match the event's contents"
    )


def test_changed_payload_with_recomputed_hash_breaks_the_next_link() -> None:
    events = build(payloads(5))
    forged = {**events[2].payload, "action": "view"}
    events[2] = dataclasses.replace(
        events[2], payload=forged, hash=chain.event_hash(events[2].prev_hash, forged)
    )
    assert chain.first_break(events) == BrokenLink(
        events[3].event_id, 4, "previous-hash link does not match the event before it"
    )


def test_changed_prev_hash_is_reported_at_that_event() -> None:
    events = build(payloads(4))
    events[1] = dataclasses.replace(events[1], prev_hash="f" * 64)
    assert chain.first_break(events) == BrokenLink(
        events[1].event_id, 2, "previous-hash link does not match the event before it"
    )


def test_changed_stored_hash_is_reported_at_that_event() -> None:
    events = build(payloads(4))
    events[3] = dataclasses.replace(events[3], hash="0" * 64)
    broken = chain.first_break(events)
    assert broken == BrokenLink(
        events[3].event_id, 4, "stored hash does not match the event's contents"
    )


def test_missing_sequence_in_the_middle_is_reported_at_the_next_event() -> None:
    events = build(payloads(5))
    del events[2]
    assert chain.first_break(events) == BrokenLink(
        events[2].event_id, 4, "sequence 3 is missing (found 4)"
    )


def test_reordered_rows_are_reported() -> None:
    events = build(payloads(5))
    events[1], events[2] = events[2], events[1]
    assert chain.first_break(events) == BrokenLink(
        events[1].event_id, 3, "sequence 2 is missing (found 3)"
    )


def test_rows_swapped_and_renumbered_break_the_hash_links() -> None:
    events = build(payloads(5))
    second, third = events[1], events[2]
    events[1] = dataclasses.replace(third, sequence=2)
    events[2] = dataclasses.replace(second, sequence=3)
    broken = chain.first_break(events)
    assert broken is not None
    assert (broken.event_id, broken.sequence) == (third.event_id, 2)


def test_truncated_head_is_reported_at_the_first_remaining_event() -> None:
    events = build(payloads(5))
    remaining = events[2:]
    assert chain.first_break(remaining, **head_of(events)) == BrokenLink(
        remaining[0].event_id, 3, "sequence 1 is missing (found 3)"
    )


def test_truncated_tail_is_invisible_without_the_chain_head() -> None:
    events = build(payloads(5))
    assert chain.first_break(events[:3]) is None  # why the head is kept separately


def test_truncated_tail_is_reported_against_the_chain_head() -> None:
    events = build(payloads(5))
    assert chain.first_break(events[:3], **head_of(events)) == BrokenLink(
        None, 4, "chain head records 5 events but 3 remain"
    )


def test_all_rows_deleted_is_reported_against_the_chain_head() -> None:
    events = build(payloads(2))
    assert chain.first_break([], **head_of(events)) == BrokenLink(
        None, 1, "chain head records 2 events but 0 remain"
    )


def test_last_row_replaced_consistently_is_caught_by_the_head_hash() -> None:
    events = build(payloads(3))
    forged = {**events[2].payload, "action": "view"}
    events_forged = [
        *events[:2],
        dataclasses.replace(
            events[2], payload=forged, hash=chain.event_hash(events[2].prev_hash, forged)
        ),
    ]
    assert chain.first_break(events_forged) is None
    assert chain.first_break(events_forged, **head_of(events)) == BrokenLink(
        None, 3, "chain head hash does not match the last event"
    )


# --- first_break: properties ----------------------------------------------------------------

_payload_values = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
_payloads = st.lists(
    st.dictionaries(
        st.sampled_from(["action", "object_id", "changes", "details", "actor_id"]),
        _payload_values | st.dictionaries(st.text(max_size=4), _payload_values, max_size=2),
        max_size=5,
    ),
    min_size=1,
    max_size=12,
)


@given(_payloads)
def test_any_chain_built_by_appending_verifies(items: list[dict[str, Any]]) -> None:
    events = build(items)
    assert chain.first_break(events, **head_of(events)) is None
    assert [e.sequence for e in events] == list(range(1, len(items) + 1))


@given(items=_payloads, data=st.data())
def test_changing_one_field_of_one_event_is_reported_at_that_event(
    items: list[dict[str, Any]], data: st.DataObject
) -> None:
    events = build(items)
    index = data.draw(st.integers(min_value=0, max_value=len(events) - 1), label="event")
    target = events[index]
    field = data.draw(st.sampled_from(["sequence", "prev_hash", "hash", "payload"]), label="field")
    if field == "sequence":
        value: Any = data.draw(
            st.integers(min_value=0, max_value=10_000).filter(lambda s: s != target.sequence)
        )
    elif field in ("prev_hash", "hash"):
        value = data.draw(
            st.text(alphabet="0123456789abcdef", min_size=64, max_size=64).filter(
                lambda h: h != getattr(target, field)
            )
        )
    else:
        key = data.draw(st.sampled_from(["action", "changes", "tampered"]))
        new = data.draw(
            _payload_values.filter(
                lambda v: v != target.payload.get(key) or key not in target.payload
            )
        )
        value = {**target.payload, key: new}
    events[index] = dataclasses.replace(target, **{field: value})

    broken = chain.first_break(events, **head_of(build(items)))
    assert broken is not None
    assert broken.event_id == target.event_id
    # The link names the row as found, so a rewritten sequence shows the forged number.
    assert broken.sequence == (value if field == "sequence" else index + 1)


@given(items=_payloads, data=st.data())
def test_removing_any_one_event_is_detected(
    items: list[dict[str, Any]], data: st.DataObject
) -> None:
    events = build(items)
    head = head_of(events)
    index = data.draw(st.integers(min_value=0, max_value=len(events) - 1))
    del events[index]
    broken = chain.first_break(events, **head)
    assert broken is not None
    if index == len(events):  # the last one: only the head can tell
        assert broken.event_id is None
    else:
        assert broken.event_id == events[index].event_id


@pytest.mark.parametrize("n", [1, 2, 10])
def test_head_hash_is_the_last_events_hash(n: int) -> None:
    events = build(payloads(n))
    assert chain.first_break(events, head_sequence=n, head_hash=events[-1].hash) is None
    assert chain.first_break(events, head_sequence=n, head_hash=GENESIS_HASH) is not None


# --- first_break against anchors (sealed outside the database) --------------------------------


def anchored_all(events: Sequence[ChainedEvent]) -> dict[int, str]:
    return {e.sequence: e.hash for e in events}


@given(st.integers(1, 12), st.data())
def test_anchors_catch_any_tail_erased_with_its_head(n: int, data: st.DataObject) -> None:
    events = build(payloads(n))
    kept = data.draw(st.integers(0, n - 1))
    survivors = events[:kept]

    broken = chain.first_break(survivors, **head_of(survivors), anchored=anchored_all(events))

    assert broken is not None
    assert (broken.event_id, broken.sequence) == (None, kept + 1)


@given(st.integers(1, 12), st.data())
def test_anchors_name_the_first_event_of_a_chain_rehashed_after_an_edit(
    n: int, data: st.DataObject
) -> None:
    events = build(payloads(n))
    edited = data.draw(st.integers(0, n - 1))
    forged = [dict(e.payload) for e in events]
    forged[edited]["changes"] = {"phone": ["forged", "forged"]}
    rehashed = build([{k: v for k, v in p.items() if k != "sequence"} for p in forged])

    broken = chain.first_break(rehashed, **head_of(rehashed), anchored=anchored_all(events))

    assert broken is not None
    assert broken.sequence == edited + 1
    assert (
        broken.reason == "hash differs from the anchored one: the chain was rewritten from here on"
    )
    assert chain.first_break(rehashed, **head_of(rehashed)) is None  # the chain alone is fooled


def test_events_after_the_latest_anchor_are_not_a_break() -> None:
    events = build(payloads(5))
    assert chain.first_break(events, **head_of(events), anchored=anchored_all(events[:3])) is None


def test_a_chain_with_events_but_no_anchor_is_a_break() -> None:
    events = build(payloads(2))
    assert chain.first_break(events, anchored={}) == BrokenLink(
        None, 1, "no anchor seals this chain (run `ketacare audit-anchor`)"
    )
    assert chain.first_break([], anchored={}) is None
