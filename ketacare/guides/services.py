"""Writes of guides: the clinic's settings and texts, the worker's due sends, and a
guide sent now by staff. Each public function runs in one transaction and writes its
audit record there."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as, audit_record
from ketacare.common import clock
from ketacare.common.errors import ValidationFailed
from ketacare.guides import core
from ketacare.guides.models import GuideSend, GuideText
from ketacare.guides.selectors import (
    choice_for,
    guide_settings_for,
    policy_of,
    sends_of,
    session_family,
    text_for,
)
from ketacare.measures import services as links
from ketacare.measures.models import MeasureContext, SelfReportLink
from ketacare.patients.language import language_of
from ketacare.treatment.models import TreatmentSession
from ketacare.treatment.selectors import session_get

SETTING_RANGES = {
    "preparation_hours_before": (1, 168),
    "aftercare_hours_after": (0, 24),
    "fasting_hours": (0, 12),
    "arrive_minutes_before": (0, 120),
}


@transaction.atomic
def settings_update(*, access: ClinicAccess, **values: int | None) -> Any:
    access.require(Permission.MANAGE_PROTOCOLS)
    found = guide_settings_for(access.clinic)
    changes: dict[str, list[Any]] = {}
    for name, (low, high) in SETTING_RANGES.items():
        if name not in values:
            continue
        value = values[name]
        if not isinstance(value, int) or not low <= value <= high:
            raise ValidationFailed.single(name, f"Give a whole number from {low} to {high}.")
        if getattr(found, name) != value:
            changes[name] = [getattr(found, name), value]
            setattr(found, name, value)
    found.save()
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="guidesettings",
        object_id=found.pk,
        changes=changes,
    )
    return found


@transaction.atomic
def text_update(
    *, access: ClinicAccess, family: str, kind: str, text: str, language: str = core.ENGLISH
) -> str:
    """Set the clinic's text for a family, kind and language (blank: back to KetaCare's
    default). Answers the text a patient of that language will read: for esketamine
    aftercare, the label's driving sentence in that language is appended when the
    clinic's text lacks it (docs/guides.md)."""
    access.require(Permission.MANAGE_PROTOCOLS)
    if family not in core.Family.__members__.values():
        raise ValidationFailed.single("family", "Choose a form of treatment.")
    if kind not in core.Kind.__members__.values():
        raise ValidationFailed.single("kind", "Choose preparation or aftercare.")
    if language not in core.LANGUAGES:
        raise ValidationFailed.single("language", "Choose English or Spanish.")
    if len(text) > 10_000:
        raise ValidationFailed.single("text", "Keep the text under 10,000 characters.")
    fam, knd = core.Family(family), core.Kind(kind)
    row = GuideText.objects.filter(
        clinic=access.clinic, family=family, kind=kind, language=language
    ).first()
    old = row.text if row else ""
    if not text.strip():
        if row:
            row.delete()
    elif row:
        row.text, row.updated_by = text.strip(), access.user
        row.save()
    else:
        GuideText.objects.create(
            clinic=access.clinic,
            family=family,
            kind=kind,
            language=language,
            text=text.strip(),
            updated_by=access.user,
        )
    audit_as(
        access,
        action=Action.UPDATE,
        object_type="guidetext",
        object_id=f"{family}:{kind}" + ("" if language == core.ENGLISH else f":{language}"),
        changes={"text": [old, text.strip()]},
        details={"language": language},
    )
    return text_for(access.clinic, fam, knd, language)


def _channel(patient: Any) -> str:
    return "sms" if patient.phone else ("email" if patient.email else "none")


def _issue(
    *,
    session: TreatmentSession,
    kind: core.Kind,
    family: core.Family,
    key: str,
    now: dt.datetime,
    sent_by: Any = None,
    channel: str | None = None,
) -> GuideSend:
    """Create and send the link and its GuideSend row (the caller holds the transaction).
    The link reuses the measures link code (token, expiry, message, audit)."""
    clinic, patient = session.clinic, session.patient
    link = links.patient_link_issue(
        clinic=clinic,
        patient=patient,
        channel=channel or _channel(patient),
        now=now,
        created_by=sent_by,
        purpose=SelfReportLink.Purpose.SESSION_GUIDE,
        context=MeasureContext.PRE_SESSION
        if kind is core.Kind.PREPARATION
        else MeasureContext.POST_SESSION,
        session=session,
    )
    chosen = choice_for(clinic, family, kind, language_of(patient))
    send = GuideSend.objects.create(
        clinic=clinic,
        patient=patient,
        session=session,
        kind=kind.value,
        family=family.value,
        key=key,
        scheduled_start=session.scheduled_start,
        text=chosen.text,
        language=chosen.language,
        fallback=chosen.fallback,
        link=link,
        sent_at=now,
        sent_by=sent_by,
    )
    audit_record(
        actor=sent_by,
        clinic=clinic,
        action=Action.CREATE,
        object_type="guidesend",
        object_id=send.pk,
        patient_id=patient.pk,
        actor_label=None if sent_by else "schedule",
        changes={"kind": [None, kind.value], "session": [None, str(session.pk)]},
        details={
            **({"key": key} if key else {}),
            "language": chosen.language,
            "fallback": chosen.fallback,
        },
    )
    return send


