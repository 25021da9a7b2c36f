"""The clinic outcome dashboard: courses started and completed, response and remission at
the end of induction (always with numerator, denominator and missing data), median time
to response, durability of response as a Kaplan-Meier curve (lifelines) and symptom
trajectories by week, filtered by first-dose date, protocol, route, prescriber and
indication. The verdicts are stored per course (`state.py`, kept up to date by the
writes); one query reads the filtered courses' rows, and the groups are counted here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Q, QuerySet
from lifelines import KaplanMeierFitter

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import User
from ketacare.accounts.policy import Permission
from ketacare.audit.services import Action, audit_as
from ketacare.common.errors import PermissionDenied, ValidationFailed
from ketacare.dosing.protocols import Route
from ketacare.dosing.selectors import protocol_catalogue
from ketacare.outcomes.config import OutcomeConfig, config_for
from ketacare.outcomes.counts import GROUPED_BY, Facet
from ketacare.outcomes.course import Status
from ketacare.outcomes.data import whole_days
from ketacare.outcomes.models import CourseInstrumentState, CourseWeekValue, OutcomeCount
from ketacare.outcomes.options import JUDGED_INSTRUMENTS
from ketacare.outcomes.state import MAX_WEEKS
from ketacare.outcomes.trajectories import (
    WeekSummary,
    median_of_counts,
    weekly_summary_of_counts,
)

__all__ = ["MAX_WEEKS", "Filters", "OutcomeDashboard", "build_dashboard", "dashboard_open"]


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None = None  # first dose on or after
    date_to: dt.date | None = None  # first dose on or before
    instrument: str | None = None  # default: the clinic's primary instrument
    prescriber_id: int | None = None
    protocol: str | None = None  # protocol code (the plan's, else the sessions')
    route: str | None = None  # ketacare.dosing.protocols.Route value
    indication: str | None = None  # the plan's indication

    @property
    def narrows(self) -> bool:
        """Whether any filter but the instrument keeps fewer than all the courses."""
        return any(
            value is not None
            for value in (
                self.date_from,
                self.date_to,
                self.prescriber_id,
                self.protocol,
                self.route,
                self.indication,
            )
        )


@dataclass(frozen=True)
class Rate:
    """A rate with what it rests on: met / (met + not met); missing kept apart."""

    met: int = 0
    not_met: int = 0
    missing: int = 0
    not_applicable: int = 0

    @property
    def denominator(self) -> int:
        return self.met + self.not_met

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.denominator, 1) if self.denominator else None

    def text(self) -> str:
        share = f"{self.percent:g}%" if self.percent is not None else "—"
        return f"{share} ({self.met}/{self.denominator}; missing {self.missing})"


def rate_of(statuses: Mapping[Status, int]) -> Rate:
    """The rate of courses counted by status."""
    return Rate(
        statuses.get(Status.MET, 0),
        statuses.get(Status.NOT_MET, 0),
        statuses.get(Status.MISSING, 0),
        statuses.get(Status.NOT_APPLICABLE, 0),
    )


@dataclass(frozen=True)
class GroupRow:
    group: str
    courses: int
    response: Rate
    remission: Rate
    suppressed: str = ""  # "fewer than 11": a small cell, no figure shown


@dataclass(frozen=True)
class KMRow:
    days: float
    at_risk: int
    events: int
    censored: int
    survival: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Durability:
    rows: list[KMRow]
    courses: int | None  # None: fewer than the small-cell limit (suppress_small_cells)
    relapses: int | None
    median_days: float | None  # None: the curve never falls to 50%


@dataclass
class OutcomeDashboard:
    instrument: str
    induction_days: int
    started: int | None = 0  # None in these counts: a small cell (suppress_small_cells)
    completed: int | None = 0
    overall: GroupRow | None = None
    by_period: list[GroupRow] = field(default_factory=list)
    by_prescriber: list[GroupRow] = field(default_factory=list)
    by_protocol: list[GroupRow] = field(default_factory=list)
    by_route: list[GroupRow] = field(default_factory=list)
    responders: int | None = 0
    small_cells_below: int | None = None  # set by suppress_small_cells
    median_days_to_response: float | None = None
    median_sessions_to_response: float | None = None
    durability: Durability | None = None
    weeks: list[WeekSummary] = field(default_factory=list)
    lines: list[list[tuple[float, float]]] = field(default_factory=list)  # VIEW_CHART only
    prescribers: dict[int, str] = field(default_factory=dict)
    # The values the filters offer: those present in the clinic's courses (any filter).
    protocols: dict[str, str] = field(default_factory=dict)  # code -> name
    routes: dict[str, str] = field(default_factory=dict)  # value -> label
    indications: dict[str, str] = field(default_factory=dict)  # value -> label

    @property
    def fewer(self) -> str:
        """The words shown for a suppressed count: "fewer than 11"."""
        return f"fewer than {self.small_cells_below}" if self.small_cells_below else ""


def kaplan_meier(
    durations: Sequence[float], events: Sequence[bool], courses: Sequence[int] | None = None
) -> Durability:
    """The Kaplan-Meier estimate of staying free of relapse after response, with the
    95% confidence band lifelines gives (exponential Greenwood). `courses[i]` is how many
    courses had durations[i] and events[i] (1 each if not given): the same estimate as
    listing each course."""
    weights = list(courses) if courses is not None else [1] * len(durations)
    if not durations:
        return Durability([], 0, 0, None)
    fitter = KaplanMeierFitter().fit(list(durations), event_observed=list(events), weights=weights)
    # Read as plain columns, once: a row-by-row pandas look-up cost more than the fit.
    table = {
        name: fitter.event_table[name].to_dict() for name in ("at_risk", "observed", "censored")
    }
    survival = fitter.survival_function_.iloc[:, 0]
    band = fitter.confidence_interval_survival_function_.to_numpy().tolist()
    rows = [
        KMRow(
            days=float(t),
            at_risk=round(table["at_risk"][t]),
            events=round(table["observed"][t]),
            censored=round(table["censored"][t]),
            survival=float(value),
            lower=float(band[i][0]),
            upper=float(band[i][1]),
        )
        for i, (t, value) in enumerate(survival.items())
    ]
    median = float(fitter.median_survival_time_)
    relapses = sum(n for n, event in zip(weights, events, strict=True) if event)
    return Durability(rows, sum(weights), relapses, None if median == float("inf") else median)


Judged = Counter[tuple[Status, Status]]  # courses by (response, remission)


def _group(label: str, judged: Judged) -> GroupRow:
    response: Counter[Status] = Counter()
    remission: Counter[Status] = Counter()
    for (r, m), n in judged.items():
        response[r] += n
        remission[m] += n
    return GroupRow(label, judged.total(), rate_of(response), rate_of(remission))


def _courses(
    model: type[models.Model], access: ClinicAccess, filters: Filters, instrument: str
) -> QuerySet[Any]:
    """The filtered courses' rows of `model` (instrument verdicts or weekly values)."""
    wanted = {
        "course__first_dose_date__gte": filters.date_from,
        "course__first_dose_date__lte": filters.date_to,
        "course__prescriber_id": filters.prescriber_id,
        "course__protocol": filters.protocol,
        "course__route": filters.route,
        "course__indication": filters.indication,
    }
    return model.objects.filter(  # type: ignore[attr-defined]
        clinic=access.clinic,
        instrument=instrument,
        **{k: v for k, v in wanted.items() if v is not None},
    ).order_by()


