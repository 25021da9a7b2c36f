"""Preparation and aftercare guides for treatment sessions: pure rules, no Django.

What a patient reads before and after a session, per protocol family (the route), and
which guide is due at an instant. Facts carry their source (/work/shared/reference/
clinical.md, by section); the times and the fasting hours are clinical choices the clinic
sets (GuideSettings), with the defaults cited in ketacare/settings.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    PREPARATION = "preparation"
    AFTERCARE = "aftercare"


KIND_LABELS = {Kind.PREPARATION: "Preparation", Kind.AFTERCARE: "Aftercare"}


class Family(StrEnum):
    """Protocol families by route (ketacare.dosing.protocols.Route)."""

    IV = "iv"
    IM = "im"
    INTRANASAL = "intranasal"  # esketamine (Spravato)
    ORAL = "oral"  # oral and sublingual racemic ketamine
    ORAL_ER = "oral_er"  # extended-release tablet


FAMILY_LABELS = {
    Family.IV: "IV ketamine",
    Family.IM: "IM ketamine",
    Family.INTRANASAL: "Esketamine nasal spray (Spravato)",
    Family.ORAL: "Oral or sublingual ketamine",
    Family.ORAL_ER: "Extended-release oral ketamine",
}

_ROUTE_FAMILY = {
    "iv": Family.IV,
    "im": Family.IM,
    "intranasal": Family.INTRANASAL,
    "oral": Family.ORAL,
    "sublingual": Family.ORAL,
    "oral_er": Family.ORAL_ER,
}


def family_of(route: str) -> Family | None:
    """The guide family of a protocol route, or None for a route KetaCare has no guide for."""
    return _ROUTE_FAMILY.get(str(route))


# Spravato label: no driving or operating machinery until the next day after a restful
# sleep (clinical.md 2.2 and 4.5, [V]). Every esketamine aftercare guide carries it, whatever
# the clinic's edit: `guide_text` appends it when an edited text lacks it.
DRIVING_SENTENCE = "Do not drive or operate machinery until the next day, after a restful sleep."
# The same label sentence in Spanish (clinical.md 2.2 and 4.5, the Spravato label), in this
# project's plain neutral Latin-American Spanish ("usted"; "manejar" for to drive, the
# common word across Latin America; "dormir bien" for a restful sleep). Same rule: every
# Spanish esketamine aftercare guide carries it, whatever the clinic's Spanish edit.
DRIVING_SENTENCE_ES = (
    "No maneje ni opere maquinaria hasta el día siguiente, después de haber dormido bien."
)

ENGLISH, SPANISH = "en", "es"
LANGUAGES = (ENGLISH, SPANISH)
DRIVING_SENTENCES = {ENGLISH: DRIVING_SENTENCE, SPANISH: DRIVING_SENTENCE_ES}

# --- default texts ---------------------------------------------------------------------
# Placeholders: {fasting_hours} and {arrive_minutes} (the clinic's settings).

_MEDICINES = (
    "Take or hold your usual medicines exactly as your prescriber told you. If you are "
    "not sure about a medicine, call the clinic before your session."
)
_RIDE = (
    "Arrange for an adult to drive you home. You will not be able to drive yourself after "
    "the session."
)
_ARRIVE = "Arrive {arrive_minutes} minutes before your session time."
_WARNING = (
    "Warning signs: chest pain, trouble breathing, a severe headache, confusion that does "
    "not pass, or thoughts of harming yourself."
)
_CALL = (
    "Call the clinic if you have questions, if you feel very unwell, or if something "
    "worries you. If you have chest pain, trouble breathing, a severe headache, or "
    "thoughts of harming yourself, call your local emergency number now."
)

DEFAULT_TEXTS: dict[tuple[Family, Kind], str] = {
    # Esketamine: no food for 2 h and no liquids for 30 min before dosing; nasal
    # corticosteroids or decongestants at least 1 h before (spravato.com, clinical.md 2.1).
    (Family.INTRANASAL, Kind.PREPARATION): "\n\n".join(
        [
            "Do not eat for {fasting_hours} hours before your session, and do not drink "
            "anything for 30 minutes before it.",
            "If you use a nasal steroid or decongestant spray, use it at least 1 hour "
            "before your session.",
            _MEDICINES,
            _RIDE,
            _ARRIVE,
        ]
    ),
    # Observation >= 2 h, then a stability check before leaving; someone else drives
    # (clinical.md 2.2, 4.5). Dissociation, sedation and raised blood pressure are the
    # label's common effects (2.2); most effects resolved by about 1.5 h (4.4).
    (Family.INTRANASAL, Kind.AFTERCARE): "\n\n".join(
        [
            "After your session you may feel sleepy, dizzy, or detached from yourself or "
            "your surroundings. These feelings usually pass within a few hours.",
            DRIVING_SENTENCE,
            "Go home with the adult who drives you, and rest for the rest of the day.",
            _WARNING,
            _CALL,
        ]
    ),
    # IV ketamine discharge criteria are not published [NF]; clinic practice [S]: back to
    # baseline, released to a responsible adult, no driving for 24 h (clinical.md 4.5). The
    # clinic replaces these texts with its protocol text.
    (Family.IV, Kind.PREPARATION): "\n\n".join(
        [
            "Do not eat for {fasting_hours} hours before your infusion. Follow the clinic's "
            "instructions about drinking.",
            _MEDICINES,
            _RIDE,
            _ARRIVE,
        ]
    ),
    (Family.IV, Kind.AFTERCARE): "\n\n".join(
        [
            "After your infusion you may feel tired, dizzy or unsteady, or see things "
            "differently for a while. These feelings usually pass within a few hours.",
            "Do not drive, operate machinery, or make important decisions for 24 hours.",
            _WARNING,
            _CALL,
        ]
    ),
    (Family.IM, Kind.PREPARATION): "\n\n".join(
        [
            "Do not eat for {fasting_hours} hours before your session.",
            _MEDICINES,
            _RIDE,
            _ARRIVE,
        ]
    ),
    (Family.IM, Kind.AFTERCARE): "\n\n".join(
        [
            "After your injection you may feel tired, dizzy or detached for a few hours. "
            "The injection site may be sore.",
            "Do not drive or operate machinery for 24 hours.",
            _WARNING,
            _CALL,
        ]
    ),
    (Family.ORAL, Kind.PREPARATION): "\n\n".join(
        [
            "Do not eat for {fasting_hours} hours before your session.",
            _MEDICINES,
            _RIDE,
            _ARRIVE,
        ]
    ),
    (Family.ORAL, Kind.AFTERCARE): "\n\n".join(
        [
            "After your dose you may feel tired, dizzy or detached for a few hours.",
            "Do not drive or operate machinery for 24 hours.",
            _WARNING,
            _CALL,
        ]
    ),
    # minimal dissociation or sedation, no BP change (clinical.md 2.5).
    (Family.ORAL_ER, Kind.PREPARATION): "\n\n".join(
        [
            "Take or hold your usual medicines exactly as your prescriber told you.",
            "Follow the clinic's instructions about eating before your dose.",
            _ARRIVE,
        ]
    ),
    (Family.ORAL_ER, Kind.AFTERCARE): "\n\n".join(
        [
            "Most people feel little change after an extended-release dose. If you feel "
            "sleepy or dizzy, do not drive or operate machinery until it has passed.",
            _CALL,
        ]
    ),
}


# The Spanish default texts: the same facts and sources as DEFAULT_TEXTS, family by family,
# in plain Spanish ("usted"). Same placeholders.

_MEDICINES_ES = (
    "Tome sus medicamentos de siempre, o déjelos de tomar, tal como le dijo quien se los "
    "receta. Si tiene dudas sobre un medicamento, llame a la clínica antes de su sesión."
)
_RIDE_ES = (
    "Pida a un adulto que le lleve a casa en carro. Usted no podrá manejar después de la sesión."
)
_ARRIVE_ES = "Llegue {arrive_minutes} minutos antes de la hora de su sesión."
_WARNING_ES = (
    "Señales de alarma: dolor en el pecho, dificultad para respirar, un dolor de cabeza "
    "muy fuerte, confusión que no se quita o pensamientos de hacerse daño."
)
_CALL_ES = (
    "Llame a la clínica si tiene preguntas, si se siente muy mal o si algo le preocupa. Si "
    "tiene dolor en el pecho, dificultad para respirar, un dolor de cabeza muy fuerte o "
    "pensamientos de hacerse daño, llame ahora al número de emergencias de su zona."
)

DEFAULT_TEXTS_ES: dict[tuple[Family, Kind], str] = {
    # Sources as DEFAULT_TEXTS (clinical.md 2.1).
    (Family.INTRANASAL, Kind.PREPARATION): "\n\n".join(
        [
            "No coma durante las {fasting_hours} horas antes de su sesión, y no beba nada "
            "durante los 30 minutos antes.",
            "Si usa un aerosol nasal con esteroide o un descongestionante, úselo al menos 1 "
            "hora antes de su sesión.",
            _MEDICINES_ES,
            _RIDE_ES,
            _ARRIVE_ES,
        ]
    ),
    # clinical.md 2.2, 4.4, 4.5.
    (Family.INTRANASAL, Kind.AFTERCARE): "\n\n".join(
        [
            "Después de su sesión puede sentir sueño, mareo o que está como separado de "
            "usted mismo o de lo que le rodea. Esto suele pasar en unas horas.",
            DRIVING_SENTENCE_ES,
            "Vuelva a casa con el adulto que le lleva, y descanse el resto del día.",
            _WARNING_ES,
            _CALL_ES,
        ]
    ),
    # IV: a placeholder the clinic replaces with its protocol text, in each language
    # (clinical.md 4.5; docs/guides.md, "Languages").
    (Family.IV, Kind.PREPARATION): "\n\n".join(
        [
            "No coma durante las {fasting_hours} horas antes de su infusión. Siga las "
            "indicaciones de la clínica sobre lo que puede beber.",
            _MEDICINES_ES,
            _RIDE_ES,
            _ARRIVE_ES,
        ]
    ),
    (Family.IV, Kind.AFTERCARE): "\n\n".join(
        [
            "Después de su infusión puede sentirse cansado, mareado o inestable, o ver las "
            "cosas distintas por un rato. Esto suele pasar en unas horas.",
            "No maneje, no opere maquinaria y no tome decisiones importantes durante 24 horas.",
            _WARNING_ES,
            _CALL_ES,
        ]
    ),
    (Family.IM, Kind.PREPARATION): "\n\n".join(
        [
            "No coma durante las {fasting_hours} horas antes de su sesión.",
            _MEDICINES_ES,
            _RIDE_ES,
            _ARRIVE_ES,
        ]
    ),
    (Family.IM, Kind.AFTERCARE): "\n\n".join(
        [
            "Después de su inyección puede sentirse cansado, mareado o como separado de todo "
            "durante unas horas. Le puede doler donde le pusieron la inyección.",
            "No maneje ni opere maquinaria durante 24 horas.",
            _WARNING_ES,
            _CALL_ES,
        ]
    ),
    (Family.ORAL, Kind.PREPARATION): "\n\n".join(
        [
            "No coma durante las {fasting_hours} horas antes de su sesión.",
            _MEDICINES_ES,
            _RIDE_ES,
            _ARRIVE_ES,
        ]
    ),
    (Family.ORAL, Kind.AFTERCARE): "\n\n".join(
        [
            "Después de su dosis puede sentirse cansado, mareado o como separado de todo "
            "durante unas horas.",
            "No maneje ni opere maquinaria durante 24 horas.",
            _WARNING_ES,
            _CALL_ES,
        ]
    ),
    # clinical.md 2.5.
    (Family.ORAL_ER, Kind.PREPARATION): "\n\n".join(
        [
            "Tome sus medicamentos de siempre, o déjelos de tomar, tal como le dijo quien se "
            "los receta.",
            "Siga las indicaciones de la clínica sobre comer antes de su dosis.",
            _ARRIVE_ES,
        ]
    ),
    (Family.ORAL_ER, Kind.AFTERCARE): "\n\n".join(
        [
            "Casi nadie nota mucho cambio después de una dosis de liberación lenta. Si siente "
            "sueño o mareo, no maneje ni opere maquinaria hasta que se le pase.",
            _CALL_ES,
        ]
    ),
}

DEFAULTS_BY_LANGUAGE: dict[str, dict[tuple[Family, Kind], str]] = {
    ENGLISH: DEFAULT_TEXTS,
    SPANISH: DEFAULT_TEXTS_ES,
}

# The families whose texts are the clinic's protocol text (docs/guides.md): for a patient
# whose language the clinic has no text in, the clinic's English text is sent (marked
# `fallback`, and staff are shown it), never KetaCare's default in its place.
PROTOCOL_FAMILIES = frozenset({Family.IV})


@dataclass(frozen=True)
class GuideSettings:
    """The clinic's choices (clinical, with cited defaults in ketacare/settings.py)."""

    preparation_hours_before: int
    aftercare_hours_after: int
    fasting_hours: int
    arrive_minutes_before: int