def guides_send_due(*, now: dt.datetime) -> list[GuideSend]:
    """Every guide due at `now`, each sent once (the key is unique). The worker's tick."""
    sent: list[GuideSend] = []
    for clinic in Clinic.objects.filter(is_active=True):
        sent += _clinic_due(clinic, now)
    return sent


def _clinic_due(clinic: Clinic, now: dt.datetime) -> list[GuideSend]:
    policy = policy_of(clinic)
    horizon = dt.timedelta(hours=policy.preparation_hours_before)
    window = dt.timedelta(hours=policy.aftercare_hours_after) + core.AFTERCARE_WINDOW
    sessions = {
        str(s.pk): s
        for s in TreatmentSession.objects.filter(clinic=clinic)
        .filter(
            (
                Q(
                    status__in=core.BEFORE_START,
                    scheduled_start__gt=now,
                    scheduled_start__lte=now + horizon,
                )
            )
            | Q(status__in=core.AFTER_DISCHARGE, discharged_at__gt=now - window)
        )
        .select_related("clinic", "patient")
    }
    facts = [
        core.SessionFacts(key, s.status, s.scheduled_start, s.discharged_at)
        for key, s in sessions.items()
    ]
    done = set(
        GuideSend.objects.filter(clinic=clinic, session_id__in=list(sessions)).values_list(
            "key", flat=True
        )
    )
    created: list[GuideSend] = []
    for due in core.due_sends(facts, policy, now, done):
        session = sessions[due.session_id]
        family = session_family(session)
        if family is None or session.patient.is_archived:
            continue  # no route known (no protocol): nothing to say
        try:
            with transaction.atomic():
                created.append(
                    _issue(session=session, kind=due.kind, family=family, key=due.key, now=now)
                )
        except IntegrityError:
            continue  # another worker sent it: the key is unique
    return created


@transaction.atomic
def guide_send_now(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    session_id: uuid.UUID,
    kind: str,
    channel: str | None = None,
) -> GuideSend:
    """Staff send a guide now (again, or early). Does not count as the scheduled send."""
    access.require(Permission.SEND_MEASURE_LINKS)
    session = session_get(access=access, patient_id=patient_id, session_id=session_id)
    if kind not in core.Kind.__members__.values():
        raise ValidationFailed.single("kind", "Choose preparation or aftercare.")
    if session.status in core.CALLED_OFF:
        raise ValidationFailed.single("session", "This session was cancelled or missed.")
    if session.patient.is_archived:
        raise ValidationFailed.single("patient", "This patient is archived.")
    family = session_family(session)
    if family is None:
        raise ValidationFailed.single(
            "session", "This session has no protocol, so there is no guide for it."
        )
    return _issue(
        session=session,
        kind=core.Kind(kind),
        family=family,
        key="",
        now=clock.now(),
        sent_by=access.user,
        channel=channel,
    )


def guide_open(*, token: str) -> GuideSend:
    """The guide of a live guide link, or links.LinkRefused saying why not. A cancelled
    or missed session's guide answers as revoked."""
    link = links.link_open(token=token)
    if link.purpose != SelfReportLink.Purpose.SESSION_GUIDE:
        raise links.LinkRefused("invalid")
    found = GuideSend.objects.select_related("session", "clinic").filter(link=link).first()
    if found is None:
        raise links.LinkRefused("invalid")
    if found.session.status in core.CALLED_OFF:
        raise links.LinkRefused("revoked", link)
    return found


@dataclass(frozen=True)
class SessionGuides:
    session: TreatmentSession
    family: core.Family | None
    sends: list[GuideSend]
    due: dict[str, dt.datetime | None]  # kind -> when the worker sends it (None: never)


@transaction.atomic
def session_guides_view(
    *, access: ClinicAccess, patient_id: uuid.UUID, session_id: uuid.UUID
) -> SessionGuides:
    """What was sent for a session and when the rest falls due; a chart read, audited."""
    access.require(Permission.VIEW_CHART)
    session = session_get(access=access, patient_id=patient_id, session_id=session_id)
    policy = policy_of(access.clinic)
    facts = core.SessionFacts(
        str(session.pk), session.status, session.scheduled_start, session.discharged_at
    )
    found = SessionGuides(
        session=session,
        family=session_family(session),
        sends=list(sends_of(clinic=access.clinic, session=session)),
        due={kind.value: core.due_at(facts, kind, policy) for kind in core.Kind},
    )
    audit_as(
        access,
        action=Action.VIEW,
        object_type="session_guides",
        object_id=session.pk,
        patient_id=session.patient_id,
        details={"sends": len(found.sends)},
    )
    return found