# The groupings shown, as the course rows name them and as the cells do.
GROUPS: Mapping[str, str] = {
    facet: f"course__{GROUPED_BY[facet]}"
    for facet in (Facet.MONTH, Facet.PRESCRIBER, Facet.PROTOCOL, Facet.ROUTE)
}


@dataclass
class Counted:
    """What the dashboard is drawn from, as counts: the courses started; those past
    induction by verdict in each grouping; the responders' whole days and sessions to
    response; their whole days free of relapse with the event; the weekly values."""

    started: int = 0
    groups: dict[str, dict[Any, Judged]] = field(
        default_factory=lambda: {name: defaultdict(Counter) for name in GROUPS}
    )
    days_to_response: Counter[float] = field(default_factory=Counter)
    sessions_to_response: Counter[float] = field(default_factory=Counter)
    lasted: Counter[tuple[int, bool]] = field(default_factory=Counter)
    weeks: dict[int, Counter[float]] = field(default_factory=lambda: defaultdict(Counter))

    def add_verdicts(self, cell: Mapping[str, Any], n: int) -> None:
        """`n` courses past induction with the verdicts and groups of `cell`."""
        verdict = (Status(cell["response"]), Status(cell["remission"]))
        for name, column in GROUPS.items():
            self.groups[name][cell[column]][verdict] += n

    def add_responders(self, to_response: float, sessions: int | None, n: int) -> None:
        self.days_to_response[whole_days(to_response)] += n
        self.sessions_to_response[float(sessions or 0)] += n


