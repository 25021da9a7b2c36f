"""The referral rules: where a referral may go and why not, and letter templates that
never go out half-filled."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.referrals.core import (
    DEFAULT_TEMPLATES,
    FIELDS,
    NEXT,
    Status,
    fill,
    letter_problems,
    move_problems,
    template_problems,
)


def fields_of(problems: list) -> list[str]:
    return [p.field for p in problems]


def test_the_usual_path_from_new_to_accepted() -> None:
    assert move_problems("new", "contacted", "") == []
    assert move_problems("contacted", "screening_booked", "") == []
    assert move_problems("screening_booked", "accepted", "") == []


def test_declining_and_reopening_need_a_reason() -> None:
    (problem,) = move_problems("contacted", "declined", "  ")
    assert problem.field == "reason" and "declining" in problem.message
    assert move_problems("contacted", "declined", "Active psychosis") == []
    (problem,) = move_problems("declined", "new", "")
    assert problem.field == "reason" and "reopening" in problem.message
    assert move_problems("declined", "new", "New letter from the GP") == []


def test_an_accepted_referral_is_final_and_unknown_statuses_are_named() -> None:
    (problem,) = move_problems("accepted", "declined", "changed our mind")
    assert problem.field == "status" and problem.message == "An accepted referral is final."
    (problem,) = move_problems("new", "new", "")
    assert problem.message == "The referral is already new."
    (problem,) = move_problems("declined", "accepted", "x")
    assert "cannot become accepted" in problem.message
    assert fields_of(move_problems("new", "lost", "")) == ["status"]


@given(st.lists(st.tuples(st.sampled_from(list(Status)), st.sampled_from(["", "why"]))))
def test_no_sequence_of_moves_leaves_an_accepted_referral_or_declines_without_reason(
    moves: list[tuple[Status, str]],
) -> None:
    status, history = Status.NEW, []
    for target, reason in moves:
        if move_problems(status, target, reason) == []:
            assert target in NEXT[status]
            if target is Status.DECLINED or status is Status.DECLINED:
                assert reason
            history.append(status)
            status = target
    assert Status.ACCEPTED not in history  # nothing ever moved on from accepted


def test_every_default_template_is_valid_and_fills_completely() -> None:
    values = {name: f"<{name}>" for name in FIELDS}
    for subject, body in DEFAULT_TEMPLATES.values():
        assert template_problems(subject, body) == []
        assert "{" not in fill(body, values) and "<patient_name>" in fill(body, values)


def test_a_template_with_an_unknown_field_or_a_stray_brace_is_refused_by_field() -> None:
    (problem,) = template_problems("Re {patient}", "Dear {referrer_name}")
    assert problem.field == "subject" and "{patient}" in problem.message
    (problem,) = template_problems("Re", "Dear {referrer_name")
    assert problem.field == "body" and "brace" in problem.message
    assert fields_of(template_problems("", "")) == ["subject", "body"]
    (problem,) = template_problems("Re", "{patient_name.__class__}")
    assert problem.field == "body"


def test_filling_never_leaves_a_blank_where_a_fact_should_be() -> None:
    with pytest.raises(KeyError, match="latest_score"):
        fill("Latest {latest_score}", {"patient_name": "Ravi Rossi"})


def test_letters_follow_an_accepted_referral_and_need_an_email_and_a_session() -> None:
    email = "gp@example.org"
    assert letter_problems("acceptance", "accepted", sessions_given=3, referrer_email=email) == []
    refused = letter_problems("acceptance", "contacted", sessions_given=3, referrer_email=email)
    assert fields_of(refused) == ["kind"]
    assert letter_problems("acceptance", "accepted", sessions_given=0, referrer_email=email) == []
    (problem,) = letter_problems("discharge", "accepted", sessions_given=0, referrer_email=email)
    assert "needs a treatment session" in problem.message
    no_email = letter_problems("course_summary", "accepted", sessions_given=3, referrer_email="")
    assert fields_of(no_email) == ["referrer_email"]
    unknown = letter_problems("postcard", "accepted", sessions_given=3, referrer_email=email)
    assert fields_of(unknown) == ["kind"]