def guide_text(
    family: Family,
    kind: Kind,
    settings: GuideSettings,
    clinic_text: str | None = None,
    language: str = ENGLISH,
) -> str:
    """What the patient reads: the clinic's text for this family and kind, else KetaCare's
    default in `language`, with the settings filled in. Esketamine aftercare always carries
    the label's driving sentence in `language`: it is appended when the text lacks it."""
    language = language if language in LANGUAGES else ENGLISH
    if clinic_text and clinic_text.strip():
        base = clinic_text
    else:
        base = DEFAULTS_BY_LANGUAGE[language][(family, kind)]
    text = _fill(base, settings).strip()
    sentence = DRIVING_SENTENCES[language]
    if (family, kind) == (Family.INTRANASAL, Kind.AFTERCARE) and sentence not in text:
        text = f"{text}\n\n{sentence}"
    return text


@dataclass(frozen=True)
class Chosen:
    """The guide a patient gets: its text, the language it is in, and whether it is in
    English because the clinic has no protocol text in the patient's language."""

    text: str
    language: str
    fallback: bool


def choose(
    family: Family,
    kind: Kind,
    settings: GuideSettings,
    language: str,
    clinic_texts: Mapping[str, str],
) -> Chosen:
    """The guide in the patient's `language`, given the clinic's texts for this family and
    kind by language (blank or missing: none). In order: the clinic's text in the
    language; for a protocol family (IV), the clinic's English protocol text, marked as a
    fallback; else KetaCare's default in the language (its English one for an unknown
    language)."""
    wanted = language if language in LANGUAGES else ENGLISH
    own = (clinic_texts.get(wanted) or "").strip()
    if own:
        return Chosen(guide_text(family, kind, settings, own, wanted), wanted, False)
    english = (clinic_texts.get(ENGLISH) or "").strip()
    if family in PROTOCOL_FAMILIES and wanted != ENGLISH and english:
        return Chosen(guide_text(family, kind, settings, english, ENGLISH), ENGLISH, True)
    return Chosen(guide_text(family, kind, settings, None, wanted), wanted, False)


