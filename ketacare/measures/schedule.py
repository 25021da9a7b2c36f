"""Which measurement invitations are due (pure; time is an argument).

A plan's rules, the patient's sessions and the keys of invitations already issued go in;
the invitations due now come out, each with a stable key so that running the schedule
twice never sends twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    rule_id: int | str  # part of every invitation key; stable across plan edits
    kind: str  # every_n_days | before_session | after_session | on_dates
    instruments: tuple[str, ...]
    interval_days: int | None = None
    hours_after: int | None = None
    dates: tuple[dt.date, ...] = ()


@dataclass(frozen=True)
class SessionTimes:
    session_id: str
    scheduled_start: dt.datetime
    dosing_started_at: dt.datetime | None  # None until the session is given


@dataclass(frozen=True)
class Invitation:
    key: str
    instruments: tuple[str, ...]
    due_at: dt.datetime
    context: str
    reason: str
    session_id: str | None = None
    offset_hours: int | None = None


@dataclass(frozen=True)
class ScheduleSettings:
    starts_on: dt.date
    zone: dt.tzinfo
    send_hour_local: int
    pre_session_lead: dt.timedelta
    # An invitation older than this is not sent late: its link would already have expired.
    send_window: dt.timedelta
    extra: dict[str, object] = field(default_factory=dict)


def _at_send_hour(day: dt.date, settings: ScheduleSettings) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(settings.send_hour_local), tzinfo=settings.zone)
    return local.astimezone(dt.UTC)


def _every_n_days(rule: Rule, now: dt.datetime, s: ScheduleSettings) -> list[Invitation]:
    interval = rule.interval_days or 0
    if interval < 1:
        return []
    elapsed = (now.astimezone(s.zone).date() - s.starts_on).days
    if elapsed < 0:
        return []
    # Only the latest occurrence: a missed one is superseded by the next, not queued up.
    number = elapsed // interval
    due = _at_send_hour(s.starts_on + dt.timedelta(days=number * interval), s)
    if due > now and number > 0:
        number -= 1
        due = _at_send_hour(s.starts_on + dt.timedelta(days=number * interval), s)
    return [
        Invitation(
            key=f"r{rule.rule_id}:every:{number}",
            instruments=rule.instruments,
            due_at=due,
            context="between_sessions",
            reason=f"every {interval} days from {s.starts_on.isoformat()}",
        )
    ]


def _before_session(
    rule: Rule, sessions: Sequence[SessionTimes], s: ScheduleSettings
) -> list[Invitation]:
    return [
        Invitation(
            key=f"r{rule.rule_id}:pre:{x.session_id}",
            instruments=rule.instruments,
            due_at=x.scheduled_start - s.pre_session_lead,
            context="pre_session",
            reason=f"before the session of {x.scheduled_start.isoformat()}",
            session_id=x.session_id,
        )
        for x in sessions
        if x.dosing_started_at is None
    ]


def _after_session(rule: Rule, sessions: Sequence[SessionTimes]) -> list[Invitation]:
    hours = rule.hours_after or 0
    return [
        Invitation(
            key=f"r{rule.rule_id}:post{hours}:{x.session_id}",
            instruments=rule.instruments,
            due_at=x.dosing_started_at + dt.timedelta(hours=hours),
            context="post_session",
            reason=f"{hours} h after dosing began {x.dosing_started_at.isoformat()}",
            session_id=x.session_id,
            offset_hours=hours,
        )
        for x in sessions
        if x.dosing_started_at is not None
    ]


def _on_dates(rule: Rule, s: ScheduleSettings) -> list[Invitation]:
    return [
        Invitation(
            key=f"r{rule.rule_id}:date:{day.isoformat()}",
            instruments=rule.instruments,
            due_at=_at_send_hour(day, s),
            context="follow_up",
            reason=f"named date {day.isoformat()}",
        )
        for day in sorted(set(rule.dates))  # a date named twice is one invitation
    ]


def candidates(
    rule: Rule, sessions: Sequence[SessionTimes], now: dt.datetime, settings: ScheduleSettings
) -> list[Invitation]:
    if rule.kind == "every_n_days":
        return _every_n_days(rule, now, settings)
    if rule.kind == "before_session":
        return _before_session(rule, sessions, settings)
    if rule.kind == "after_session":
        return _after_session(rule, sessions)
    if rule.kind == "on_dates":
        return _on_dates(rule, settings)
    raise ValueError(f"unknown rule kind {rule.kind!r}")


def due_invitations(
    *,
    rules: Iterable[Rule],
    sessions: Sequence[SessionTimes],
    issued_keys: set[str],
    now: dt.datetime,
    settings: ScheduleSettings,
) -> list[Invitation]:
    """Invitations whose time has come, not yet issued, and not too stale to send."""
    due = [
        invitation
        for rule in rules
        for invitation in candidates(rule, sessions, now, settings)
        if invitation.key not in issued_keys
        and invitation.due_at <= now < invitation.due_at + settings.send_window
    ]
    return sorted(due, key=lambda i: (i.due_at, i.key))
