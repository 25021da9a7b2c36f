"""The chart's Measures tab: scores with their trends, recording a scale, self-report
links, safety alerts and the measurement plan. Thin: forms parse, services write."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Permission
from ketacare.common import clock
from ketacare.common.errors import ValidationFailed
from ketacare.common.http import HtmxHttpRequest
from ketacare.measures import INSTRUMENTS, Band, Instrument, Item, get_instrument
from ketacare.measures import services as measures
from ketacare.measures.models import (
    MeasureContext,
    MeasurementPlan,
    MeasurementRule,
    QuestionnaireResponse,
    SafetyAlert,
    Score,
    SelfReportLink,
)
from ketacare.measures.selectors import (
    alert_exists,
    alerts_of,
    effective_plan,
    links_of,
    response_of,
    score_history,
    sessions_of,
    wordings_of,
)
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get
from ketacare.patients.services import patient_view
from ketacare.treatment.models import TreatmentSession
from ketacare.web.feedback import flash_failure
from ketacare.web.forms import DateInput
from ketacare.web.views.access import clinic_view
from ketacare.web.views.patients import _header_context, register_tab

Answer = int | bool | None

# --- questionnaire items as a form shows them (shared with the self-report pages) -------


@dataclass(frozen=True)
class OptionView:
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class ItemView:
    number: int
    name: str  # the form field, item_<number>
    text: str
    options: list[OptionView]
    required: bool  # always asked and must be answered: HTML `required`
    skippable: bool  # skip logic may leave it unasked: offer "Not asked"
    error: str = ""
    crisis_from: int | None = None  # lowest value that raises a safety finding
    numeric: bool = True  # scored values (0-3...), shown to staff beside the labels

    @property
    def answered(self) -> bool:
        return any(option.checked for option in self.options)


def encode(value: Answer) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def decode(item: Item, raw: str) -> Answer:
    """A posted answer as the scoring takes it; ValueError when it is not one."""
    raw = raw.strip()
    if raw == "":
        return None
    if item.boolean:
        if raw not in {"yes", "no"}:
            raise ValueError(raw)
        return raw == "yes"
    return int(raw)


def item_views(
    clinic: Clinic,
    instrument: Instrument,
    answers: Mapping[int, Answer],
    *,
    errors: Mapping[int, str] | None = None,
    crisis: Mapping[int, int] | None = None,
) -> list[ItemView]:
    # A clinic's licensed wording is English; a translated instrument keeps its own words.
    wordings = (
        wordings_of(clinic=clinic, code=instrument.code) if instrument.language == "en" else {}
    )
    views = []
    for item in instrument.items:
        wording = wordings.get(item.number)
        labels = (
            wording.option_labels if wording and isinstance(wording.option_labels, dict) else {}
        )
        current = encode(answers.get(item.number))
        options = [
            OptionView(
                value=encode(option.value),
                label=str(
                    labels.get(str(int(option.value)))
                    or labels.get(str(option.value).lower())
                    or option.label
                ),
                checked=current == encode(option.value),
            )
            for option in item.options
        ]
        views.append(
            ItemView(
                number=item.number,
                name=f"item_{item.number}",
                text=(wording.text if wording else "") or item.text or item.label,
                options=options,
                required=item.required and item.asked_when is None,
                skippable=item.asked_when is not None,
                error=(errors or {}).get(item.number, ""),
                crisis_from=(crisis or {}).get(item.number),
                numeric=not item.boolean,
            )
        )
    return views


def answers_from_post(
    instrument: Instrument, data: Mapping[str, Any]
) -> tuple[dict[int, Answer], dict[int, str]]:
    """The answers a form posted, by item number (only the items it posted), and
    a message for each answer that is not one of the item's options."""
    answers: dict[int, Answer] = {}
    errors: dict[int, str] = {}
    for item in instrument.items:
        raw = data.get(f"item_{item.number}")
        if raw is None:
            continue
        try:
            value = decode(item, str(raw))
        except ValueError:
            errors[item.number] = _("Choose one of the answers shown.")
            continue
        if value is not None and value not in item.values:
            errors[item.number] = _("Choose one of the answers shown.")
            continue
        answers[item.number] = value
    return answers, errors


