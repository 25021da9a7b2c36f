"""Writes of measurement-based care: scores, self-report links, plans, alerts and the
scheduled work (invitations, reminders, escalations). Each runs in one transaction with
its audit events; messages are queued in it and delivered after commit."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic, Membership
from ketacare.accounts.policy import Permission, Role
from ketacare.audit.services import Action, audit_as, audit_record
from ketacare.common.course_state import course_state_refresh
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.measures import ScoreResult, ScoringError, get_instrument, score
from ketacare.measures.models import (
    ClinicMeasureSettings,
    MeasureContext,
    MeasurementPlan,
    MeasurementRule,
    QuestionnaireResponse,
    SafetyAlert,
    Score,
    SelfReportLink,
)
from ketacare.measures.selectors import wordings_of
from ketacare.messaging.services import message_queue
from ketacare.patients.language import in_patient_language
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get
from ketacare.treatment.models import TreatmentSession

LINK_SALT = "ketacare.measures.self-report-link"


# --- clinic settings --------------------------------------------------------------------


# The cited default crisis text (settings.KETACARE_CRISIS_RESOURCES) as a catalogue entry:
# a patient reading another language sees it in theirs. A clinic's own text shows as written.
DEFAULT_CRISIS_RESOURCES = gettext_noop(
    "If you are thinking about suicide or might harm yourself, get help now: call your local "
    "emergency number. In the US, call or text 988 (988 Suicide & Crisis Lifeline). "
    "In the UK and Ireland, call Samaritans on 116 123. You can also call the clinic."
)


def crisis_text_for(clinic: Clinic) -> str:
    """The clinic's crisis resources as the patient's page shows them."""
    text = measure_settings_for(clinic).crisis_resources
    return _(DEFAULT_CRISIS_RESOURCES) if text.strip() == DEFAULT_CRISIS_RESOURCES else text


def measure_settings_for(clinic: Clinic) -> ClinicMeasureSettings:
    """The clinic's measurement settings, created from the cited defaults on first use."""
    found, _created = ClinicMeasureSettings.objects.get_or_create(
        clinic=clinic,
        defaults={
            "crisis_resources": settings.KETACARE_CRISIS_RESOURCES,
            "alert_escalation_minutes": settings.KETACARE_ALERT_ESCALATION_MINUTES,
            "link_expiry_hours": settings.KETACARE_LINK_EXPIRY_HOURS,
            "reminder_count": settings.KETACARE_REMINDER_COUNT,
            "reminder_interval_hours": settings.KETACARE_REMINDER_INTERVAL_HOURS,
            "pre_session_lead_hours": settings.KETACARE_PRE_SESSION_LEAD_HOURS,
            "send_hour_local": settings.KETACARE_SEND_HOUR_LOCAL,
        },
    )
    return found


def scoring_config(clinic: Clinic, instrument: str) -> dict[str, Any]:
    overrides = measure_settings_for(clinic).thresholds.get(instrument, {})
    return dict(overrides) if isinstance(overrides, dict) else {}


def score_for_clinic(clinic: Clinic, instrument: str, answers: Sequence[Any]) -> ScoreResult:
    try:
        return score(instrument, list(answers), config=scoring_config(clinic, instrument))
    except ScoringError as exc:
        field = f"answers.{exc.item}" if exc.item else "answers"
        raise ValidationFailed.single(field, str(exc)) from exc


# --- scores -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    response: QuestionnaireResponse
    score: Score
    alerts: list[SafetyAlert]


def score_fields(result: ScoreResult) -> dict[str, Any]:
    """A Score row's fields from the scorer's result (here and in `ketacare synth`)."""
    return {
        "total": result.total,
        "severity": result.severity or "",
        "severity_label": result.severity_label or "",
        "flags": list(result.flags),
        "subscores": dict(result.subscores),
        "risk": result.risk or "",
        "provisional_diagnosis": result.provisional_diagnosis,
        "reasons": list(result.reasons),
        "scoring_version": result.version,
    }