def count_from_rows(
    access: ClinicAccess, filters: Filters, instrument: str, now: dt.datetime
) -> Counted:
    """Counted by the database from the filtered courses' rows: three grouped queries,
    whose cost follows the courses the filters keep."""
    counted = Counted()
    verdicts = _courses(CourseInstrumentState, access, filters, instrument)
    cells = verdicts.values(*GROUPS.values(), "response", "remission").annotate(
        started=Count("*"), completed=Count("pk", filter=Q(course__induction_end_at__lte=now))
    )
    for cell in cells:
        counted.started += cell["started"]
        if cell["completed"]:
            counted.add_verdicts(cell, cell["completed"])
    reached = (
        verdicts.filter(days_to_response__isnull=False)
        .values_list("days_to_response", "sessions_to_response", "response_days", "relapsed")
        .annotate(n=Count("*"))
    )
    for to_response, sessions, response_days, relapsed, n in reached:
        counted.add_responders(to_response, sessions, n)
        if response_days is not None and relapsed is not None:
            counted.lasted[(whole_days(response_days), relapsed)] += n
    weekly = _courses(CourseWeekValue, access, filters, instrument)
    for week, value, n in weekly.values_list("week", "value").annotate(n=Count("*")):
        counted.weeks[week][value] += n
    return counted


def count_from_cells(access: ClinicAccess, instrument: str, now: dt.datetime) -> Counted:
    """Read from the cells the writes keep (`counts.py`), for the dashboard no filter
    narrows: as many rows as the clinic has distinct values. Only the courses still in
    induction, which a moment decides, are read from their rows, to take them out of
    the verdicts."""
    counted = Counted()
    for facet, value, detail, n in _cells(access, instrument):
        if facet == Facet.MONTH:
            counted.started += n
        if facet in GROUPS:
            response, remission = detail.split("/")
            key = _prescriber(value) if facet == Facet.PRESCRIBER else value
            counted.groups[facet][key][(Status(response), Status(remission))] += n
        elif facet == Facet.DAYS_TO_RESPONSE:
            counted.days_to_response[int(value)] += n
        elif facet == Facet.SESSIONS_TO_RESPONSE:
            counted.sessions_to_response[float(value)] += n
        elif facet == Facet.RESPONSE_LASTED:
            counted.lasted[(int(value), detail == "relapsed")] += n
        elif facet == Facet.WEEK:
            counted.weeks[int(value)][float(detail)] += n
    in_induction = (
        _courses(CourseInstrumentState, access, Filters(), instrument)
        .filter(course__induction_end_at__gt=now)
        .values(*GROUPS.values(), "response", "remission")
        .annotate(n=Count("*"))
    )
    for cell in in_induction:
        counted.add_verdicts(cell, -cell["n"])
    for name, groups in counted.groups.items():  # groups left with no course past induction
        counted.groups[name] = {k: +judged for k, judged in groups.items() if +judged}
    return counted


