"""Reads of treatment history, staging and screening results."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from ketacare.accounts.models import Clinic
from ketacare.eligibility import history
from ketacare.eligibility.models import (
    AntidepressantTrial,
    CautionAcceptance,
    EligibilitySettings,
    Episode,
    OtherTreatment,
    ScreeningChecklist,
    ScreeningResult,
)
from ketacare.eligibility.rules import EligibilityRules
from ketacare.eligibility.screening import BLOCKING
from ketacare.patients.models import Patient, PatientRecord


def clinic_rules(clinic: Clinic) -> EligibilityRules:
    stored = EligibilitySettings.objects.filter(clinic=clinic).first()
    return EligibilityRules().with_overrides(stored.overrides if stored else {})


def _in_force(model: type[PatientRecord], patient: Patient) -> QuerySet[Any]:
    return model._default_manager.filter(patient=patient, entered_in_error_at__isnull=True)


def current_episode(patient: Patient) -> Episode | None:
    return _in_force(Episode, patient).order_by("-start_date", "-created_at").first()


def current_checklist(patient: Patient) -> ScreeningChecklist | None:
    return _in_force(ScreeningChecklist, patient).order_by("-created_at").first()


def _trial(t: AntidepressantTrial) -> history.Trial:
    return history.Trial(
        drug=t.drug,
        drug_class=history.DrugClass(t.drug_class),
        max_daily_dose_mg=float(t.max_daily_dose_mg),
        weeks_at_dose=float(t.weeks_at_dose),
        adherence=history.Adherence(t.adherence),
        outcome=history.Outcome(t.outcome),
        in_current_episode=t.in_current_episode,
    )


def _other(o: OtherTreatment) -> history.OtherTreatment:
    return history.OtherTreatment(
        kind=history.OtherKind(o.kind),
        outcome=history.Outcome(o.outcome),
        bilateral=o.bilateral,
        in_current_episode=o.in_current_episode,
    )


@dataclass(frozen=True)
class TrialView:
    record: AntidepressantTrial
    adequacy: history.Adequacy


@dataclass(frozen=True)
class HistoryView:
    episode: Episode | None
    episodes: list[Episode]  # every episode, retracted ones included
    trials: list[TrialView]
    others: list[OtherTreatment]
    resistance: history.Derived
    thase_rush: history.Derived
    maudsley: history.Derived | None  # None without a current episode
    rules: EligibilityRules

    @property
    def treatment_resistant(self) -> bool | None:
        if not self.trials and self.episode is None:
            return None
        return self.resistance.value == "treatment-resistant"


def history_of(*, patient: Patient, today: dt.date) -> HistoryView:
    rules = clinic_rules(patient.clinic)
    trial_rows = list(AntidepressantTrial.objects.filter(patient=patient))
    other_rows = list(OtherTreatment.objects.filter(patient=patient))
    trials = [_trial(t) for t in trial_rows if t.entered_in_error_at is None]
    others = [_other(o) for o in other_rows if o.entered_in_error_at is None]
    episode = current_episode(patient)
    maudsley = None
    if episode is not None:
        pure_episode = history.Episode(
            episode.start_date, history.Severity(episode.severity), episode.psychotic_features
        )
        maudsley = history.maudsley_score(pure_episode, trials, others, rules, today=today)
    return HistoryView(
        episode=episode,
        episodes=list(Episode.objects.filter(patient=patient)),
        trials=[TrialView(t, history.trial_adequacy(_trial(t), rules)) for t in trial_rows],
        others=other_rows,
        resistance=history.resistance_status(trials, rules),
        thase_rush=history.thase_rush_stage(trials, others, rules),
        maudsley=maudsley,
        rules=rules,
    )


def _accepted_keys(patient_id: uuid.UUID, protocol_code: str) -> set[tuple[str, str]]:
    return set(
        CautionAcceptance.objects.filter(
            patient_id=patient_id, protocol_code=protocol_code
        ).values_list("code", "detail")
    )


def acceptance_of(screening: ScreeningResult, code: str) -> CautionAcceptance | None:
    reason = next((r for r in screening.reasons if r["code"] == code), None)
    if reason is None:
        return None
    return (
        CautionAcceptance.objects.filter(
            patient_id=screening.patient_id,
            protocol_code=screening.protocol_code,
            code=code,
            detail=reason["detail"],
        )
        .select_related("accepted_by")
        .first()
    )


def unaccepted_cautions(
    reasons: list[dict[str, Any]], accepted: set[tuple[str, str]]
) -> list[dict[str, Any]]:
    """The cautions among `reasons` whose (code, evidence) is not in `accepted`."""
    return [
        r for r in reasons if r["kind"] == "caution" and (r["code"], r["detail"]) not in accepted
    ]


def open_cautions(screening: ScreeningResult) -> list[dict[str, Any]]:
    """The screening's cautions that no prescriber has accepted for this evidence."""
    return unaccepted_cautions(
        screening.reasons, _accepted_keys(screening.patient_id, screening.protocol_code)
    )


