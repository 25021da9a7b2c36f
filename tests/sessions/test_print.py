"""Printing: every page links the print stylesheet, which hides navigation, buttons and
forms, prints the patient banner once (in the flow, not fixed) and rules the tables; the
session page carries a read-only copy of the pre-dose assessment for paper."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.patients.models import Patient
from tests.sessions.build import to_pre_dose

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<link rel="stylesheet" href="[^"]*ketacare/print\.css" media="print">')


def _print_rules() -> str:
    found = finders.find("ketacare/print.css")
    assert found, "print.css is served from the static files"
    css = Path(str(found)).read_text()
    start = css.index("@media print {")
    return css[start:]


def test_the_print_stylesheet_hides_what_is_not_the_record() -> None:
    rules = _print_rules()
    hidden = rules[: rules.index("{ display: none !important; }")]
    for selector in (".topbar", "nav", ".tabs", "form", "button", ".back-link", ".messages"):
        assert re.search(rf"(^|[\s,]){re.escape(selector)}([\s,]|$)", hidden), selector
    # The banner once: in the flow at the top, never fixed or sticky on paper.
    assert re.search(r"\.patient-banner[^{]*\{ position: static !important", rules)
    assert "position: fixed" not in rules
    # Readable tables: ruled cells, the header row on each sheet, rows kept whole.
    assert "border-collapse: collapse" in rules
    assert "thead { display: table-header-group; }" in rules
    assert "tr { break-inside: avoid; }" in rules


def test_the_session_page_and_the_chart_link_it(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = to_pre_dose(nurse, prescriber, patient)
    client = api_client(nurse)
    kwargs = {"clinic_slug": nurse.clinic.slug, "patient_id": patient.pk}
    page = client.get(reverse("session_page", kwargs=kwargs | {"session_id": session.pk}))
    text = page.content.decode()
    assert len(LINK.findall(text)) == 1
    assert text.count('id="patient-banner"') == 1  # printed once
    record = text[text.index('id="assessment-record"') :]
    assert 'class="print-only"' in text
    assert "128/82" in record[: record.index("</section>")]  # the saved baseline
    chart = client.get(reverse("patient_chart", kwargs=kwargs)).content.decode()
    assert len(LINK.findall(chart)) == 1
