"""The de-identified research export: consented patients only, Safe Harbor, k-anonymous.

Tables, each written twice: as CSV (through ketacare.common.csvfile) and as Parquet
(pyarrow, with the explicit schema the data dictionary gives), plus the data dictionary:
  patients   research_id, age_band, sex, site
  sessions   research_id, day, status, protocol, drug, route,
             dose_mg, minutes_dosing, devices
  scores     research_id, day, instrument, total, severity
  outcomes   research_id, course, first_dose_day, sessions, protocol, route, instrument,
             baseline, response, remission, relapse, days_to_response,
             days_of_response, response_ended
Dates become day numbers: days from the patient's own first session (or first score),
which is day 0. Days are the clinic's calendar days, and a session's moment is when its
dosing started (its scheduled start if it never did), the moment the outcome rules count
a course from; so a session dosed just after midnight falls on the same day as its
course's first dose. That is a per-patient shift of every date, so intervals stay true, and
no calendar date (which a shifted date still is) leaves.
No free text, no identifier, no real date leaves. See docs/interoperability.md.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_record
from ketacare.common.csvfile import SafeWriter
from ketacare.common.errors import PermissionDenied
from ketacare.exchange import deid
from ketacare.measures.models import Score
from ketacare.outcomes.config import config_for
from ketacare.outcomes.course import classify_course
from ketacare.outcomes.sources import all_courses
from ketacare.patients.models import Consent, Patient
from ketacare.treatment.models import AdministrationEvent, TreatmentSession, session_given_at

OUTCOME_STATUSES = "met, not_met, missing, not_applicable"
SITE_LABEL = "site-1"  # a clinic's name or town is geographic: the export names no site

# The dictionary's types, and the Parquet (Arrow) type of each. An empty CSV cell is a
# null in Parquet. dose_mg has the database's precision (6 digits, 1 decimal place).
ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "integer": pa.int32(),
    "decimal(6,1)": pa.decimal128(6, 1),
}
TABLES = ("patients", "sessions", "scores", "outcomes")

DICTIONARY: list[tuple[str, str, str, str, str]] = [
    # table, column, type, meaning, the codes it holds (where it holds codes).
    # Each table is written as <table>.csv and <table>.parquet.
    ("patients", "research_id", "text", "Random id of the patient, new in every export.", ""),
    (
        "patients",
        "age_band",
        "text",
        "Age at the first session (or at export) in bands; 90+ for every age over 89; "
        "widened where a group is small.",
        "<18, 18-29, 30-39, ..., 80-89, 90+, <40, 40-64, 65-89, any",
    ),
    (
        "patients",
        "sex",
        "text",
        "Sex at birth; any where widened.",
        "female, male, intersex, unknown, any",
    ),
    ("patients", "site", "text", "Site label (the clinic is not named).", "site-1"),
    ("sessions", "research_id", "text", "The patient (the patients table).", ""),
    (
        "sessions",
        "day",
        "integer",
        "Day of the session (the day dosing started, or the scheduled day if it did not), "
        "counted from the patient's first session or score (day 0); "
        "intervals within a patient are true, no calendar date is given.",
        "",
    ),
    (
        "sessions",
        "status",
        "text",
        "Session state at export.",
        "scheduled, checked_in, pre_dose, dosing, monitoring, ready_for_discharge, discharged, "
        "signed, cancelled, no_show",
    ),
    ("sessions", "protocol", "text", "Protocol code of the dose order (the catalogue).", ""),
    ("sessions", "drug", "text", "Drug given.", "ketamine, esketamine"),
    (
        "sessions",
        "route",
        "text",
        "Route of the dose.",
        "iv, im, intranasal, oral, sublingual, oral_er",
    ),
    ("sessions", "dose_mg", "decimal(6,1)", "Dose given (mg), else ordered.", ""),
    (
        "sessions",
        "minutes_dosing",
        "integer",
        "Minutes from the start to the end of dosing.",
        "",
    ),
    ("sessions", "devices", "integer", "Esketamine nasal-spray devices given.", ""),
    ("scores", "research_id", "text", "The patient (the patients table).", ""),
    ("scores", "day", "integer", "Day answered, counted as in the sessions table.", ""),
    (
        "scores",
        "instrument",
        "text",
        "Rating scale.",
        "phq9, gad7, qids_sr16, madrs, hamd17, cadss, cadss6, pcl5, cssrs_screen",
    ),
    ("scores", "total", "integer", "Total score.", ""),
    ("scores", "severity", "text", "Severity band of the total (the instrument's bands).", ""),
    ("outcomes", "research_id", "text", "The patient (the patients table).", ""),
    ("outcomes", "course", "integer", "The patient's course of treatment, from 1.", ""),
    ("outcomes", "first_dose_day", "integer", "Day of the course's first dose.", ""),
    ("outcomes", "sessions", "integer", "Sessions given in the course.", ""),
    ("outcomes", "protocol", "text", "Protocol code of the course (the catalogue).", ""),
    ("outcomes", "route", "text", "Route of the course's doses.", "iv, im, intranasal, oral, sl"),
    (
        "outcomes",
        "instrument",
        "text",
        "The rating scale the outcome is judged on (the clinic's primary scale).",
        "phq9, madrs, qids_sr16, hamd17",
    ),
    ("outcomes", "baseline", "integer", "Baseline total of that scale.", ""),
    (
        "outcomes",
        "response",
        "text",
        "Response during the course (the clinic's rule, e.g. a 50% fall from baseline), "
        "judged on everything recorded by the export.",
        OUTCOME_STATUSES,
    ),
    ("outcomes", "remission", "text", "Remission, judged likewise.", OUTCOME_STATUSES),
    (
        "outcomes",
        "relapse",
        "text",
        "Relapse after a response: met when the patient relapsed, not met while the "
        "response held, not applicable without a response.",
        OUTCOME_STATUSES,
    ),
    (
        "outcomes",
        "days_to_response",
        "integer",
        "Days from the first dose to the first response, or to the last follow-up when "
        "there was none.",
        "",
    ),
    (
        "outcomes",
        "days_of_response",
        "integer",
        "Days from the first response to relapse, or to the last follow-up (censored).",
        "",
    ),
    (
        "outcomes",
        "response_ended",
        "text",
        "yes when the response ended in a relapse, no when it still held at the last "
        "follow-up (censored).",
        "yes, no",
    ),
]


@dataclass
class ResearchExport:
    files: dict[str, bytes]
    patients: int
    left_out: int  # consented patients in cells smaller than k
    k: int
    rows: dict[str, int] = field(default_factory=dict)


def consented_patients(clinic: Clinic) -> list[Patient]:
    """Patients whose latest research consent decision is 'granted'."""
    latest: dict[Any, str] = {}
    consents = Consent.objects.filter(
        clinic=clinic, kind=Consent.Kind.RESEARCH, entered_in_error_at=None
    ).order_by("patient_id", "decided_on", "created_at")
    for consent in consents:
        latest[consent.patient_id] = consent.decision
    ids = [pid for pid, decision in latest.items() if decision == Consent.Decision.GRANTED]
    return list(Patient.objects.filter(clinic=clinic, pk__in=ids))


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def schema(table: str) -> pa.Schema:
    """The table's Parquet schema, from the data dictionary: each column's type, and its
    meaning as the field's description."""
    return pa.schema(
        [
            pa.field(column, ARROW_TYPES[kind], metadata={"description": meaning})
            for name, column, kind, meaning, _ in DICTIONARY
            if name == table
        ],
        metadata={"table": table, "dictionary": "data_dictionary.csv"},
    )