def _store(
    *,
    clinic: Clinic,
    patient: Patient,
    instrument: str,
    answers: Sequence[Any],
    respondent: str,
    context: str,
    answered_at: dt.datetime,
    entered_by: Any = None,
    link: SelfReportLink | None = None,
    session: TreatmentSession | None = None,
    offset_hours: int | None = None,
    supersedes: QuestionnaireResponse | None = None,
    correction_reason: str = "",
    raised_at: dt.datetime | None = None,
    language: str = "en",
) -> Recorded:
    """Score and store one response, its score row and any safety alerts; audit each.
    Alerts are raised at `raised_at` (the moment of submission), else now."""
    result = score_for_clinic(clinic, instrument, answers)
    if context not in MeasureContext.values:
        raise ValidationFailed.single(
            "context", f"Choose one of {', '.join(MeasureContext.values)}."
        )
    response = QuestionnaireResponse.objects.create(
        clinic=clinic,
        patient=patient,
        instrument=instrument,
        instrument_version=result.version,
        answers=_complete(instrument, answers),
        respondent=respondent,
        entered_by=entered_by,
        link=link,
        context=context,
        offset_hours=offset_hours,
        session=session,
        answered_at=answered_at,
        supersedes=supersedes,
        correction_reason=correction_reason,
        language=language,
    )
    row = Score.objects.create(
        response=response,
        clinic=clinic,
        patient=patient,
        instrument=instrument,
        answered_at=answered_at,
        **score_fields(result),
    )
    if supersedes is not None:
        Score.objects.filter(response=supersedes).update(is_current=False)
    actor_label = "patient" if respondent == QuestionnaireResponse.Respondent.PATIENT else None
    audit_record(
        actor=entered_by,
        clinic=clinic,
        action=Action.CREATE,
        object_type="questionnaireresponse",
        object_id=response.pk,
        patient_id=patient.pk,
        actor_label=actor_label,
        changes={
            "instrument": [None, instrument],
            "answers": [None, list(answers)],
            "total": [None, result.total],
            "flags": [None, list(result.flags)],
        },
        details={
            "context": context,
            "supersedes": supersedes.pk if supersedes else None,
            "link": link.pk if link else None,
        },
    )
    alerts = [
        _raise_alert(row, finding, actor_label, entered_by, raised_at or timezone.now())
        for finding in result.findings
    ]
    course_state_refresh(clinic, patient.pk)
    return Recorded(response=response, score=row, alerts=alerts)


def _raise_alert(
    row: Score, finding: Any, actor_label: str | None, actor: Any, raised_at: dt.datetime
) -> SafetyAlert:
    alert = SafetyAlert.objects.create(
        clinic=row.clinic,
        patient=row.patient,
        score=row,
        instrument=row.instrument,
        item_number=finding.item,
        flag=finding.flag,
        severity=finding.severity,
        reason=finding.reason[:300],
        raised_at=raised_at,
    )
    audit_record(
        actor=actor,
        clinic=row.clinic,
        action=Action.CREATE,
        object_type="safetyalert",
        object_id=alert.pk,
        patient_id=row.patient_id,
        actor_label=actor_label,
        changes={"flag": [None, alert.flag], "severity": [None, alert.severity]},
        details={"instrument": alert.instrument, "item": alert.item_number},
    )
    return alert


def _session_of(
    clinic: Clinic, patient: Patient, session_id: uuid.UUID | None
) -> TreatmentSession | None:
    if session_id is None:
        return None
    session = TreatmentSession.objects.filter(clinic=clinic, patient=patient, pk=session_id).first()
    if session is None:
        raise ValidationFailed.single("session_id", "No such session for this patient.")
    return session


@transaction.atomic
def response_record(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    instrument: str,
    answers: Sequence[Any],
    context: str,
    answered_at: dt.datetime | None = None,
    offset_hours: int | None = None,
    session_id: uuid.UUID | None = None,
    supersedes_id: uuid.UUID | None = None,
    correction_reason: str = "",
) -> Recorded:
    """Record a rating scale entered by staff (clinician-rated, or on the patient's behalf).

    With supersedes_id this is a correction: the new response replaces the old one in
    charts and outcomes, and both are kept."""
    access.require(Permission.RECORD_MEASURES)
    patient = patient_get(access=access, patient_id=patient_id)
    if patient.is_archived:
        raise ValidationFailed.single("patient", "This patient is archived.")
    _known_instrument("instrument", instrument)
    supersedes = None
    if supersedes_id is not None:
        supersedes = (
            QuestionnaireResponse.objects.select_for_update()
            .filter(clinic=access.clinic, patient=patient, pk=supersedes_id)
            .first()
        )
        if supersedes is None:
            raise ValidationFailed.single("supersedes_id", "No such response for this patient.")
        if hasattr(supersedes, "superseded_by"):
            raise ValidationFailed.single("supersedes_id", "That response is already corrected.")
        if supersedes.instrument != instrument:
            raise ValidationFailed.single("instrument", "A correction must use the same scale.")
        if not correction_reason.strip():
            raise ValidationFailed.single("correction_reason", "Say why this is corrected.")
    respondent = get_instrument(instrument).respondent
    return _store(
        clinic=access.clinic,
        patient=patient,
        instrument=instrument,
        answers=answers,
        respondent=respondent,
        context=context,
        answered_at=answered_at or timezone.now(),
        entered_by=access.user,
        session=_session_of(access.clinic, patient, session_id),
        offset_hours=offset_hours,
        supersedes=supersedes,
        correction_reason=correction_reason.strip(),
    )


def _complete(instrument: str, answers: Sequence[Any]) -> list[Any]:
    """The answers as stored: one per item, an optional item left off (PHQ-9 item 10)
    stored as None."""
    count = len(get_instrument(instrument).items)
    return [*answers, *([None] * (count - len(answers)))]


