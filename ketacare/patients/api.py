"""Patient registry endpoints under /api/v1/patients. Handlers stay thin: they
parse, call a service or selector, and shape the answer."""

# No `from __future__ import annotations` here: the chart-entry handlers are built in a
# loop, and Ninja must see their payload schemas as real objects, not strings.
import uuid
from typing import Any

from django.db import models
from django.http import HttpRequest
from ninja import Field, ModelSchema, Query, Router, Schema, Status
from ninja.orm import create_schema
from pydantic import ConfigDict

from ketacare.api.auth import access_of
from ketacare.api.errors import field_errors
from ketacare.common.keyset import cursor_after
from ketacare.patients import merge, services
from ketacare.patients.models import (
    Allergy,
    BodyMeasurement,
    Consent,
    Diagnosis,
    Medication,
    Patient,
    PatientMerge,
    PatientRecord,
)
from ketacare.patients.selectors import REGISTRY_ORDER, record_list

router = Router(tags=["patients"])

# Request bodies refuse unknown fields: a misspelt field must not be dropped silently.
STRICT = ConfigDict(extra="forbid")


class StrictIn(Schema):
    model_config = STRICT


def model_data(model: type[models.Model], data: dict[str, Any]) -> dict[str, Any]:
    """Ninja gives optional model fields a None default, but blank text columns are NOT NULL:
    there an omitted (or null) value means the field's default ('' or e.g. 'active')."""
    fields = {field.name: field for field in model._meta.concrete_fields}
    return {
        name: fields[name].get_default() if value is None and not fields[name].null else value
        for name, value in data.items()
    }


class PatientIn(ModelSchema):
    model_config = STRICT
    confirm_not_duplicate: bool = Field(
        False,
        description="Register even though a record may be the same person (a 409 lists them)",
    )

    class Meta:
        model = Patient
        fields = list(services.PATIENT_FIELDS)


class PatientPatch(ModelSchema):
    model_config = STRICT

    class Meta:
        model = Patient
        fields = list(services.PATIENT_FIELDS)
        fields_optional = "__all__"


class PatientOut(ModelSchema):
    display_name: str

    class Meta:
        model = Patient
        fields = [
            "id",
            *services.PATIENT_FIELDS,
            "created_at",
            "updated_at",
            "archived_at",
            "archive_reason",
            "merged_into",
        ]


class PatientPage(Schema):
    items: list[PatientOut]
    count: int | None = Field(
        None, description="Patients matching, on numbered pages; null when paging by cursor"
    )
    page: int | None = Field(None, description="This page's number; null when paging by cursor")
    pages: int | None = Field(None, description="How many pages; null when paging by cursor")
    page_size: int
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last page"
    )


class ReasonIn(StrictIn):
    reason: str = Field(..., min_length=1, max_length=300)


class PatientQuery(Schema):
    q: str = Field("", description="Words matching names or MRN, or a date of birth")
    include_archived: bool = False
    page: int = Field(1, ge=1, description="A numbered page (ignored when `cursor` is given)")
    page_size: int = Field(25, ge=1, le=200)
    cursor: str = Field(
        "",
        max_length=2000,
        description="From next_cursor: the page after it, as fast deep in a large registry "
        "as the first (numbered pages slow down with depth)",
    )


@router.get("", response=PatientPage, summary="Search patients by name, MRN or date of birth")
def patient_search(request: HttpRequest, query: Query[PatientQuery]) -> dict[str, Any]:
    search: dict[str, Any] = {"access": access_of(request), "query": query.q}
    search |= {"include_archived": query.include_archived, "page_size": query.page_size}
    if query.cursor:
        after = services.patient_search_after_audited(**search, cursor=query.cursor)
        return {
            "items": after.items,
            "page_size": query.page_size,
            "next_cursor": after.next_cursor,
        }
    results = services.patient_search_audited(**search, page=query.page)
    items = list(results.object_list)
    last = items[-1] if results.has_next() else None
    return {
        "items": items,
        "count": results.paginator.count,
        "page": results.number,
        "pages": results.paginator.num_pages,
        "page_size": results.paginator.per_page,
        "next_cursor": cursor_after(last, REGISTRY_ORDER) if last else None,
    }


