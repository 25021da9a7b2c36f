"""Course state kept up to date: each course's verdicts, stored in `CourseState` and
`CourseInstrumentState` by the pure core's functions, so the worklist and the dashboard
read rows instead of judging every course of the clinic per request.

`course_state_refresh(clinic, patient_id)` recomputes one patient's courses. The services
that change a course call it (through `ketacare.common.course_state`, so treatment,
measures and dosing need not import outcomes) in their own transaction: a score, a
session's status or dosing time, a plan, an administration record, a clinical event, a
maintenance decision. A change of the clinic's outcome settings or of a protocol's
spacing recomputes the clinic's courses (`clinic_state_rebuild`), as does
`ketacare outcomes-rebuild`.

What depends on today's date is not stored: the rows keep the dates (the recommended next
session, the end of induction, the last session) and the readers decide "due", "overdue",
"past induction" and "still active" when they read (`booster_as_of`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction

from ketacare.accounts.models import Clinic
from ketacare.dosing.protocols import ProtocolDefinition
from ketacare.dosing.selectors import protocol_catalogue
from ketacare.outcomes.config import OutcomeConfig, config_for
from ketacare.outcomes.counts import (
    Cell,
    counts_move,
    counts_recount,
    counts_replace,
    stored_tally,
    tally,
)
from ketacare.outcomes.course import (
    Status,
    baseline,
    classify_course,
    duration_of_response,
    futility,
    relapse,
    time_to_response,
)
from ketacare.outcomes.models import (
    CourseInstrumentState,
    CourseState,
    CourseWeekValue,
    MaintenanceDecision,
    OutcomeCount,
)
from ketacare.outcomes.options import JUDGED_INSTRUMENTS
from ketacare.outcomes.sources import PatientCourse, all_courses, current_of
from ketacare.outcomes.trajectories import course_series, last_in_each_week
from ketacare.patients.models import Patient, display_name_of
from ketacare.treatment.models import TreatmentSession

MAX_WEEKS = 26  # trajectories are drawn for the first half year of treatment

Protocols = Mapping[str, ProtocolDefinition]  # the clinic's current protocols, by code


@dataclass(frozen=True)
class WorkFlags:
    """The worklist's items of one course on the primary instrument, as of no particular
    day (`booster_date` is compared with today by the reader)."""

    relapse_reason: str = ""
    relapse_at: dt.datetime | None = None
    warning_reason: str = ""
    warning_at: dt.datetime | None = None
    futility_reason: str = ""
    futility_at: dt.datetime | None = None
    booster_date: dt.date | None = None
    booster_reason: str = ""


def work_flags(pc: PatientCourse, config: OutcomeConfig, protocols: Protocols) -> WorkFlags:
    """What the worklist shows for a course: relapse confirmed since the last session, else
    an early warning; a futility review; the recommended next session (judged without a
    today: whether it is due or overdue is decided when read)."""
    from ketacare.outcomes.services import maintenance_for  # services import this module

    instrument = config.options.primary_instrument
    found: dict[str, object] = {}
    lost = relapse(pc.course, instrument, config.rules)
    if (
        lost.status is Status.MET
        and lost.confirmed_at
        and lost.confirmed_at > pc.last_session.given_at
    ):
        found |= {"relapse_reason": lost.reason, "relapse_at": lost.confirmed_at}
    recommendation, warning, _taper = maintenance_for(pc, config, None, protocols)
    if warning.status is Status.MET and not found:
        found |= {"warning_reason": warning.reason, "warning_at": warning.at}
    review = futility(pc.course, instrument, config.rules)
    if review.status is Status.MET:
        found |= {"futility_reason": review.reason, "futility_at": review.at}
    if recommendation.status is Status.MET and recommendation.date is not None:
        found |= {"booster_date": recommendation.date, "booster_reason": recommendation.reason}
    return WorkFlags(**found)  # type: ignore[arg-type]


def _instrument_row(
    pc: PatientCourse, instrument: str, config: OutcomeConfig, induction_end: dt.datetime
) -> CourseInstrumentState:
    rules = config.rules
    judged = classify_course(pc.course, instrument, rules, as_of=induction_end)
    reached = time_to_response(pc.course, instrument, rules)
    days_to = sessions_to = lasted_days = relapsed = None
    if reached.event and reached.days is not None:
        days_to, sessions_to = reached.days, reached.sessions or 0
        lasted = duration_of_response(pc.course, instrument, rules)
        if lasted.days is not None and lasted.event is not None:
            lasted_days, relapsed = lasted.days, lasted.event
    points = course_series(pc.course, instrument, rules)
    follow = [p.value for p in pc.course.follow_up(instrument)]
    base = baseline(pc.course, instrument, rules)
    return CourseInstrumentState(
        instrument=instrument,
        response=judged.response.status.value,
        remission=judged.remission.status.value,
        baseline=base.score.value if base.score is not None else None,
        nadir=min(follow) if follow else None,
        latest=follow[-1] if follow else None,
        days_to_response=days_to,
        sessions_to_response=sessions_to,
        response_days=lasted_days,
        relapsed=relapsed,
        series=[[d, v] for d, v in points if d <= MAX_WEEKS * 7] if points else None,
    )


def states_of(
    clinic: Clinic,
    courses: Sequence[PatientCourse],
    config: OutcomeConfig,
    protocols: Protocols,
    decided: set[uuid.UUID],
    sort_names: Mapping[uuid.UUID, str],
) -> list[tuple[CourseState, list[CourseInstrumentState]]]:
    """The rows of the given courses (unsaved); `sort_names` are their patients' names as
    the worklist sorts them (`sort_names_of`)."""
    current = {id(pc) for pc in current_of(courses).values()}
    induction = dt.timedelta(days=config.options.induction_days)
    rows = []
    for pc in courses:
        first = pc.course.first_dose_at
        assert first is not None
        flags = work_flags(pc, config, protocols)
        last_id = uuid.UUID(str(pc.last_session.id))
        state = CourseState(
            clinic=clinic,
            patient_id=pc.patient_id,
            plan_id=pc.plan_id,
            is_current=id(pc) in current,
            first_dose_at=first,
            first_dose_date=pc.course.date_of(first),
            first_dose_month=f"{first:%Y-%m}",
            induction_end_at=first + induction,
            last_session_id=last_id,
            last_session_at=pc.last_session.given_at,
            sessions=len(pc.course.sessions),
            prescriber_id=pc.prescriber_id,
            protocol=pc.protocol or "",
            route=pc.route or "",
            indication=pc.indication or "",
            decided=last_id in decided,
            **{k: v for k, v in flags.__dict__.items()},
            relapse_due=_date_or_none(clinic, flags.relapse_at),
            warning_due=_date_or_none(clinic, flags.warning_at),
            futility_due=_date_or_none(clinic, flags.futility_at),
            sort_name=sort_names.get(pc.patient_id, ""),
        )
        state.has_item = bool(
            flags.relapse_reason or flags.warning_reason or flags.futility_reason
        ) or (flags.booster_date is not None and not state.decided)
        rows.append(
            (
                state,
                [
                    _instrument_row(pc, code, config, first + induction)
                    for code in JUDGED_INSTRUMENTS
                ],
            )
        )
    return rows


def _date_or_none(clinic: Clinic, moment: dt.datetime | None) -> dt.date | None:
    return clinic.date_of(moment) if moment is not None else None


def sort_names_of(patient_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each patient's name as the worklist sorts it: the name every list shows, casefolded
    (`compact.sort_key`)."""
    rows = Patient.objects.filter(pk__in=list(patient_ids)).values_list(
        "pk", "legal_family_name", "legal_given_name", "preferred_name"
    )
    return {pk: display_name_of(*names).casefold() for pk, *names in rows}