def link_refusal(clinic: Clinic, code: str) -> str | None:
    """Why a questionnaire cannot be sent to a patient as a link, in plain words, or None.

    A patient answers on screen, so every question and answer must be shown in full. An
    instrument KetaCare ships without its wording (QIDS-SR16: paper versions are free, but
    permission for electronic use is not confirmed, instruments.md 2.4) can be sent only
    once the clinic has loaded its licensed wording for every question and answer."""
    instrument = get_instrument(code)
    if instrument.respondent != "patient":
        return f"{instrument.name} is rated by a clinician; record it in the chart."
    if instrument.full_wording:
        return None
    wordings = wordings_of(clinic=clinic, code=code)
    complete = all(
        (w := wordings.get(item.number)) is not None
        and w.text.strip()
        and isinstance(w.option_labels, dict)
        and all(str(w.option_labels.get(str(o.value), "")).strip() for o in item.options)
        for item in instrument.items
    )
    if complete:
        return None
    return (
        f"{instrument.name} cannot be sent as a link. A patient must see every question "
        "and answer in full, and KetaCare may not show this questionnaire's wording: its "
        "paper form is free to use, but permission to show it on screen has not been "
        "confirmed. Give the patient the paper form and record the answers in the chart, "
        "or ask a clinic administrator to load the clinic's licensed wording for every "
        "question."
    )


def _known_instrument(field: str, code: str) -> None:
    try:
        get_instrument(code)
    except ScoringError as exc:
        raise ValidationFailed.single(field, f"Unknown instrument {code!r}.") from exc


# --- self-report links -------------------------------------------------------------------


def link_token(link: SelfReportLink) -> str:
    # An untimed signature: the row holds the expiry, and the same link keeps one address
    # (the first message and each reminder carry the same URL).
    return signing.Signer(salt=LINK_SALT).sign_object({"n": link.nonce})


def link_url(link: SelfReportLink) -> str:
    return f"{settings.KETACARE_PUBLIC_URL.rstrip('/')}/r/{link_token(link)}/"


def _clinic_time(clinic: Clinic, moment: dt.datetime) -> dt.datetime:
    """A moment on the clinic's clock (messages go out from the worker, outside any
    request that would have activated the clinic's time zone)."""
    return timezone.localtime(moment, zoneinfo.ZoneInfo(clinic.time_zone))


def _when(clinic: Clinic, moment: dt.datetime) -> str:
    """A moment as a message shows it, on the clinic's clock, in the active language."""
    return dateformat.format(_clinic_time(clinic, moment), "d M H:i")


def _link_message(link: SelfReportLink, *, reminder: bool) -> str:
    clinic, url = link.clinic.name, link_url(link)
    if link.purpose == SelfReportLink.Purpose.SESSION_GUIDE and link.session is not None:
        # No clinical detail in the message itself: the session time and the link.
        when = _when(link.clinic, link.session.scheduled_start)
        return _("%(clinic)s: about your session on %(when)s, please read: %(url)s") % {
            "clinic": clinic,
            "when": when,
            "url": url,
        }
    asks = {
        str(SelfReportLink.Purpose.CONSENT): _(
            "%(clinic)s asks you to read and sign a consent form"
        ),
        str(SelfReportLink.Purpose.EDUCATION): _(
            "%(clinic)s sends you some reading about your treatment; please open it"
        ),
    }.get(link.purpose, _("%(clinic)s asks you to answer a short questionnaire"))
    text = _("%(asks)s before %(when)s: %(url)s") % {
        "asks": asks % {"clinic": clinic},
        "when": _when(link.clinic, link.expires_at),
        "url": url,
    }
    return _("Reminder: %(text)s") % {"text": text} if reminder else text


def _link_subject(link: SelfReportLink, *, reminder: bool) -> tuple[str, str]:
    """The message's subject, in the active language, and its purpose (for the outbox)."""
    subject, purpose = {
        str(SelfReportLink.Purpose.CONSENT): (_("Consent form from %(clinic)s"), "consent_link"),
        str(SelfReportLink.Purpose.EDUCATION): (
            _("Reading about your treatment from %(clinic)s"),
            "education_link",
        ),
        str(SelfReportLink.Purpose.SESSION_GUIDE): (
            _("Your session at %(clinic)s"),
            "session_guide",
        ),
    }.get(
        link.purpose,
        (_("Questionnaire from %(clinic)s"), "measure_reminder" if reminder else "measure_link"),
    )
    return subject % {"clinic": link.clinic.name}, purpose


def _send_link(link: SelfReportLink, *, reminder: bool, now: dt.datetime) -> None:
    patient = link.patient
    to = patient.email if link.channel == SelfReportLink.Channel.EMAIL else patient.phone
    if link.channel != SelfReportLink.Channel.NONE and to:
        with in_patient_language(patient):
            subject, purpose = _link_subject(link, reminder=reminder)
            body = _link_message(link, reminder=reminder)
        message_queue(
            clinic=link.clinic,
            channel=link.channel,
            to=to,
            subject=subject,
            body=body,
            purpose=purpose,
            patient_id=patient.pk,
        )
    link.last_sent_at = now


def _create_link(
    *,
    clinic: Clinic,
    patient: Patient,
    instruments: Sequence[str],
    context: str,
    channel: str,
    now: dt.datetime,
    created_by: Any = None,
    session: TreatmentSession | None = None,
    offset_hours: int | None = None,
    schedule_key: str = "",
) -> SelfReportLink:
    if not instruments:
        raise ValidationFailed.single("instruments", "Choose at least one questionnaire.")
    for code in instruments:
        _known_instrument("instruments", code)
        refusal = link_refusal(clinic, code)
        if refusal:
            raise ValidationFailed.single("instruments", refusal)
    return patient_link_issue(
        clinic=clinic,
        patient=patient,
        channel=channel,
        now=now,
        created_by=created_by,
        instruments=instruments,
        context=context,
        session=session,
        offset_hours=offset_hours,
        schedule_key=schedule_key,
    )


