"""Outcomes of a course and maintenance planning: the pure domain core of issue 6.

Pure Python, no Django (importable without it). Build a `Course` from scores and
sessions, then judge it with `classify_course` (or the single rules in `course`), plan
maintenance with `recommend_next_session`, `early_warning` and `taper_suggestion`, and
summarise trajectories with `weekly_summary`. Settings and their cited sources are in
`rules`. The rules are described in docs/outcomes.md.
"""

from __future__ import annotations

from .course import (
    Baseline,
    Change,
    CourseOutcome,
    Judgement,
    Relapse,
    Status,
    TimeToEvent,
    baseline,
    change_from_baseline,
    classify_course,
    duration_of_response,
    futility,
    rapid_response_4h,
    rapid_response_24h,
    relapse,
    remission,
    response,
    sustained_response,
    time_to_response,
)
from .data import Course, EventKind, EventPoint, ScorePoint, ScoreRef, SessionPoint
from .maintenance import (
    Recommendation,
    ReliefEstimate,
    ReliefInterval,
    TaperSuggestion,
    early_warning,
    estimate_relief,
    recommend_next_session,
    relief_intervals,
    taper_suggestion,
)
from .rules import (
    ALTERNATIVES,
    MAINTENANCE_SOURCES,
    RULE_SOURCES,
    MaintenanceRules,
    OutcomeRules,
    RelapseRule,
    maintenance_problems,
    rule_problems,
    setting_keys,
)
from .trajectories import (
    WeekSummary,
    course_series,
    last_in_each_week,
    week_of_treatment,
    weekly_summary,
    weekly_summary_of_counts,
)

__all__ = [
    "ALTERNATIVES",
    "MAINTENANCE_SOURCES",
    "RULE_SOURCES",
    "Baseline",
    "Change",
    "Course",
    "CourseOutcome",
    "EventKind",
    "EventPoint",
    "Judgement",
    "MaintenanceRules",
    "OutcomeRules",
    "Recommendation",
    "Relapse",
    "RelapseRule",
    "ReliefEstimate",
    "ReliefInterval",
    "ScorePoint",
    "ScoreRef",
    "SessionPoint",
    "Status",
    "TaperSuggestion",
    "TimeToEvent",
    "WeekSummary",
    "baseline",
    "change_from_baseline",
    "classify_course",
    "course_series",
    "duration_of_response",
    "early_warning",
    "estimate_relief",
    "futility",
    "last_in_each_week",
    "maintenance_problems",
    "rapid_response_4h",
    "rapid_response_24h",
    "recommend_next_session",
    "relapse",
    "relief_intervals",
    "remission",
    "response",
    "rule_problems",
    "setting_keys",
    "sustained_response",
    "taper_suggestion",
    "time_to_response",
    "week_of_treatment",
    "weekly_summary",
    "weekly_summary_of_counts",
]
