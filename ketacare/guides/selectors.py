"""Reads of guides: the clinic's settings and texts, a session's route family, and what
was sent."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from ketacare.accounts.models import Clinic
from ketacare.common.errors import NotFound
from ketacare.guides import core
from ketacare.guides.models import GuideSend, GuideSettings, GuideText
from ketacare.treatment.models import Administration, TreatmentSession


def guide_settings_for(clinic: Clinic) -> GuideSettings:
    """The clinic's guide settings, created from the cited defaults on first use."""
    found, _ = GuideSettings.objects.get_or_create(
        clinic=clinic,
        defaults={
            "preparation_hours_before": settings.KETACARE_GUIDE_PREPARATION_HOURS_BEFORE,
            "aftercare_hours_after": settings.KETACARE_GUIDE_AFTERCARE_HOURS_AFTER,
            "fasting_hours": settings.KETACARE_GUIDE_FASTING_HOURS,
            "arrive_minutes_before": settings.KETACARE_GUIDE_ARRIVE_MINUTES_BEFORE,
        },
    )
    return found


def policy_of(clinic: Clinic) -> core.GuideSettings:
    found = guide_settings_for(clinic)
    return core.GuideSettings(
        preparation_hours_before=found.preparation_hours_before,
        aftercare_hours_after=found.aftercare_hours_after,
        fasting_hours=found.fasting_hours,
        arrive_minutes_before=found.arrive_minutes_before,
    )


def clinic_texts(clinic: Clinic) -> dict[tuple[str, str, str], str]:
    """The clinic's own texts by (family, kind, language)."""
    return {
        (row.family, row.kind, row.language): row.text
        for row in GuideText.objects.filter(clinic=clinic)
    }


def choice_for(
    clinic: Clinic, family: core.Family, kind: core.Kind, language: str = core.ENGLISH
) -> core.Chosen:
    """The guide a patient whose language is `language` reads for this family and kind,
    at this clinic, now (its text, its language, and whether it fell back to English)."""
    own = {
        lang: text
        for (fam, knd, lang), text in clinic_texts(clinic).items()
        if (fam, knd) == (family.value, kind.value)
    }
    return core.choose(family, kind, policy_of(clinic), language, own)


def text_for(
    clinic: Clinic, family: core.Family, kind: core.Kind, language: str = core.ENGLISH
) -> str:
    """What the patient reads for this family and kind, in this language, at this clinic."""
    return choice_for(clinic, family, kind, language).text


def session_family(session: TreatmentSession) -> core.Family | None:
    """The guide family of a session: the route given, else its protocol's route."""
    given = Administration.objects.filter(session=session).values_list("route", flat=True)
    for route in given:
        return core.family_of(route)
    if not session.protocol_code:
        return None
    from ketacare.dosing.selectors import protocol_definition

    try:
        definition = protocol_definition(clinic=session.clinic, code=session.protocol_code)
    except NotFound:
        return None
    return core.family_of(definition.route)


def sends_of(*, clinic: Clinic, session: TreatmentSession) -> QuerySet[GuideSend]:
    return GuideSend.objects.filter(clinic=clinic, session=session).select_related(
        "link", "sent_by"
    )