def _parquet(table_schema: pa.Schema, rows: Sequence[Sequence[Any]]) -> bytes:
    """Rows as a Parquet file of the given schema; a missing value ('' or None) is null."""
    columns = [
        [None if row[i] in ("", None) else row[i] for row in rows] for i in range(len(table_schema))
    ]
    table = pa.Table.from_arrays(
        [pa.array(values, type=f.type) for values, f in zip(columns, table_schema, strict=True)],
        schema=table_schema,
    )
    out = pa.BufferOutputStream()
    pq.write_table(table, out)
    return bytes(out.getvalue().to_pybytes())


def _files(tables: dict[str, list[tuple[Any, ...]]]) -> dict[str, bytes]:
    """Each table as <table>.csv and <table>.parquet, and the data dictionary as both."""
    files: dict[str, bytes] = {}
    for name, rows in tables.items():
        table_schema = schema(name)
        files[f"{name}.csv"] = _csv(table_schema.names, rows)
        files[f"{name}.parquet"] = _parquet(table_schema, rows)
    header = ("table", "column", "type", "meaning", "codes")
    files["data_dictionary.csv"] = _csv(header, DICTIONARY)
    dictionary_schema = pa.schema([pa.field(column, pa.string()) for column in header])
    files["data_dictionary.parquet"] = _parquet(dictionary_schema, DICTIONARY)
    return files


