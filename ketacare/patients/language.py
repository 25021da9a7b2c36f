"""The patient's language: their links, pages and messages speak it.

Staff pages stay in the site's language (settings.LANGUAGE_CODE); anything a patient reads
is rendered inside `in_patient_language(patient)`. A page reached without a known patient
(an invalid link) follows the browser's Accept-Language among the languages shipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.http import HttpRequest
from django.utils import translation

from ketacare.patients.models import Patient

DEFAULT = Patient.Language.ENGLISH.value


def language_of(patient: Patient | None) -> str:
    if patient is None:
        return DEFAULT
    return patient.preferred_language or DEFAULT


def request_language(request: HttpRequest) -> str:
    """For a page with no patient behind it: the browser's choice, if shipped."""
    chosen = translation.get_language_from_request(request)
    return chosen if chosen in Patient.Language.values else DEFAULT


@contextmanager
def in_patient_language(patient: Patient | None, *, fallback: str = DEFAULT) -> Iterator[str]:
    language = language_of(patient) if patient is not None else fallback
    with translation.override(language):
        yield language


# What a patient reads: every string these files mark for translation must have its
# Spanish (tests/unit/test_catalogues.py reads the catalogue makemessages writes).
PATIENT_FACING = (
    "ketacare/web/templates/web/selfreport/",
    "ketacare/web/templates/web/portal/",
    "ketacare/web/templates/web/consent/patient.html",
    "ketacare/web/templates/web/consent/pdf.html",
    "ketacare/web/templates/web/education/patient.html",
    "ketacare/web/templates/web/guides/patient.html",
    "ketacare/web/views/selfreport.py",
    "ketacare/web/views/consent_link.py",
    "ketacare/web/views/guide_link.py",
    "ketacare/web/views/portal.py",
    "ketacare/web/views/measures.py",
    "ketacare/consent/content.py",
    "ketacare/consent/services.py",
    "ketacare/measures/services.py",
    "ketacare/portal/services.py",
)
