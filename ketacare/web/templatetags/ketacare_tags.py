from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.db import models

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