def missing_items(instrument: Instrument, answers: Mapping[int, Answer]) -> list[Item]:
    """Items the instrument asks, given the answers so far, that must have an answer."""
    by_key = {item.key: item for item in instrument.items}
    missing = []
    for item in instrument.items:
        if item.asked_when is not None:
            key, expected = item.asked_when
            given = answers.get(by_key[key].number)
            if type(given) is not type(expected) or given != expected:
                continue
        if item.required and answers.get(item.number) is None:
            missing.append(item)
    return missing


def item_errors(exc: ValidationFailed) -> tuple[dict[int, str], list[str]]:
    """A service's messages split into per-item ones (answers.N, item_N) and the rest."""
    per_item: dict[int, str] = {}
    other: list[str] = []
    for key, msgs in exc.errors.items():
        number = key.removeprefix("answers.").removeprefix("item_")
        if number.isdigit():
            per_item[int(number)] = " ".join(msgs)
        else:
            other.extend(msgs)
    return per_item, other


def flag_label(flag: str) -> str:
    return flag.replace("_", " ").capitalize()


def labelled_alerts(alerts: Sequence[SafetyAlert]) -> list[SafetyAlert]:
    """Alerts with the names people read: instrument_name and flag_label."""
    for alert in alerts:
        instrument = INSTRUMENTS.get(alert.instrument)
        alert.instrument_name = instrument.name if instrument else alert.instrument  # type: ignore[attr-defined]
        alert.flag_label = flag_label(alert.flag)  # type: ignore[attr-defined]
    return list(alerts)


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- forms -------------------------------------------------------------------------------

CONTEXT_CHOICES = MeasureContext.choices
SEND_CHANNELS = [
    ("email", "Email"),
    ("sms", "SMS"),
    ("none", "None: show me the link to copy"),
]


def _session_choices(patient: Patient) -> list[tuple[str, str]]:
    choices = [("", "No session")]
    for session in sessions_of(patient=patient):
        when = timezone.localtime(session.dosing_started_at or session.scheduled_start)
        choices.append((str(session.pk), f"{when:%Y-%m-%d %H:%M} · {session.get_status_display()}"))
    return choices


class _SessionFields(forms.Form):
    context = forms.ChoiceField(choices=CONTEXT_CHOICES, initial=MeasureContext.BETWEEN_SESSIONS)
    session = forms.ChoiceField(required=False, label="Treatment session")
    offset_hours = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=24 * 60,
        label="Hours after the session",
        help_text="For a score after a session, e.g. 24 for the next day.",
    )

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        session = self.fields["session"]
        assert isinstance(session, forms.ChoiceField)
        session.choices = _session_choices(patient)

    def session_id(self) -> uuid.UUID | None:
        value = self.cleaned_data.get("session")
        return uuid.UUID(value) if value else None


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class RecordScaleForm(_SessionFields):
    answered_at = forms.DateTimeField(
        required=False,
        widget=DateTimeLocalInput(),
        label="Answered at",
        help_text="Clinic time. Leave empty for now.",
    )
    supersedes = forms.UUIDField(required=False, widget=forms.HiddenInput)
    correction_reason = forms.CharField(required=False, max_length=300, label="Why correct it")


PATIENT_INSTRUMENTS = [(c, i.name) for c, i in INSTRUMENTS.items() if i.respondent == "patient"]


