"""Per-clinic outcome settings and the clinician's decisions on maintenance
recommendations. The rules themselves are the pure core in this package."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.common.models import ClinicalRecord
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentSession

USER = settings.AUTH_USER_MODEL


class ClinicOutcomeSettings(models.Model):
    """The clinic's overrides of OutcomeRules, MaintenanceRules and the few settings of
    the worklist and dashboard. Only values that differ from the cited defaults are kept,
    flat, keyed as `setting_keys` names them (e.g. "remission_at_or_below.madrs")."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="+")
    overrides = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "clinic outcome settings"

    def __str__(self) -> str:
        return f"Outcome settings of {self.clinic_id}"


class MaintenanceDecision(ClinicalRecord):
    """A clinician accepted (and so booked a session) or dismissed the next-session
    recommendation made after `last_session`. The recommendation is kept as it was shown."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(max_length=20)
    last_session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="+")
    recommended_date = models.DateField()
    recommendation = models.TextField(help_text="The reason shown with the recommendation")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.CharField(max_length=300, blank=True)
    booked_session = models.ForeignKey(
        TreatmentSession, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at"]
        indexes = [models.Index(fields=["clinic", "last_session"])]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.recommended_date}"


class ClinicalEvent(ClinicalRecord):
    """A clinical event that SUSTAIN-1 counts as relapse (Daly 2019): a hospitalisation
    for worsening depression, a suicide attempt or another clinically relevant event to
    prevent suicide. Never deleted: a mistaken entry is marked entered in error."""

    class Kind(models.TextChoices):
        HOSPITALISATION = "hospitalisation", "Hospitalisation for worsening depression"
        SUICIDE_ATTEMPT = "suicide_attempt", "Suicide attempt"
        SUICIDE_PREVENTION = (
            "suicide_prevention",
            "Other clinically relevant event to prevent suicide",
        )

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_in_error_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["clinic", "patient", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class CourseState(models.Model):
    """One course's outcome state, kept up to date by `state.course_state_refresh` in the
    transaction of every write that changes it (a score, a session, a plan, a clinical
    event, a maintenance decision, the clinic's settings). The worklist and the dashboard
    read these rows instead of judging every course per request. Computed only by the
    pure core (course.py, maintenance.py, trajectories.py); `outcomes-rebuild` recomputes
    them. Date-relative parts (a booster due or overdue, a course past induction, still
    active) are stored as dates and decided at read time."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    plan_id = models.UUIDField(null=True, blank=True)  # None: sessions outside any plan
    is_current = models.BooleanField(default=False)  # the patient's current course
    first_dose_at = models.DateTimeField()
    first_dose_date = models.DateField()  # in the clinic's calendar (dashboard filters)
    first_dose_month = models.CharField(max_length=7)  # as the dashboard groups it
    induction_end_at = models.DateTimeField()  # first dose + the clinic's induction days
    last_session_id = models.UUIDField()
    last_session_at = models.DateTimeField()
    sessions = models.PositiveIntegerField(default=0)
    prescriber_id = models.IntegerField(null=True, blank=True)
    protocol = models.CharField(max_length=64, blank=True)
    route = models.CharField(max_length=32, blank=True)
    indication = models.CharField(max_length=64, blank=True)
    # The worklist's items on the primary instrument (empty reason: no item).
    relapse_reason = models.TextField(blank=True)
    relapse_at = models.DateTimeField(null=True, blank=True)
    warning_reason = models.TextField(blank=True)
    warning_at = models.DateTimeField(null=True, blank=True)
    futility_reason = models.TextField(blank=True)
    futility_at = models.DateTimeField(null=True, blank=True)
    booster_date = models.DateField(null=True, blank=True)  # the recommended next session
    booster_reason = models.TextField(blank=True)  # without the date-relative "overdue"
    decided = models.BooleanField(default=False)  # a decision on that recommendation
    has_item = models.BooleanField(default=False)  # any of the above: a worklist row
    # What a page of the worklist is read in order by (`course_items.py`): the items' due
    # dates in the clinic's calendar and the patient's name as the list sorts it
    # (`compact.sort_key`). A new time zone or a new name recomputes them.
    relapse_due = models.DateField(null=True, blank=True)
    warning_due = models.DateField(null=True, blank=True)
    futility_due = models.DateField(null=True, blank=True)
    sort_name = models.TextField(blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["clinic", "patient"],
                condition=models.Q(is_current=True, has_item=True),
                name="coursestate_worklist",
            ),
            # The worklist's active courses: a session in the last ACTIVE_DAYS.
            models.Index(
                fields=["clinic", "last_session_at"],
                condition=models.Q(is_current=True, has_item=True),
                name="coursestate_active",
            ),
            models.Index(fields=["clinic", "patient"], name="coursestate_patient"),
            # The dashboard's courses still in induction (`counts.py`).
            models.Index(fields=["clinic", "induction_end_at"], name="coursestate_induction"),
        ]

    def __str__(self) -> str:
        return f"Course of {self.patient_id} from {self.first_dose_date}"