def _protocols(clinic: Clinic) -> Protocols:
    return {p.code: p for p in protocol_catalogue(clinic=clinic)}


def _decided(clinic: Clinic, courses: Iterable[PatientCourse]) -> set[uuid.UUID]:
    last = [uuid.UUID(str(pc.last_session.id)) for pc in courses]
    return set(
        MaintenanceDecision.objects.filter(clinic=clinic, last_session_id__in=last).values_list(
            "last_session_id", flat=True
        )
    )


def _store(
    clinic: Clinic,
    patient_ids: Sequence[uuid.UUID],
    config: OutcomeConfig,
    protocols: Protocols,
    *,
    rebuilt: Counter[Cell] | None = None,
) -> int:
    """Replace the patients' stored courses and move the dashboard's cells from the old
    rows to the new; in a rebuild, add the new rows' cells to `rebuilt` instead (the
    rebuild replaces every cell at its end)."""
    courses = all_courses(clinic, patient_ids=patient_ids)
    names = sort_names_of(patient_ids)
    rows = states_of(clinic, courses, config, protocols, _decided(clinic, courses), names)
    before = stored_tally(clinic, patient_ids) if rebuilt is None else None
    CourseState.objects.filter(clinic=clinic, patient_id__in=list(patient_ids)).delete()
    saved = CourseState.objects.bulk_create([state for state, _ in rows])
    details = []
    for state, instruments in zip(saved, (i for _, i in rows), strict=True):
        for row in instruments:
            row.course, row.clinic = state, clinic
            details.append(row)
    CourseInstrumentState.objects.bulk_create(details)
    CourseWeekValue.objects.bulk_create(_week_values(details))
    after = tally(details)
    if rebuilt is not None:
        rebuilt.update(after)
    else:
        assert before is not None
        counts_move(clinic, before, after)
    return len(rows)