class SendLinkForm(_SessionFields):
    instruments = forms.MultipleChoiceField(
        choices=PATIENT_INSTRUMENTS,
        widget=forms.CheckboxSelectMultiple,
        label="Questionnaires",
    )
    channel = forms.ChoiceField(choices=SEND_CHANNELS, widget=forms.RadioSelect, initial="email")

    field_order = ["instruments", "channel", "context", "session", "offset_hours"]

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, patient=patient, **kwargs)
        field = self.fields["instruments"]
        assert isinstance(field, forms.MultipleChoiceField)
        # Questionnaires that cannot go out as a link are left off, with the reason.
        self.refused = {
            code: reason
            for code, _name in PATIENT_INSTRUMENTS
            if (reason := measures.link_refusal(patient.clinic, code))
        }
        field.choices = [(c, n) for c, n in PATIENT_INSTRUMENTS if c not in self.refused]
        field.help_text = " ".join(self.refused.values())
        if self.refused:
            field.error_messages = {**field.error_messages, "invalid_choice": field.help_text}


class AcknowledgeForm(forms.Form):
    action_taken = forms.ChoiceField(choices=SafetyAlert.Action.choices, label="Action taken")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RuleForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "—"), *MeasurementRule.Kind.choices], required=False, label="Rule"
    )
    instruments = forms.MultipleChoiceField(
        choices=PATIENT_INSTRUMENTS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Questionnaires",
    )
    interval_days = forms.IntegerField(required=False, min_value=1, max_value=365, label="Days")
    hours_after = forms.IntegerField(
        required=False, min_value=0, max_value=24 * 30, label="Hours after"
    )
    dates = forms.CharField(
        required=False, label="Dates", help_text="YYYY-MM-DD, separated by commas"
    )

    def clean_dates(self) -> tuple[dt.date, ...]:
        raw = self.cleaned_data.get("dates") or ""
        try:
            return tuple(
                dt.date.fromisoformat(part.strip()) for part in raw.split(",") if part.strip()
            )
        except ValueError as exc:
            raise forms.ValidationError("Give dates as YYYY-MM-DD, separated by commas.") from exc

    def rule(self) -> measures.RuleInput | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        return measures.RuleInput(
            kind=data["kind"],
            instruments=tuple(data.get("instruments") or ()),
            interval_days=data.get("interval_days"),
            hours_after=data.get("hours_after"),
            dates=data.get("dates") or (),
        )


RuleFormSet = forms.formset_factory(RuleForm, extra=1)


class PlanForm(forms.Form):
    starts_on = forms.DateField(widget=DateInput(), label="Starts on")


# --- trend charts ------------------------------------------------------------------------

# Band shading from the mildest band to the most severe (colour-blind safe, light fill).
BAND_COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")
SESSION_COLOUR = "#5e3c99"
LINE_COLOUR = "#14315e"


def _band_colour(index: int, count: int) -> str:
    if count <= 1:
        return BAND_COLOURS[0]
    return BAND_COLOURS[round(index * (len(BAND_COLOURS) - 1) / (count - 1))]