class DuplicateCandidateOut(Schema):
    id: uuid.UUID
    mrn: str
    display_name: str
    date_of_birth: Any
    reasons: list[str]


class DuplicateOut(Schema):
    detail: list[dict[str, Any]]
    duplicates: list[DuplicateCandidateOut]


@router.post(
    "",
    response={201: PatientOut, 409: DuplicateOut},
    summary="Register a patient (409 when a record may be the same person)",
)
def patient_create(request: HttpRequest, payload: PatientIn) -> Status[Any]:
    data = payload.dict()
    confirm = bool(data.pop("confirm_not_duplicate", False))
    try:
        patient = services.patient_create(
            access=access_of(request),
            data=model_data(Patient, data),
            confirm_not_duplicate=confirm,
        )
    except services.DuplicateSuspected as exc:
        duplicates = [
            {
                "id": c.key.pk,
                "mrn": c.key.mrn,
                "display_name": c.key.display_name,
                "date_of_birth": c.key.date_of_birth,
                "reasons": list(c.reasons),
            }
            for c in exc.candidates
        ]
        return Status(409, {"detail": field_errors(exc), "duplicates": duplicates})
    return Status(201, patient)


@router.get("/{patient_id}", response=PatientOut, summary="Read a patient's record")
def patient_read(request: HttpRequest, patient_id: uuid.UUID) -> Patient:
    return services.patient_view(access=access_of(request), patient_id=patient_id)


@router.patch("/{patient_id}", response=PatientOut, summary="Update identity or contact details")
def patient_update(request: HttpRequest, patient_id: uuid.UUID, payload: PatientPatch) -> Patient:
    data = model_data(Patient, payload.dict(exclude_unset=True))
    return services.patient_update(access=access_of(request), patient_id=patient_id, data=data)


@router.post(
    "/{patient_id}/archive",
    response=PatientOut,
    summary="Archive a patient (soft; nothing is deleted)",
)
def patient_archive(request: HttpRequest, patient_id: uuid.UUID, payload: ReasonIn) -> Patient:
    return services.patient_archive(
        access=access_of(request), patient_id=patient_id, reason=payload.reason
    )


# --- merging a duplicate record ------------------------------------------------------------


class MergePreviewOut(Schema):
    kept_id: uuid.UUID
    merged_id: uuid.UUID
    counts: dict[str, int]
    problems: list[str]


class MergeOut(ModelSchema):
    moved_count: int

    class Meta:
        model = PatientMerge
        fields = [
            "id",
            "kept",
            "merged",
            "reason",
            "moved",
            "created_at",
            "undone_at",
            "undo_reason",
        ]


@router.get(
    "/{patient_id}/merge/{kept_id}",
    response=MergePreviewOut,
    summary="What merging this record into the kept one would move, and what stops it",
)
def patient_merge_preview(
    request: HttpRequest, patient_id: uuid.UUID, kept_id: uuid.UUID
) -> dict[str, Any]:
    preview = merge.patient_merge_preview(
        access=access_of(request), patient_id=patient_id, kept_id=kept_id
    )
    return {
        "kept_id": preview.kept.pk,
        "merged_id": preview.merged.pk,
        "counts": dict(preview.counts),
        "problems": preview.problems,
    }


@router.post(
    "/{patient_id}/merge/{kept_id}",
    response=MergeOut,
    summary="Merge this (duplicate) record into the kept one; every chart entry moves",
)
def patient_merge(
    request: HttpRequest, patient_id: uuid.UUID, kept_id: uuid.UUID, payload: ReasonIn
) -> PatientMerge:
    return merge.patient_merge(
        access=access_of(request), patient_id=patient_id, kept_id=kept_id, reason=payload.reason
    )


# Under /api/v1/patient-merges: a merge is named by its own id.
merge_router = Router(tags=["patients"])


