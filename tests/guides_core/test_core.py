"""Pure rules of preparation and aftercare guides: which guide is due when, the texts."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ketacare.guides import core
from ketacare.guides.core import Family, Kind

SETTINGS = core.GuideSettings(
    preparation_hours_before=24, aftercare_hours_after=0, fasting_hours=2, arrive_minutes_before=15
)
START = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)


def facts(status: str = "scheduled", start: dt.datetime = START, discharged=None):
    return core.SessionFacts("s1", status, start, discharged)


def test_preparation_is_due_from_its_send_time_until_the_start() -> None:
    assert not core.is_due(facts(), Kind.PREPARATION, SETTINGS, START - dt.timedelta(hours=25))
    assert core.is_due(facts(), Kind.PREPARATION, SETTINGS, START - dt.timedelta(hours=24))
    assert core.is_due(facts(), Kind.PREPARATION, SETTINGS, START - dt.timedelta(minutes=1))
    assert not core.is_due(facts(), Kind.PREPARATION, SETTINGS, START)


def test_aftercare_is_due_after_discharge_for_a_day() -> None:
    out = START + dt.timedelta(hours=3)
    done = facts("discharged", discharged=out)
    assert not core.is_due(facts("monitoring"), Kind.AFTERCARE, SETTINGS, out)
    assert core.is_due(done, Kind.AFTERCARE, SETTINGS, out)
    assert core.is_due(done, Kind.AFTERCARE, SETTINGS, out + dt.timedelta(hours=23))
    assert not core.is_due(done, Kind.AFTERCARE, SETTINGS, out + dt.timedelta(hours=24))
    later = core.GuideSettings(24, 2, 2, 15)
    assert not core.is_due(done, Kind.AFTERCARE, later, out + dt.timedelta(hours=1))
    assert core.is_due(done, Kind.AFTERCARE, later, out + dt.timedelta(hours=2))


def test_a_rescheduled_session_has_a_new_preparation_key() -> None:
    moved = START + dt.timedelta(days=2)
    assert core.send_key("s1", Kind.PREPARATION, START) != core.send_key(
        "s1", Kind.PREPARATION, moved
    )
    assert core.send_key("s1", Kind.AFTERCARE, START) == core.send_key("s1", Kind.AFTERCARE, moved)


def test_esketamine_aftercare_always_says_no_driving_until_after_sleep() -> None:
    default = core.guide_text(Family.INTRANASAL, Kind.AFTERCARE, SETTINGS)
    assert core.DRIVING_SENTENCE in default
    edited = core.guide_text(
        Family.INTRANASAL, Kind.AFTERCARE, SETTINGS, "Rest at home. Call us on 555-0100."
    )
    assert edited.startswith("Rest at home.")
    assert edited.endswith(core.DRIVING_SENTENCE)
    assert "next day, after a restful sleep" in core.DRIVING_SENTENCE


def test_iv_aftercare_is_the_clinic_protocol_text() -> None:
    protocol = "Our IV protocol: rest for the day; no driving for 24 hours."
    assert core.guide_text(Family.IV, Kind.AFTERCARE, SETTINGS, protocol) == protocol


def test_the_settings_fill_the_default_preparation() -> None:
    text = core.guide_text(Family.INTRANASAL, Kind.PREPARATION, core.GuideSettings(24, 0, 3, 20))
    assert "Do not eat for 3 hours" in text and "Arrive 20 minutes" in text
    assert "{" not in text


def test_every_family_and_kind_has_a_default_text() -> None:
    for family in Family:
        for kind in Kind:
            assert core.guide_text(family, kind, SETTINGS)
    assert core.family_of("sublingual") is Family.ORAL
    assert core.family_of("rectal") is None


STATUSES = st.sampled_from(
    ["scheduled", "checked_in", "monitoring", "discharged", "signed", "cancelled", "no_show"]
)


@st.composite
def session_facts(draw: st.DrawFn) -> core.SessionFacts:
    start = START + dt.timedelta(minutes=draw(st.integers(-5000, 5000)))
    out = draw(st.none() | st.integers(30, 600).map(lambda m: start + dt.timedelta(minutes=m)))
    return core.SessionFacts("s", draw(STATUSES), start, out)


@given(
    st.lists(session_facts(), max_size=8),
    st.lists(st.integers(-3000, 3000), min_size=1, max_size=12),
    st.integers(1, 72),
    st.integers(0, 6),
)
def test_never_two_sends_per_key_and_nothing_for_called_off_sessions(
    drawn: list[core.SessionFacts], minutes: list[int], before: int, after: int
) -> None:
    # Each session once, under its own id; the same session listed twice must not send twice.
    sessions = [
        core.SessionFacts(f"s{i}", f.status, f.scheduled_start, f.discharged_at)
        for i, f in enumerate(drawn)
    ]
    sessions += sessions[:2]
    settings = core.GuideSettings(before, after, 2, 15)
    sent: list[str] = []
    for offset in sorted(minutes):  # the worker's ticks, in order
        now = START + dt.timedelta(minutes=offset)
        for due in core.due_sends(sessions, settings, now, set(sent)):
            sent.append(due.key)
            session = next(s for s in sessions if s.session_id == due.session_id)
            assert session.status not in core.CALLED_OFF
    assert len(sent) == len(set(sent))
    per_session_kind = [k.split(":")[:2] for k in sent]
    # Without a reschedule (fixed start times here), one send per session and kind.
    assert len(per_session_kind) == len({tuple(p) for p in per_session_kind})


# --- Spanish ---------------------------------------------------------------------------


def test_every_family_and_kind_has_a_spanish_default_text() -> None:
    assert set(core.DEFAULT_TEXTS_ES) == set(core.DEFAULT_TEXTS)
    for family in Family:
        for kind in Kind:
            text = core.guide_text(family, kind, SETTINGS, language="es")
            assert text and "{" not in text
            assert text != core.guide_text(family, kind, SETTINGS)


def test_the_settings_fill_the_spanish_default_preparation() -> None:
    text = core.guide_text(
        Family.INTRANASAL, Kind.PREPARATION, core.GuideSettings(24, 0, 3, 20), language="es"
    )
    assert "No coma durante las 3 horas" in text and "Llegue 20 minutos" in text


def test_spanish_esketamine_aftercare_says_no_driving_until_after_sleep() -> None:
    assert "hasta el día siguiente" in core.DRIVING_SENTENCE_ES
    assert "dormido bien" in core.DRIVING_SENTENCE_ES
    default = core.guide_text(Family.INTRANASAL, Kind.AFTERCARE, SETTINGS, language="es")
    assert core.DRIVING_SENTENCE_ES in default and core.DRIVING_SENTENCE not in default
    edited = core.guide_text(
        Family.INTRANASAL, Kind.AFTERCARE, SETTINGS, "Descanse en casa.", language="es"
    )
    assert edited == f"Descanse en casa.\n\n{core.DRIVING_SENTENCE_ES}"


@given(st.text(max_size=300), st.sampled_from(["en", "es"]))
def test_esketamine_aftercare_carries_the_driving_sentence_whatever_the_edit(
    edit: str, language: str
) -> None:
    for own in ({}, {language: edit}, {"en": edit}, {"es": edit}):
        chosen = core.choose(Family.INTRANASAL, Kind.AFTERCARE, SETTINGS, language, own)
        assert core.DRIVING_SENTENCES[chosen.language] in chosen.text
        assert chosen.language == language and not chosen.fallback


def test_choose_prefers_the_clinic_text_in_the_language_then_the_default() -> None:
    own = {"en": "Our English text.", "es": "Nuestro texto."}
    found = core.choose(Family.IM, Kind.AFTERCARE, SETTINGS, "es", own)
    assert found == core.Chosen("Nuestro texto.", "es", False)
    found = core.choose(Family.IM, Kind.AFTERCARE, SETTINGS, "es", {"en": "Our English text."})
    assert found.language == "es" and not found.fallback
    assert found.text == core.guide_text(Family.IM, Kind.AFTERCARE, SETTINGS, language="es")
    found = core.choose(Family.IM, Kind.AFTERCARE, SETTINGS, "en", own)
    assert found == core.Chosen("Our English text.", "en", False)
    # an unknown language reads English
    assert core.choose(Family.IM, Kind.AFTERCARE, SETTINGS, "fr", {}).language == "en"


def test_iv_spanish_is_the_clinic_protocol_text_else_its_english_one_marked() -> None:
    protocol = "Our IV protocol: rest for the day; no driving for 24 hours."
    protocolo = "Nuestro protocolo IV: descanse el día; no maneje durante 24 horas."
    both = {"en": protocol, "es": protocolo}
    assert core.choose(Family.IV, Kind.AFTERCARE, SETTINGS, "es", both) == core.Chosen(
        protocolo, "es", False
    )
    english_only = {"en": protocol}
    assert core.choose(Family.IV, Kind.AFTERCARE, SETTINGS, "es", english_only) == core.Chosen(
        protocol, "en", True
    )
    assert core.choose(Family.IV, Kind.PREPARATION, SETTINGS, "es", {"en": "Fast 6 h."}) == (
        core.Chosen("Fast 6 h.", "en", True)
    )
    # no clinic text at all: KetaCare's Spanish placeholder, not a fallback
    none = core.choose(Family.IV, Kind.AFTERCARE, SETTINGS, "es", {})
    assert none.language == "es" and not none.fallback
    assert none.text == core.DEFAULT_TEXTS_ES[(Family.IV, Kind.AFTERCARE)]


def test_the_spanish_default_texts_read_at_grade_8_or_lower() -> None:
    """Crawford's Spanish grade and Fernandez-Huerta's ease (education's reading rules)."""
    from ketacare.education import core as reading

    for family in Family:
        for kind in Kind:
            text = core.guide_text(family, kind, SETTINGS, language="es")
            assert reading.grade_of("", text, "es") <= reading.DEFAULT_MAX_GRADE
            assert reading.reading_ease_es("", text) >= reading.FERNANDEZ_HUERTA_GRADE_8