def patient_link_issue(
    *,
    clinic: Clinic,
    patient: Patient,
    channel: str,
    now: dt.datetime,
    created_by: Any = None,
    purpose: str = SelfReportLink.Purpose.QUESTIONNAIRE,
    instruments: Sequence[str] = (),
    context: str = MeasureContext.BETWEEN_SESSIONS,
    session: TreatmentSession | None = None,
    offset_hours: int | None = None,
    schedule_key: str = "",
) -> SelfReportLink:
    """Create, send and audit one patient link (the caller holds the transaction and has
    checked what the link opens). Used for questionnaires here and for consent documents
    by ketacare.consent."""
    if channel not in SelfReportLink.Channel.values:
        raise ValidationFailed.single("channel", "Choose email, sms or none.")
    contact = {"email": patient.email, "sms": patient.phone}.get(channel, "-")
    if not contact:
        raise ValidationFailed.single("channel", f"The patient has no {channel} contact on file.")
    hours = measure_settings_for(clinic).link_expiry_hours
    link = SelfReportLink.objects.create(
        clinic=clinic,
        patient=patient,
        purpose=purpose,
        instruments=list(instruments),
        context=context,
        session=session,
        offset_hours=offset_hours,
        nonce=secrets.token_hex(16),
        channel=channel,
        created_by=created_by,
        schedule_key=schedule_key,
        expires_at=now + dt.timedelta(hours=hours),
    )
    _send_link(link, reminder=False, now=now)
    link.save(update_fields=["last_sent_at"])
    audit_record(
        actor=created_by,
        clinic=clinic,
        action=Action.CREATE,
        object_type="selfreportlink",
        object_id=link.pk,
        patient_id=patient.pk,
        actor_label=None if created_by else "schedule",
        changes={
            "purpose": [None, purpose],
            "instruments": [None, list(instruments)],
            "channel": [None, channel],
            "expires_at": [None, link.expires_at],
        },
        details={"schedule_key": schedule_key} if schedule_key else None,
    )
    return link


@transaction.atomic
def link_create(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    instruments: Sequence[str],
    context: str = MeasureContext.BETWEEN_SESSIONS,
    channel: str = "email",
    session_id: uuid.UUID | None = None,
    offset_hours: int | None = None,
    now: dt.datetime | None = None,
) -> SelfReportLink:
    access.require(Permission.SEND_MEASURE_LINKS)
    patient = patient_get(access=access, patient_id=patient_id)
    if patient.is_archived:
        raise ValidationFailed.single("patient", "This patient is archived.")
    if context not in MeasureContext.values:
        raise ValidationFailed.single("context", "Unknown context.")
    return _create_link(
        clinic=access.clinic,
        patient=patient,
        instruments=instruments,
        context=context,
        channel=channel,
        now=now or timezone.now(),
        created_by=access.user,
        session=_session_of(access.clinic, patient, session_id),
        offset_hours=offset_hours,
    )


@transaction.atomic
def link_revoke(*, access: ClinicAccess, link_id: uuid.UUID) -> SelfReportLink:
    access.require(Permission.SEND_MEASURE_LINKS)
    link = (
        SelfReportLink.objects.select_for_update().filter(clinic=access.clinic, pk=link_id).first()
    )
    if link is None:
        raise NotFound("link")
    if link.completed_at:
        raise ValidationFailed.single("link", "This link was already answered.")
    if link.revoked_at is None:
        link.revoked_at, link.revoked_by = timezone.now(), access.user
        link.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        audit_as(
            access,
            action=Action.REVOKE,
            object_type="selfreportlink",
            object_id=link.pk,
            patient_id=link.patient_id,
            changes={"revoked_at": [None, link.revoked_at]},
        )
    return link


class LinkRefused(Exception):
    """A link that cannot be answered; `reason` is one of invalid, expired, used, revoked."""

    def __init__(self, reason: str, link: SelfReportLink | None = None) -> None:
        super().__init__(reason)
        self.reason, self.link = reason, link


def _nonce_of(token: str) -> str | None:
    try:
        return signing.Signer(salt=LINK_SALT).unsign_object(token)["n"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):  # ValueError: bad JSON
        return None


def link_language(token: str) -> str | None:
    """The language of the patient a link token was issued to (None: no such link)."""
    nonce = _nonce_of(token)
    if nonce is None:
        return None
    return (
        SelfReportLink.objects.filter(nonce=nonce)
        .values_list("patient__preferred_language", flat=True)
        .first()
    )