def _clinic_time(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def bands_for(clinic: Clinic, instrument: Instrument) -> tuple[Band, ...]:
    """The bands the clinic scores with: the instrument's default, or the band set the
    clinic chose in its thresholds."""
    chosen = measures.scoring_config(clinic, instrument.code).get("bands")
    if isinstance(chosen, str) and any(s.key == chosen for s in instrument.band_sets):
        return instrument.band_set(chosen).bands
    return instrument.bands


def trend_figure(
    clinic: Clinic,
    instrument: Instrument,
    scores: Sequence[Score],
    sessions: Sequence[TreatmentSession],
) -> dict[str, Any]:
    """A Plotly figure (plain JSON) of the current scores over time, with the severity
    bands shaded and the treatment sessions marked on the time axis. Times are in the
    clinic's zone."""
    bands = bands_for(clinic, instrument)
    low, high = instrument.total_range or (
        min((b.low for b in bands), default=0),
        max((b.high for b in bands), default=max((s.total or 0 for s in scores), default=1)),
    )
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for index, band in enumerate(bands):
        shapes.append(
            {
                "type": "rect",
                "name": band.key,
                "layer": "below",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": band.low - 0.5 if band.low > low else low - 0.5,
                "y1": band.high + 0.5,
                "fillcolor": _band_colour(index, len(bands)),
                "opacity": 0.2,
                "line": {"width": 0},
            }
        )
        annotations.append(
            {
                "xref": "paper",
                "x": 0.005,
                "xanchor": "left",
                "yref": "y",
                "y": (band.low + band.high) / 2,
                "text": band.label,
                "showarrow": False,
                "font": {"size": 10, "color": "#3a4552"},
            }
        )
    marked = []
    for session in sessions:
        if session.dosing_started_at is not None:
            at, label = session.dosing_started_at, "Session given"
        elif session.status == TreatmentSession.Status.SCHEDULED:
            at, label = session.scheduled_start, "Session scheduled"
        else:
            continue
        when = _clinic_time(at)
        marked.append((when, f"{label} {when[:16]}"))
        shapes.append(
            {
                "type": "line",
                "name": "session",
                "layer": "below",
                "xref": "x",
                "x0": when,
                "x1": when,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {
                    "color": SESSION_COLOUR,
                    "width": 1.5,
                    "dash": "solid" if label == "Session given" else "dot",
                },
            }
        )
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": instrument.code.upper() if len(instrument.code) < 8 else instrument.code,
            "x": [_clinic_time(s.answered_at) for s in scores],
            "y": [s.total for s in scores],
            "text": [s.severity_label or s.severity for s in scores],
            "hovertemplate": "%{x|%Y-%m-%d %H:%M}<br>Total %{y}<br>%{text}<extra></extra>",
            "line": {"color": LINE_COLOUR, "width": 2},
            "marker": {"size": 8, "color": LINE_COLOUR},
        }
    ]
    if marked:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Treatment sessions",
                "x": [when for when, _ in marked],
                "y": [high] * len(marked),
                "text": [text for _, text in marked],
                "hovertemplate": "%{text}<extra></extra>",
                "marker": {"symbol": "triangle-down", "size": 11, "color": SESSION_COLOUR},
                "cliponaxis": False,
            }
        )
    return {
        "data": data,
        "layout": {
            "height": 320,
            "margin": {"l": 48, "r": 16, "t": 16, "b": 40},
            "shapes": shapes,
            "annotations": annotations,
            "showlegend": True,
            "legend": {"orientation": "h", "y": -0.18},
            "xaxis": {"type": "date", "title": {"text": f"Date ({clinic.time_zone})"}},
            "yaxis": {
                "title": {"text": "Total"},
                "range": [low - 0.5, high + 0.5],
                "zeroline": False,
                "fixedrange": True,
            },
            "plot_bgcolor": "#ffffff",
            "paper_bgcolor": "#ffffff",
        },
    }


# --- the tab -----------------------------------------------------------------------------


@dataclass
class RecordState:
    """The record-a-scale form for one instrument, with its items."""

    instrument: Instrument
    form: RecordScaleForm
    items: list[ItemView]
    correcting: QuestionnaireResponse | None = None
    errors: list[str] = field(default_factory=list)
    next: str = ""  # where to go once recorded (a session's page)


def _plan_forms(
    plan: MeasurementPlan | None, today: dt.date, data: Mapping[str, Any] | None = None
) -> tuple[PlanForm, Any]:
    if data is not None:
        return PlanForm(data), RuleFormSet(data, prefix="rules")
    rules = list(plan.rules.all()) if plan else []
    initial = [
        {
            "kind": r.kind,
            "instruments": r.instruments,
            "interval_days": r.interval_days,
            "hours_after": r.hours_after,
            "dates": ", ".join(r.dates),
        }
        for r in rules
    ]
    starts = plan.starts_on if plan else today
    return PlanForm(initial={"starts_on": starts}), RuleFormSet(initial=initial, prefix="rules")


