"""Treatment history, staging and screening endpoints under /api/v1/patients/...

Handlers stay thin: they parse, call a service or selector, and shape the answer."""

# No `from __future__ import annotations` here: the history handlers are built in a
# loop, and Ninja must see their payload schemas as real objects, not strings.
import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.orm import create_schema

from ketacare.api.auth import access_of
from ketacare.eligibility import selectors, services
from ketacare.eligibility.history import Derived
from ketacare.eligibility.models import ScreeningResult
from ketacare.patients.api import STRICT, EntryMeta, ReasonIn, StrictIn, model_data
from ketacare.patients.models import PatientRecord
from ketacare.patients.services import patient_view

router = Router(tags=["eligibility"])
RECORD_META = ["id", "created_at", "entered_in_error_at", "entered_in_error_reason"]


class DerivedOut(Schema):
    value: str
    how: list[str]
    source: str
    source_url: str


def _derived(d: Derived | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {
        "value": d.value,
        "how": list(d.how),
        "source": d.source.label,
        "source_url": d.source.url,
    }


class StagingOut(Schema):
    treatment_resistance: DerivedOut
    thase_rush: DerivedOut
    maudsley: DerivedOut | None


class TrialAdequacyOut(Schema):
    id: uuid.UUID
    drug: str
    adequate: bool
    reason: str


class HistoryOut(Schema):
    episodes: list[dict[str, Any]]
    trials: list[dict[str, Any]]
    adequacy: list[TrialAdequacyOut]
    treatments: list[dict[str, Any]]
    staging: StagingOut


def _staging(view: selectors.HistoryView) -> dict[str, Any]:
    return {
        "treatment_resistance": _derived(view.resistance),
        "thase_rush": _derived(view.thase_rush),
        "maudsley": _derived(view.maudsley),
    }


def _row(record: PatientRecord) -> dict[str, Any]:
    fields = ["id", *services.FIELDS[type(record)], "entered_in_error_at"]
    return {f: getattr(record, f) for f in fields}


def _history(request: HttpRequest, patient_id: uuid.UUID) -> selectors.HistoryView:
    patient = patient_view(access=access_of(request), patient_id=patient_id, section="history")
    return selectors.history_of(patient=patient, today=patient.clinic.today())


@router.get(
    "/patients/{patient_id}/history",
    response=HistoryOut,
    summary="The patient's treatment history, each trial's adequacy, and staging",
)
def history_read(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    view = _history(request, patient_id)
    return {
        "episodes": [_row(e) for e in view.episodes],
        "trials": [_row(t.record) for t in view.trials],
        "adequacy": [
            {
                "id": t.record.pk,
                "drug": t.record.drug,
                "adequate": t.adequacy.adequate,
                "reason": t.adequacy.reason,
            }
            for t in view.trials
        ],
        "treatments": [_row(o) for o in view.others],
        "staging": _staging(view),
    }


@router.get(
    "/patients/{patient_id}/staging",
    response=StagingOut,
    summary="Treatment-resistance status, Thase-Rush stage and Maudsley score, with how",
)
def staging_read(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    return _staging(_history(request, patient_id))


def _register_history_endpoints(path: str, model: type[PatientRecord]) -> None:
    name = model.__name__
    fields = list(services.FIELDS[model])
    entry_in = create_schema(model, name=f"{name}In", fields=fields, base_class=StrictIn)
    entry_patch = create_schema(
        model, name=f"{name}Patch", fields=fields, optional_fields=fields, base_class=StrictIn
    )
    entry_out = create_schema(
        model, name=f"{name}Out", fields=RECORD_META + fields, base_class=EntryMeta
    )

    @router.post(
        f"/patients/{{patient_id}}/{path}",
        response={201: entry_out},
        operation_id=f"{path}_add",
        summary=f"Add to the patient's treatment history ({path})",
    )
    def entry_add(
        request: HttpRequest,
        patient_id: uuid.UUID,
        payload: entry_in,  # type: ignore[valid-type]
    ) -> Any:
        data = model_data(model, payload.dict())  # type: ignore[attr-defined]
        return Status(
            201,
            services.history_add(
                access=access_of(request), patient_id=patient_id, model=model, data=data
            ),
        )

    @router.patch(
        f"/patients/{{patient_id}}/{path}/{{entry_id}}",
        response=entry_out,
        operation_id=f"{path}_update",
        summary=f"Correct an entry of the treatment history ({path})",
    )
    def entry_update(
        request: HttpRequest,
        patient_id: uuid.UUID,
        entry_id: uuid.UUID,
        payload: entry_patch,  # type: ignore[valid-type]
    ) -> Any:
        data = model_data(model, payload.dict(exclude_unset=True))  # type: ignore[attr-defined]
        return services.history_update(
            access=access_of(request),
            patient_id=patient_id,
            model=model,
            record_id=entry_id,
            data=data,
        )

    @router.post(
        f"/patients/{{patient_id}}/{path}/{{entry_id}}/entered-in-error",
        response=entry_out,
        operation_id=f"{path}_entered_in_error",
        summary="Mark a history entry as entered in error (it stays visible)",
    )
    def entry_retract(
        request: HttpRequest, patient_id: uuid.UUID, entry_id: uuid.UUID, payload: ReasonIn
    ) -> Any:
        return services.history_mark_entered_in_error(
            access=access_of(request),
            patient_id=patient_id,
            model=model,
            record_id=entry_id,
            reason=payload.reason,
        )


for _path, _model in services.HISTORY_MODELS.items():
    _register_history_endpoints(_path, _model)


# --- screening ---------------------------------------------------------------------------


class ScreeningChecklistIn(Schema):
    model_config = STRICT
    answers: dict[str, str] = Field(default_factory=dict)
    bp_systolic: int | None = None
    bp_diastolic: int | None = None


class ScreeningIn(Schema):
    model_config = STRICT
    protocol_code: str = Field(..., min_length=1, max_length=40)
    checklist: ScreeningChecklistIn | None = None


class ReasonOut(Schema):
    code: str
    kind: str
    text: str
    detail: str
    acceptable: bool
    accepted: bool
    sources: list[dict[str, str]]


class ScreeningOut(Schema):
    id: uuid.UUID
    protocol_code: str
    protocol_version: int
    outcome: str
    open_cautions: int
    trigger: str
    screened_at: dt.datetime
    reasons: list[ReasonOut]


def _screening_out(screening: ScreeningResult) -> dict[str, Any]:
    still_open = {(r["code"], r["detail"]) for r in selectors.open_cautions(screening)}
    return {
        "id": screening.pk,
        "protocol_code": screening.protocol_code,
        "protocol_version": screening.protocol_version,
        "outcome": screening.outcome,
        "open_cautions": len(still_open),
        "trigger": screening.trigger,
        "screened_at": screening.screened_at,
        "reasons": [
            {**r, "accepted": r["acceptable"] and (r["code"], r["detail"]) not in still_open}
            for r in screening.reasons
        ],
    }


@router.get(
    "/patients/{patient_id}/screenings",
    response=list[ScreeningOut],
    summary="The patient's screening results, newest first (history is kept)",
)
def screening_list(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    patient = patient_view(access=access_of(request), patient_id=patient_id, section="eligibility")
    return [_screening_out(s) for s in ScreeningResult.objects.filter(patient=patient)]


@router.post(
    "/patients/{patient_id}/screenings",
    response={201: ScreeningOut},
    summary="Run eligibility screening for a protocol (optionally with new checklist answers)",
)
def screening_create(request: HttpRequest, patient_id: uuid.UUID, payload: ScreeningIn) -> Any:
    result = services.screening_run(
        access=access_of(request),
        patient_id=patient_id,
        protocol_code=payload.protocol_code,
        checklist=payload.checklist.dict() if payload.checklist else None,
    )
    return Status(201, _screening_out(result))


class CautionAcceptIn(Schema):
    model_config = STRICT
    code: str = Field(..., min_length=1, max_length=80)
    justification: str = Field(..., min_length=1, max_length=2000)


@router.post(
    "/patients/{patient_id}/screenings/{entry_id}/accept",
    response=ScreeningOut,
    summary="Accept a caution with a written justification (prescribers; never a contraindication)",
)
def caution_accept(
    request: HttpRequest, patient_id: uuid.UUID, entry_id: uuid.UUID, payload: CautionAcceptIn
) -> Any:
    acceptance = services.caution_accept(
        access=access_of(request),
        patient_id=patient_id,
        screening_id=entry_id,
        code=payload.code,
        justification=payload.justification,
    )
    return _screening_out(acceptance.screening)
