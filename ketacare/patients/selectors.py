"""Reads of the patient registry, always scoped to the caller's clinic (else 404)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from ketacare.accounts.access import ClinicAccess
from ketacare.common.errors import NotFound
from ketacare.common.keyset import OrderedPage, ordered_page
from ketacare.patients import duplicates
from ketacare.patients.models import Allergy, BodyMeasurement, Consent, Patient, PatientRecord
from ketacare.patients.search import search_terms

R = TypeVar("R", bound=PatientRecord)


def patient_get(
    *, access: ClinicAccess, patient_id: uuid.UUID | str, for_update: bool = False
) -> Patient:
    patients = Patient.objects.filter(clinic=access.clinic)
    if for_update:
        patients = patients.select_for_update()
    try:
        return patients.get(pk=patient_id)
    except (Patient.DoesNotExist, ValidationError, ValueError) as exc:
        # A malformed id is as unknown as a missing one.
        raise NotFound("patient") from exc


# A number typed with its country code still finds one stored without it.
NATIONAL_DIGITS = 10


def _search_filter(query: str) -> Q:
    """Every word must match a name or a part of the MRN; a date typed must be the date of
    birth (in any of the meanings it may have); a phone number matches on its digits. On
    PostgreSQL each match is one trigram-indexed LIKE (patients migration 0003)."""
    terms = search_terms(query)
    if terms.phone_digits:
        national = terms.phone_digits[-NATIONAL_DIGITS:]
        return Q(phone_digits__contains=national) | Q(search_text__contains=terms.phone_digits)
    condition = Q(date_of_birth__in=terms.dates) if terms.dates else Q()
    for word in terms.words:
        condition &= Q(search_text__contains=word.upper())
    return condition


def _identity(patient: Patient) -> duplicates.Identity:
    return duplicates.Identity(
        given_name=patient.legal_given_name,
        family_name=patient.legal_family_name,
        date_of_birth=patient.date_of_birth,
        phone=patient.phone,
    )


def duplicate_candidates(
    *, access: ClinicAccess, patient: Patient
) -> list[duplicates.Candidate[Patient]]:
    """The clinic's records that may be the same person as `patient` (unsaved or not):
    same date of birth (one indexed lookup), then the pure rule on names and phone.
    Archived records count (the person may be back); records merged away do not."""
    same_day = (
        Patient.objects.filter(
            clinic=access.clinic, date_of_birth=patient.date_of_birth, merged_into__isnull=True
        )
        .exclude(pk=patient.pk)
        .order_by("legal_family_name", "legal_given_name", "mrn")
    )
    existing = ((p, _identity(p)) for p in same_day)
    return duplicates.duplicate_candidates(_identity(patient), existing)


# The registry's order; the MRN is unique in a clinic, so it is a total order a cursor
# can name (common/keyset.py), served by the index on (clinic, family, given, MRN).
REGISTRY_ORDER = ("legal_family_name", "legal_given_name", "mrn")


def registry_rows(*, access: ClinicAccess, query: str, include_archived: bool) -> QuerySet[Patient]:
    # A record merged into another is never listed: its entries are on the kept record.
    patients = Patient.objects.filter(clinic=access.clinic, merged_into__isnull=True).filter(
        _search_filter(query.strip())
    )
    if not include_archived:
        patients = patients.filter(archived_at__isnull=True)
    return patients


def page_size_of(page_size: int | None) -> int:
    return min(max(page_size or settings.KETACARE_PAGE_SIZE, 1), 200)


def patient_search(
    *,
    access: ClinicAccess,
    query: str = "",
    include_archived: bool = False,
    page: int = 1,
    page_size: int | None = None,
) -> Page:
    patients = registry_rows(access=access, query=query, include_archived=include_archived)
    return Paginator(patients.order_by(*REGISTRY_ORDER), page_size_of(page_size)).get_page(page)


def patient_search_after(
    *,
    access: ClinicAccess,
    query: str = "",
    include_archived: bool = False,
    cursor: str | None = None,
    page_size: int | None = None,
) -> OrderedPage[Patient]:
    """The page after the patient a cursor names: as fast deep in the registry as on its
    first page, where OFFSET would read and discard every row before it."""
    patients = registry_rows(access=access, query=query, include_archived=include_archived)
    return ordered_page(patients, order=REGISTRY_ORDER, size=page_size_of(page_size), cursor=cursor)


def record_list(*, access: ClinicAccess, patient_id: uuid.UUID, model: type[R]) -> QuerySet[R]:
    patient = patient_get(access=access, patient_id=patient_id)
    return model._default_manager.filter(patient=patient, clinic=access.clinic).select_related(
        "entered_by"
    )


def record_get(
    *,
    access: ClinicAccess,
    patient_id: uuid.UUID,
    model: type[R],
    record_id: uuid.UUID | str,
    for_update: bool = False,
) -> R:
    records = model._default_manager.filter(clinic=access.clinic, patient_id=patient_id)
    if for_update:
        records = records.select_for_update()
    try:
        return records.get(pk=record_id)
    except (model.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(model.__name__) from exc


@dataclass(frozen=True)
class ChartSummary:
    """What the chart header needs, gathered in a fixed number of queries."""

    patient: Patient
    active_allergies: list[Allergy]
    latest_measurement: BodyMeasurement | None
    current_consents: dict[str, Consent]


def chart_summary(*, patient: Patient) -> ChartSummary:
    allergies = list(
        Allergy.objects.filter(
            patient=patient, status=Allergy.Status.ACTIVE, entered_in_error_at__isnull=True
        )
    )
    latest = (
        BodyMeasurement.objects.filter(patient=patient, entered_in_error_at__isnull=True)
        .order_by("-measured_on", "-created_at")
        .first()
    )
    consents: dict[str, Consent] = {}
    for consent in Consent.objects.filter(
        patient=patient, entered_in_error_at__isnull=True
    ).order_by("-decided_on", "-created_at"):
        consents.setdefault(consent.kind, consent)
    return ChartSummary(
        patient=patient,
        active_allergies=allergies,
        latest_measurement=latest,
        current_consents=consents,
    )