def _record_state(
    access: ClinicAccess, patient: Patient, params: Mapping[str, Any]
) -> RecordState | None:
    """The record form asked for with ?record=<code> (and &correct=<response id>)."""
    code = params.get("record") or ""
    if code not in INSTRUMENTS or not access.can(Permission.RECORD_MEASURES):
        return None
    instrument = get_instrument(code)
    correcting = None
    answers: dict[int, Answer] = {}
    initial: dict[str, Any] = {}
    correct_id = params.get("correct") or ""
    if correct_id:
        correcting = response_of(patient=patient, response_id=correct_id, instrument=code)
        if correcting is None:
            raise Http404("No such response")
        answers = dict(enumerate(correcting.answers, start=1))
        initial = {
            "context": correcting.context,
            "session": str(correcting.session_id or ""),
            "offset_hours": correcting.offset_hours,
            "answered_at": timezone.localtime(correcting.answered_at),
            "supersedes": correcting.pk,
        }
    elif params.get("session"):
        # From a session's charting page: rated during that session, on its clock.
        initial = {
            "context": MeasureContext.POST_SESSION,
            "session": params["session"],
            "offset_hours": 0,
            "answered_at": timezone.localtime(clock.now()),
        }
    form = RecordScaleForm(initial=initial, patient=patient)
    return RecordState(
        instrument=instrument,
        form=form,
        items=item_views(access.clinic, instrument, answers),
        correcting=correcting,
        next=params.get("next") or "",
    )


def _tab_context(
    access: ClinicAccess,
    patient: Patient,
    params: Mapping[str, Any],
    *,
    record: RecordState | None = None,
    link_form: SendLinkForm | None = None,
    plan_forms: tuple[PlanForm, Any] | None = None,
) -> dict[str, Any]:
    """The tab's context. params: the query (?record=<code>&correct=<id> opens the record
    form; ?created=<link id> shows a new link's address to copy)."""
    clinic = access.clinic
    scores = score_history(patient=patient)
    sessions = list(sessions_of(patient=patient))
    now = timezone.now()
    panels = []
    for code, instrument in INSTRUMENTS.items():
        rows = scores.get(code)
        if not rows:
            continue
        current = [r for r in reversed(rows) if r.is_current]
        figure = (
            trend_figure(clinic, instrument, current, sessions)
            if instrument.total_rule != "none"
            else None
        )
        panels.append(
            {"instrument": instrument, "rows": rows, "figure": figure, "chart_id": f"trend-{code}"}
        )
    links = list(links_of(patient=patient))
    created = params.get("created")
    created_link = next((link for link in links if str(link.pk) == created), None)
    plan, plan_is_default = effective_plan(clinic=clinic, patient=patient)
    can_write = not patient.is_archived
    return {
        "access": access,
        "patient": patient,
        "section": "measures",
        "section_label": "Measures",
        "tab_template": "web/measures/_tab.html",
        "panels": panels,
        "instruments": INSTRUMENTS.values(),
        "record": record if record is not None else _record_state(access, patient, params),
        "can_record": can_write and access.can(Permission.RECORD_MEASURES),
        "can_send": can_write and access.can(Permission.SEND_MEASURE_LINKS),
        "can_acknowledge": access.can(Permission.ACKNOWLEDGE_ALERTS),
        "can_plan": can_write and access.can(Permission.MANAGE_MEASUREMENT_PLANS),
        "link_form": link_form or SendLinkForm(patient=patient),
        "links": [(link, _link_status(link, now)) for link in links],
        "created_link": created_link,
        "created_url": measures.link_url(created_link) if created_link else "",
        "alerts": labelled_alerts(list(alerts_of(patient=patient))),
        "now": timezone.now(),
        "ack_form": AcknowledgeForm(),
        "plan": plan,
        "plan_is_default": plan_is_default,
        "plan_forms": plan_forms or _plan_forms(plan, clinic.today()),
        "here": reverse(
            "patient_measures", kwargs={"clinic_slug": clinic.slug, "patient_id": patient.pk}
        ),
        "sessions": sessions,
    }


def _link_status(link: SelfReportLink, now: dt.datetime) -> str:
    if link.completed_at:
        return "answered"
    if link.revoked_at:
        return "revoked"
    if now >= link.expires_at:
        return "expired"
    return "open"


