"""Notes through the services: drafts autosave (audited as updates with what changed),
signing locks, addenda follow, the links, the clinic's templates, the search, and the
psychotherapy-notes restriction in the selectors."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from ketacare.audit.models import AuditEvent
from ketacare.common.errors import NotFound, PermissionDenied, ValidationFailed
from ketacare.notes import core, selectors, services
from ketacare.notes.models import Note
from ketacare.treatment import services as treatment
from ketacare.treatment.models import TreatmentSession
from tests.dosing.conftest import Team

pytestmark = pytest.mark.django_db


def session_of(team: Team) -> TreatmentSession:
    start = dt.datetime.combine(
        team.clinic.today() + dt.timedelta(days=1),
        dt.time(10),
        tzinfo=zoneinfo.ZoneInfo(team.clinic.time_zone),
    )
    return treatment.session_schedule(
        access=team.front_desk, patient_id=team.patient.pk, scheduled_start=start
    )


def integration_note(team: Team, *, restricted: bool = True, **data: object) -> Note:
    return services.note_create(
        access=team.therapist,
        patient_id=team.patient.pk,
        note_type="kap_integration",
        restricted=restricted,
        **data,
    )


def test_a_draft_autosaves_and_each_change_is_audited(team: Team) -> None:
    note = integration_note(team, title="First integration")
    assert note.status == "draft" and note.template_version == 0
    assert list(note.sections) == ["experience", "themes", "integration", "risk", "plan"]
    services.note_draft_save(
        access=team.therapist,
        patient_id=team.patient.pk,
        note_id=note.pk,
        data={"sections": {"themes": "Grief and forgiveness"}},
    )
    events = AuditEvent.objects.filter(object_type="note", action="update", object_id=note.pk)
    assert events.count() == 1
    # A psychotherapy note: the words are recorded by their SHA-256 (see the test below).
    assert events.get().changes == {"sections.themes": ["", core.seal("Grief and forgiveness")]}
    # Saving the same text again changes nothing and writes nothing.
    services.note_draft_save(
        access=team.therapist,
        patient_id=team.patient.pk,
        note_id=note.pk,
        data={"sections": {"themes": "Grief and forgiveness"}},
    )
    assert events.count() == 1


def test_signing_locks_and_addenda_follow(team: Team) -> None:
    note = integration_note(team, sections={"experience": "Felt held"})
    with pytest.raises(ValidationFailed) as exc:
        services.note_addendum_add(
            access=team.therapist,
            patient_id=team.patient.pk,
            note_id=note.pk,
            text="x",
            reason="y",
        )
    assert "status" in exc.value.errors
    other = services.note_create(
        access=team.prescriber, patient_id=team.patient.pk, note_type="progress"
    )
    with pytest.raises(ValidationFailed, match="Write something"):
        services.note_sign(access=team.prescriber, patient_id=team.patient.pk, note_id=other.pk)
    with pytest.raises(ValidationFailed, match="Only the author"):
        services.note_sign(access=team.prescriber, patient_id=team.patient.pk, note_id=note.pk)
    signed = services.note_sign(access=team.therapist, patient_id=team.patient.pk, note_id=note.pk)
    assert signed.status == "signed" and signed.signed_by == team.therapist.user
    with pytest.raises(ValidationFailed, match="locked"):
        services.note_draft_save(
            access=team.therapist,
            patient_id=team.patient.pk,
            note_id=note.pk,
            data={"title": "Changed"},
        )
    with pytest.raises(ValidationFailed) as missing:
        services.note_addendum_add(
            access=team.therapist, patient_id=team.patient.pk, note_id=note.pk, text=" ", reason=""
        )
    assert set(missing.value.errors) == {"text", "reason"}
    addendum = services.note_addendum_add(
        access=team.prescriber,
        patient_id=team.patient.pk,
        note_id=note.pk,
        text="Patient later recalled a vivid memory of the sea",
        reason="Late entry",
    )
    assert addendum.entered_by == team.prescriber.user
    found = services.notes_search_audited(
        access=team.therapist, patient_id=team.patient.pk, query="memory sea"
    )
    assert [n.pk for n in found] == [note.pk]
    note.refresh_from_db()
    assert note.sections["experience"] == "Felt held"  # untouched by the addendum


def test_the_restriction_hides_psychotherapy_notes_from_a_nurse(team: Team) -> None:
    hidden = integration_note(team, sections={"themes": "Childhood loss"})
    open_note = integration_note(team, restricted=False, sections={"themes": "Childhood home"})
    pid = team.patient.pk
    for reader in (team.therapist, team.prescriber):
        assert selectors.note_get(reader, patient_id=pid, note_id=hidden.pk) == hidden
    with pytest.raises(NotFound):
        selectors.note_get(team.nurse, patient_id=pid, note_id=hidden.pk)
    with pytest.raises(NotFound):
        services.note_view(access=team.nurse, patient_id=pid, note_id=hidden.pk)
    listed = services.notes_search_audited(access=team.nurse, patient_id=pid)
    assert [n.pk for n in listed] == [open_note.pk]
    searched = services.notes_search_audited(access=team.nurse, patient_id=pid, query="childhood")
    assert [n.pk for n in searched] == [open_note.pk]
    both = services.notes_search_audited(access=team.therapist, patient_id=pid, query="childhood")
    assert {n.pk for n in both} == {hidden.pk, open_note.pk}
    with pytest.raises(PermissionDenied):
        services.notes_search_audited(access=team.front_desk, patient_id=pid)
    # A nurse may not write therapy notes, nor keep psychotherapy notes.
    with pytest.raises(PermissionDenied):
        services.note_create(access=team.nurse, patient_id=pid, note_type="therapy")
    with pytest.raises(ValidationFailed) as exc:
        services.note_create(access=team.nurse, patient_id=pid, note_type="nurse", restricted=True)
    assert "restricted" in exc.value.errors


def test_links_to_a_session_and_a_plan_are_the_patients_own(team: Team) -> None:
    session = session_of(team)
    note = integration_note(team, session_id=session.pk)
    assert note.session == session
    with pytest.raises(ValidationFailed) as exc:
        integration_note(team, session_id=team.patient.pk, course="plan:nope")
    assert set(exc.value.errors) == {"session_id", "course"}


def test_a_clinics_template_is_versioned_and_new_notes_use_it(team: Team) -> None:
    with pytest.raises(PermissionDenied):
        services.note_template_save(
            access=team.therapist, note_type="therapy", sections=[{"label": "X"}]
        )
    before = services.note_create(
        access=team.therapist, patient_id=team.patient.pk, note_type="therapy"
    )
    first = services.note_template_save(
        access=team.admin,
        note_type="therapy",
        sections=[{"label": "Presentation"}, {"label": "Mood & risk", "prompt": "PHQ-9 item 9"}],
    )
    assert first.version == 1
    assert [s["key"] for s in first.sections] == ["presentation", "mood_risk"]
    second = services.note_template_save(
        access=team.admin, note_type="therapy", sections=[{"label": "Mood & risk"}]
    )
    assert second.version == 2
    after = services.note_create(
        access=team.therapist, patient_id=team.patient.pk, note_type="therapy"
    )
    assert after.template_version == 2 and list(after.sections) == ["mood_risk"]
    before.refresh_from_db()
    assert before.template_version == 0 and "content" in before.sections
    event = AuditEvent.objects.get(object_type="notetemplate", object_id=second.pk)
    assert event.changes["version"] == [1, 2]
    with pytest.raises(ValidationFailed) as exc:
        services.note_template_save(access=team.admin, note_type="therapy", sections=[])
    assert "sections" in exc.value.errors


def test_a_note_links_to_a_course_as_ketacare_outcomes_names_it(team: Team) -> None:
    from ketacare.outcomes.models import CourseState
    from tests.sessions import build

    session = build.given(team.prescriber, team.patient)
    course = CourseState.objects.get(patient=team.patient)
    key = core.course_key(course.plan_id)
    note = integration_note(team, session_id=session.pk, course=key)
    assert note.course == key == ("outside-plan" if session.plan_id is None else key)
    with pytest.raises(ValidationFailed) as exc:
        integration_note(team, course=core.course_key("9" * 32))
    assert "course" in exc.value.errors


def test_a_psychotherapy_notes_words_stay_out_of_the_audit_trail(team: Team) -> None:
    pid = team.patient.pk
    note = integration_note(team, title="Private title", sections={"themes": "Secret theme"})
    services.note_draft_save(
        access=team.therapist, patient_id=pid, note_id=note.pk, data={"sections": {"plan": "Walk"}}
    )
    services.note_sign(access=team.therapist, patient_id=pid, note_id=note.pk)
    services.note_addendum_add(
        access=team.therapist, patient_id=pid, note_id=note.pk, text="Hidden words", reason="Late"
    )
    trail = " ".join(
        str(e.changes) + str(e.details) for e in AuditEvent.objects.filter(patient_id=pid)
    )
    for words in ("Private title", "Secret theme", "Walk", "Hidden words"):
        assert words not in trail
    assert str(core.seal("Walk")) in trail and "Late" in trail
    open_note = integration_note(team, restricted=False, sections={"themes": "Open theme"})
    assert AuditEvent.objects.get(object_id=open_note.pk, action="create").changes[
        "sections.themes"
    ] == [None, "Open theme"]