def build(clinic: Clinic, *, today: dt.date) -> ResearchExport:
    k = settings.KETACARE_SMALL_CELL_MIN
    patients = consented_patients(clinic)
    first_session = {
        row["patient_id"]: row["first"]
        for row in TreatmentSession.objects.filter(clinic=clinic, patient__in=patients)
        .values("patient_id")
        .annotate(first=Min(session_given_at()))
    }
    people = {
        str(p.pk): deid.QuasiIdentifiers(
            age=deid.age_on(
                p.date_of_birth,
                clinic.date_of(first_session[p.pk]) if p.pk in first_session else today,
            ),
            sex=p.sex_at_birth,
            site=SITE_LABEL,
        )
        for p in patients
    }
    kept, left_out = deid.k_anonymise(people, k)
    ids = {pid: deid.research_id() for pid in kept}
    first_score = {
        row["patient_id"]: row["first"]
        for row in Score.objects.filter(clinic=clinic, patient__in=patients)
        .values("patient_id")
        .annotate(first=Min("answered_at"))
    }
    anchor: dict[str, dt.date] = {}
    for p in patients:
        firsts = [clinic.date_of(t) for t in (first_session.get(p.pk), first_score.get(p.pk)) if t]
        anchor[str(p.pk)] = min(firsts) if firsts else today

    def day(pid: str, moment: dt.datetime | None) -> int | None:
        return deid.day_number(clinic.date_of(moment), anchor[pid]) if moment else None

    patient_rows: list[tuple[Any, ...]] = [
        (ids[pid], q.age_label, q.sex, q.site) for pid, q in kept.items()
    ]
    patient_rows.sort()
    sessions = (
        TreatmentSession.objects.filter(clinic=clinic, patient_id__in=list(kept))
        .select_related("administration")
        .annotate(
            moment=session_given_at(),
            devices=Count(
                "administration__events",
                filter=Q(
                    administration__events__kind=AdministrationEvent.Kind.DEVICE,
                    administration__events__entered_in_error_at=None,
                ),
            ),
        )
        .order_by("patient_id", "moment", "id")
    )
    session_rows: list[tuple[Any, ...]] = []
    for s in sessions:
        pid = str(s.patient_id)
        a = getattr(s, "administration", None)
        minutes = (
            round((a.stopped_at - a.started_at).total_seconds() / 60)
            if a is not None and a.stopped_at
            else None
        )
        session_rows.append(
            (
                ids[pid],
                day(pid, s.moment),
                s.status,
                s.protocol_code,
                a.drug if a else None,
                a.route if a else None,
                (a.dose_given_mg if a.dose_given_mg is not None else a.dose_ordered_mg)
                if a
                else None,
                minutes,
                s.devices if a and a.drug == "esketamine" else None,
            )
        )
    scores = Score.objects.filter(
        clinic=clinic, patient_id__in=list(kept), is_current=True
    ).order_by("patient_id", "answered_at")
    score_rows: list[tuple[Any, ...]] = [
        (
            ids[str(s.patient_id)],
            day(str(s.patient_id), s.answered_at),
            s.instrument,
            s.total,
            s.severity,
        )
        for s in scores
    ]
    outcome_rows = _outcome_rows(clinic, kept, ids, day)
    files = _files(
        {
            "patients": patient_rows,
            "sessions": session_rows,
            "scores": score_rows,
            "outcomes": outcome_rows,
        }
    )
    return ResearchExport(
        files=files,
        patients=len(kept),
        left_out=len(left_out),
        k=k,
        rows={
            "patients": len(patient_rows),
            "sessions": len(session_rows),
            "scores": len(score_rows),
            "outcomes": len(outcome_rows),
        },
    )


