"""Patient self-report links: signed, time-limited, single-use, revocable, tied to one
patient; sent by email or SMS after the transaction commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail, signing
from pytest_django import DjangoCaptureOnCommitCallbacks

from ketacare.audit.models import AuditEvent
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.measures import services
from ketacare.measures.models import QuestionnaireResponse, SafetyAlert, Score, SelfReportLink
from ketacare.measures.services import LinkRefused
from ketacare.messaging.models import OutboundMessage
from ketacare.patients.models import Patient
from ketacare.treatment import services as treatment
from tests.clock import fix_clock
from tests.factories import ClinicFactory
from tests.measures.conftest import (
    GAD7_MILD,
    PHQ9_ITEM9,
    PHQ9_MODERATE,
    T0,
    Team,
    audit_count,
    audit_trail,
    make_team,
    register,
)

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def send(team: Team, patient: Patient, **kwargs: Any) -> SelfReportLink:
    data: dict[str, Any] = {"instruments": ["phq9"], "channel": "email", "now": T0, **kwargs}
    access = data.pop("access", team.nurse)
    return services.link_create(access=access, patient_id=patient.pk, **data)


def answer(token: str, instrument: str, values: list[Any], *, now: dt.datetime) -> None:
    services.link_save_draft(
        token=token,
        instrument=instrument,
        answers={number: value for number, value in enumerate(values, start=1)},
        now=now,
    )


def stored() -> tuple[int, int, int]:
    return (
        QuestionnaireResponse.objects.count(),
        Score.objects.count(),
        SafetyAlert.objects.count(),
    )


# --- creating and sending ------------------------------------------------------------


def test_an_email_link_is_queued_then_delivered_after_commit(
    team: Team,
    patient: Patient,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        link = send(team, patient, instruments=["phq9", "gad7"])
        message = OutboundMessage.objects.get()
        assert message.status == "queued"  # nothing leaves before the commit
        assert mail.outbox == []

    assert len(callbacks) == 2  # the delivery, and sealing the audit chain head (anchors.py)
    assert (link.patient, link.clinic, link.instruments) == (patient, team.clinic, ["phq9", "gad7"])
    assert (link.channel, link.context, link.created_by) == (
        "email",
        "between_sessions",
        team.nurse.user,
    )
    assert link.expires_at == T0 + 72 * HOUR
    assert link.last_sent_at == T0
    message.refresh_from_db()
    assert (message.channel, message.to, message.purpose) == (
        "email",
        "maya.moreau@example.net",
        "measure_link",
    )
    assert (message.status, message.patient_id) == ("sent", patient.pk)
    (email,) = mail.outbox
    assert email.to == ["maya.moreau@example.net"]
    assert team.clinic.name in email.subject
    assert services.link_url(link) in email.body
    assert services.link_token(link) in email.body
    assert "before 06 Mar 08:00:" in email.body  # London, on GMT in March


def test_an_sms_link_goes_to_the_patients_phone(
    team: Team,
    patient: Patient,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    sms_sent: Callable[[], list[dict[str, str]]],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        link = send(team, patient, channel="sms")

    (sms,) = sms_sent()
    assert sms["to"] == "+447700900555"  # E.164, normalised for the provider
    assert services.link_url(link) in sms["body"]
    assert mail.outbox == []
    assert OutboundMessage.objects.get().status == "sent"


def test_a_link_shown_on_screen_sends_nothing(team: Team, patient: Patient) -> None:
    link = send(team, patient, channel="none")
    assert link.channel == "none"
    assert not OutboundMessage.objects.exists()


def test_the_clinics_link_lifetime_applies(team: Team, patient: Patient) -> None:
    config = services.measure_settings_for(team.clinic)
    config.link_expiry_hours = 24
    config.save()
    assert send(team, patient).expires_at == T0 + 24 * HOUR


@pytest.mark.parametrize(
    ("contact", "kwargs", "field"),
    [
        ({"email": ""}, {"channel": "email"}, "channel"),
        ({"phone": ""}, {"channel": "sms"}, "channel"),
        ({}, {"channel": "pigeon"}, "channel"),
        ({}, {"instruments": ["madrs"]}, "instruments"),  # clinician-rated
        ({}, {"instruments": ["phq9", "cadss"]}, "instruments"),
        ({}, {"instruments": ["bdi2"]}, "instruments"),
        ({}, {"instruments": []}, "instruments"),
        ({}, {"context": "someday"}, "context"),
    ],
)
def test_link_create_validates_contact_and_instruments(
    team: Team, contact: dict[str, str], kwargs: dict[str, Any], field: str
) -> None:
    patient = register(team.nurse, **contact)
    before = audit_count(patient)
    with pytest.raises(ValidationFailed) as refused:
        send(team, patient, **kwargs)
    assert list(refused.value.errors) == [field]
    assert not SelfReportLink.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert audit_count(patient) == before


def test_link_create_audits_who_sent_what(team: Team, patient: Patient) -> None:
    start = audit_count(patient)
    link = send(team, patient, access=team.front_desk, channel="sms")
    assert audit_trail(patient, after=start) == [
        (team.front_desk.user.username, "create", "selfreportlink")
    ]
    event = AuditEvent.objects.get(object_id=str(link.pk))
    assert event.changes["instruments"] == [None, ["phq9"]]
    assert event.changes["channel"] == [None, "sms"]


def test_who_may_send_links(team: Team, other_team: Team, patient: Patient) -> None:
    for access in (team.nurse, team.prescriber, team.therapist, team.front_desk):
        send(team, patient, access=access)
    for access in (team.compliance, team.researcher, team.admin):
        with pytest.raises(PermissionDenied):
            send(team, patient, access=access)
    with pytest.raises(NotFound):
        send(team, patient, access=other_team.nurse)
    assert SelfReportLink.objects.count() == 4


def test_a_link_can_name_a_session_of_the_patient(team: Team, patient: Patient) -> None:
    fix_clock(T0)  # booked the day before, when the link is sent
    session = treatment.session_schedule(
        access=team.nurse, patient_id=patient.pk, scheduled_start=T0 + 26 * HOUR
    )
    link = send(team, patient, context="pre_session", session_id=session.pk)
    assert (link.context, link.session) == ("pre_session", session)


# --- the token ---------------------------------------------------------------------------


def test_the_token_opens_its_link(team: Team, patient: Patient) -> None:
    link = send(team, patient)
    token = services.link_token(link)
    assert services.link_open(token=token, now=T0 + HOUR) == link
    assert services.link_url(link).endswith(f"/r/{token}/")


def tampered_tokens(token: str) -> dict[str, str]:
    body, _sep, signature = token.rpartition(":")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return {
        "signature changed": f"{body}:{flipped}",
        "payload changed": f"x{token}",
        "truncated": token[:-4],
        "empty": "",
        "garbage": "not-a-token",
        "another salt": signing.dumps({"n": "0" * 32}, salt="something-else"),
        "signed but unknown nonce": signing.Signer(salt=services.LINK_SALT).sign_object(
            {"n": "0" * 32}
        ),
        "signed without a nonce": signing.Signer(salt=services.LINK_SALT).sign_object({"x": 1}),
        "timestamp-signed, not a link token": signing.dumps({"x": 1}, salt=services.LINK_SALT),
        "signed but not a mapping": signing.Signer(salt=services.LINK_SALT).sign_object([1, 2]),
    }


@pytest.mark.parametrize("case", list(tampered_tokens("a:b:c")), ids=list(tampered_tokens("a:b:c")))
def test_a_tampered_token_is_refused_as_invalid(team: Team, patient: Patient, case: str) -> None:
    link = send(team, patient)
    token = tampered_tokens(services.link_token(link))[case]

    for call in (
        lambda: services.link_open(token=token, now=T0),
        lambda: answer(token, "phq9", PHQ9_MODERATE, now=T0),
        lambda: services.link_submit(token=token, now=T0),
    ):
        with pytest.raises(LinkRefused) as refused:
            call()
        assert refused.value.reason == "invalid"
        assert refused.value.link is None
    link.refresh_from_db()
    assert (link.draft, link.completed_at) == ({}, None)
    assert stored() == (0, 0, 0)


def test_an_expired_link_is_refused(team: Team, patient: Patient) -> None:
    link = send(team, patient)
    token = services.link_token(link)
    answer(token, "phq9", PHQ9_MODERATE, now=link.expires_at - dt.timedelta(seconds=1))

    for moment in (link.expires_at, link.expires_at + dt.timedelta(days=30)):
        with pytest.raises(LinkRefused) as refused:
            services.link_submit(token=token, now=moment)
        assert (refused.value.reason, refused.value.link) == ("expired", link)
        with pytest.raises(LinkRefused, match="expired"):
            answer(token, "phq9", PHQ9_MODERATE, now=moment)
    assert stored() == (0, 0, 0)
    link.refresh_from_db()
    assert link.completed_at is None


def test_a_revoked_link_is_refused(team: Team, patient: Patient) -> None:
    link = send(team, patient)
    token = services.link_token(link)
    start = audit_count(patient)

    revoked = services.link_revoke(access=team.front_desk, link_id=link.pk)

    assert revoked.revoked_by == team.front_desk.user
    assert revoked.revoked_at is not None
    assert audit_trail(patient, after=start) == [
        (team.front_desk.user.username, "revoke", "selfreportlink")
    ]
    with pytest.raises(LinkRefused) as refused:
        services.link_open(token=token, now=T0 + HOUR)
    assert refused.value.reason == "revoked"
    with pytest.raises(LinkRefused, match="revoked"):
        services.link_submit(token=token, now=T0 + HOUR)
    # Revoking again changes nothing and audits nothing.
    again = services.link_revoke(access=team.nurse, link_id=link.pk)
    assert (again.revoked_at, again.revoked_by) == (revoked.revoked_at, team.front_desk.user)
    assert audit_count(patient) == start + 1


def test_an_answered_link_cannot_be_revoked(team: Team, patient: Patient) -> None:
    link = send(team, patient)
    token = services.link_token(link)
    answer(token, "phq9", PHQ9_MODERATE, now=T0 + HOUR)
    services.link_submit(token=token, now=T0 + HOUR)

    with pytest.raises(ValidationFailed) as refused:
        services.link_revoke(access=team.nurse, link_id=link.pk)
    assert list(refused.value.errors) == ["link"]


def test_revoking_needs_the_permission_and_the_clinic(
    team: Team, other_team: Team, patient: Patient
) -> None:
    link = send(team, patient)
    with pytest.raises(PermissionDenied):
        services.link_revoke(access=team.compliance, link_id=link.pk)
    with pytest.raises(NotFound):
        services.link_revoke(access=other_team.nurse, link_id=link.pk)
    link.refresh_from_db()
    assert link.revoked_at is None


# --- answering ---------------------------------------------------------------------------


def test_submitting_stores_each_questionnaire_for_the_links_patient(
    team: Team, patient: Patient
) -> None:
    other = register(team.nurse, mrn="M-2002")
    send(team, other)  # another patient's link, never touched
    link = send(team, patient, instruments=["phq9", "gad7"])
    token = services.link_token(link)
    answer(token, "phq9", PHQ9_MODERATE, now=T0 + HOUR)
    answer(token, "gad7", GAD7_MILD, now=T0 + HOUR)
    start = audit_count(patient)

    recorded = services.link_submit(token=token, now=T0 + 2 * HOUR)

    assert [r.response.instrument for r in recorded] == ["phq9", "gad7"]
    assert [r.score.total for r in recorded] == [10, 5]
    for item in recorded:
        response = item.response
        assert (response.patient, response.clinic, response.link) == (patient, team.clinic, link)
        assert (response.respondent, response.entered_by) == ("patient", None)
        assert (response.context, response.answered_at) == ("between_sessions", T0 + 2 * HOUR)
    assert [r.answers for r in QuestionnaireResponse.objects.order_by("instrument")] == [
        GAD7_MILD,
        PHQ9_MODERATE,
    ]
    assert not QuestionnaireResponse.objects.filter(patient=other).exists()
    link.refresh_from_db()
    assert link.completed_at == T0 + 2 * HOUR
    assert audit_trail(patient, after=start) == [
        ("patient", "create", "questionnaireresponse"),
        ("patient", "create", "questionnaireresponse"),
    ]


def test_a_link_is_single_use(team: Team, patient: Patient) -> None:
    link = send(team, patient)
    token = services.link_token(link)
    answer(token, "phq9", PHQ9_MODERATE, now=T0 + HOUR)
    (first,) = services.link_submit(token=token, now=T0 + HOUR)
    counts, events = stored(), AuditEvent.objects.count()

    with pytest.raises(LinkRefused) as refused:
        services.link_submit(token=token, now=T0 + 2 * HOUR)

    assert (refused.value.reason, refused.value.link) == ("used", link)
    with pytest.raises(LinkRefused, match="used"):
        answer(token, "phq9", PHQ9_ITEM9, now=T0 + 2 * HOUR)
    assert stored() == counts == (1, 1, 0)
    assert AuditEvent.objects.count() == events
    assert QuestionnaireResponse.objects.get() == first.response
    assert QuestionnaireResponse.objects.get().answers == PHQ9_MODERATE
    link.refresh_from_db()
    assert link.completed_at == T0 + HOUR


def test_partial_answers_are_kept_until_the_patient_comes_back(
    team: Team, patient: Patient
) -> None:
    link = send(team, patient)
    token = services.link_token(link)

    services.link_save_draft(
        token=token, instrument="phq9", answers={1: 2, 2: 2, 3: 1}, now=T0 + HOUR
    )

    reopened = services.link_open(token=token, now=T0 + 30 * HOUR)
    assert services.link_answers(reopened, "phq9") == [2, 2, 1, *[None] * 7]
    assert stored() == (0, 0, 0)
    services.link_save_draft(
        token=token,
        instrument="phq9",
        answers={3: 0, **{n: 1 for n in range(4, 10)}, 10: None},
        now=T0 + 31 * HOUR,
    )
    assert services.link_answers(reopened, "phq9") == [2, 2, 1, *[None] * 7]  # stale copy
    assert services.link_answers(services.link_open(token=token, now=T0 + 31 * HOUR), "phq9") == [
        2,
        2,
        0,
        *[1] * 6,
        None,
    ]
    (recorded,) = services.link_submit(token=token, now=T0 + 32 * HOUR)
    assert recorded.response.answers == [2, 2, 0, 1, 1, 1, 1, 1, 1, None]
    assert recorded.score.total == 10


@pytest.mark.parametrize(
    ("instrument", "answers", "field"),
    [
        ("phq9", {1: 4}, "item_1"),
        ("phq9", {11: 0}, "item_11"),
        ("phq9", {2: -1}, "item_2"),
        ("gad7", {1: 1}, "instrument"),  # not in this link
    ],
)
def test_a_draft_answer_must_be_one_of_the_options(
    team: Team, patient: Patient, instrument: str, answers: dict[int, int], field: str
) -> None:
    link = send(team, patient)
    with pytest.raises(ValidationFailed) as refused:
        services.link_save_draft(
            token=services.link_token(link), instrument=instrument, answers=answers, now=T0
        )
    assert list(refused.value.errors) == [field]
    link.refresh_from_db()
    assert link.draft == {}


def test_submitting_with_an_unanswered_item_names_it_and_stores_nothing(
    team: Team, patient: Patient
) -> None:
    link = send(team, patient, instruments=["phq9", "gad7"])
    token = services.link_token(link)
    answer(token, "phq9", PHQ9_MODERATE, now=T0)
    answer(token, "gad7", [1, 1, 1, None, 1, 0, 0], now=T0)
    events = AuditEvent.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        services.link_submit(token=token, now=T0 + HOUR)

    (field,) = refused.value.errors
    assert field == "answers.4"
    assert "item 4" in str(refused.value).lower()
    assert stored() == (0, 0, 0)
    assert AuditEvent.objects.count() == events
    link.refresh_from_db()
    assert link.completed_at is None
    assert link.draft["phq9"]  # the saved answers survive for the patient to finish
    answer(token, "gad7", GAD7_MILD, now=T0 + HOUR)
    assert len(services.link_submit(token=token, now=T0 + HOUR)) == 2


def test_item9_through_a_link_raises_an_alert_at_the_submission_time(
    team: Team, patient: Patient
) -> None:
    link = send(team, patient)
    token = services.link_token(link)
    answer(token, "phq9", PHQ9_ITEM9, now=T0 + HOUR)
    assert services.findings_in_draft(services.link_open(token=token, now=T0 + HOUR), "phq9")
    start = audit_count(patient)

    (recorded,) = services.link_submit(token=token, now=T0 + 2 * HOUR)

    (alert,) = recorded.alerts
    assert (alert.flag, alert.severity, alert.item_number) == ("suicidal_ideation", "high", 9)
    assert alert.raised_at == T0 + 2 * HOUR
    assert audit_trail(patient, after=start) == [
        ("patient", "create", "questionnaireresponse"),
        ("patient", "create", "safetyalert"),
    ]


def test_crisis_items_name_the_answers_that_raise_a_flag(team: Team, patient: Patient) -> None:
    assert services.crisis_items(team.clinic, "phq9") == {9: 1}
    assert services.crisis_items(team.clinic, "qids_sr16") == {12: 1}
    assert services.crisis_items(team.clinic, "gad7") == {}
    assert services.crisis_items(team.clinic, "madrs") == {}  # never sent to a patient
    config = services.measure_settings_for(team.clinic)
    config.thresholds = {"phq9": {"suicidal_ideation_threshold": 2}}
    config.save()
    assert services.crisis_items(team.clinic, "phq9") == {9: 2}

    link = send(team, patient)
    token = services.link_token(link)
    services.link_save_draft(token=token, instrument="phq9", answers={9: 1}, now=T0)
    assert not services.findings_in_draft(services.link_open(token=token, now=T0), "phq9")
    services.link_save_draft(token=token, instrument="phq9", answers={9: 3}, now=T0)
    assert services.findings_in_draft(services.link_open(token=token, now=T0), "phq9")


def test_the_message_gives_the_expiry_on_the_clinics_clock(db: None) -> None:
    # Sent by the scheduler, outside any request: the clinic's zone must still apply.
    team = make_team(ClinicFactory.create(slug="harbour-test", time_zone="America/New_York"))
    patient = register(team.nurse)
    send(team, patient)  # at 08:00 UTC on 3 March, so it expires 08:00 UTC on 6 March
    (message,) = OutboundMessage.objects.all()
    assert "before 06 Mar 03:00:" in message.body  # New York: UTC-5


def test_a_pre_session_link_is_refused_once_its_session_is_cancelled(
    team: Team, patient: Patient
) -> None:
    start = dt.datetime(2030, 3, 4, 10, tzinfo=dt.UTC)
    fix_clock(start - dt.timedelta(hours=24))  # booked when the link is sent
    session = treatment.session_schedule(
        access=team.nurse, patient_id=patient.pk, scheduled_start=start
    )
    link = services.link_create(
        access=team.nurse,
        patient_id=patient.pk,
        instruments=["phq9"],
        context="pre_session",
        channel="none",
        session_id=session.pk,
        now=start - dt.timedelta(hours=24),
    )
    token = services.link_token(link)
    assert services.link_open(token=token, now=start - dt.timedelta(hours=2)) == link

    treatment.session_cancel(
        access=team.nurse, patient_id=patient.pk, session_id=session.pk, reason="unwell"
    )

    with pytest.raises(LinkRefused) as refused:
        services.link_open(token=token, now=start - dt.timedelta(hours=2))
    assert refused.value.reason == "revoked"


# --- QIDS-SR16: sent only with its full wording (issue #12 finding 13) ---------------------


def load_qids_wording(clinic: Any) -> None:
    from ketacare.measures import get_instrument
    from ketacare.measures.models import InstrumentWording

    for item in get_instrument("qids_sr16").items:
        InstrumentWording.objects.create(
            clinic=clinic,
            instrument="qids_sr16",
            item_number=item.number,
            text=f"Licensed question {item.number}",
            option_labels={str(v): f"Licensed answer {item.number}.{v}" for v in range(4)},
        )


def test_a_qids_link_is_refused_in_plain_words_and_nothing_is_stored(
    team: Team, patient: Patient
) -> None:
    """The link showed bare 0-3 options and a developer note instead of the questions."""
    before = audit_count(patient)
    with pytest.raises(ValidationFailed) as refused:
        send(team, patient, instruments=["phq9", "qids_sr16"])
    (message,) = refused.value.errors["instruments"]
    assert message.startswith("Quick Inventory of Depressive Symptomatology")
    assert "cannot be sent as a link" in message
    assert "paper form" in message and "record the answers in the chart" in message
    assert "qids_sr16" not in message and "instruments.md" not in message
    assert not SelfReportLink.objects.exists() and audit_count(patient) == before
    # Clinic-entered QIDS-SR16 scores still work.
    recorded = services.response_record(
        access=team.nurse,
        patient_id=patient.pk,
        instrument="qids_sr16",
        answers=[1] * 16,
        context="baseline",
    )
    assert recorded.score.total == 9


def test_a_qids_link_goes_out_once_the_clinic_loaded_every_questions_wording(
    team: Team, patient: Patient
) -> None:
    load_qids_wording(team.clinic)
    assert services.link_refusal(team.clinic, "qids_sr16") is None
    link = send(team, patient, instruments=["qids_sr16"])
    assert link.instruments == ["qids_sr16"]


def test_partial_qids_wording_is_not_enough(team: Team, patient: Patient) -> None:
    from ketacare.measures.models import InstrumentWording

    load_qids_wording(team.clinic)
    InstrumentWording.objects.filter(clinic=team.clinic, item_number=16).update(option_labels={})
    assert services.link_refusal(team.clinic, "qids_sr16") is not None