def _fill(text: str, settings: GuideSettings) -> str:
    # str.replace, not format: a clinic's text may hold braces of its own.
    return text.replace("{fasting_hours}", str(settings.fasting_hours)).replace(
        "{arrive_minutes}", str(settings.arrive_minutes_before)
    )


# --- which guide is due ----------------------------------------------------------------

# Statuses of a session that will not be given: nothing is sent.
CALLED_OFF = frozenset({"cancelled", "no_show"})
BEFORE_START = frozenset({"scheduled"})  # booked, not yet arrived
AFTER_DISCHARGE = frozenset({"discharged", "signed"})

# An aftercare guide is still sent this long after discharge (a worker that was down
# catches up), never later: a guide about the evening after a session is stale a day on.
AFTERCARE_WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True)
class SessionFacts:
    session_id: str
    status: str
    scheduled_start: dt.datetime
    discharged_at: dt.datetime | None


@dataclass(frozen=True)
class Due:
    session_id: str
    kind: Kind
    key: str  # one send per key: session, kind and the start time it was sent for


def send_key(session_id: str, kind: Kind, scheduled_start: dt.datetime) -> str:
    """The idempotency key: a rescheduled session gets a new preparation key (its new
    time); the aftercare key is per session."""
    if kind is Kind.AFTERCARE:
        return f"{session_id}:{kind.value}"
    return f"{session_id}:{kind.value}:{int(scheduled_start.timestamp())}"