def link_open(
    *, token: str, now: dt.datetime | None = None, for_update: bool = False
) -> SelfReportLink:
    """The live link for a token, or LinkRefused saying why not."""
    nonce = _nonce_of(token)
    if nonce is None:
        raise LinkRefused("invalid")
    links = SelfReportLink.objects.select_related("clinic", "patient", "session")
    if for_update:
        links = links.select_for_update(of=("self",))  # the session join is nullable
    link = links.filter(nonce=nonce).first()
    if link is None:
        raise LinkRefused("invalid")
    if link.completed_at:
        raise LinkRefused("used", link)
    if link.revoked_at or _session_called_off(link):
        raise LinkRefused("revoked", link)
    if (now or timezone.now()) >= link.expires_at:
        raise LinkRefused("expired", link)
    return link


def _session_called_off(link: SelfReportLink) -> bool:
    """A pre-session questionnaire for a session that was cancelled (or missed) no longer
    asks anything useful; the link then answers as revoked."""
    return (
        link.context == MeasureContext.PRE_SESSION
        and link.session is not None
        and link.session.status
        in (TreatmentSession.Status.CANCELLED, TreatmentSession.Status.NO_SHOW)
    )


def _draft_answers(link: SelfReportLink, code: str) -> list[Any]:
    stored = link.draft.get(code, {})
    return [stored.get(str(item.number)) for item in get_instrument(code).items]


def link_answers(link: SelfReportLink, code: str) -> list[Any]:
    """The patient's saved answers for one questionnaire, in item order (None = unanswered)."""
    return _draft_answers(link, code)


@transaction.atomic
def link_save_draft(
    *,
    token: str,
    instrument: str,
    answers: Mapping[int, int | None],
    now: dt.datetime | None = None,
) -> SelfReportLink:
    """Keep partial answers so the patient can come back while the link is valid."""
    link = link_open(token=token, now=now, for_update=True)
    if instrument not in link.instruments:
        raise ValidationFailed.single("instrument", "This questionnaire is not in the link.")
    items = {item.number: item for item in get_instrument(instrument).items}
    saved = dict(link.draft.get(instrument, {}))
    for number, value in answers.items():
        item = items.get(number)
        if item is None:
            raise ValidationFailed.single(f"item_{number}", _("No such question."))
        if value is not None and value not in {o.value for o in item.options}:
            raise ValidationFailed.single(f"item_{number}", _("Choose one of the answers shown."))
        saved[str(number)] = value
    link.draft = {**link.draft, instrument: saved}
    link.save(update_fields=["draft", "updated_at"])
    return link


@transaction.atomic
def link_submit(*, token: str, now: dt.datetime | None = None) -> list[Recorded]:
    """Score and store every questionnaire of the link at once; the link is then used up.
    A second submission finds the link used and stores nothing."""
    moment = now or timezone.now()
    link = link_open(token=token, now=moment, for_update=True)
    recorded = [
        _store(
            clinic=link.clinic,
            patient=link.patient,
            instrument=code,
            answers=_draft_answers(link, code),
            respondent=QuestionnaireResponse.Respondent.PATIENT,
            context=link.context,
            answered_at=moment,
            link=link,
            session=link.session,
            offset_hours=link.offset_hours,
            raised_at=moment,
            # The wording the patient answered: theirs where validated, else English.
            language=get_instrument(code).in_language(link.patient.preferred_language).language,
        )
        for code in link.instruments
    ]
    link.completed_at = moment
    link.save(update_fields=["completed_at", "updated_at"])
    return recorded


def crisis_items(clinic: Clinic, instrument: str) -> dict[int, int]:
    """For each item that alone can raise a safety finding: the lowest value that does.

    Lets the self-report form show crisis resources as soon as such an answer is chosen
    (with script) or saved (without)."""
    definition = get_instrument(instrument)
    if definition.respondent != "patient":
        return {}
    config = scoring_config(clinic, instrument)
    floor = _floor_answers(instrument)
    found: dict[int, int] = {}
    for index, item in enumerate(definition.items):
        for option in sorted(item.options, key=lambda o: o.value):
            trial = list(floor)
            trial[index] = option.value
            if score(instrument, trial, config=config).findings:
                found[item.number] = option.value
                break
    return found


def _floor_answers(instrument: str) -> list[Any]:
    items = get_instrument(instrument).items
    return [min(o.value for o in item.options) if item.options else None for item in items]


def findings_in_draft(link: SelfReportLink, instrument: str) -> bool:
    thresholds = crisis_items(link.clinic, instrument)
    saved = link.draft.get(instrument, {})
    return any(saved.get(str(n)) is not None and saved[str(n)] >= v for n, v in thresholds.items())


# --- alerts -------------------------------------------------------------------------------