@merge_router.post(
    "/{merge_id}/undo",
    response=MergeOut,
    summary="Undo a merge: exactly the entries it moved go back, the record is restored",
)
def patient_merge_undo(
    request: HttpRequest, merge_id: uuid.UUID, payload: ReasonIn
) -> PatientMerge:
    return merge.patient_merge_undo(
        access=access_of(request), merge_id=merge_id, reason=payload.reason
    )


# --- chart entries: the same five endpoints for each kind --------------------------------

CHART_ENTRY_PATHS: dict[str, type[PatientRecord]] = {
    "weights": BodyMeasurement,
    "allergies": Allergy,
    "medications": Medication,
    "diagnoses": Diagnosis,
    "consents": Consent,
}
RECORD_META = ["id", "created_at", "entered_in_error_at", "entered_in_error_reason"]


class EntryMeta(Schema):
    entered_by: str

    @staticmethod
    def resolve_entered_by(obj: PatientRecord) -> str:
        return obj.entered_by.get_username()


def _register_entry_endpoints(path: str, model: type[PatientRecord]) -> None:
    name = model.__name__
    fields = list(services.RECORD_FIELDS[model])
    entry_in = create_schema(model, name=f"{name}In", fields=fields, base_class=StrictIn)
    entry_out = create_schema(
        model, name=f"{name}Out", fields=RECORD_META + fields, base_class=EntryMeta
    )
    section = path

    @router.get(
        f"/{{patient_id}}/{path}",
        response=list[entry_out],  # type: ignore[valid-type]
        operation_id=f"{path}_list",
        summary=f"List the patient's {path}",
    )
    def entry_list(request: HttpRequest, patient_id: uuid.UUID) -> Any:
        access = access_of(request)
        services.patient_view(access=access, patient_id=patient_id, section=section)
        return list(record_list(access=access, patient_id=patient_id, model=model))

    @router.post(
        f"/{{patient_id}}/{path}",
        response={201: entry_out},
        operation_id=f"{path}_add",
        summary=f"Add to the patient's {path}",
    )
    def entry_add(
        request: HttpRequest,
        patient_id: uuid.UUID,
        payload: entry_in,  # type: ignore[valid-type]
    ) -> Any:
        data = model_data(model, payload.dict())  # type: ignore[attr-defined]
        return Status(
            201,
            services.record_add(
                access=access_of(request), patient_id=patient_id, model=model, data=data
            ),
        )

    updatable = list(services.UPDATABLE[model])
    if updatable:
        entry_patch = create_schema(
            model,
            name=f"{name}Patch",
            fields=updatable,
            optional_fields=updatable,
            base_class=StrictIn,
        )

        @router.patch(
            f"/{{patient_id}}/{path}/{{entry_id}}",
            response=entry_out,
            operation_id=f"{path}_update",
            summary=f"Correct one of the patient's {path}",
        )
        def entry_update(
            request: HttpRequest,
            patient_id: uuid.UUID,
            entry_id: uuid.UUID,
            payload: entry_patch,  # type: ignore[valid-type]
        ) -> Any:
            data = model_data(model, payload.dict(exclude_unset=True))  # type: ignore[attr-defined]
            return services.record_update(
                access=access_of(request),
                patient_id=patient_id,
                model=model,
                record_id=entry_id,
                data=data,
            )

    @router.post(
        f"/{{patient_id}}/{path}/{{entry_id}}/entered-in-error",
        response=entry_out,
        operation_id=f"{path}_entered_in_error",
        summary="Mark an entry as entered in error (it stays visible)",
    )
    def entry_retract(
        request: HttpRequest, patient_id: uuid.UUID, entry_id: uuid.UUID, payload: ReasonIn
    ) -> Any:
        return services.record_mark_entered_in_error(
            access=access_of(request),
            patient_id=patient_id,
            model=model,
            record_id=entry_id,
            reason=payload.reason,
        )


for _path, _model in CHART_ENTRY_PATHS.items():
    _register_entry_endpoints(_path, _model)