class CourseInstrumentState(models.Model):
    """A course's verdicts on one judged instrument, for the dashboard: response and
    remission as the course stood at the end of induction, the time to response and the
    duration of response (Kaplan-Meier), and the trajectory's points."""

    course = models.ForeignKey(CourseState, on_delete=models.CASCADE, related_name="instruments")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    instrument = models.CharField(max_length=20)
    response = models.CharField(max_length=16)  # Status value, at the end of induction
    remission = models.CharField(max_length=16)
    baseline = models.IntegerField(null=True, blank=True)
    nadir = models.IntegerField(null=True, blank=True)
    latest = models.IntegerField(null=True, blank=True)
    days_to_response = models.FloatField(null=True, blank=True)  # responders only
    sessions_to_response = models.IntegerField(null=True, blank=True)
    response_days = models.FloatField(null=True, blank=True)  # duration of response
    relapsed = models.BooleanField(null=True, blank=True)  # its event (None: no duration)
    series = models.JSONField(null=True, blank=True)  # [[days, value], ...]; None: no points

    class Meta:
        indexes = [
            models.Index(fields=["clinic", "instrument", "course"], name="courseinstr_board")
        ]

    def __str__(self) -> str:
        return f"{self.instrument} of {self.course_id}"


class CourseWeekValue(models.Model):
    """A course's last value on one instrument in each week of treatment of its stored
    series (the first MAX_WEEKS): the rows the dashboard's trajectory summary counts in
    the database, a course once a week (`trajectories.last_in_each_week`)."""

    course = models.ForeignKey(CourseState, on_delete=models.CASCADE, related_name="weeks")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    instrument = models.CharField(max_length=20)
    week = models.PositiveSmallIntegerField()
    value = models.FloatField()

    class Meta:
        indexes = [
            models.Index(fields=["clinic", "instrument", "week", "value"], name="courseweek_board")
        ]

    def __str__(self) -> str:
        return f"{self.instrument} week {self.week} of {self.course_id}"


class OutcomeCount(models.Model):
    """How many of the clinic's courses share one value on one instrument: what the
    dashboard reads when no filter narrows it, instead of every course's rows. Kept by
    the same writes as the course state, in their transaction (`counts.py`), so a cell
    moves when a course's verdict, duration or weekly value does. Cells left at zero stay
    (a course may come back to them) and are not read."""

    class Facet(models.TextChoices):
        # Completed-or-not is decided when read; `detail` is "response/remission".
        MONTH = "month", "First-dose month"
        PRESCRIBER = "prescriber", "Prescriber"  # value: the user id, "" if not recorded
        PROTOCOL = "protocol", "Protocol"
        ROUTE = "route", "Route"
        INDICATION = "indication", "Indication"
        # Responders only: whole days, or sessions; `detail` is empty.
        DAYS_TO_RESPONSE = "days_to_response", "Days to response"
        SESSIONS_TO_RESPONSE = "sessions_to_response", "Sessions to response"
        # Whole days free of relapse; `detail` is "relapsed" or "censored".
        RESPONSE_LASTED = "response_lasted", "Days free of relapse"
        # `value` is the week of treatment, `detail` the course's last value that week.
        WEEK = "week", "Week of treatment"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    instrument = models.CharField(max_length=20)
    facet = models.CharField(max_length=24, choices=Facet.choices)
    value = models.CharField(max_length=64)
    detail = models.CharField(max_length=40, blank=True)
    courses = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "instrument", "facet", "value", "detail"],
                name="outcomecount_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.facet}={self.value} {self.detail}: {self.courses}"