def _outcome_rows(
    clinic: Clinic,
    kept: Mapping[str, Any],
    ids: Mapping[str, str],
    day: Callable[[str, dt.datetime | None], int | None],
) -> list[tuple[Any, ...]]:
    """One row per course: the verdicts the outcome dashboard counts, on the clinic's
    primary scale and rules, on everything recorded."""
    config = config_for(clinic)
    instrument = config.options.primary_instrument
    rows: list[tuple[Any, ...]] = []
    number: dict[str, int] = {}
    wanted = [uuid.UUID(pid) for pid in kept]
    for pc in all_courses(clinic, patient_ids=wanted):
        pid = str(pc.patient_id)
        number[pid] = number.get(pid, 0) + 1
        outcome = classify_course(pc.course, instrument, config.rules)
        lasted = outcome.duration_of_response
        rows.append(
            (
                ids[pid],
                number[pid],
                day(pid, pc.course.first_dose_at),
                len(pc.course.sessions),
                pc.protocol,
                pc.route,
                instrument,
                outcome.baseline.value,
                outcome.response.status.value,
                outcome.remission.status.value,
                outcome.relapse.status.value,
                _whole_days(outcome.time_to_response.days),
                _whole_days(lasted.days),
                ("yes" if lasted.event else "no") if lasted.days is not None else None,
            )
        )
    rows.sort(key=lambda row: (row[0], row[1]))
    return rows


def _whole_days(days: float | None) -> int | None:
    return None if days is None else int(days)


def _audit(clinic: Clinic, export: ResearchExport, actor: Any, label: str | None) -> None:
    audit_record(
        actor=actor,
        actor_label=label,
        clinic=clinic,
        action=Action.EXPORT,
        object_type="research.export",
        details={
            "patients": export.patients,
            "left_out_small_cells": export.left_out,
            "k": export.k,
            "rows": export.rows,
            "files": sorted(export.files),
        },
    )


def require_research_access(access: ClinicAccess) -> None:
    """Researchers see de-identified data; compliance officers, who see the chart and the
    audit trail anyway, may check what the export holds."""
    if not (access.can(Permission.VIEW_DEIDENTIFIED) or access.can(Permission.VIEW_AUDIT)):
        raise PermissionDenied("Only researchers and compliance officers may export this.")


def past_exports(access: ClinicAccess) -> list[Any]:
    """The clinic's research exports, from the audit trail (for compliance officers)."""
    from ketacare.audit.models import AuditEvent

    if not access.can(Permission.VIEW_AUDIT):
        return []
    return list(
        AuditEvent.objects.filter(clinic=access.clinic, object_type="research.export").order_by(
            "-sequence"
        )[:20]
    )


@transaction.atomic
def research_export(*, access: ClinicAccess, today: dt.date) -> ResearchExport:
    """For researchers (de-identified data) and compliance officers (the audit trail)."""
    require_research_access(access)
    export = build(access.clinic, today=today)
    _audit(access.clinic, export, access.user, None)
    return export


@transaction.atomic
def research_export_command(*, clinic: Clinic, today: dt.date) -> ResearchExport:
    export = build(clinic, today=today)
    _audit(clinic, export, None, "command line")
    return export