def due_at(facts: SessionFacts, kind: Kind, settings: GuideSettings) -> dt.datetime | None:
    """When this guide falls due for the session as it stands, or None (never)."""
    if facts.status in CALLED_OFF:
        return None
    if kind is Kind.PREPARATION:
        return facts.scheduled_start - dt.timedelta(hours=settings.preparation_hours_before)
    if facts.discharged_at is None:
        return None
    return facts.discharged_at + dt.timedelta(hours=settings.aftercare_hours_after)


def is_due(facts: SessionFacts, kind: Kind, settings: GuideSettings, now: dt.datetime) -> bool:
    """Preparation: from its send time until the session starts, while the session is
    still booked. Aftercare: from its send time for AFTERCARE_WINDOW, once discharged."""
    when = due_at(facts, kind, settings)
    if when is None or now < when:
        return False
    if kind is Kind.PREPARATION:
        return facts.status in BEFORE_START and now < facts.scheduled_start
    return facts.status in AFTER_DISCHARGE and now < when + AFTERCARE_WINDOW


def due_sends(
    sessions: Iterable[SessionFacts],
    settings: GuideSettings,
    now: dt.datetime,
    sent: Collection[str] = (),
) -> list[Due]:
    """The guides to send at `now`: due, and not already sent (keys in `sent`). Each key
    appears at most once in the answer."""
    found: dict[str, Due] = {}
    for facts in sessions:
        for kind in Kind:
            if not is_due(facts, kind, settings, now):
                continue
            key = send_key(facts.session_id, kind, facts.scheduled_start)
            if key not in sent and key not in found:
                found[key] = Due(facts.session_id, kind, key)
    return list(found.values())