def _week_values(instruments: Iterable[CourseInstrumentState]) -> list[CourseWeekValue]:
    return [
        CourseWeekValue(
            course=row.course, clinic=row.clinic, instrument=row.instrument, week=week, value=value
        )
        for row in instruments
        for week, value in last_in_each_week((d, v) for d, v in row.series or ()).items()
    ]


def course_state_refresh(clinic: Clinic, patient_id: uuid.UUID) -> None:
    """Recompute the patient's courses, in the caller's transaction."""
    _store(clinic, [patient_id], config_for(clinic), _protocols(clinic))


CHUNK = 200  # patients recomputed per batch in a rebuild


def _patient_chunks(clinic: Clinic) -> Iterator[list[uuid.UUID]]:
    """The clinic's patients who have any course or state, by keyset pages of CHUNK."""
    given = set(
        TreatmentSession.objects.filter(
            clinic=clinic, status__in=TreatmentSession.GIVEN_STATUSES
        ).values_list("patient_id", flat=True)
    )
    given |= set(CourseState.objects.filter(clinic=clinic).values_list("patient_id", flat=True))
    ordered = sorted(given, key=str)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def clinic_state_rebuild(clinic: Clinic, progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute every course of the clinic (in the caller's transaction, or one per
    call). `progress(done, total)` is told the patients done after each batch."""
    with transaction.atomic():
        config, protocols = config_for(clinic), _protocols(clinic)
        chunks = list(_patient_chunks(clinic))
        total, done, courses = sum(len(c) for c in chunks), 0, 0
        cells: Counter[Cell] = Counter()
        for chunk in chunks:
            courses += _store(clinic, chunk, config, protocols, rebuilt=cells)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        counts_replace(clinic, cells)
        return courses


def rebuild_missing_course_state(*, verbosity: int = 1, **_signal: object) -> list[str]:
    """After `migrate`: build the stored state of every clinic that has given sessions and
    no stored course at all (a database upgraded from before the state existed), so an
    upgrade never leaves a prescriber's worklist silently empty. Runs with the code and
    schema of the finished migration, unlike a data migration. Also builds those whose
    stored courses have trajectories but no weekly values yet, or no sort names, and
    counts the dashboard's cells of those stored before them. Answers the clinics built
    or counted."""
    given = TreatmentSession.objects.filter(status__in=TreatmentSession.GIVEN_STATUSES)
    no_state = Clinic.objects.filter(pk__in=given.values("clinic_id")).exclude(
        pk__in=CourseState.objects.values("clinic_id")
    )
    # Stored before the weekly values were (outcomes 0004): their trajectories need them.
    no_weeks = Clinic.objects.filter(
        pk__in=CourseInstrumentState.objects.filter(series__isnull=False).values("clinic_id")
    ).exclude(pk__in=CourseWeekValue.objects.values("clinic_id"))
    # Stored before the worklist read its pages in order (outcomes 0005): no sort names.
    no_order = Clinic.objects.filter(
        pk__in=CourseState.objects.filter(sort_name="").values("clinic_id")
    )
    missing = (no_state | no_weeks | no_order).order_by("pk")
    built = []
    for clinic in missing:
        courses = clinic_state_rebuild(clinic)
        built.append(clinic.slug)
        if verbosity:
            print(f"  Course outcomes stored for {clinic.name}: {courses} courses.")
    # Stored before the dashboard's counts were (outcomes 0006): counted from the rows.
    uncounted = (
        Clinic.objects.filter(pk__in=CourseState.objects.values("clinic_id"))
        .exclude(pk__in=OutcomeCount.objects.values("clinic_id"))
        .exclude(slug__in=built)
        .order_by("pk")
    )
    for clinic in uncounted:
        cells = counts_recount(clinic)
        built.append(clinic.slug)
        if verbosity:
            print(f"  Outcome counts stored for {clinic.name}: {cells} cells.")
    return built