def _cells(access: ClinicAccess, instrument: str) -> QuerySet[Any]:
    return (
        OutcomeCount.objects.filter(clinic=access.clinic, instrument=instrument, courses__gt=0)
        .order_by()
        .values_list("facet", "value", "detail", "courses")
    )


def _prescriber(value: str) -> int | None:
    return int(value) if value else None


def _board_groups(board: OutcomeDashboard, counted: Counted) -> None:
    months, prescribers, protocols, routes = (counted.groups[name] for name in GROUPS)
    board.started = counted.started
    board.overall = _group("All courses", sum(months.values(), Counter()))
    board.completed = board.overall.courses
    board.by_period = [_group(k, v) for k, v in sorted(months.items())]
    board.by_prescriber = sorted(
        (
            _group(board.prescribers.get(k, "Not recorded") if k else "Not recorded", v)
            for k, v in prescribers.items()
        ),
        key=lambda row: row.group,
    )
    board.by_protocol = [
        _group(f"Protocol: {board.protocols.get(k, k) if k else 'not recorded'}", v)
        for k, v in sorted(protocols.items(), key=lambda kv: kv[0] or "~")
    ]
    board.by_route = [
        _group(f"Route: {board.routes.get(k, k) if k else 'not recorded'}", v)
        for k, v in sorted(routes.items(), key=lambda kv: kv[0] or "~")
    ]


def _board_responders(board: OutcomeDashboard, counted: Counted) -> None:
    """Time to response (medians) and duration of response (Kaplan-Meier), in whole days."""
    board.responders = counted.days_to_response.total()
    board.median_days_to_response = median_of_counts(counted.days_to_response)
    board.median_sessions_to_response = median_of_counts(counted.sessions_to_response)
    ordered = sorted(counted.lasted.items())
    board.durability = kaplan_meier(
        [d for (d, _), _n in ordered], [e for (_, e), _n in ordered], [n for _, n in ordered]
    )


def build_dashboard(
    access: ClinicAccess, filters: Filters, now: dt.datetime, *, individual_lines: bool
) -> OutcomeDashboard:
    """The dashboard from the courses' stored verdicts (`state.py`): no rule is judged
    here; what depends on now (past induction) is decided on the stored dates. With no
    filter, the counts are read from the cells the writes keep; with one, the database
    counts the filtered courses' rows. Either way the cost follows the number of distinct
    values, not of courses, once counted."""
    config: OutcomeConfig = config_for(access.clinic)
    instrument = filters.instrument or config.options.primary_instrument
    board = OutcomeDashboard(instrument, config.options.induction_days)
    board.prescribers = prescriber_names(_filter_choices(access, board, instrument))
    if filters.narrows:
        counted = count_from_rows(access, filters, instrument, now)
    else:
        counted = count_from_cells(access, instrument, now)
    _board_groups(board, counted)
    _board_responders(board, counted)
    board.weeks = weekly_summary_of_counts(counted.weeks)
    if individual_lines:
        series = (
            _courses(CourseInstrumentState, access, filters, instrument)
            .filter(series__isnull=False)
            .order_by("course__first_dose_at", "course_id")
        )
        board.lines = [
            [(d, v) for d, v in line] for line in series.values_list("series", flat=True)
        ]
    return board


ROUTE_LABELS: dict[str, str] = {
    Route.IV.value: "IV",
    Route.IM.value: "IM",
    Route.INTRANASAL.value: "Intranasal",
    Route.ORAL.value: "Oral",
    Route.SUBLINGUAL.value: "Sublingual",
    Route.ORAL_ER.value: "Oral, extended release",
}


