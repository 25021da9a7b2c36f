from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.db import models
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.translation import gettext

from ketacare.common.citations import plain_citation
from ketacare.dosing.protocols import SHIPPED, ProtocolDefinition, schedule_label
from ketacare.measures.instruments import get_instrument
from ketacare.measures.instruments.base import ScoringError
from ketacare.outcomes import compact

register = template.Library()


@register.filter
def field_label(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return str(field.verbose_name).capitalize()


@register.filter
def display(obj: models.Model, name: str) -> Any:
    """A field's value as people read it: choice labels, yes/no, and a dash for empty."""
    getter = getattr(obj, f"get_{name}_display", None)
    value = getter() if getter else getattr(obj, name)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()  # the chart shows dates as 2026-11-27 throughout
    return "—" if value in (None, "") else value


@register.filter
def words(code: str) -> str:
    """A code as words: "eligible_with_cautions" -> "eligible with cautions"."""
    return str(code).replace("_", " ")


@register.filter
def citation(source: str) -> str:
    """A source as people read it: the published source, without the project's notes."""
    return plain_citation(str(source))


@register.filter
def protocol_name(code: str) -> str:
    """A protocol code as its name: "iv_ketamine" -> "IV ketamine (racemic), ..."."""
    protocol = SHIPPED.get(str(code))
    return protocol.name if protocol else words(code)


@register.filter
def instrument_abbreviation(code: str) -> str:
    """An instrument code as clinicians write it: "qids_sr16" -> "QIDS-SR16"."""
    try:
        return get_instrument(str(code).lower()).abbreviation
    except ScoringError:
        return words(code)


@register.filter
def schedule_words(protocol: ProtocolDefinition | None, code: str) -> str:
    """A protocol's schedule option in words: "3_per_week" -> "3 times a week for 2 weeks"."""
    phases = protocol.schedules.get(code) if protocol else None
    return schedule_label(phases) if phases else words(code)


@register.filter
def figure(value: Any) -> Any:
    """A computed number as people read it: 2.9159722 -> 2.92, 147.3333 -> 147.3."""
    if isinstance(value, float):
        return floatformat(value, -1 if abs(value) >= 10 else -2)
    return value


@register.filter
def instrument_list(codes: list[str]) -> str:
    """Instrument codes as clinicians write them: ["phq9", "gad7"] -> "PHQ-9, GAD-7"."""
    return ", ".join(instrument_abbreviation(code) for code in codes)


@register.filter
def form_for(form: Any, key: Any) -> Any:
    """The same empty form for one row of a list, with ids of its own (`form|form_for:s.pk`),
    so each row's labels point at its own fields."""
    return type(form)(auto_id=f"id_{key}_%s")


@register.filter
def due_words(day: dt.date | None, today: dt.date) -> str:
    """How far a date is from today: "today", "in 3 days", "5 days ago"."""
    return compact.due_words(day, today)


@register.simple_tag
def sparkline(values: tuple[float, ...], instrument: str) -> str:
    """A small inline chart of a score series (no script, so it prints and works anywhere).
    Built in code, not a template: a page of the worklist draws a hundred."""
    line = compact.sparkline(values)
    if line is None:
        words = gettext("one score") if instrument else gettext("no scores")
        return format_html('<span class="muted">{}</span>', words)
    first, last = floatformat(line.first, 0), floatformat(line.last, 0)
    label = gettext("%(instrument)s from %(first)s to %(last)s") % {
        "instrument": instrument,
        "first": first,
        "last": last,
    }
    return format_html(
        '<svg class="sparkline" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        'aria-label="{label}"><polyline points="{points}" fill="none" stroke="currentColor" '
        'stroke-width="1.5"/></svg> <span class="trend-latest">{instrument} {last}</span>',
        w=line.width,
        h=line.height,
        label=label,
        points=line.points,
        instrument=instrument,
        last=last,
    )