@transaction.atomic
def alert_acknowledge(
    *,
    access: ClinicAccess,
    alert_id: uuid.UUID,
    action_taken: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> SafetyAlert:
    access.require(Permission.ACKNOWLEDGE_ALERTS)
    alert = (
        SafetyAlert.objects.select_for_update().filter(clinic=access.clinic, pk=alert_id).first()
    )
    if alert is None:
        raise NotFound("alert")
    if alert.acknowledged_at:
        raise ValidationFailed.single("alert", "This alert was already acknowledged.")
    if action_taken not in SafetyAlert.Action.values:
        raise ValidationFailed.single("action_taken", "Choose the action taken.")
    alert.acknowledged_at, alert.acknowledged_by = now or timezone.now(), access.user
    alert.action_taken, alert.note = action_taken, note.strip()
    alert.save(
        update_fields=["acknowledged_at", "acknowledged_by", "action_taken", "note", "updated_at"]
    )
    audit_as(
        access,
        action=Action.ACKNOWLEDGE,
        object_type="safetyalert",
        object_id=alert.pk,
        patient_id=alert.patient_id,
        changes={
            "acknowledged_at": [None, alert.acknowledged_at],
            "action_taken": ["", action_taken],
            "note": ["", alert.note],
        },
    )
    return alert


def escalation_recipients(clinic: Clinic) -> list[Membership]:
    """Clinic administrators and on-call prescribers: who hears of an ignored alert."""
    admin_or_on_call = Q(role=Role.CLINIC_ADMIN.value) | Q(
        role=Role.PRESCRIBER.value, is_on_call=True
    )
    return list(
        Membership.objects.filter(clinic=clinic, is_active=True, user__is_active=True)
        .filter(admin_or_on_call)
        .select_related("user")
    )


@transaction.atomic
def alerts_escalate_due(*, now: dt.datetime) -> list[SafetyAlert]:
    """Escalate every alert left unacknowledged past its clinic's limit, once."""
    escalated = []
    open_alerts = (
        SafetyAlert.objects.select_for_update()
        .filter(acknowledged_at__isnull=True, escalated_at__isnull=True)
        .select_related("clinic", "patient")
    )
    for alert in open_alerts:
        limit = dt.timedelta(minutes=measure_settings_for(alert.clinic).alert_escalation_minutes)
        if now - alert.raised_at < limit:
            continue
        _notify_escalation(alert)
        alert.escalated_at = now
        alert.save(update_fields=["escalated_at", "updated_at"])
        audit_record(
            actor=None,
            clinic=alert.clinic,
            action=Action.ESCALATE,
            object_type="safetyalert",
            object_id=alert.pk,
            patient_id=alert.patient_id,
            actor_label="schedule",
            changes={"escalated_at": [None, now]},
        )
        escalated.append(alert)
    return escalated


def _notify_escalation(alert: SafetyAlert) -> None:
    url = f"{settings.KETACARE_PUBLIC_URL.rstrip('/')}/c/{alert.clinic.slug}/"
    body = (
        f"UNACKNOWLEDGED SAFETY ALERT at {alert.clinic.name}: {alert.flag} "
        f"({alert.severity}) on {alert.instrument} for patient MRN {alert.patient.mrn}, "
        f"raised {_clinic_time(alert.clinic, alert.raised_at):%H:%M}. Review now: {url}"
    )
    for membership in escalation_recipients(alert.clinic):
        user = membership.user
        if user.email:
            message_queue(
                clinic=alert.clinic,
                channel="email",
                to=user.email,
                body=body,
                subject="KetaCare: unacknowledged safety alert",
                purpose="alert_escalation",
                patient_id=alert.patient_id,
                recipient_user=user,
            )
        if user.mobile_phone:
            message_queue(
                clinic=alert.clinic,
                channel="sms",
                to=user.mobile_phone,
                body=body,
                purpose="alert_escalation",
                patient_id=alert.patient_id,
                recipient_user=user,
            )


# --- plans and the schedule ------------------------------------------------------------


@dataclass(frozen=True)
class RuleInput:
    kind: str
    instruments: tuple[str, ...]
    interval_days: int | None = None
    hours_after: int | None = None
    dates: tuple[dt.date, ...] = ()


def _validate_rule(clinic: Clinic, index: int, rule: RuleInput) -> None:
    field = f"rules.{index}"
    if rule.kind not in MeasurementRule.Kind.values:
        raise ValidationFailed.single(f"{field}.kind", "Unknown rule kind.")
    if not rule.instruments:
        raise ValidationFailed.single(f"{field}.instruments", "Choose at least one scale.")
    for code in rule.instruments:
        _known_instrument(f"{field}.instruments", code)
        refusal = link_refusal(clinic, code)
        if refusal:
            raise ValidationFailed.single(f"{field}.instruments", refusal)
    if rule.kind == "every_n_days" and not (rule.interval_days and rule.interval_days >= 1):
        raise ValidationFailed.single(f"{field}.interval_days", "Give the interval in days.")
    if rule.kind == "after_session" and rule.hours_after is None:
        raise ValidationFailed.single(f"{field}.hours_after", "Give the hours after dosing.")
    if rule.kind == "on_dates" and not rule.dates:
        raise ValidationFailed.single(f"{field}.dates", "Give at least one date.")


@transaction.atomic
def plan_set(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID | None,
    starts_on: dt.date,
    rules: Sequence[RuleInput],
) -> MeasurementPlan:
    """Replace a patient's plan (or, with patient_id None, the clinic default plan)."""
    access.require(Permission.MANAGE_MEASUREMENT_PLANS)
    for index, rule in enumerate(rules):
        _validate_rule(access.clinic, index, rule)
    patient = patient_get(access=access, patient_id=patient_id) if patient_id else None
    plan = (
        MeasurementPlan.objects.select_for_update()
        .filter(clinic=access.clinic, patient=patient)
        .first()
    )
    before = _plan_summary(plan) if plan else None
    if plan is None:
        plan = MeasurementPlan.objects.create(
            clinic=access.clinic, patient=patient, starts_on=starts_on, created_by=access.user
        )
    else:
        plan.starts_on = starts_on
        plan.save(update_fields=["starts_on", "updated_at"])
        plan.rules.all().delete()  # plan configuration, audited below; not clinical data
    MeasurementRule.objects.bulk_create(
        [
            MeasurementRule(
                plan=plan,
                kind=r.kind,
                instruments=list(r.instruments),
                interval_days=r.interval_days,
                hours_after=r.hours_after,
                dates=[d.isoformat() for d in r.dates],
            )
            for r in rules
        ]
    )
    audit_as(
        access,
        action=Action.UPDATE if before else Action.CREATE,
        object_type="measurementplan",
        object_id=plan.pk,
        patient_id=patient.pk if patient else None,
        changes={"plan": [before, _plan_summary(plan)]},
    )
    return plan


def _plan_summary(plan: MeasurementPlan) -> dict[str, Any]:
    return {
        "starts_on": plan.starts_on.isoformat(),
        "rules": [
            {
                "kind": r.kind,
                "instruments": r.instruments,
                "interval_days": r.interval_days,
                "hours_after": r.hours_after,
                "dates": r.dates,
            }
            for r in plan.rules.all()
        ],
    }


def _stable_rule_id(rule: MeasurementRule) -> str:
    """Invitation keys name a rule by what it asks, not by its row: saving a plan recreates
    its rows, and an unchanged rule must not send its current invitation again."""
    amount = rule.interval_days or rule.hours_after or ""
    return f"{'+'.join(rule.instruments)}/{amount}"


def _schedule_rules(plan: MeasurementPlan) -> list[Any]:
    from ketacare.measures.schedule import Rule

    return [
        Rule(
            rule_id=_stable_rule_id(r),
            kind=r.kind,
            instruments=tuple(r.instruments),
            interval_days=r.interval_days,
            hours_after=r.hours_after,
            dates=tuple(dt.date.fromisoformat(d) for d in r.dates),
        )
        for r in plan.rules.all()
    ]


def schedule_run(*, now: dt.datetime) -> list[SelfReportLink]:
    """Create the links that measurement plans call for by now; idempotent."""
    created: list[SelfReportLink] = []
    for clinic in Clinic.objects.filter(is_active=True):
        created += _schedule_clinic(clinic, now)
    return created


def _schedule_clinic(clinic: Clinic, now: dt.datetime) -> list[SelfReportLink]:
    import zoneinfo

    from ketacare.measures import schedule

    plans = {
        p.patient_id: p
        for p in MeasurementPlan.objects.filter(clinic=clinic).prefetch_related("rules")
    }
    default = plans.pop(None, None)
    patients = Patient.objects.filter(clinic=clinic, archived_at__isnull=True)
    if default is None:
        patients = patients.filter(pk__in=list(plans))
    config = measure_settings_for(clinic)
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    window = dt.timedelta(hours=config.link_expiry_hours)
    sessions = _session_times_by_patient(clinic, now, window)
    issued = _issued_keys_by_patient(clinic, now, window)
    rules = {plan.pk: _schedule_rules(plan) for plan in [*plans.values(), default] if plan}
    created = []
    for patient in patients:
        plan = plans.get(patient.pk, default)
        if plan is None:
            continue
        # The clinic default plan starts for each patient on the clinic's day of registration.
        starts_on = (
            plan.starts_on
            if plan.patient_id
            else max(plan.starts_on, timezone.localtime(patient.created_at, zone).date())
        )
        settings_ = schedule.ScheduleSettings(
            starts_on=starts_on,
            zone=zone,
            send_hour_local=config.send_hour_local,
            pre_session_lead=dt.timedelta(hours=config.pre_session_lead_hours),
            send_window=window,
        )
        created += _issue(
            clinic,
            patient,
            schedule.due_invitations(
                rules=rules[plan.pk],
                sessions=sessions.get(patient.pk, []),
                issued_keys=issued.get(patient.pk, set()),
                now=now,
                settings=settings_,
            ),
            now,
        )
    return created


# How far back a tick looks for sessions: the longest "hours after" a rule may ask for
# (30 days, the API's limit) plus the link lifetime.
SESSION_LOOKBACK = dt.timedelta(days=31)


def _session_times_by_patient(
    clinic: Clinic, now: dt.datetime, window: dt.timedelta
) -> dict[uuid.UUID, list[Any]]:
    """The sessions a tick can still act on, grouped by patient, in one query."""
    from ketacare.measures.schedule import SessionTimes

    grouped: dict[uuid.UUID, list[Any]] = {}
    sessions = (
        TreatmentSession.objects.filter(
            clinic=clinic, scheduled_start__gte=now - SESSION_LOOKBACK - window
        )
        .exclude(status__in=["cancelled", "no_show"])
        .values_list("patient_id", "pk", "scheduled_start", "dosing_started_at")
    )
    for patient_id, pk, start, dosed in sessions:
        grouped.setdefault(patient_id, []).append(
            SessionTimes(session_id=str(pk), scheduled_start=start, dosing_started_at=dosed)
        )
    return grouped


def _issued_keys_by_patient(
    clinic: Clinic, now: dt.datetime, window: dt.timedelta
) -> dict[uuid.UUID, set[str]]:
    """Keys of scheduled links that could collide with one due now, in one query: an
    invitation is sent only within `window` of its due time and its link lives `window`
    from sending, so a link that expired before `now - window` cannot share its key."""
    grouped: dict[uuid.UUID, set[str]] = {}
    links = (
        SelfReportLink.objects.filter(clinic=clinic, expires_at__gte=now - window)
        .exclude(schedule_key="")
        .values_list("patient_id", "schedule_key")
    )
    for patient_id, key in links:
        grouped.setdefault(patient_id, set()).add(key)
    return grouped


def _issue(
    clinic: Clinic, patient: Patient, invitations: Sequence[Any], now: dt.datetime
) -> list[SelfReportLink]:
    created = []
    for invitation in invitations:
        if any(link_refusal(clinic, code) for code in invitation.instruments):
            continue  # e.g. licensed wording removed since the plan was set: nothing is sent
        channel = "email" if patient.email else ("sms" if patient.phone else "none")
        try:
            created.append(_issue_one(clinic, patient, invitation, channel, now))
        except IntegrityError:
            continue  # issued already (the key is unique per patient): nothing to send
    return created


def _issue_one(
    clinic: Clinic, patient: Patient, invitation: Any, channel: str, now: dt.datetime
) -> SelfReportLink:
    with transaction.atomic():
        session = (
            TreatmentSession.objects.get(pk=invitation.session_id)
            if invitation.session_id
            else None
        )
        return _create_link(
            clinic=clinic,
            patient=patient,
            instruments=invitation.instruments,
            context=invitation.context,
            channel=channel,
            now=now,
            session=session,
            offset_hours=invitation.offset_hours,
            schedule_key=invitation.key,
        )


@transaction.atomic
def reminders_send_due(*, now: dt.datetime) -> list[SelfReportLink]:
    """Remind patients of unanswered links, up to the clinic's count and interval."""
    reminded = []
    open_links = (
        SelfReportLink.objects.select_for_update()
        .filter(completed_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
        .filter(purpose=SelfReportLink.Purpose.QUESTIONNAIRE)  # consent links: no reminders
        .exclude(channel=SelfReportLink.Channel.NONE)
        .select_related("clinic", "patient")
    )
    for link in open_links:
        config = measure_settings_for(link.clinic)
        interval = dt.timedelta(hours=config.reminder_interval_hours)
        if link.reminders_sent >= config.reminder_count:
            continue
        if link.last_sent_at and now - link.last_sent_at < interval:
            continue
        _send_link(link, reminder=True, now=now)
        link.reminders_sent += 1
        link.save(update_fields=["reminders_sent", "last_sent_at", "updated_at"])
        audit_record(
            actor=None,
            clinic=link.clinic,
            action=Action.REMIND,
            object_type="selfreportlink",
            object_id=link.pk,
            patient_id=link.patient_id,
            actor_label="schedule",
            changes={"reminders_sent": [link.reminders_sent - 1, link.reminders_sent]},
        )
        reminded.append(link)
    return reminded


def scheduler_tick(*, now: dt.datetime) -> dict[str, int]:
    """All scheduled measurement work due at `now`. The worker runs this every minute."""
    return {
        "invitations": len(schedule_run(now=now)),
        "reminders": len(reminders_send_due(now=now)),
        "escalations": len(alerts_escalate_due(now=now)),
    }


@dataclass(frozen=True)
class Dashboard:
    alerts: list[SafetyAlert]
    links: list[SelfReportLink]
    scores: list[Score]


@transaction.atomic
def alert_list_view(*, access: ClinicAccess) -> list[SafetyAlert]:
    """The clinic's open safety alerts, audited once with the patients they name."""
    from ketacare.measures.selectors import open_alerts

    access.require(Permission.VIEW_CHART)
    alerts = list(open_alerts(clinic=access.clinic).select_related("acknowledged_by"))
    audit_as(
        access,
        action=Action.VIEW,
        object_type="alert_list",
        details={"patient_ids": sorted({str(a.patient_id) for a in alerts}), "open": len(alerts)},
    )
    return alerts


@transaction.atomic
def dashboard_open(
    *, access: ClinicAccess, now: dt.datetime, recent: int = 20, awaiting: int = 50
) -> Dashboard:
    """The care team's dashboard. It names patients, so opening it is audited, once,
    with the patients it showed (like a registry search)."""
    from ketacare.measures.selectors import open_alerts, open_links, recent_scores

    access.require(Permission.VIEW_CHART)
    board = Dashboard(
        alerts=list(open_alerts(clinic=access.clinic)),
        links=list(open_links(clinic=access.clinic).filter(expires_at__gt=now)[:awaiting]),
        scores=recent_scores(clinic=access.clinic, limit=recent),
    )
    shown = {row.patient_id for rows in (board.alerts, board.links, board.scores) for row in rows}
    audit_as(
        access,
        action=Action.VIEW,
        object_type="dashboard",
        details={"patient_ids": sorted(str(p) for p in shown), "open_alerts": len(board.alerts)},
    )
    return board