def _filter_choices(
    access: ClinicAccess, board: OutcomeDashboard, instrument: str
) -> set[int | None]:
    """The protocols (named as the clinic's catalogue names them), routes and indications
    the clinic's courses have: what the filters offer, from the cells (every course has
    them on every judged instrument). Returns the courses' prescribers."""
    present: dict[str, set[str]] = defaultdict(set)
    for facet, value in (
        _cells(access, instrument)
        .filter(facet__in=CHOICES)
        .values_list("facet", "value")
        .distinct()
    ):
        present[facet].add(value)
    names = {p.code: p.name for p in protocol_catalogue(clinic=access.clinic)}
    board.protocols = {
        code: names.get(code, code) for code in sorted(present[Facet.PROTOCOL] - {""})
    }
    board.routes = {
        value: ROUTE_LABELS.get(value, value) for value in sorted(present[Facet.ROUTE] - {""})
    }
    board.indications = {
        value: value.replace("_", " ").capitalize()
        for value in sorted(present[Facet.INDICATION] - {""})
    }
    return {_prescriber(value) for value in present[Facet.PRESCRIBER]}


CHOICES = (Facet.PRESCRIBER, Facet.PROTOCOL, Facet.ROUTE, Facet.INDICATION)


def prescriber_names(ids: Iterable[int | None]) -> dict[int, str]:
    """Their names, by user id (None ignored). One query."""
    wanted = {i for i in ids if i is not None}
    return {
        u.pk: (u.display_name or u.get_username())
        for u in User.objects.filter(pk__in=wanted).only("display_name", "username")
    }


@transaction.atomic
def dashboard_open(
    *, access: ClinicAccess, filters: Filters, now: dt.datetime, individual_lines: bool = False
) -> OutcomeDashboard:
    """Aggregates only: open to the chart's readers and to researchers (de-identified
    data); individual trajectories (no names), when asked for, only to those who may
    read charts."""
    if not (access.can(Permission.VIEW_CHART) or access.can(Permission.VIEW_DEIDENTIFIED)):
        raise PermissionDenied("You may not see the outcome dashboard.")
    if filters.instrument is not None and filters.instrument not in JUDGED_INSTRUMENTS:
        raise ValidationFailed.single(
            "instrument", f"Choose one of {', '.join(JUDGED_INSTRUMENTS)}."
        )
    board = build_dashboard(
        access,
        filters,
        now,
        individual_lines=individual_lines and access.can(Permission.VIEW_CHART),
    )
    if not access.can(Permission.VIEW_CHART):
        suppress_small_cells(board, settings.KETACARE_SMALL_CELL_MIN)
    audit_as(
        access,
        action=Action.VIEW,
        object_type="outcome_dashboard",
        details={"courses": board.started, "instrument": board.instrument},
    )
    return board


def suppress_small_cells(board: OutcomeDashboard, below: int) -> None:
    """For those who see de-identified data only: no count under `below`, and no figure
    worked out from fewer than `below` courses, so a small group cannot single a patient
    out (docs/security.md, "Roles and small cells")."""
    board.small_cells_below = below
    fewer = board.fewer

    def count(n: int | None) -> int | None:
        return n if n is None or n >= below else None

    def row(group: GroupRow) -> GroupRow:
        if group.courses >= below:
            return group
        return replace(group, courses=0, response=Rate(), remission=Rate(), suppressed=fewer)

    board.overall = row(board.overall) if board.overall else None
    board.by_period = [row(g) for g in board.by_period]
    board.by_prescriber = [row(g) for g in board.by_prescriber]
    board.by_protocol = [row(g) for g in board.by_protocol]
    board.by_route = [row(g) for g in board.by_route]
    board.started, board.completed = count(board.started), count(board.completed)
    if count(board.responders) is None:
        board.median_days_to_response = board.median_sessions_to_response = None
    board.responders = count(board.responders)
    if board.durability is not None:
        d = board.durability
        board.durability = Durability(
            rows=[r for r in d.rows if r.at_risk >= below and d.courses and d.courses >= below],
            courses=count(d.courses),
            relapses=count(d.relapses) if count(d.courses) is not None else None,
            median_days=d.median_days if count(d.courses) is not None else None,
        )
    board.weeks = [w for w in board.weeks if w.patients >= below]
