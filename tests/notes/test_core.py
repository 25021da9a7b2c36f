"""The notes' pure rules: who writes which kind, who reads psychotherapy notes, signing and
locking, sections and templates."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketacare.accounts.policy import Permission, Role, can
from ketacare.notes import core
from ketacare.notes.core import NoteType


def reads(role: Role, *, restricted: bool) -> bool:
    return core.may_read(
        restricted=restricted,
        reads_chart=can(role, Permission.VIEW_CHART),
        reads_psychotherapy_notes=can(role, Permission.READ_PSYCHOTHERAPY_NOTES),
    )


def test_policy_table_for_notes() -> None:
    writers = {r for r in Role if can(r, Permission.WRITE_NOTES)}
    assert writers == {Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}
    psychotherapy = {r for r in Role if can(r, Permission.READ_PSYCHOTHERAPY_NOTES)}
    assert psychotherapy == {Role.PRESCRIBER, Role.THERAPIST}
    assert {r for r in Role if can(r, Permission.MANAGE_NOTE_TEMPLATES)} == {Role.CLINIC_ADMIN}


def test_psychotherapy_notes_are_read_by_therapists_and_prescribers_only() -> None:
    assert {r for r in Role if reads(r, restricted=True)} == {Role.PRESCRIBER, Role.THERAPIST}
    assert {r for r in Role if reads(r, restricted=False)} == {
        r for r in Role if can(r, Permission.VIEW_CHART)
    }


@given(st.sampled_from(list(Role)), st.booleans())
def test_a_restricted_note_is_never_read_by_more_than_an_open_one(
    role: Role, restricted: bool
) -> None:
    # Property: restriction only ever takes readers away, and never adds one without the chart.
    if reads(role, restricted=True):
        assert reads(role, restricted=False)
    if not can(role, Permission.VIEW_CHART):
        assert not reads(role, restricted=restricted)
    if not can(role, Permission.READ_PSYCHOTHERAPY_NOTES):
        assert not reads(role, restricted=True)


def test_writers_by_kind() -> None:
    assert core.may_write("therapist", "kap_integration")
    assert not core.may_write("nurse", "therapy")
    assert not core.may_write("therapist", "nurse")
    assert core.may_write("nurse", "nurse")
    assert not core.may_write("prescriber", "no_such_kind")
    for note_type in NoteType:
        assert core.may_write("prescriber", note_type)
        assert not core.may_write("front_desk", note_type)


def test_only_therapy_kinds_may_be_restricted() -> None:
    assert {t for t in NoteType if core.may_restrict(t)} == {
        NoteType.THERAPY,
        NoteType.KAP_PREPARATION,
        NoteType.KAP_INTEGRATION,
    }


def test_signing_needs_a_draft_its_author_and_some_text() -> None:
    def blockers(status: str = "draft", signer: int = 1, text: str = "Text") -> tuple[str, ...]:
        return core.sign_blockers(
            status=status, author_id=1, signer_id=signer, sections={"a": text}
        )

    assert blockers() == ()
    assert blockers(signer=2) == ("Only the author signs a note.",)
    assert blockers(text="  ") == ("Write something in at least one section before signing.",)
    assert "already signed" in blockers(status="signed")[0]


@given(st.sampled_from(["draft", "signed"]), st.integers(1, 3), st.integers(1, 3))
def test_a_signed_note_is_locked_and_only_takes_addenda(
    status: str, author: int, editor: int
) -> None:
    editable = core.edit_blockers(status=status, author_id=author, editor_id=editor) == ()
    takes_addenda = core.addendum_blockers(status=status) == ()
    assert not (editable and takes_addenda)  # never both
    if status == "signed":
        assert not editable and takes_addenda
    else:
        assert editable == (author == editor)


def test_sections_keep_to_the_template() -> None:
    clean, errors = core.clean_sections({"plan": "Rest  ", "x": "?"}, ["experience", "plan"])
    assert clean == {"plan": "Rest"}
    assert errors == {"sections.x": ["This note's template has no such section."]}
    _, errors = core.clean_sections({"plan": "a" * (core.MAX_SECTION_CHARS + 1)}, ["plan"])
    assert "sections.plan" in errors


def test_template_rules_and_slugs() -> None:
    assert core.slug("Mood & risk!") == "mood_risk"
    assert core.template_errors([]) == {"sections": ["Give the template at least one section."]}
    dup = [core.Section("plan", "Plan"), core.Section("plan", "plan")]
    assert core.template_errors(dup) == {
        "sections.1.label": ["Two sections have the same heading."]
    }
    assert core.template_errors([core.Section("", "!!")]) == {
        "sections.0.label": ["Use letters or digits in the heading."]
    }
    for note_type in NoteType:
        assert core.template_errors(core.DEFAULT_SECTIONS[note_type]) == {}


def test_course_keys() -> None:
    assert core.course_key(None) == "outside-plan"
    assert core.course_plan(core.course_key("abc")) == (True, "abc")
    assert core.course_plan("outside-plan") == (True, None)
    assert core.course_plan("plan:") == (False, None)
    assert core.course_plan("nonsense") == (False, None)


def test_search_text_holds_title_sections_and_addenda() -> None:
    text = core.search_text("Title", {"a": "one", "b": " "}, ["late entry"])
    assert text == "Title\none\nlate entry"
