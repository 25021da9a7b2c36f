"""The chart header's plan summary, for any template that shows a patient."""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.dosing.selectors import plan_summary as summarise
from ketacare.patients.models import Patient

register = template.Library()


@register.inclusion_tag("web/dosing/_plan_summary.html")
def plan_summary(patient: Patient) -> dict[str, Any]:
    """The patient's active plan at a glance. The chart view has already checked access
    and audited the view of the chart; this reads no more than the chart shows."""
    return {"summary": summarise(patient=patient)}
