"""The consent rule (ketacare.consent.core.consent_verdict): worked examples and
properties. Pure: no database."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ketacare.consent.core import (
    ConsentPolicy,
    ElectronicConsent,
    PaperConsent,
    Question,
    add_months,
    consent_verdict,
    document_hash,
    expires_on,
    mark_answers,
    passed,
)

TODAY = dt.date(2026, 6, 15)
POLICY = ConsentPolicy(valid_months=12, new_version_supersedes=True, countersign_required=True)
FORM = "intranasal (esketamine)"


def moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def signed(
    day: dt.date = dt.date(2026, 6, 1),
    *,
    version: int = 1,
    current: int = 1,
    countersigned: bool = True,
    withdrawn: dt.date | None = None,
) -> ElectronicConsent:
    return ElectronicConsent(
        signed_on=day,
        signed_at=moment(day),
        version_number=version,
        current_version_number=current,
        countersigned=countersigned,
        withdrawn_on=withdrawn,
        withdrawn_at=moment(withdrawn, 12) if withdrawn else None,
    )


def paper(decision: str, day: dt.date = dt.date(2026, 5, 1), hour: int = 9) -> PaperConsent:
    return PaperConsent(decision=decision, decided_on=day, recorded_at=moment(day, hour))


def verdict(paper_: list[PaperConsent], electronic: list[ElectronicConsent], **policy: object):
    used = ConsentPolicy(**{**POLICY.__dict__, **policy})
    return consent_verdict(today=TODAY, form=FORM, paper=paper_, electronic=electronic, policy=used)


def test_nothing_on_record_is_no_consent() -> None:
    found = verdict([], [])
    assert not found.ok
    assert found.reason == f"the patient has no current treatment consent covering {FORM}"


def test_a_signed_and_countersigned_econsent_covers() -> None:
    assert verdict([], [signed()]).ok


def test_a_signed_econsent_waits_for_the_countersignature() -> None:
    found = verdict([], [signed(countersigned=False)])
    assert not found.ok
    assert (
        found.reason == f"the patient's consent covering {FORM} is not yet countersigned by staff"
    )


def test_without_the_countersignature_setting_the_signature_is_enough() -> None:
    assert verdict([], [signed(countersigned=False)], countersign_required=False).ok


def test_an_econsent_expires_after_the_clinics_months() -> None:
    old = signed(dt.date(2025, 6, 15))
    found = verdict([], [old])
    assert not found.ok
    assert found.reason == f"the patient's consent covering {FORM} expired on 15 Jun 2026"
    assert verdict([], [signed(dt.date(2025, 6, 16))]).ok  # its last day is today
    assert verdict([], [old], valid_months=0).ok  # never expires


def test_a_new_version_supersedes_unless_the_clinic_says_otherwise() -> None:
    older = signed(version=1, current=2)
    found = verdict([], [older])
    assert not found.ok
    assert found.reason == (
        f"the consent covering {FORM} was signed on version 1; version 2 must be signed"
    )
    assert verdict([], [older], new_version_supersedes=False).ok


def test_a_withdrawal_through_the_link_blocks_with_its_date() -> None:
    found = verdict([], [signed(withdrawn=dt.date(2026, 6, 10))])
    assert not found.ok
    assert found.reason == f"the patient withdrew consent covering {FORM} on 10 Jun 2026"


def test_a_paper_consent_still_counts_and_the_latest_decision_wins() -> None:
    assert verdict([paper("granted")], []).ok
    # Granted on paper after the e-consent was withdrawn: the paper decision is later.
    later = paper("granted", dt.date(2026, 6, 12))
    assert verdict([later], [signed(withdrawn=dt.date(2026, 6, 10))]).ok
    # Withdrawn on paper after an e-consent was signed.
    found = verdict([paper("withdrawn", dt.date(2026, 6, 5))], [signed()])
    assert not found.ok
    assert found.reason == f"the patient has no current treatment consent covering {FORM}"


def test_on_the_same_day_the_later_moment_wins() -> None:
    day = dt.date(2026, 6, 10)
    withdrawn = signed(dt.date(2026, 6, 1), withdrawn=day)  # withdrawn at 12:00
    assert verdict([paper("granted", day, hour=15)], [withdrawn]).ok
    assert not verdict([paper("granted", day, hour=11)], [withdrawn]).ok


def test_decisions_after_today_are_not_read() -> None:
    assert not verdict([], [signed(dt.date(2026, 6, 16))]).ok


def test_add_months_keeps_the_day_or_the_months_last() -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2026, 11, 5), 3) == dt.date(2027, 2, 5)
    assert expires_on(dt.date(2026, 1, 1), POLICY) == dt.date(2027, 1, 1)


def test_the_understanding_check_needs_every_answer_right() -> None:
    q = Question("Can you drive after an esketamine session?", ("Yes", "No"), 1, "Not today.")
    assert not passed(mark_answers([q], [0]))
    assert not passed(mark_answers([q], [None]))
    assert not passed(mark_answers([q], []))
    assert passed(mark_answers([q], [1]))
    assert not passed([])


def test_the_document_hash_ignores_line_ends_and_outer_spaces() -> None:
    assert document_hash("T", "a\r\nb ") == document_hash(" T", "a\nb")
    assert document_hash("T", "a") != document_hash("T", "b")


# --- properties ---------------------------------------------------------------------------

days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))
policies = st.builds(
    ConsentPolicy,
    valid_months=st.integers(0, 36),
    new_version_supersedes=st.booleans(),
    countersign_required=st.booleans(),
)


@st.composite
def econsents(draw: st.DrawFn) -> ElectronicConsent:
    day = draw(days)
    current = draw(st.integers(1, 4))
    withdrawn = draw(st.none() | st.integers(0, 400).map(lambda n: day + dt.timedelta(days=n)))
    return ElectronicConsent(
        signed_on=day,
        signed_at=moment(day),
        version_number=draw(st.integers(1, current)),
        current_version_number=current,
        countersigned=draw(st.booleans()),
        withdrawn_on=withdrawn,
        withdrawn_at=moment(withdrawn, 12) if withdrawn else None,
    )


papers = st.builds(
    lambda d, day, h: PaperConsent(d, day, moment(day, h)),
    st.sampled_from(["granted", "declined", "withdrawn"]),
    days,
    st.integers(0, 23),
)


@given(
    today=days,
    paper_=st.lists(papers, max_size=3),
    electronic=st.lists(econsents(), max_size=3),
    policy=policies,
)
def test_a_refusal_always_says_why_and_names_the_form(
    today: dt.date,
    paper_: list[PaperConsent],
    electronic: list[ElectronicConsent],
    policy: ConsentPolicy,
) -> None:
    found = consent_verdict(
        today=today, form=FORM, paper=paper_, electronic=electronic, policy=policy
    )
    assert found.ok == (found.reason == "")
    if not found.ok:
        assert FORM in found.reason


@given(
    today=days,
    paper_=st.lists(papers, max_size=3),
    electronic=st.lists(econsents(), max_size=3),
    policy=policies,
)
def test_a_withdrawal_on_or_before_today_with_nothing_later_always_blocks(
    today: dt.date,
    paper_: list[PaperConsent],
    electronic: list[ElectronicConsent],
    policy: ConsentPolicy,
) -> None:
    """If the latest decision up to today is an e-consent withdrawal, dosing is refused,
    whatever the settings."""
    events = [(p.decided_on, p.recorded_at, "paper") for p in paper_ if p.decided_on <= today]
    events += [(e.signed_on, e.signed_at, "signed") for e in electronic if e.signed_on <= today]
    events += [
        (e.withdrawn_on, e.withdrawn_at, "withdrawn")
        for e in electronic
        if e.withdrawn_on and e.withdrawn_at and e.withdrawn_on <= today
    ]
    found = consent_verdict(
        today=today, form=FORM, paper=paper_, electronic=electronic, policy=policy
    )
    if events and max(events)[2] == "withdrawn":
        assert not found.ok
        assert "withdrew" in found.reason


@given(today=days, electronic=st.lists(econsents(), max_size=3), policy=policies)
def test_an_econsent_covers_only_when_every_condition_holds(
    today: dt.date, electronic: list[ElectronicConsent], policy: ConsentPolicy
) -> None:
    """With no paper consent, a covering verdict always rests on one e-consent signed on or
    before today, not withdrawn by today, within its months, on the current version (if
    the clinic requires it) and countersigned (if required)."""
    found = consent_verdict(today=today, form=FORM, paper=[], electronic=electronic, policy=policy)
    if found.ok:
        assert any(
            e.signed_on <= today
            and (e.withdrawn_on is None or e.withdrawn_on > today)
            and (policy.valid_months == 0 or today < add_months(e.signed_on, policy.valid_months))
            and (not policy.new_version_supersedes or e.version_number == e.current_version_number)
            and (not policy.countersign_required or e.countersigned)
            for e in electronic
        )