@dataclass(frozen=True)
class ScreeningSummary:
    """What the dosing and plan side needs to know of a patient's latest screening."""

    id: uuid.UUID
    protocol_code: str
    outcome: str
    open_cautions: int
    screened_at: dt.datetime
    reasons: list[dict[str, Any]]


def latest_screening(
    *, clinic: Clinic, patient_id: uuid.UUID, protocol_code: str
) -> ScreeningSummary | None:
    latest = (
        ScreeningResult.objects.filter(
            clinic=clinic, patient_id=patient_id, protocol_code=protocol_code
        )
        .order_by("-screened_at", "-created_at")
        .first()
    )
    if latest is None:
        return None
    return ScreeningSummary(
        id=latest.pk,
        protocol_code=latest.protocol_code,
        outcome=latest.outcome,
        open_cautions=len(open_cautions(latest)),
        screened_at=latest.screened_at,
        reasons=latest.reasons,
    )


def screened_protocols(*, clinic: Clinic, patient_id: uuid.UUID) -> list[str]:
    return sorted(
        set(
            ScreeningResult.objects.filter(clinic=clinic, patient_id=patient_id).values_list(
                "protocol_code", flat=True
            )
        )
    )


def latest_screenings(*, clinic: Clinic, patient_id: uuid.UUID) -> list[ScreeningSummary]:
    """The latest screening of each protocol the patient was screened for."""
    found = (
        latest_screening(clinic=clinic, patient_id=patient_id, protocol_code=code)
        for code in screened_protocols(clinic=clinic, patient_id=patient_id)
    )
    return [s for s in found if s is not None]


BLOCKING_KINDS = frozenset(kind.value for kind in BLOCKING)


@dataclass(frozen=True)
class SessionScreening:
    """The latest screening of a session's protocol as the session screen shows it."""

    latest: ScreeningResult | None
    open_cautions: list[dict[str, Any]]
    new_cautions: list[dict[str, Any]]  # open ones the screening before it did not raise

    @property
    def blocking(self) -> list[dict[str, Any]]:
        """Why the result is "not eligible": contraindications, protocol limits, gaps."""
        found = self.latest.reasons if self.latest else []
        return [r for r in found if r["kind"] in BLOCKING_KINDS]


def session_screening(
    *, clinic: Clinic, patient_id: uuid.UUID, protocol_code: str
) -> SessionScreening:
    """Three queries, whatever the history: the last two results and the acceptances."""
    recent = list(
        ScreeningResult.objects.filter(
            clinic=clinic, patient_id=patient_id, protocol_code=protocol_code
        ).order_by("-screened_at", "-created_at")[:2]
    )
    if not recent:
        return SessionScreening(latest=None, open_cautions=[], new_cautions=[])
    latest, *earlier = recent
    still_open = open_cautions(latest)
    before = {(r["code"], r["detail"]) for r in (earlier[0].reasons if earlier else [])}
    return SessionScreening(
        latest=latest,
        open_cautions=still_open,
        new_cautions=[r for r in still_open if (r["code"], r["detail"]) not in before],
    )