def _render_tab(
    request: HtmxHttpRequest,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    status: int = 200,
    **kw: Any,
) -> HttpResponse:
    """The chart page on its Measures tab (or the tab alone, for htmx); the view is audited."""
    patient = patient_view(access=access, patient_id=patient_id, section="measures")
    context = _tab_context(access, patient, request.GET, **kw)
    if request.htmx and request.htmx.target == "chart-tab":
        return render(request, "web/patients/_tab.html", context, status=status)
    context |= _header_context(access, patient)
    return render(request, "web/patients/chart.html", context, status=status)


def _measures_tab(access: ClinicAccess, patient: Patient) -> tuple[str, dict[str, Any]]:
    context = _tab_context(access, patient, {})
    return context["tab_template"], context


# The chart's generic section view can draw the tab too; measures_tab (routed ahead of
# it) adds what the query asks for.
register_tab("measures", "Measures", _measures_tab)


@clinic_view
def measures_tab(
    request: HtmxHttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    return _render_tab(request, access, patient_id)


def _tab_url(access: ClinicAccess, patient_id: uuid.UUID) -> str:
    return reverse(
        "patient_measures", kwargs={"clinic_slug": access.clinic.slug, "patient_id": patient_id}
    )


def _to_tab(access: ClinicAccess, patient_id: uuid.UUID, query: str = "") -> HttpResponse:
    return redirect(_tab_url(access, patient_id) + query)


@require_POST
@clinic_view
def measure_record(
    request: HtmxHttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    patient = patient_get(access=access, patient_id=patient_id)  # another clinic's: 404
    access.require(Permission.RECORD_MEASURES)
    code = request.POST.get("instrument", "")
    if code not in INSTRUMENTS:
        messages.error(request, "Choose a scale to record.")
        return _to_tab(access, patient.pk)
    instrument = get_instrument(code)
    form = RecordScaleForm(request.POST, patient=patient)
    given, errors = answers_from_post(instrument, request.POST)
    answers = {item.number: given.get(item.number) for item in instrument.items}
    other: list[str] = []
    correcting = None
    if form.is_valid() and not errors:
        supersedes = form.cleaned_data.get("supersedes")
        try:
            measures.response_record(
                access=access,
                patient_id=patient.pk,
                instrument=code,
                answers=[answers[item.number] for item in instrument.items],
                context=form.cleaned_data["context"],
                answered_at=form.cleaned_data.get("answered_at"),
                offset_hours=form.cleaned_data.get("offset_hours"),
                session_id=form.session_id(),
                supersedes_id=supersedes,
                correction_reason=form.cleaned_data.get("correction_reason") or "",
            )
        except ValidationFailed as exc:
            errors, other = item_errors(exc)
            for key, msgs in exc.errors.items():
                name = {"session_id": "session", "supersedes_id": "supersedes"}.get(key, key)
                if name in form.fields and name != "supersedes":
                    form.add_error(name, msgs)
        else:
            verb = "Correction recorded" if supersedes else "Recorded"
            messages.success(request, f"{verb}: {instrument.name}.")
            return redirect(safe_next(request, _tab_url(access, patient.pk)))
    supersedes_raw = request.POST.get("supersedes") or ""
    if supersedes_raw:
        correcting = response_of(patient=patient, response_id=supersedes_raw)
    state = RecordState(
        instrument=instrument,
        form=form,
        items=item_views(access.clinic, instrument, answers, errors=errors),
        correcting=correcting,
        errors=other,
        next=request.POST.get("next") or "",
    )
    return _render_tab(request, access, patient.pk, status=422, record=state)


@require_POST
@clinic_view
def measure_link_create(
    request: HtmxHttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    patient = patient_get(access=access, patient_id=patient_id)  # another clinic's: 404
    form = SendLinkForm(request.POST, patient=patient)
    if form.is_valid():
        try:
            link = measures.link_create(
                access=access,
                patient_id=patient.pk,
                instruments=form.cleaned_data["instruments"],
                context=form.cleaned_data["context"],
                channel=form.cleaned_data["channel"],
                session_id=form.session_id(),
                offset_hours=form.cleaned_data.get("offset_hours"),
            )
        except ValidationFailed as exc:
            for key, msgs in exc.errors.items():
                name = {"session_id": "session"}.get(key, key)
                form.add_error(name if name in form.fields else None, msgs)
        else:
            sent = {"email": "emailed", "sms": "sent by SMS"}.get(link.channel)
            messages.success(
                request,
                f"Link {sent} to the patient." if sent else "Link created: copy it below.",
            )
            return _to_tab(access, patient.pk, f"?created={link.pk}#new-link")
    return _render_tab(request, access, patient.pk, status=422, link_form=form)


@require_POST
@clinic_view
def measure_link_revoke(
    request: HtmxHttpRequest, access: ClinicAccess, patient_id: uuid.UUID, link_id: uuid.UUID
) -> HttpResponse:
    patient = patient_get(access=access, patient_id=patient_id)  # another clinic's: 404
    if not links_of(patient=patient).filter(pk=link_id).exists():
        raise Http404("No such link")
    try:
        measures.link_revoke(access=access, link_id=link_id)
    except ValidationFailed as exc:
        flash_failure(request, exc)
    else:
        messages.success(request, "Link revoked: it can no longer be answered.")
    return _to_tab(access, patient.pk)


@require_POST
@clinic_view
def alert_acknowledge(
    request: HttpRequest, access: ClinicAccess, alert_id: uuid.UUID
) -> HttpResponse:
    fallback = reverse("dashboard", kwargs={"clinic_slug": access.clinic.slug})
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        if not alert_exists(clinic=access.clinic, alert_id=alert_id):
            raise Http404("No such alert")
        messages.error(request, "Choose the action taken to acknowledge the alert.")
        return redirect(safe_next(request, fallback))
    try:
        alert = measures.alert_acknowledge(
            access=access,
            alert_id=alert_id,
            action_taken=form.cleaned_data["action_taken"],
            note=form.cleaned_data["note"],
        )
    except ValidationFailed as exc:
        flash_failure(request, exc)
    else:
        messages.success(
            request, f"Alert acknowledged: {alert.get_action_taken_display().lower()}."
        )
    return redirect(safe_next(request, fallback))


@require_POST
@clinic_view
def measure_plan(
    request: HtmxHttpRequest, access: ClinicAccess, patient_id: uuid.UUID
) -> HttpResponse:
    patient = patient_get(access=access, patient_id=patient_id)  # another clinic's: 404
    access.require(Permission.MANAGE_MEASUREMENT_PLANS)
    plan_form, rule_forms = _plan_forms(None, access.clinic.today(), request.POST)
    if plan_form.is_valid() and rule_forms.is_valid():
        rules = [r for r in (f.rule() for f in rule_forms) if r is not None]
        try:
            measures.plan_set(
                access=access,
                patient_id=patient.pk,
                starts_on=plan_form.cleaned_data["starts_on"],
                rules=rules,
            )
        except ValidationFailed as exc:
            _plan_errors(exc, rule_forms, plan_form)
        else:
            messages.success(request, "Measurement plan saved.")
            return _to_tab(access, patient.pk, "#plan")
    return _render_tab(request, access, patient.pk, status=422, plan_forms=(plan_form, rule_forms))


def _plan_errors(exc: ValidationFailed, rule_forms: Any, plan_form: PlanForm) -> None:
    """Put plan_set's messages (rules.<i>.<field>, indexes of the non-empty rows) on the
    rows they name."""
    filled = [f for f in rule_forms if f.cleaned_data.get("kind")]
    for key, msgs in exc.errors.items():
        parts = key.split(".")
        if parts[0] == "rules" and len(parts) == 3 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(filled):
                name = parts[2] if parts[2] in filled[index].fields else None
                filled[index].add_error(name, msgs)
                continue
        plan_form.add_error(None, msgs)
