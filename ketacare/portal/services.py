"""The patient's own view through a link: sending the link, and what it shows. The link
is a patient link (ketacare.measures SelfReportLink, purpose "patient_view"): signed,
expiring and revocable like every other; it opens read-only pages, and each opening is
audited."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_record
from ketacare.common.errors import NotFound, ValidationFailed
from ketacare.consent.models import EConsent
from ketacare.measures import Instrument, get_instrument
from ketacare.measures import services as links
from ketacare.measures.models import Score, SelfReportLink
from ketacare.messaging.services import message_queue
from ketacare.patients.language import in_patient_language
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get
from ketacare.portal.core import ScoreChart, score_chart
from ketacare.treatment.models import TreatmentSession

UPCOMING = 10  # sessions listed; a course rarely books more ahead


@transaction.atomic
def portal_link_send(
    *, access: ClinicAccess, patient_id: uuid.UUID | str, channel: str, now: dt.datetime
) -> SelfReportLink:
    """Send the patient a link to their own view, open for KETACARE_PORTAL_LINK_DAYS."""
    access.require(Permission.SEND_MEASURE_LINKS)
    patient = patient_get(access=access, patient_id=patient_id)
    if patient.is_archived:
        raise ValidationFailed.single("patient", "This patient is archived.")
    to = {"email": patient.email, "sms": patient.phone, "none": "-"}.get(channel)
    if to is None:
        raise ValidationFailed.single("channel", "Choose email, sms or none.")
    if not to:
        raise ValidationFailed.single("channel", f"The patient has no {channel} contact on file.")
    link = links.patient_link_issue(
        clinic=access.clinic,
        patient=patient,
        channel=SelfReportLink.Channel.NONE,  # the message below says what this link opens
        now=now,
        created_by=access.user,
        purpose=SelfReportLink.Purpose.PATIENT_VIEW,
    )
    link.channel = channel
    link.expires_at = now + dt.timedelta(days=settings.KETACARE_PORTAL_LINK_DAYS)
    link.save(update_fields=["channel", "expires_at"])
    if channel != SelfReportLink.Channel.NONE:
        with in_patient_language(patient):
            names = {"clinic": access.clinic.name, "url": links.link_url(link)}
            subject = _("Your page at %(clinic)s") % names
            body = (
                _(
                    "%(clinic)s: your sessions, your questionnaire scores and your signed "
                    "consent forms, on one page: %(url)s"
                )
                % names
            )
        message_queue(
            clinic=access.clinic,
            channel=channel,
            to=to,
            subject=subject,
            body=body,
            purpose="patient_view_link",
            patient_id=patient.pk,
        )
    return link


@dataclass(frozen=True)
class ScoreRow:
    answered_at: dt.datetime
    total: int
    band: str  # what the score usually means, in the patient's language ("" if unbanded)


@dataclass(frozen=True)
class ScoreHistory:
    instrument: str  # its abbreviation
    name: str
    chart: ScoreChart | None
    rows: list[ScoreRow]  # newest first

    @property
    def latest_total(self) -> int:
        return self.rows[0].total

    @property
    def latest_band(self) -> str:
        return self.rows[0].band


@dataclass(frozen=True)
class PortalView:
    link: SelfReportLink
    patient: Patient
    upcoming: list[TreatmentSession]
    histories: list[ScoreHistory]
    consents: list[EConsent]


def _open(token: str, now: dt.datetime | None) -> SelfReportLink:
    link = links.link_open(token=token, now=now)
    if link.purpose != SelfReportLink.Purpose.PATIENT_VIEW:
        raise links.LinkRefused("invalid")
    return link


def _band_of(instrument: Instrument, score: Score) -> str:
    total = int(score.total or 0)
    return next((b.label for b in instrument.bands if b.low <= total <= b.high), "")


def _histories(clinic: Clinic, patient: Patient) -> list[ScoreHistory]:
    scores = Score.objects.filter(patient=patient, is_current=True, total__isnull=False)
    by_instrument: dict[str, list[Score]] = {}
    for score in scores.order_by("answered_at"):
        by_instrument.setdefault(score.instrument, []).append(score)
    histories = []
    for code, rows in by_instrument.items():
        # Names and bands as the patient reads them (the page runs in their language).
        instrument = get_instrument(code).in_language(translation.get_language() or "en")
        low, high = instrument.total_range or (0, max(s.total or 0 for s in rows))
        chart = score_chart(
            [(clinic.date_of(s.answered_at), int(s.total or 0)) for s in rows],
            low=low,
            high=high,
            bands=[(b.label, b.low, b.high) for b in instrument.bands],
        )
        shown = [ScoreRow(s.answered_at, int(s.total or 0), _band_of(instrument, s)) for s in rows]
        histories.append(ScoreHistory(instrument.abbreviation, instrument.name, chart, shown[::-1]))
    return histories


@transaction.atomic
def portal_open(*, token: str, now: dt.datetime) -> PortalView:
    """What the patient sees: upcoming sessions, their scores by questionnaire, and the
    consent forms they signed. Audited as the patient's own view."""
    link = _open(token, now)
    patient = link.patient
    upcoming = list(
        TreatmentSession.objects.filter(
            patient=patient,
            status=TreatmentSession.Status.SCHEDULED,
            scheduled_start__gte=now,
        ).order_by("scheduled_start")[:UPCOMING]
    )
    consents = list(
        EConsent.objects.filter(
            patient=patient,
            status__in=(EConsent.Status.SIGNED, EConsent.Status.COUNTERSIGNED),
        )
        .select_related("version", "version__document")
        .order_by("-signed_at")
    )
    audit_record(
        actor=None,
        actor_label="patient",
        clinic=link.clinic,
        action=Action.VIEW,
        object_type="patient_view",
        object_id=link.pk,
        patient_id=patient.pk,
    )
    return PortalView(link, patient, upcoming, _histories(link.clinic, patient), consents)


@transaction.atomic
def portal_consent_pdf(
    *, token: str, econsent_id: uuid.UUID, now: dt.datetime
) -> tuple[EConsent, bytes]:
    """One of the patient's own signed consent forms (countersigned if it is), audited."""
    link = _open(token, now)
    econsent = EConsent.objects.filter(
        patient=link.patient,
        pk=econsent_id,
        status__in=(EConsent.Status.SIGNED, EConsent.Status.COUNTERSIGNED),
    ).first()
    if econsent is None:
        raise NotFound("consent")
    data = econsent.countersigned_pdf or econsent.signed_pdf
    audit_record(
        actor=None,
        actor_label="patient",
        clinic=link.clinic,
        action=Action.VIEW,
        object_type="econsent",
        object_id=econsent.pk,
        patient_id=link.patient_id,
        details={"through": "patient_view"},
    )
    return econsent, bytes(data or b"")
