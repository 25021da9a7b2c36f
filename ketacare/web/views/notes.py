"""Staff pages of clinical and therapy notes: the chart's Notes tab (start a note, search,
the list), the note page (a draft autosaved as it is typed, Sign, then addenda), and the
clinic's note templates. Thin: the notes services decide; a note flagged as psychotherapy
notes answers 404 to a role that may not read it."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Permission
from ketacare.common.errors import ValidationFailed
from ketacare.common.http import HtmxHttpRequest
from ketacare.notes import core, selectors, services
from ketacare.notes.models import Note
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get
from ketacare.web.feedback import flash_failure
from ketacare.web.views.access import clinic_view
from ketacare.web.views.patients import register_tab

SECTION = "notes"


def _writable_types(access: ClinicAccess) -> list[tuple[str, str]]:
    if not access.can(Permission.WRITE_NOTES):
        return []
    return [(t.value, t.label) for t in core.NoteType if core.may_write(access.role, t)]


class NewNoteForm(forms.Form):
    note_type = forms.ChoiceField(label="Kind of note")
    session_id = forms.ChoiceField(label="Session", required=False)
    plan_id = forms.ChoiceField(label="Treatment plan", required=False)
    course = forms.ChoiceField(label="Course", required=False)
    restricted = forms.BooleanField(
        label="Keep as psychotherapy notes (therapy and KAP notes)", required=False
    )

    def __init__(self, *args: Any, access: ClinicAccess, patient: Patient, **kwargs: Any):
        super().__init__(*args, **kwargs)
        links = selectors.link_choices(access, patient)
        self.fields["note_type"].choices = _writable_types(access)  # type: ignore[attr-defined]
        none = [("", "None")]
        self.fields["session_id"].choices = none + links["sessions"]  # type: ignore[attr-defined]
        self.fields["plan_id"].choices = none + links["plans"]  # type: ignore[attr-defined]
        self.fields["course"].choices = none + links["courses"]  # type: ignore[attr-defined]
        if not access.can(Permission.READ_PSYCHOTHERAPY_NOTES):
            del self.fields["restricted"]
        if links["sessions"]:
            self.initial.setdefault("session_id", links["sessions"][0][0])  # the latest


class AddendumForm(forms.Form):
    text = forms.CharField(label="Addendum", widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label="Why (correction, late entry…)", max_length=300)


def notes_tab(access: ClinicAccess, patient: Patient) -> tuple[str, dict[str, Any]]:
    notes = list(selectors.notes_visible(access).filter(patient=patient)[:100])
    can_write = bool(_writable_types(access)) and not patient.is_archived
    return "web/notes/_tab.html", {
        "notes": notes,
        "query": "",
        "can_write": can_write,
        "new_form": NewNoteForm(access=access, patient=patient) if can_write else None,
        "can_manage_templates": access.can(Permission.MANAGE_NOTE_TEMPLATES),
    }


register_tab(SECTION, "Notes", notes_tab)


def _note_url(access: ClinicAccess, patient_id: uuid.UUID, note_id: uuid.UUID) -> HttpResponse:
    return redirect(
        "note_detail", clinic_slug=access.clinic.slug, patient_id=patient_id, note_id=note_id
    )


@clinic_view
def note_new(request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID) -> HttpResponse:
    if request.method != "POST":
        raise Http404("POST only")
    patient = patient_get(access=access, patient_id=patient_id)  # another clinic's: 404 first
    form = NewNoteForm(request.POST, access=access, patient=patient)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else field
            messages.error(request, f"{label}: {' '.join(str(e) for e in errors)}")
        return redirect(
            "patient_chart_section",
            clinic_slug=access.clinic.slug,
            patient_id=patient_id,
            section=SECTION,
        )
    data = {
        k: v or None for k, v in form.cleaned_data.items() if k not in ("note_type", "restricted")
    }
    data["course"] = data["course"] or ""
    data["restricted"] = form.cleaned_data.get("restricted", False)
    try:
        note = services.note_create(
            access=access,
            patient_id=patient_id,
            note_type=form.cleaned_data["note_type"],
            **data,
        )
    except ValidationFailed as exc:
        flash_failure(request, exc, form)
        return redirect(
            "patient_chart_section",
            clinic_slug=access.clinic.slug,
            patient_id=patient_id,
            section=SECTION,
        )
    return _note_url(access, patient_id, note.pk)


@clinic_view
def note_search(
    request: HtmxHttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    notes = services.notes_search_audited(access=access, patient_id=patient_id, query=query)
    patient = patient_get(access=access, patient_id=patient_id)
    context = {"access": access, "patient": patient, "notes": notes, "query": query}
    template = "web/notes/_results.html" if request.htmx else "web/notes/search.html"
    return render(request, template, context)


def _detail_context(access: ClinicAccess, note: Note, **extra: Any) -> dict[str, Any]:
    editable = (
        note.status == Note.Status.DRAFT
        and note.author_id == access.user.pk
        and access.can(Permission.WRITE_NOTES)
        and not note.patient.is_archived
    )
    return {
        "access": access,
        "patient": note.patient,
        "note": note,
        "sections": selectors.note_sections(note),
        "addenda": selectors.addenda_of(note),
        "editable": editable,
        "can_restrict": editable
        and core.may_restrict(note.note_type)
        and access.can(Permission.READ_PSYCHOTHERAPY_NOTES),
        "can_addend": note.is_signed
        and access.can(Permission.WRITE_NOTES)
        and not note.patient.is_archived,
        "addendum_form": AddendumForm(),
        "scores": selectors.course_scores(access, note),
        **extra,
    }


@clinic_view
def note_detail(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, note_id: uuid.UUID
) -> HttpResponse:
    note = services.note_view(access=access, patient_id=patient_id, note_id=note_id)
    return render(request, "web/notes/detail.html", _detail_context(access, note))


@clinic_view
def note_save(
    request: HtmxHttpRequest, access: ClinicAccess, patient_id: uuid.UUID, note_id: uuid.UUID
) -> HttpResponse:
    """Autosave (htmx, on change and after a pause in typing) or the Save button."""
    note = _posted_note(request, access, patient_id, note_id)
    keys = [s["key"] for s in note.template_sections]
    data: dict[str, Any] = {
        "title": request.POST.get("title", ""),
        "sections": {
            k: request.POST[f"section-{k}"] for k in keys if f"section-{k}" in request.POST
        },
    }
    if core.may_restrict(note.note_type) and access.can(Permission.READ_PSYCHOTHERAPY_NOTES):
        data["restricted"] = request.POST.get("restricted") == "on"
    errors: dict[str, list[str]] = {}
    try:
        note = services.note_draft_save(
            access=access, patient_id=patient_id, note_id=note_id, data=data
        )
    except ValidationFailed as exc:
        errors = exc.errors
    if not request.htmx:
        if errors:
            flash_failure(request, ValidationFailed(errors))
        else:
            messages.success(request, "Draft saved.")
        return _note_url(access, patient_id, note_id)
    context = {"errors": errors, "saved_at": timezone.localtime(note.updated_at)}
    return render(request, "web/notes/_saved.html", context, status=422 if errors else 200)


def _posted_note(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, note_id: uuid.UUID
) -> Note:
    """A form's note: POST only, and another clinic's (or a hidden) note is 404 first."""
    if request.method != "POST":
        raise Http404("POST only")
    return selectors.note_get(access, patient_id=patient_id, note_id=note_id)


@clinic_view
def note_sign(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, note_id: uuid.UUID
) -> HttpResponse:
    _posted_note(request, access, patient_id, note_id)
    try:
        services.note_sign(access=access, patient_id=patient_id, note_id=note_id)
    except ValidationFailed as exc:
        flash_failure(request, exc)
    else:
        messages.success(request, "Note signed. It is locked: corrections are addenda.")
    return _note_url(access, patient_id, note_id)


@clinic_view
def note_addendum(
    request: HttpRequest, access: ClinicAccess, patient_id: uuid.UUID, note_id: uuid.UUID
) -> HttpResponse:
    note = _posted_note(request, access, patient_id, note_id)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.note_addendum_add(
                access=access, patient_id=patient_id, note_id=note_id, **form.cleaned_data
            )
        except ValidationFailed as exc:
            flash_failure(request, exc, form)
        else:
            messages.success(request, "Addendum added.")
            return _note_url(access, patient_id, note_id)
    context = _detail_context(access, note, addendum_form=form)
    return render(request, "web/notes/detail.html", context, status=422)


def _lines(sections: Any) -> str:
    return "\n".join(f"{s.label} | {s.prompt}" if s.prompt else s.label for s in sections)


@clinic_view
def note_templates(request: HttpRequest, access: ClinicAccess) -> HttpResponse:
    """Each kind's sections, one heading a line ("Heading | prompt"); saving makes a new
    version of that kind's template."""
    access.require(Permission.MANAGE_NOTE_TEMPLATES)
    errors: dict[str, list[str]] = {}
    posted = ""
    if request.method == "POST":
        note_type = request.POST.get("note_type", "")
        posted = request.POST.get("sections", "")
        rows = []
        for line in posted.splitlines():
            label, _, prompt = line.partition("|")
            if label.strip():
                rows.append({"label": label.strip(), "prompt": prompt.strip()})
        try:
            services.note_template_save(access=access, note_type=note_type, sections=rows)
        except ValidationFailed as exc:
            errors = {note_type: [m for msgs in exc.errors.values() for m in msgs]}
        else:
            messages.success(request, f"Saved the {core.NoteType(note_type).label} template.")
            return redirect("note_templates", clinic_slug=access.clinic.slug)
    rows = [
        row
        | {
            "text": posted if row["note_type"] in errors else _lines(row["sections"]),
            "errors": errors.get(row["note_type"], []),
        }
        for row in selectors.templates_of(access.clinic)
    ]
    return render(
        request,
        "web/notes/templates.html",
        {"access": access, "rows": rows},
        status=422 if errors else 200,
    )
